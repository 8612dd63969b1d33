"""Facts read from SQL: the fixed-form fast path agrees with sqlglot, and the extractors' edge cases."""

from __future__ import annotations

import pytest

from migrate_lint.sql import facts as sql
from migrate_lint.sql.volatility import declared_non_volatile, unknown_calls
from migrate_lint.sql.writes import Write, data_writes

CANONICAL = [
    "CREATE INDEX ix_t1_c51 ON t1 (c51)",
    'CREATE UNIQUE INDEX CONCURRENTLY "ix_users_email" ON users (email, lower(name))',
    "CREATE INDEX ix_docs ON docs USING gin (data)",
    "DROP INDEX CONCURRENTLY ix_posts_title",
    "DROP INDEX ix_posts_title",
    "CREATE TABLE tags (\n    id SERIAL NOT NULL, \n    CONSTRAINT pk_tags PRIMARY KEY (id)\n)",
]


@pytest.mark.parametrize("statement", CANONICAL)
def test_fast_path_agrees_with_the_parser(statement):
    fast = sql._canonical_facts(statement)
    assert fast is not None
    parsed = sql.parse_statement(statement, "postgresql")
    assert fast.index == sql.index_ddl(parsed)
    assert fast.created_table == sql.created_table(parsed)


@pytest.mark.parametrize(("statement", "expected"), [
    ("ALTER TABLE t RENAME c TO d", [("column", "t", "c", "d")]),
    ("ALTER TABLE t CHANGE c d INTEGER NULL", [("column", "t", "c", "d")]),
    ("ALTER TABLE t CHANGE c c INTEGER NOT NULL", []),
    ("RENAME TABLE a TO b", [("table", "", "a", "b")]),
])
def test_renames_in_alembic_forms(statement, expected):
    assert sql.renames(statement) == expected


def test_facts_skip_statements_without_facts():
    assert sql.facts_of("ALTER TABLE t ADD COLUMN c INTEGER", "postgresql") == sql.SqlFacts()
    assert sql.facts_of("SELECT 1", "postgresql") == sql.SqlFacts()
    assert sql.facts_of("ALTER TABLE t ADD COLUMN c UUID DEFAULT gen_random_uuid()", "postgresql"
                        ).added_columns == (("t", "c", False, "GEN_RANDOM_UUID()"),)


def test_unparseable_sql_is_a_command_not_an_error():
    assert type(sql.parse_statement("ALTER TYPE mood ADD VALUE 'meh'", "postgresql")).__name__ == "Command"
    assert sql.facts_of("ALTER TABLE t VALIDATE CONSTRAINT ck", "postgresql").validated == ("t", "ck")


def test_constraints_sqlglot_leaves_as_commands_are_read_from_alembics_form():
    assert sql.facts_of("ALTER TABLE posts ADD CHECK (score >= 0)", "postgresql").constraints == (
        ("posts", "", "check", False, "score >= 0"),)
    assert sql.facts_of("ALTER TABLE posts ADD CHECK (score >= 0) NOT VALID", "postgresql").constraints == (
        ("posts", "", "check", True, "score >= 0"),)


@pytest.mark.parametrize(("script", "expected"), [
    ("-- why\nCREATE INDEX ix ON t (c);", ("CREATE INDEX ix ON t (c)",)),
    ("/* a /* nested */ note */ DROP TABLE t", ("DROP TABLE t",)),
    ("UPDATE t SET c = ';'; DROP TABLE u;\n-- done", ("UPDATE t SET c = ';'", "DROP TABLE u")),
    ('ALTER TABLE "a;b" ADD COLUMN c INT; SELECT 1', ('ALTER TABLE "a;b" ADD COLUMN c INT', "SELECT 1")),
    ("CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql; SELECT 2",
     ("CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql", "SELECT 2")),
    ("-- only a comment", ()),
])
def test_scripts_split_into_statements_without_leading_comments(script, expected):
    from migrate_lint.sql.split import split_sql

    assert split_sql(script) == expected


@pytest.mark.parametrize(("statement", "index", "dropped"), [
    ("CREATE INDEX CONCURRENTLY ON t (c)", ("create", "t_c_idx", "t", True, False), ()),
    ("CREATE UNIQUE INDEX ON s.t (lower(c)) WHERE d IS NULL",
     ("create", "t_lower_idx", "t", False, True), ()),
    ("DROP INDEX a, s.b", ("drop", "a", "", False, False), (("index", "", "a"), ("index", "", "b"))),
    ("DROP INDEX CONCURRENTLY IF EXISTS a CASCADE", ("drop", "a", "", True, False), ()),
])
def test_index_facts_name_unnamed_indexes_and_list_every_drop(statement, index, dropped):
    facts = sql.facts_of(statement, "postgresql")
    assert (facts.index, facts.dropped) == (index, dropped)


@pytest.mark.parametrize(("default", "unknown"), [
    ("billing.next_code()", ["billing.next_code"]), ("MAKE_SLUG('a(b)')", ["MAKE_SLUG"]),
    ("CAST('0' AS DECIMAL(10, 2))", []), ("'0'::numeric(10,2)", []), ("'f(x)'", []),
    ("DATE_TRUNC('DAY', CURRENT_TIMESTAMP)", []), ("STATEMENT_TIMESTAMP()", [])])
def test_calls_in_a_default_that_are_not_known_non_volatile(default, unknown):
    assert unknown_calls(default) == unknown


def test_a_function_created_stable_or_immutable_is_known():
    assert declared_non_volatile("CREATE OR REPLACE FUNCTION app.tenant_id() RETURNS int LANGUAGE sql "
                                 "STABLE AS $$ SELECT 1 $$") == "tenant_id"
    plain = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$"
    assert declared_non_volatile(plain) is None
    assert unknown_calls("tenant_id()", {"tenant_id"}) == []


@pytest.mark.parametrize(("script", "expected"), [
    ("INSERT INTO log_a (id, at) SELECT id, at FROM a",
     [Write("insert", "log_a", frozenset({"id", "at"}), frozenset({"a.id", "a.at"}))]),
    ("INSERT INTO kinds (id, label, note) VALUES (1, 'x', NULL)",
     [Write("seed", "kinds", frozenset({"id", "label"}), frozenset())]),
    ("UPDATE b SET name = h.name FROM holders AS h WHERE h.id = b.holder_id",
     [Write("update", "b", frozenset({"name"}), frozenset({"holders.name", "holders.id", "b.holder_id"}))]),
    ("UPDATE b SET n = :n WHERE id = :id", [Write("update", "b", frozenset({"n"}), None)]),
    ("TRUNCATE a, b; DELETE FROM c",
     [Write("empty", "a", frozenset()), Write("empty", "b", frozenset()), Write("empty", "c", frozenset())]),
    ("INSERT INTO t (a, b) VALUES (%s, %s)", [Write("seed", "t", frozenset({"a", "b"}))]),
])
def test_data_writes_tell_what_is_written_and_what_it_is_read_from(script, expected):
    assert list(data_writes(script)) == expected

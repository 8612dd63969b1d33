"""Canonical types and defaults: what databases write back must compare equal to what models say."""

import pytest

from migrate_lint.database.typenames import canonical, default


@pytest.mark.parametrize(("stored", "declared", "dialect"), [
    ("'0'::integer", "'0'", "postgresql"),
    ("0", "'0'", "sqlite"),
    ("now()", "CURRENT_TIMESTAMP", "postgresql"),
    ("current_timestamp()", "CURRENT_TIMESTAMP", "mariadb"),
    ("false", "'0'", "postgresql"),
    ("'draft'::character varying", "'draft'", "postgresql"),
    ("('a''b')", "'a''b'", "sqlite"),
    ("NULL", None, "mariadb"),
])
def test_equivalent_defaults(stored, declared, dialect):
    assert default(stored, dialect) == default(declared, dialect)


@pytest.mark.parametrize(("stored", "declared"), [("'1'", "'0'"), ("'draft'", "'final'"), ("now()", "'0'")])
def test_different_defaults_stay_different(stored, declared):
    assert default(stored, "postgresql") != default(declared, "postgresql")


@pytest.mark.parametrize(("a", "b", "dialect", "same"), [
    ("FLOAT", "DOUBLE PRECISION", "postgresql", True),
    ("TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP", "postgresql", True),
    ("CHARACTER VARYING(50)", "VARCHAR(50)", "postgresql", True),
    ("VARCHAR(50)", "VARCHAR(120)", "postgresql", False),
    ("INTEGER(11)", "INTEGER", "mariadb", True),
    ("TINYINT(1)", "BOOL", "mysql", True),
    ("VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci", "VARCHAR(50)", "mariadb", True),
    ("FLOAT", "DOUBLE", "mysql", False),  # 4 bytes and 8 bytes on MySQL: really different
    ("DOUBLE", "FLOAT", "sqlite", True),
])
def test_type_spellings(a, b, dialect, same):
    assert (canonical(a, dialect) == canonical(b, dialect)) is same

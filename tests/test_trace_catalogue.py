"""The catalogue proven on the real server: every rule case that states `server:` facts is run
through `migrate-lint trace` (after a setup revision that makes the tables the cases touch, with
rows; a case of several revisions runs them all, each in its own transaction, and its last is the
one observed), and the server must show exactly those facts: the strongest lock it left held per
table, the tables it rewrote, the constraints it left not validated at its end, the tables whose
primary key it dropped or replaced, the indexes it left invalid, whether it ran statements outside
the migration's transaction (an autocommit block)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from migrate_lint.catalog import load_catalog
from tests.servers import server_engine
from tests.test_drift_safety import server_url
from tests.test_trace import project, trace

SETUP = '''    op.execute("""
        CREATE TABLE users (id serial PRIMARY KEY, email varchar(120), name varchar(100), locale varchar(8));
        CREATE TABLE posts (id serial PRIMARY KEY, author_id integer, title varchar(200),
                            slug varchar(160), body text, views integer);
        CREATE TYPE order_status AS ENUM ('new', 'paid');
        CREATE TABLE orders (id serial PRIMARY KEY, total numeric(10, 2), customer_id integer,
                             status order_status DEFAULT 'new', created_at timestamp DEFAULT now(),
                             updated_at timestamp);
        CREATE INDEX ix_posts_title ON posts (title);
        CREATE INDEX ix_posts_slug ON posts (slug);
        CREATE INDEX ix_orders_customer_id ON orders (customer_id);
        CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER orders_audit BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
        INSERT INTO users (email, name, locale)
            SELECT 'u' || g || '@x', 'n' || g, CASE WHEN g > 50 THEN 'de' END FROM generate_series(1, 100) g;
        INSERT INTO posts (author_id, title, slug, body, views)
            SELECT g, 't' || g, 's' || g, 'b', g FROM generate_series(1, 100) g;
        INSERT INTO orders (total, customer_id) SELECT g, g FROM generate_series(1, 100) g;
    """)
'''
DML = re.compile(r"\s*(UPDATE|INSERT|DELETE|SELECT|WITH)\b", re.I)
NAMES = {"AccessExclusiveLock": "ACCESS EXCLUSIVE", "ExclusiveLock": "EXCLUSIVE",
         "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE", "ShareLock": "SHARE",
         "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE"}


def cases(server: str) -> list[tuple[str, str, list[str], dict]]:
    found = []
    for rule in load_catalog().rules:
        for case in rule.cases:
            if case.server and server in case.server and all(isinstance(r, str) for r in case.revisions):
                found.append((rule.code, case.name, list(case.revisions), dict(case.server[server])))
    return found


def bodies(setup: str, revisions: list[str]) -> list[str]:
    return [setup, *(textwrap.indent(body, "    ") for body in revisions)]


def observed(data: dict, revision: str = "r002") -> dict:
    """What the server did in the case's revision: the strongest lock that blocks anything (the
    weaker ones block no reader or writer), per table that existed before it, what it rewrote, the
    constraints it left not validated, and the tables whose rows its DDL read in the migration's
    transaction (an autocommit statement's own transaction is over before it can be asked)."""
    locks: dict[str, str] = {}
    rewrites: set[str] = set()
    unvalidated: set[str] = set()
    scanned: set[str] = set()
    keys: set[str] = set()
    invalid: set[str] = set()
    autocommit = False
    order = list(NAMES)[::-1]
    for statement in data["trace"]["statements"]:
        if statement["revision"] != revision or statement["error"]:
            continue
        for table, mode in statement["new_locks"].items():
            if mode in NAMES and table not in statement["fresh"] and (
                    table not in locks or order.index(mode) > order.index(locks[table])):
                locks[table] = mode
        rewrites |= set(statement["rewritten"])
        keys |= set(statement["rekeyed"]) - set(data["trace"]["made"].get(str(statement["transaction"]), []))
        autocommit |= bool(statement["autocommit"] and statement["path"])
        if statement["path"]:  # what the revision leaves: after its last statement (not the bookkeeping)
            unvalidated, invalid = set(statement["unvalidated"]), set(statement["invalid_indexes"])
        if not DML.match(statement["sql"]):  # a backfill's own reads are not the DDL's scan
            scanned |= set(statement["scanned"])
    return {"locks": {t: NAMES[m] for t, m in sorted(locks.items())}, "rewrites": sorted(rewrites),
            "unvalidated": sorted(unvalidated), "scanned": sorted(scanned), "keys": sorted(keys),
            "invalid": sorted(invalid), "autocommit": autocommit}


MARIADB_SETUP = '''    op.execute("CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, "
               "email varchar(120), name varchar(100), handle varchar(50))")
    op.execute("CREATE TABLE posts (id int AUTO_INCREMENT PRIMARY KEY, author_id int, "
               "title varchar(200), slug varchar(160), body text, views int)")
    op.execute("INSERT INTO users (email, name) VALUES ('a@x', 'a'), ('b@x', 'b')")
    op.execute("INSERT INTO posts (author_id, title, slug, body, views) VALUES (1, 't', 's', 'b', 1)")
'''


@pytest.mark.parametrize(("code", "name", "body", "facts"), cases("mariadb"),
                         ids=[f"{c[0]}-{c[1]}" for c in cases("mariadb")])
def test_mariadb_does_what_the_catalogue_says(tmp_path, code, name, body, facts):
    server_engine("mariadb")
    folder = project(tmp_path, bodies(MARIADB_SETUP, body))
    done = subprocess.run([sys.executable, "-m", "migrate_lint", "trace", "--database-url",
                           server_url("mariadb"), "--format", "json"], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    data = json.loads(done.stdout or "{}") if done.returncode in (0, 1) else pytest.fail(done.stderr)
    assert not data["trace"]["failure"], data["trace"]["failure"]
    last = f"r{len(body) + 1:03d}"
    seen = {table: s["algorithm"] for s in data["trace"]["statements"] if s["revision"] == last
            and s["algorithm"] for table in [s["sql"].split()[2].strip("`")]}
    assert seen == dict(facts["algorithm"]), f"{code} {name}: the server used {seen}"


def test_the_catalogue_states_server_facts_for_the_contested_cases():
    named = {(code, name) for code, name, _, _ in cases("postgresql")}
    assert ("ML104", "a nullable column added with REFERENCES") in named
    assert ("ML108", "now() is stable, not volatile") in named


@pytest.mark.parametrize(("code", "name", "body", "facts"), cases("postgresql"),
                         ids=[f"{c[0]}-{c[1]}" for c in cases("postgresql")])
def test_postgresql_does_what_the_catalogue_says(tmp_path, code, name, body, facts):
    server_engine("postgresql")
    folder = project(tmp_path, bodies(SETUP, body))
    done = trace(folder)
    data = json.loads(done.stdout or "{}") if done.returncode in (0, 1) else pytest.fail(done.stderr)
    assert not data["trace"]["failure"], data["trace"]["failure"]
    seen = observed(data, f"r{len(body) + 1:03d}")
    expected = {"locks": dict(facts.get("locks") or {}), "rewrites": sorted(facts.get("rewrites") or ()),
                "unvalidated": sorted(facts.get("unvalidated") or ()),
                "scanned": sorted(facts.get("scanned") or ()), "keys": sorted(facts.get("keys") or ()),
                "invalid": sorted(facts.get("invalid") or ()), "autocommit": bool(facts.get("autocommit"))}
    for optional in ("scanned", "keys", "invalid", "autocommit"):  # a case not stating one is not held to it
        if optional not in facts:
            seen.pop(optional), expected.pop(optional)
    assert seen == expected, f"{code} {name}: the server did {seen}"


def test_every_lock_rule_states_server_facts_or_says_why_the_server_cannot_show_its_claim():
    from migrate_lint.trace.crosscheck import LOCK_TAGS

    silent = [rule.code for rule in load_catalog().rules if set(rule.tags) & set(LOCK_TAGS)
              and not rule.trace and not any(case.server for case in rule.cases)]
    assert silent == []
    # ML311's claim (one statement per row) is no server fact: it says so, and trace judges none
    assert load_catalog().get("ML311").trace

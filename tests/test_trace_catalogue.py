"""The catalogue proven on the real server: every rule case that states `server:` facts is run
through `migrate-lint trace` (after a setup revision that makes the tables the cases touch, with
rows), and the server must show exactly those facts: the strongest lock it left held per table,
the tables it rewrote, the constraints it left not validated at its end."""

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


def cases(server: str) -> list[tuple[str, str, str, dict]]:
    found = []
    for rule in load_catalog().rules:
        for case in rule.cases:
            if case.server and server in case.server and len(case.revisions) == 1:
                found.append((rule.code, case.name, case.revisions[0], dict(case.server[server])))
    return found


def observed(data: dict) -> dict:
    """What the server did in the case's revision: the strongest lock that blocks anything (the
    weaker ones block no reader or writer), per table that existed before it, what it rewrote, the
    constraints it left not validated, and the tables whose rows its DDL read in the migration's
    transaction (an autocommit statement's own transaction is over before it can be asked)."""
    locks: dict[str, str] = {}
    rewrites: set[str] = set()
    unvalidated: set[str] = set()
    scanned: set[str] = set()
    order = list(NAMES)[::-1]
    for statement in data["trace"]["statements"]:
        if statement["revision"] != "r002" or statement["error"]:
            continue
        for table, mode in statement["new_locks"].items():
            if mode in NAMES and table not in statement["fresh"] and (
                    table not in locks or order.index(mode) > order.index(locks[table])):
                locks[table] = mode
        rewrites |= set(statement["rewritten"])
        if statement["path"]:  # what the revision leaves: after its last statement (not the bookkeeping)
            unvalidated = set(statement["unvalidated"])
        if not DML.match(statement["sql"]):  # a backfill's own reads are not the DDL's scan
            scanned |= set(statement["scanned"])
    return {"locks": {t: NAMES[m] for t, m in sorted(locks.items())}, "rewrites": sorted(rewrites),
            "unvalidated": sorted(unvalidated), "scanned": sorted(scanned)}


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
    folder = project(tmp_path, [MARIADB_SETUP, textwrap.indent(body, "    ")])
    done = subprocess.run([sys.executable, "-m", "migrate_lint", "trace", "--database-url",
                           server_url("mariadb"), "--format", "json"], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    data = json.loads(done.stdout or "{}") if done.returncode in (0, 1) else pytest.fail(done.stderr)
    assert not data["trace"]["failure"], data["trace"]["failure"]
    seen = {table: s["algorithm"] for s in data["trace"]["statements"] if s["revision"] == "r002"
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
    folder = project(tmp_path, [SETUP, textwrap.indent(body, "    ")])
    done = trace(folder)
    data = json.loads(done.stdout or "{}") if done.returncode in (0, 1) else pytest.fail(done.stderr)
    assert not data["trace"]["failure"], data["trace"]["failure"]
    seen = observed(data)
    expected = {"locks": dict(facts.get("locks") or {}), "rewrites": sorted(facts.get("rewrites") or ()),
                "unvalidated": sorted(facts.get("unvalidated") or ()),
                "scanned": sorted(facts.get("scanned") or ())}
    if "scanned" not in facts:  # a case that states no scan fact is not held to one
        seen.pop("scanned"), expected.pop("scanned")
    assert seen == expected, f"{code} {name}: the server did {seen}"

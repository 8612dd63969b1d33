"""Every case of every drift rule, run by the real `drift` on SQLite, PostgreSQL and MariaDB.

Each case is a models module and one revision; its `# expect:` markers name the rules that must
fire, and nothing else may."""

from __future__ import annotations

import re
import textwrap
import uuid

import pytest

from migrate_lint.catalog import load_catalog
from migrate_lint.drift.run import DriftOptions, drift
from tests.servers import SERVERS, server_engine

CATALOG = load_catalog()
DATABASES = ("sqlite", "postgresql", "mariadb")
EXPECT = re.compile(r"#\s*expect:\s*([a-z0-9, -]+)$", re.MULTILINE)


def runs() -> list[tuple[str, object, str]]:
    found = []
    for spec in CATALOG.rules:
        if "drift" not in spec.tags:
            continue
        for case in spec.cases:
            body = case.revisions[0]
            allowed = set(spec.dialects or DATABASES) & set(body.get("dialects") or DATABASES)
            found += [(spec.code, case, database) for database in DATABASES if database in allowed]
    return found


RUNS = runs()

REVISION = '''from alembic import op
import sqlalchemy as sa

revision = "r1"
down_revision = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


def write_case(root, body, config) -> str:
    module = f"models_{uuid.uuid4().hex[:10]}"
    (root / f"{module}.py").write_text("import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n"
                                       + textwrap.dedent(body["models"]))
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "r1.py").write_text(REVISION.format(
        upgrade=textwrap.indent(textwrap.dedent(body["upgrade"]).rstrip(), "    "),
        downgrade=textwrap.indent(textwrap.dedent(body.get("downgrade") or "pass").rstrip(), "    ")))
    lines = ["[tool.migrate-lint]", 'script-location = "migrations"']
    lines += [f'{key} = "{value}"' for key, value in config.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return f"{module}:metadata"


@pytest.mark.parametrize(("code", "case", "database"), RUNS,
                         ids=[f"{code}-{case.kind}-{case.name}-{db}" for code, case, db in RUNS])
def test_drift_case(code, case, database, tmp_path):
    body = case.revisions[0]
    url = None
    if database != "sqlite":
        server_engine(database).dispose()  # skips (or fails in CI) when the server is down
        url = SERVERS[database]
    metadata = write_case(tmp_path, body, {"dialect": database, **case.config})
    outcome = drift([tmp_path], None, {}, DriftOptions(metadata=metadata, database_url=url,
                                                       roundtrip=bool(body.get("roundtrip"))))
    text = "\n".join(str(body.get(k, "")) for k in ("models", "upgrade", "downgrade"))
    want = {CATALOG.get(name.strip()).code for names in EXPECT.findall(text) for name in names.split(",")}
    found = {f.code for f in outcome.report.findings}
    assert outcome.report.errors == ()
    assert found == want, "\n".join(f"{f.code} {f.subject}: {f.message}" for f in outcome.report.findings)

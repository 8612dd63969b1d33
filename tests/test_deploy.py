"""deploy, per-branch-deploy, per-path-deploy: findings whose risk a revision's deploy rules out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrate_lint.config import ConfigError, parse
from migrate_lint.formatters import json_format, text_format
from migrate_lint.revisions.startup import upgrades_at_start
from tests.test_cli import ml

REVISION = '''from alembic import op
{imports}
revision = "{rev}"
down_revision = {down}
branch_labels = {labels}


def upgrade():
    op.drop_column("users", "legacy_{rev}")
    op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
'''


def history(root: Path, config: str = "") -> Path:
    """k0 <- c1 (label contract, by a project constant) <- c2, and k0 <- e1 (label expand) <- e2."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "proj" / "db").mkdir(parents=True)
    (root / "proj" / "db" / "cli.py").write_text('EXPAND_BRANCH = "expand"\nCONTRACT_BRANCH = "contract"\n')
    cli = "from proj.db import cli\n"
    for rev, down, labels, imports in [("k0", None, None, ""), ("c1", "k0", "(cli.CONTRACT_BRANCH,)", cli),
                                        ("c2", "c1", None, ""), ("e1", "k0", "(cli.EXPAND_BRANCH,)", cli),
                                        ("e2", "e1", None, "")]:
        (versions / f"{rev}.py").write_text(REVISION.format(
            rev=rev, down=repr(down), labels=labels, imports=imports))
    (root / "pyproject.toml").write_text(
        '[tool.migrate-lint]\nscript-location = "migrations"\nignore = ["application-helper-import"]\n'
        + config)
    return root


def found(report) -> set[tuple[str, str]]:
    return {(f.location.path.stem, f.code) for f in report.findings}


EVERY = {(rev, code) for rev in ("k0", "c1", "c2", "e1", "e2")
         for code in ("ML201", "ML303", "ML104")}


BOTH = ("ML201", "ML104")


def held(revs: str, codes: tuple[str, ...] = BOTH) -> set[tuple[str, str]]:
    return {(rev, code) for rev in revs.split() for code in codes}


NEUTRON_OFFLINE = ("offline deploy (neutron's contract branch, whose revisions neutron runs as offline "
                   "migrations, with every neutron-server stopped)")


def _neutron_labels(root: Path, imports: str = "from neutron.db.migration import cli") -> Path:
    for rev in ("c1", "e1"):
        path = root / "migrations" / "versions" / f"{rev}.py"
        source = path.read_text()
        path.write_text(source.replace("from proj.db import cli", imports))
    (root / "proj" / "db" / "cli.py").unlink()
    return root


@pytest.mark.parametrize("imports", ["from neutron.db.migration import cli",
                                     "from neutron_lib.db import constants as cli"])
def test_neutron_s_contract_branch_is_offline_in_a_subproject_that_imports_its_labels(
        tmp_path, check_dir, imports):
    """neutron-vpnaas labels its branches with neutron.db.migration.cli's constants, neutron-fwaas
    with neutron_lib.db.constants' (here imported as `cli`), from packages their checkouts do not
    hold; neutron runs contract revisions with every neutron-server stopped
    (`neutron-db-manage has_offline_migrations`), so neither lock nor old-code risks apply there."""
    report = check_dir(_neutron_labels(history(tmp_path), imports))
    assert {(f.location.path.stem, f.code) for f in report.not_reported} == held("c1 c2")
    assert report.not_reported_reasons == ((NEUTRON_OFFLINE, 4),)


def test_neutron_s_contract_branch_follows_the_configuration(tmp_path, check_dir):
    report = check_dir(_neutron_labels(history(tmp_path, 'per-branch-deploy = { contract = "online" }\n')))
    assert report.not_reported_reasons == ()


def test_the_contract_branch_and_its_descendants_run_after_the_release_by_default(tmp_path, check_dir):
    report = check_dir(history(tmp_path))
    old_code = held("c1 c2", ("ML201",))  # drop-column needs the previous release; ML104's lock does not
    assert found(report) == EVERY - old_code
    assert {(f.location.path.stem, f.code) for f in report.not_reported} == old_code
    assert report.not_reported_reasons == (("after-release deploy (contract branch)", 2),)


@pytest.mark.parametrize(("config", "offline"), [
    ('[tool.migrate-lint.per-branch-deploy]\ncontract = "online"\n', set()),
    ('per-branch-deploy = { "cli.CONTRACT_BRANCH" = "offline" }\n', held("c1 c2")),  # as written
    ('per-branch-deploy = { contract = "offline" }\n', held("c1 c2")),  # by the constant's value
    ('deploy = "offline"\nper-branch-deploy = { contract = "online" }\n', held("k0 e1 e2")),
    ('per-branch-deploy = { expand = "offline", contract = "online" }\n', held("e1 e2")),
    ('deploy = "after-release"\nper-branch-deploy = { contract = "online" }\n',
     held("k0 e1 e2", ("ML201",))),
    ('per-path-deploy = { "migrations/versions/c2.py" = "online", "*/e?.py" = "offline" }\n',
     held("c1", ("ML201",)) | held("e1 e2")),
])
def test_configured_deploys(tmp_path, check_dir, config, offline):
    report = check_dir(history(tmp_path, config))
    assert found(report) == EVERY - offline
    assert {(f.location.path.stem, f.code) for f in report.not_reported} == offline


def test_summaries_count_what_was_not_reported(tmp_path, check_dir):
    report = check_dir(history(tmp_path))
    assert text_format.summary(report).endswith(
        " 2 findings not reported: after-release deploy (contract branch).")
    summary = json.loads(json_format.render(report))["summary"]
    assert summary["not_reported"] == 2
    assert summary["not_reported_reasons"] == [
        {"reason": "after-release deploy (contract branch)", "findings": 2}]


def test_a_suppressed_finding_stays_suppressed_in_an_offline_revision(tmp_path, check_dir):
    root = history(tmp_path)
    path = root / "migrations" / "versions" / "c2.py"
    path.write_text(path.read_text().replace(
        '"legacy_c2")', '"legacy_c2")  # migrate-lint: ignore[drop-column] -- shipped in 2.0'))
    report = check_dir(root)
    assert [(f.location.path.stem, f.code) for f in report.suppressed] == [("c2", "ML201")]
    assert ("c2", "ML902") not in found(report) and len(report.not_reported) == 1


@pytest.mark.parametrize(("body", "message", "line"), [
    ('deploy = "stopped"\n', "`deploy` must be one of online, after-release, offline, not 'stopped'", 5),
    ('[tool.migrate-lint.per-branch-deploy]\ncontract = "down"\n',
     "`per-branch-deploy.contract` must be one of online, after-release, offline, not 'down'", 5),
    ('per-path-deploy = ["contract/*.py"]\n', "`per-path-deploy` must be a table", 5),
])
def test_bad_deploy_values_name_key_and_line(body, message, line):
    with pytest.raises(ConfigError) as info:
        parse("[project]\nname = 'x'\n\n[tool.migrate-lint]\n" + body, Path("/p/pyproject.toml"))
    assert info.value.message == message and info.value.line == line


def test_a_bad_deploy_exits_2_with_one_line(tmp_path):
    root = history(tmp_path, 'deploy = "offline-ish"\n')
    result = ml("check", cwd=root)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "migrate-lint: pyproject.toml:4: `deploy` must be one of online, after-release, offline, "
        "not 'offline-ish'"]


def test_the_readme_config_examples_parse():
    import re

    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[tool.migrate-lint]" in b]
    configs = [parse(block, Path("/p/pyproject.toml")) for block in blocks]
    assert ("contract", "offline") in {pair for config in configs for pair in config.per_branch_deploy}
    assert any(config.per_path_deploy for config in configs)


def test_a_branch_label_no_revision_carries_is_an_error(tmp_path):
    root = history(tmp_path, '\n[tool.migrate-lint.per-branch-deploy]\ncontrct = "offline"\n')
    result = ml("check", cwd=root)
    assert result.returncode == 2
    assert ("error: pyproject.toml:5: `per-branch-deploy` names branch 'contrct', which no revision "
            "carries (did you mean contract?)") in result.stdout


def test_a_sqlite_history_is_upgraded_offline_unless_the_config_says_otherwise(tmp_path, check_dir):
    report = check_dir(history(tmp_path, 'dialect = "sqlite"\n'))
    assert not any(f.code == "ML201" for f in report.findings)  # old code does not run against the file
    assert dict(report.not_reported_reasons)[
        "offline deploy (SQLite: the application is stopped to upgrade its database file)"] > 0
    online = check_dir(history(tmp_path / "online", 'dialect = "sqlite"\ndeploy = "online"\n'))
    assert any(f.code == "ML201" for f in online.findings)


STARTS = '''from alembic import command
from alembic.config import Config


def create_app():
    command.upgrade(Config("alembic.ini"), "head")
'''
CLI = '''import click
from flask_migrate import upgrade


@click.command()
def deploy():
    upgrade()
'''


@pytest.mark.parametrize(("app", "offline"), [
    (STARTS, True),
    (STARTS.replace("command.upgrade", "alembic_command.upgrade").replace(
        "from alembic import command", "from alembic import command as alembic_command"), True),
    ("from flask_migrate import upgrade as migrate_db\n\n\ndef setup(app):\n    migrate_db()\n", True),
    # Alembic's command imported by name and wrapped: the command line may be its only caller (CKAN)
    ("from alembic.command import upgrade\n\n\ndef upgrade_db(config):\n"
     "    upgrade(config, 'head')\n", False),
    # Alembic's command line run in-process (keylime) or as a child process (JupyterHub, aim)
    ("import alembic.config\n\n\ndef migrate():\n    args = ['-c', 'alembic.ini']\n"
     "    args.extend(['upgrade', 'head'])\n    alembic.config.main(argv=args)\n", True),
    ("from subprocess import check_call\n\n\ndef upgrade_db(ini):\n"
     "    check_call(['alembic', '-c', ini, 'upgrade', 'head'])\n", True),
    # a runner of its own around Alembic's MigrationContext (buildbot)
    ("import alembic.runtime.migration\n\n\ndef upgrade(conn, context):\n"
     "    with context.begin_transaction():\n        context.run_migrations()\n", True),
    ("import os\n\nos.system('flask db upgrade')\n", True),  # Mailu's container start script
    ("import os\n\nos.system('alembic -c conf/alembic.ini upgrade head')\n", True),
    ("print('run flask db upgrade to finish')\n", False),  # a message, not a command line
    ("def start(registry, plugin):\n    registry.run_migrations(plugin)\n", False),  # the project's own
    (CLI, False),  # a command someone runs, perhaps while the previous release serves
    ("import click\n\n\n@click.command()\ndef db():\n    run(['alembic', 'upgrade', 'head'])\n", False),
    ("def upgrade(version):\n    return version\n\n\nupgrade(1)\n", False),  # not Alembic's
])
def test_an_application_that_upgrades_its_database_as_it_starts_is_upgraded_offline(
        tmp_path, check_dir, app, offline):
    root = history(tmp_path)
    (root / "proj" / "app.py").write_text(app)
    report = check_dir(root)
    assert any(f.code == "ML201" for f in report.findings) is not offline
    reasons = dict(report.not_reported_reasons)
    assert ("offline deploy (the application upgrades its database as it starts, proj/app.py:"
            in " ".join(reasons)) is offline


BOOT = "#!/bin/bash\nset -e\nflask db upgrade\nexec gunicorn -b :5000 app:app\n"


@pytest.mark.parametrize(("folder", "script", "offline"), [
    ("", BOOT, True),  # microblog's boot.sh
    ("docker/production", 'if [ "$1" = gunicorn ]; then\n    flask db upgrade\n    exec "$@"\nfi\n', True),
    ("docker", "alembic -c conf/alembic.ini upgrade head\nexec uvicorn app:app\n", True),
    ("docker/dev", BOOT, False),  # how the developers run it, not the release
    ("", "flask db upgrade\n", False),  # an upgrade script someone runs, starting no server
    ("", "# flask db upgrade\nexec gunicorn app:app\n", False),  # a comment
    ("", "echo 'run flask db upgrade first'\nexec gunicorn app:app\n", False),
    ("docker", "(cd /opt/app; alembic upgrade head)\nexec uwsgi --ini uwsgi.ini\n", True),  # in a subshell
    ("docker", "wait_for_db && flask db upgrade\nexec gunicorn app:app\n", True),
    ("server", "if ! alembic upgrade head; then\n    exit 1\nfi\nexec $CMD\n", True),  # letta's startup.sh
    ("server", "if alembic current; then\n    echo ok\nfi\nexec $CMD\n", False),
    ("app", "python migration_manager.py db upgrade\nexec gunicorn app:app\n", True),  # Flask-Script
    ("app", "./manage.py db upgrade\nexec gunicorn app:app\n", True),
    # through the project's environment (misp-workbench's entrypoint.sh)
    ("api", "poetry run alembic upgrade head\npoetry run uvicorn app.main:app\n", True),
    ("api", "uv run --frozen alembic upgrade head\nexec uv run uvicorn app.main:app\n", True),
    ("api", "python -m alembic upgrade head\n", False),  # starting no server
    # the application's own Flask command line, from the image's virtual environment (nextbus's start.sh)
    ("", "/app/.venv/bin/python -m app db upgrade\n/app/.venv/bin/gunicorn --bind=:8000 wsgi:app\n", True),
    ("", "/app/.venv/bin/alembic upgrade head\nexec /app/.venv/bin/uvicorn app:app\n", True),
    ("", "python -m app db migrate\ngunicorn wsgi:app\n", False),  # writes a revision, runs none
    # the server started in a subshell of its own, in the background (growen's start.sh)
    ("", "if ! .venv/bin/python -m alembic upgrade head; then\n  exit 1\nfi\n( uvicorn api:app ) &\n", True),
    ("", "alembic upgrade head\n(cd frontend; npm run dev)\n", False),  # a subshell that serves no API
])
def test_a_container_entrypoint_that_upgrades_before_it_serves_is_upgraded_offline(
        tmp_path, check_dir, folder, script, offline):
    root = history(tmp_path)
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / "entrypoint.sh").write_text(script)
    reasons = " ".join(dict(check_dir(root).not_reported_reasons))
    assert ("as it starts, " + (f"{folder}/" if folder else "") + "entrypoint.sh:" in reasons) is offline


@pytest.mark.parametrize(("scripts", "cited"), [
    ({"dev.sh": BOOT}, None),  # how the developers run it
    ({"start-local.sh": BOOT}, None),
    ({"dev.sh": BOOT, "run.sh": BOOT}, "run.sh"),  # siwins': the release's own script is the one
])
def test_a_start_script_named_for_development_is_not_the_release(tmp_path, check_dir, scripts, cited):
    root = history(tmp_path)
    for name, script in scripts.items():
        (root / name).write_text(script)
    reasons = " ".join(dict(check_dir(root).not_reported_reasons))
    assert (f"as it starts, {cited}:" in reasons) if cited else "as it starts" not in reasons


MARZBAN = 'FROM python:3.12\nCMD ["bash", "-c", "alembic upgrade head; python main.py"]\n'
COMPOSE = "services:\n  backend:\n    command: {command}\n"


@pytest.mark.parametrize(("name", "dockerfile", "offline"), [
    ("Dockerfile", MARZBAN, True),
    ("Dockerfile", "FROM python:3.12\nENTRYPOINT flask db upgrade && \\\n    exec gunicorn app:app\n", True),
    ("Dockerfile", 'FROM python:3.12\nRUN pip install alembic\nCMD ["gunicorn", "app:app"]\n', False),
    ("Dockerfile.dev", MARZBAN, False),
    ("docker-compose.yml", COMPOSE.format(command="\"sh -c 'alembic upgrade head && uvicorn app:app'\""),
     True),  # pyro-api's
    ("compose.yaml", COMPOSE.format(command='["bash", "-c", "flask db upgrade && gunicorn app:app"]'), True),
    ("docker-compose.dev.yml", COMPOSE.format(command="sh -c 'alembic upgrade head && uvicorn app'"), False),
    ("docker-compose.yml", "services:\n  db:\n    command: postgres -c max_connections=200\n", False),
])
def test_a_container_whose_start_command_upgrades_is_upgraded_offline(tmp_path, check_dir, name, dockerfile,
                                                                       offline):
    root = history(tmp_path)
    (root / name).write_text(dockerfile)
    reasons = " ".join(dict(check_dir(root).not_reported_reasons))
    assert (f"as it starts, {name}:" in reasons) is offline


@pytest.mark.parametrize(("ini", "offline"), [
    ("[uwsgi]\nmodule = app:app\nexec-pre-app = /opt/app/migrate.sh\n", True),  # cnaas-nms
    ("[uwsgi]\nexec-pre-app = alembic upgrade head\n", True),
    ("[uwsgi]\nmodule = app:app\n", False),  # the script is someone's to run
])
def test_a_script_uwsgi_runs_before_it_loads_the_application_upgrades_as_it_starts(
        tmp_path, check_dir, ini, offline):
    root = history(tmp_path)
    (root / "docker").mkdir()
    (root / "docker" / "uwsgi.ini").write_text(ini)
    (root / "docker" / "migrate.sh").write_text("#!/bin/sh\n(cd /opt/app; alembic upgrade head)\n")
    reasons = " ".join(dict(check_dir(root).not_reported_reasons))
    assert ("the application upgrades its database as it starts, docker/" in reasons) is offline


DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 2\n"


@pytest.mark.parametrize(("path", "text", "offline"), [
    ("helm-chart/app/Chart.yaml", "apiVersion: v2\nname: app\n", False),  # renku's chart
    ("devops/gcp/clouddeploy.yaml", "apiVersion: deploy.cloud.google.com/v1\n", False),  # BC Gov's Cloud Run
    ("k8s/app.yaml", DEPLOYMENT, False),
    ("openshift/templates/dc.json", '{"objects": [{"kind": "DeploymentConfig"}]}', False),
    ("k8s/app.yaml", DEPLOYMENT + "  strategy:\n    type: Recreate\n", True),  # stopped first
    ("k8s/db.yaml", "kind: Secret\n", True),
    ("docs/examples/app.yaml", DEPLOYMENT, True),  # not where a project keeps its manifests
    ("deploy/thirdparty/ingress-nginx/helm/Chart.yaml", "apiVersion: v2\n", True),  # another project's
])
def test_an_application_that_upgrades_as_it_starts_under_a_rolling_update_is_online(
        tmp_path, check_dir, path, text, offline):
    root = history(tmp_path)
    (root / "proj" / "app.py").write_text(STARTS)
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)
    report = check_dir(root)
    assert any(f.code == "ML201" for f in report.findings) is not offline
    assert ("offline deploy" in " ".join(dict(report.not_reported_reasons))) is offline


WRAPPER = ("from alembic import command\n\n\ndef upgrade(version=None):\n"
           "    command.upgrade(_config(), version or 'head')\n")


@pytest.mark.parametrize(("callers", "offline"), [
    # OpenStack's db-manage command is the only caller, through a second wrapper
    ({"proj/db/api.py": "from proj.db.sqlalchemy import migration\n\n\ndef upgrade(v):\n"
                        "    return migration.upgrade(v)\n",
      "proj/cmd/db_manage.py": "from proj.db import api\n\n\ndef do_upgrade():\n"
                               "    api.upgrade(None)\n"}, False),
    ({"proj/cmd/dbsync.py": "from proj.db.sqlalchemy import migration\n\n\ndef main():\n"
                            "    migration.upgrade(None)\n"}, False),
    # the server's entry point calls it as it starts (keylime's cmd/registrar.py)
    ({"proj/cmd/api.py": "from proj.db.sqlalchemy import migration\n\n\ndef main():\n"
                         "    migration.upgrade(None)\n    serve()\n"}, True),
    ({"proj/server.py": "from proj.db.sqlalchemy import migration\n\nmigration.upgrade(None)\n"}, True),
    # a method chain a framework's hook starts (viseron: _run_migrations <- create_database <-
    # initialize <- setup)
    ({"proj/storage.py": "from proj.db.sqlalchemy import migration\n\n\nclass Storage:\n"
                         "    def initialize(self):\n        self.create_database()\n\n"
                         "    def create_database(self):\n        self.run_migrations()\n\n"
                         "    def run_migrations(self):\n        migration.upgrade(None)\n\n\n"
                         "def setup(app):\n    Storage().initialize()\n"}, True),
    ({}, True),  # nothing in the project calls it: a hook of the framework's, or the app factory
])
def test_a_function_that_upgrades_counts_when_its_callers_run_at_start(tmp_path, check_dir, callers, offline):
    root = history(tmp_path)
    (root / "proj" / "db" / "sqlalchemy").mkdir(parents=True)
    (root / "proj" / "cmd").mkdir()
    (root / "proj" / "db" / "sqlalchemy" / "migration.py").write_text(WRAPPER)
    for path, source in callers.items():
        (root / path).write_text(source)
    reasons = " ".join(dict(check_dir(root).not_reported_reasons))
    assert ("as it starts, proj/db/sqlalchemy/migration.py:" in reasons) is offline


def test_a_runner_beside_env_py_is_the_application_and_the_revisions_are_not(tmp_path, check_dir):
    """The script location's own runner (MindsDB's migrate.py, called as the server starts) counts;
    a revision that calls Alembic does not make the application upgrade at start."""
    runner = history(tmp_path / "runner")
    (runner / "migrations" / "migrate.py").write_text(STARTS)
    reasons = " ".join(dict(check_dir(runner).not_reported_reasons))
    assert "as it starts, migrations/migrate.py:" in reasons
    revision = history(tmp_path / "revision")
    (revision / "migrations" / "versions" / "e3.py").write_text(
        'from alembic import command, op\n\nrevision = "e3"\ndown_revision = "e2"\n\n\n'
        'def upgrade():\n    command.upgrade(op.get_context().config, "head")\n')
    assert "as it starts" not in " ".join(dict(check_dir(revision).not_reported_reasons))


def guard_locks(root: Path) -> None:
    """A revision that builds its index CONCURRENTLY: its team runs revisions beside a serving release."""
    (root / "migrations" / "versions" / "e3.py").write_text(
        'from alembic import op\n\nrevision = "e3"\ndown_revision = "e2"\n\n\ndef upgrade():\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_users_team_id", "users", ["team_id"], postgresql_concurrently=True)\n')


def test_a_history_that_guards_its_locks_stays_online_though_the_application_upgrades_at_start(
        tmp_path, check_dir):
    root = history(tmp_path)
    (root / "proj" / "app.py").write_text(STARTS)
    guard_locks(root)
    report = check_dir(root)
    assert any(f.code == "ML201" for f in report.findings)
    assert not report.not_reported_reasons or not any("offline" in r for r, _ in report.not_reported_reasons)


def test_the_upgrade_call_is_found_in_the_source_only(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_db.py").write_text(STARTS)  # a test's upgrade is not the application's
    (tmp_path / "broken.py").write_text("def f(:\n    command.upgrade(x)\n")
    assert upgrades_at_start(tmp_path) is None
    (tmp_path / "app.py").write_text(STARTS)
    upgrades_at_start.cache_clear()
    assert upgrades_at_start(tmp_path) == ("app.py", 6)


DROPS = '''"""{doc}

Revision ID: {rev}
"""
from alembic import op

revision = "{rev}"
down_revision = {down}


def upgrade():
    op.drop_column("{table}", "legacy")
'''


@pytest.mark.parametrize(("doc", "offline"), [
    ("Retire dataset_data.\n\nNOT an online migration: old replicas read dataset_data; stop all replicas, "
     "upgrade, then start.", True),  # cognee's
    ("Drop the legacy column. Requires downtime.", True),
    ("Drop the legacy column, which the last release stopped reading.", False),
    ("An online migration that is safe to run beside the previous release.", False),
])
def test_a_revision_whose_docstring_says_it_runs_offline_is_offline(tmp_path, check_dir, doc, offline):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1.py").write_text(DROPS.format(doc="Drop legacy.", rev="a1", down=None, table="posts"))
    (versions / "a2.py").write_text(DROPS.format(doc=doc, rev="a2", down='"a1"', table="users"))
    (tmp_path / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n')
    report = check_dir(tmp_path)
    assert {(f.location.path.name, f.code) for f in report.findings if f.code == "ML201"} == \
        ({("a1.py", "ML201")} if offline else {("a1.py", "ML201"), ("a2.py", "ML201")})
    assert ("the revision says so" in " ".join(dict(report.not_reported_reasons))) is offline

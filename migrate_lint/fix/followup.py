"""add-column-not-null-without-default's unsafe fix: the column is added nullable, and a follow-up revision,
written by Alembic's own revision machinery from the project's script.py.mako, sets it NOT NULL after
a backfill the author writes (left as a marked TODO: only they know the value). The revision is fixed
only when it is a head, so the follow-up keeps the graph linear without editing another file."""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from migrate_lint.finding import Finding
from migrate_lint.fix.plan import Plan
from migrate_lint.fix.source import argument, literal
from migrate_lint.revisions.discover import History

TODO = "# TODO(migrate-lint):"


@dataclass
class FollowUp:
    """The revision to write after a fixed one."""

    revision: str  # its id
    message: str
    upgrades: str
    downgrades: str


def fix_add_not_null(plan: Plan, finding: Finding) -> str | None:
    site = plan.source.site_at(finding.location.line, ("add_column",))
    if site is None or not plan.head or plan.revision is None:
        return None
    batch = site.receiver != "op"
    table = site.batch_table if batch else literal(argument(site.call, 0, "table_name"))
    arg = argument(site.call, 0 if batch else 1, "column")
    column = arg.value if arg else None
    if not isinstance(table, str) or not isinstance(column, cst.Call) or not column.args:
        return None
    name = literal(column.args[0])
    nullable = argument(column, 10_000, "nullable")
    if not isinstance(name, str) or nullable is None or not (isinstance(nullable.value, cst.Name) and
                                                             nullable.value.value == "False"):
        return None  # a primary key, or NOT NULL by a keyword we cannot see: not ours to loosen
    kind = column.args[1] if len(column.args) > 1 and column.args[1].keyword is None else None
    code = cst.Module(body=[]).code_for_node
    existing = f", existing_type={code(kind.value)}" if kind else ""
    schema = literal(argument(site.call, 10_000, "schema")) if not batch else None
    where = f", schema={schema!r}" if isinstance(schema, str) else ""
    revision = _rev_id(plan.revision, table, name)
    quote = plan.source.quote

    def alter(nullable: str, indent: str) -> str:
        if batch:
            return (f"with op.batch_alter_table({_q(table, quote)}) as batch_op:\n{indent}    "
                    f"batch_op.alter_column({_q(name, quote)}{existing}, nullable={nullable})")
        return f"op.alter_column({_q(table, quote)}, {_q(name, quote)}{existing}{where}, nullable={nullable})"

    update = f"UPDATE {table} SET {name} = ... WHERE {name} IS NULL"
    upgrades = (f"{TODO} backfill {table}.{name} (revision {plan.revision} added it nullable): complete\n"
                f"    # the UPDATE and uncomment it; the ALTER fails while a row still holds NULL.\n"
                f"    # op.execute({_q(update, quote)})\n    {alter('False', '    ')}")
    plan.followups.append(FollowUp(revision, f"set {table}.{name} not null", upgrades,
                                   alter("True", "    ")))
    edit = plan.on(site)
    edit.changes.append(lambda call: _nullable(call, 0 if batch else 1))
    edit.comments.append(f"{TODO} added nullable; revision {revision} backfills it and sets it NOT NULL")
    return f"added nullable; revision {revision} backfills it (a TODO) and sets it NOT NULL"


def _q(text: str, quote: str) -> str:
    if quote in text:
        quote = "'" if quote == '"' else '"'
    return f"{quote}{text}{quote}"


def _nullable(call: cst.Call, index: int) -> cst.Call:
    arg = argument(call, index, "column")
    assert arg is not None and isinstance(arg.value, cst.Call)
    column = arg.value
    args = [a.with_changes(value=cst.Name("True")) if a.keyword and a.keyword.value == "nullable" else a
            for a in column.args]
    new = column.with_changes(args=args)
    return call.with_changes(args=[a.with_changes(value=new) if a is arg else a for a in call.args])


def _rev_id(head: str, table: str, column: str) -> str:
    """An id shaped like Alembic's (12 hex digits), but the same on every run: --diff, the edits json
    shows and --fix name the same follow-up."""
    return hashlib.sha256(f"{head}:{table}.{column}:not-null".encode()).hexdigest()[:12]


def write_follow_up(history: History, fixed: Path, head: str, follow: FollowUp) -> tuple[Path, str]:
    """Where the follow-up goes (beside the fixed revision) and its text, as `alembic revision` writes
    it: Alembic's ScriptDirectory.generate_revision, the project's script.py.mako (else Alembic's
    generic one), the file_template and post-write hooks of its alembic.ini. Alembic writes it in a
    scratch copy of the script directory whose only revision is the head, so nothing is written here."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    template = history.script_location / "script.py.mako"
    if not template.is_file():
        import alembic

        template = Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako"
    with tempfile.TemporaryDirectory(prefix="migrate-lint-fix-") as folder:
        scratch = Path(folder)
        (scratch / "versions").mkdir()
        shutil.copyfile(template, scratch / "script.py.mako")
        (scratch / "versions" / "head.py").write_text(f"revision = {head!r}\ndown_revision = None\n")
        ini = history.ini if history.ini and history.ini.is_file() else None
        config = Config(str(ini), ini_section=history.section or "alembic") if ini else Config()
        config.set_main_option("script_location", str(scratch))
        config.set_main_option("version_locations", str(scratch / "versions"))
        config.set_main_option("path_separator", "os")
        config.cmd_opts = argparse.Namespace(quiet=True)  # no "Generating ..." line in --diff's output
        script = ScriptDirectory.from_config(config)
        made = script.generate_revision(follow.revision, follow.message, head=head,
                                        upgrades=follow.upgrades, downgrades=follow.downgrades)
        assert made is not None
        made_path = Path(made.path)
        return fixed.parent / made_path.name, made_path.read_text(encoding="utf-8")

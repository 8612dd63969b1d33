"""Generate a large linear Alembic history: column and index additions over 50 tables.

Layout: <out>/alembic.ini, <out>/migrations/{env.py, script.py.mako, versions/*.py}.
Revisions 0-49 create one table each (with an index on the new table, which needs no
CONCURRENTLY); later revisions add columns and, in turn, a plain index on an existing table
(a lock risk), a CONCURRENTLY index inside an autocommit block (safe), or nothing more.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import shutil
from pathlib import Path

TABLES = 50

HEADER = '''"""{message}

Revision ID: {rev}
Revises: {down}
Create Date: 2026-01-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = {rev!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''

ENV = '''from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def revision_id(index: int) -> str:
    return hashlib.sha1(f"rev-{index}".encode()).hexdigest()[:12]


def body(index: int) -> tuple[str, str, bool]:
    """(message, upgrade body, whether it creates a plain index on an existing table)."""
    table = f"t{index % TABLES}"
    if index < TABLES:
        return (f"create {table}",
                f'    op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True),\n'
                f'                    sa.Column("name", sa.String(50), nullable=True))\n'
                f'    op.create_index("ix_{table}_name", "{table}", ["name"])', False)
    column = f"c{index}"
    add = f'    op.add_column("{table}", sa.Column("{column}", sa.Integer(), nullable=True))'
    kind = index % 4
    if kind == 1:
        return (f"add {table}.{column} with an index",
                add + f'\n    op.create_index("ix_{table}_{column}", "{table}", ["{column}"])', True)
    if kind == 2:
        return (f"add {table}.{column} with a concurrent index",
                add + "\n    with op.get_context().autocommit_block():\n"
                f'        op.create_index("ix_{table}_{column}", "{table}", ["{column}"],\n'
                "                        postgresql_concurrently=True)", False)
    if kind == 3:
        return (f"add {table}.{column} with a default",
                f'    op.add_column("{table}", sa.Column("{column}", sa.Integer(), nullable=False,\n'
                '                  server_default="0"))', False)
    return f"add {table}.{column}", add, False


def generate(out: Path, count: int = 1000) -> list[str]:
    """Write the history; return the ids of revisions with a plain index on an existing table."""
    if out.exists():
        shutil.rmtree(out)
    versions = out / "migrations" / "versions"
    versions.mkdir(parents=True)
    (out / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "sqlalchemy.url = postgresql://postgres@127.0.0.1:5432/postgres\n")
    (out / "migrations" / "env.py").write_text(ENV)
    risky = []
    for index in range(count):
        rev, down = revision_id(index), revision_id(index - 1) if index else None
        message, upgrade, plain_index = body(index)
        if plain_index:
            risky.append(rev)
        source = HEADER.format(message=message, rev=rev, down=down or "", down_repr=repr(down),
                               body=upgrade)
        (versions / f"{rev}_{message.replace(' ', '_').replace('.', '_')}.py").write_text(source)
    return risky


def models_source(count: int = 1000) -> str:
    """A models module declaring exactly the schema the history builds (for the drift benchmark)."""
    columns: dict[str, list[str]] = {f"t{i}": [] for i in range(min(count, TABLES))}
    for index in range(TABLES, count):
        column, kind = f"c{index}", index % 4
        if kind == 3:
            spec = f'sa.Column("{column}", sa.Integer(), nullable=False, server_default="0")'
        else:
            spec = f'sa.Column("{column}", sa.Integer(), nullable=True, index={kind in (1, 2)})'
        columns[f"t{index % TABLES}"].append(spec)
    lines = ["import sqlalchemy as sa", "", "metadata = sa.MetaData()", ""]
    for table, specs in columns.items():
        lines.append(f'sa.Table("{table}", metadata, sa.Column("id", sa.Integer(), primary_key=True),')
        lines.append('         sa.Column("name", sa.String(50), nullable=True, index=True),')
        lines += [f"         {spec}," for spec in specs]
        lines.append(")")
    return "\n".join(lines) + "\n"


def compile_tool() -> None:
    """Byte-compile migrate-lint itself, as installing its wheel does: an editable install under
    PYTHONDONTWRITEBYTECODE would otherwise recompile the tool on every timed run."""
    import migrate_lint

    compileall.compile_dir(Path(migrate_lint.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    risky = generate(args.out, args.count)
    print(f"wrote {args.count} revisions to {args.out} ({len(risky)} plain indexes on existing tables)")


if __name__ == "__main__":
    main()

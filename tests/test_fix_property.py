"""`check --fix --unsafe-fixes` on generated revisions that combine fixable operations (indexes made and
dropped, with and without unique and where; unnamed foreign key, unique and check constraints; columns
added with a server default), in any order and layout: the fixed file still parses, re-checks clean for
the rules fixed, and builds the same schema on PostgreSQL as the original, up and down."""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate_lint.database.models import Models
from migrate_lint.database.schema import SchemaShape, reflect
from migrate_lint.database.scratch import scratch
from migrate_lint.database.upgrade import connection_to, steps
from migrate_lint.fix.names import CONVENTION
from tests.rulecases import write_project
from tests.servers import SERVERS, server_engine
from tests.test_fix_cases import fix, history, same

FIXED_RULES = ["ML101", "ML102", "ML104", "ML105", "ML115", "ML303"]

BASE = '''from alembic import op
import sqlalchemy as sa

revision = "r0"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(120)))
    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("author_id", sa.Integer), sa.Column("title", sa.String(200)),
                    sa.Column("score", sa.Integer))
    op.create_index("ix_posts_score", "posts", ["score"])
    op.execute("INSERT INTO users (id, email) VALUES (1, 'a@example.com')")
    op.execute("INSERT INTO posts (id, author_id, title, score) VALUES (1, 1, 't', 1)")


def downgrade():
    op.drop_table("posts")
    op.drop_table("users")
'''

REVISION = '''"""generated"""
from alembic import op
import sqlalchemy as sa

revision = "r1"
down_revision = "r0"


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


@st.composite
def index(draw: st.DrawFn) -> tuple[str, str]:
    extra = ""
    if draw(st.booleans()):
        extra += ", unique=True"
    if draw(st.booleans()):
        extra += ', postgresql_where=sa.text("score > 0")'
    return (f'op.create_index("ix_posts_title_gen", "posts", ["title"]{extra})',
            'op.drop_index("ix_posts_title_gen", table_name="posts")')


@st.composite
def foreign_key(draw: st.DrawFn) -> tuple[str, str]:
    ondelete = draw(st.sampled_from(["", ', ondelete="CASCADE"']))
    return (f'op.create_foreign_key(None, "posts", "users", ["author_id"], ["id"]{ondelete})',
            'op.drop_constraint(None, "posts", type_="foreignkey")')


@st.composite
def added_column(draw: st.DrawFn) -> tuple[str, str]:
    kind, default = draw(st.sampled_from([("sa.Boolean()", 'sa.text("false")'), ("sa.String(20)", '"draft"'),
                                          ("sa.Integer()", '"0"')]))
    return (f'op.add_column("posts", sa.Column("extra", {kind}, server_default={default}, nullable=False))',
            'op.drop_column("posts", "extra")')


OPERATIONS = [
    index(),
    st.just(('op.drop_index("ix_posts_score", table_name="posts")',
             'op.create_index("ix_posts_score", "posts", ["score"])')),
    foreign_key(),
    st.just(('op.create_unique_constraint(None, "users", ["email"])',
             'op.drop_constraint(None, "users", type_="unique")')),
    st.just(('op.create_check_constraint(None, "posts", "score >= 0")',
             'op.drop_constraint(None, "posts", type_="check")')),
    added_column(),
]


def laid_out(call: str, split: bool) -> str:
    """The call as written, or with its arguments one per line and a magic trailing comma."""
    if not split:
        return "    " + call
    head, args = call.split("(", 1)
    parts = [a.strip() for a in ast.unparse(ast.parse(f"f({args}")).removeprefix("f(")[:-1].split(", ")]
    return "    " + head + "(\n" + "".join(f"        {a},\n" for a in parts) + "    )"


@st.composite
def revision(draw: st.DrawFn) -> str:
    chosen = draw(st.lists(st.sampled_from(range(len(OPERATIONS))), min_size=1, max_size=len(OPERATIONS),
                           unique=True))
    pairs = [draw(OPERATIONS[i]) for i in chosen]
    up = [laid_out(u, draw(st.booleans())) for u, _ in pairs]
    down = [laid_out(d, draw(st.booleans())) for _, d in reversed(pairs)]
    if draw(st.booleans()):
        up.insert(0, "    # generated: a comment the fix must keep")
    return REVISION.format(upgrade="\n".join(up), downgrade="\n".join(down))


def project(root: Path, text: str) -> Path:
    made = write_project(root, [("r0.py", BASE), ("r1.py", text)],
                         {"select": FIXED_RULES, "dialect": "postgresql"})
    return made


def names(connection: sa.Connection) -> set[str]:
    inspector = sa.inspect(connection)
    return {c["name"] for t in ("users", "posts") for c in
            [*inspector.get_foreign_keys(t), *inspector.get_unique_constraints(t),
             *inspector.get_check_constraints(t)]}


def settled(connection: sa.Connection) -> None:
    """Reflection leaves a transaction open; Alembic's autocommit_block() needs its own to step out of."""
    if connection.in_transaction():
        connection.commit()


def reset(connection: sa.Connection) -> None:
    """The scratch database empty again, for the other history (the original's downgrade of an unnamed
    constraint cannot run, so it is not downgraded)."""
    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
    connection.exec_driver_sql("CREATE SCHEMA public")
    connection.commit()


def convention_names() -> set[str]:
    from sqlalchemy.schema import CreateTable

    metadata = sa.MetaData(naming_convention=CONVENTION)
    users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("email", sa.String), sa.UniqueConstraint("email"))
    posts = sa.Table("posts", metadata, sa.Column("author_id", sa.ForeignKey(users.c.id)),
                     sa.Column("score", sa.Integer), sa.CheckConstraint("score >= 0"))
    dialect = sa.create_engine("postgresql://").dialect
    for table in (users, posts):
        CreateTable(table).compile(dialect=dialect)  # names are set at DDL time
    named = {c.name for t in (users, posts) for c in t.constraints
             if not isinstance(c, sa.PrimaryKeyConstraint)}
    return {str(n) for n in named} | {"ck_posts_score"}  # the CHECK's name comes from its first column


@settings(max_examples=15, deadline=None)
@given(revision())
def test_fixing_generated_revisions_keeps_the_schema(text):
    server_engine("postgresql").dispose()  # skips (or fails in CI) when the server is down
    with tempfile.TemporaryDirectory() as folder:
        original, fixed = project(Path(folder) / "original", text), project(Path(folder) / "fixed", text)
        code, _, err = fix(fixed, "--fix", "--unsafe-fixes", "--no-execute")
        after = (fixed / "migrations" / "versions" / "r1.py").read_text()
        ast.parse(after)
        assert "# generated: a comment" in after or "# generated" not in text
        code, out, err = fix(fixed, "--no-execute")
        assert code == 0, f"{out}{err}\n{after}"

        keep = lambda name: name != "alembic_version"  # noqa: E731
        models = Models(sa.MetaData(), original / "pyproject.toml")
        with scratch(SERVERS["postgresql"]) as made, connection_to(made.url) as connection:
            steps(history(original), models, connection, "r0")
            before: SchemaShape = reflect(connection, keep)
            settled(connection)
            steps(history(original), models, connection, "heads")
            original_up, original_names = reflect(connection, keep), names(connection)
            settled(connection)
            reset(connection)
            steps(history(fixed), models, connection, "heads")
            fixed_up, fixed_names = reflect(connection, keep), names(connection)
            invalid = connection.exec_driver_sql(
                "SELECT (SELECT count(*) FROM pg_constraint WHERE NOT convalidated)"
                " + (SELECT count(*) FROM pg_index WHERE NOT indisvalid)")
            assert invalid.scalar() == 0, after  # nothing left NOT VALID or INVALID
            settled(connection)
            steps(history(fixed), models, connection, "r0", downgrade=True)
            fixed_down = reflect(connection, keep)
        supplied = fixed_names - original_names
        assert supplied <= convention_names(), (supplied, after)
        same(original_up, fixed_up, supplied)
        same(before, fixed_down)

"""Operations and UPDATEs from a revision's AST."""

from __future__ import annotations

import ast
import textwrap

from migrate_lint.revisions.extract import extract
from migrate_lint.revisions.migration import Call, ColumnSpec, Ref, Unknown


def ops_of(source: str):
    operations, updates = extract(ast.parse(textwrap.dedent(source)))
    return operations, updates


def test_op_calls_in_order_with_lines():
    operations, _ = ops_of('''
        from alembic import op
        import sqlalchemy as sa

        def upgrade():
            op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
            op.create_index(op.f("ix_t_id"), "t", ["id"], unique=False)

        def downgrade():
            op.drop_table("t")
    ''')
    assert [(o.name, o.line) for o in operations] == [("create_table", 6), ("create_index", 7)]
    index = operations[1]
    assert index.args == ("ix_t_id", "t", ("id",)) and index.kwargs == {"unique": False}
    column = operations[0].args[1]
    assert column == Call("sa.Column", ("id", Ref("sa.Integer")), {"primary_key": True})
    spec = ColumnSpec.from_call(column)
    assert spec.not_null and spec.primary_key and spec.nullable is None


def test_batch_and_autocommit_context():
    operations, _ = ops_of('''
        def upgrade():
            with op.batch_alter_table("users", schema=None) as batch_op:
                batch_op.add_column(sa.Column("x", sa.Text(), nullable=True))
            with op.get_context().autocommit_block():
                op.create_index("ix", "users", ["x"], postgresql_concurrently=True)
    ''')
    by_name = {o.name: o for o in operations}
    assert by_name["add_column"].batch_table == "users"
    assert by_name["add_column"].table_and_rest()[0] == "users"
    assert by_name["create_index"].autocommit and not by_name["add_column"].autocommit
    assert "batch_alter_table" in by_name


def test_non_literals_are_unknown_and_constants_resolve():
    operations, _ = ops_of('''
        TABLE = "users"

        def upgrade():
            name = "ix_users_email"
            op.create_index(name, TABLE, columns())
            op.drop_column(f"{TABLE}_old", "x")
    ''')
    create, drop = operations
    assert create.args[:2] == ("ix_users_email", "users")
    assert isinstance(create.args[2], Unknown)
    assert drop.args[0] == "users_old"  # built from constants only: as known as the constants


def test_helpers_are_followed_with_their_literal_arguments():
    operations, _ = ops_of('''
        import sqlalchemy as sa

        def _flag(table, name, nullable=True):
            op.add_column(table, sa.Column(name, sa.Boolean(), nullable=nullable))

        def upgrade():
            _flag("users", "beta")
            _flag("orgs", "beta", nullable=False)
    ''')
    assert [(o.function, o.args[0]) for o in operations] == [("_flag", "users"), ("_flag", "orgs")]
    assert operations[1].args[1].kwargs["nullable"] is False
    assert operations[0].args[1].kwargs["nullable"] is True  # the parameter's literal default


def test_a_flag_passed_as_something_the_source_cannot_tell_is_unknown_not_its_default():
    operations, _ = ops_of('''
        import sqlalchemy as sa

        def _flag(table, nullable=True):
            op.add_column(table, sa.Column("beta", sa.Boolean(), nullable=nullable))

        def upgrade():
            for flag in flags():
                _flag("users", nullable=flag)
    ''')
    assert isinstance(operations[0].args[1].kwargs["nullable"], Unknown)


def test_recursive_helpers_terminate_and_aliases_work():
    operations, _ = ops_of('''
        from alembic import op as alembic_op

        def loop():
            alembic_op.execute("SELECT 1")
            loop()

        def upgrade():
            loop()
    ''')
    assert [o.name for o in operations] == ["execute"]


def test_multi_engine_upgrade_functions():
    operations, _ = ops_of('''
        def upgrade(engine_name):
            globals()["upgrade_%s" % engine_name]()

        def upgrade_engine1():
            op.drop_table("a")

        def upgrade_engine2():
            op.drop_table("b")
    ''')
    assert [o.args[0] for o in operations] == ["a", "b"]


def test_updates_from_sql_text_and_core():
    _, updates = ops_of('''
        users = sa.table("users", sa.column("locale"))

        def upgrade():
            op.add_column("users", sa.Column("locale", sa.String()))
            op.execute("UPDATE users SET locale = 'en' WHERE locale IS NULL")
            op.get_bind().execute(sa.text("update orgs set plan='free'"))
            op.execute(users.update().values(locale="en"))
            op.execute(sa.update(users).values({"country": "NZ"}))
    ''')
    # op.get_bind().execute("...") is a call too, as op.execute is
    assert [(u.table, sorted(u.columns), u.position) for u in updates] == [
        ("users", ["locale"], 2), ("orgs", ["plan"], 4), ("users", ["locale"], 5), ("users", ["country"], 6)]


def test_downgrade_is_not_read():
    operations, _ = ops_of('''
        def upgrade():
            pass

        def downgrade():
            op.drop_table("t")
    ''')
    assert operations == ()


def test_updates_through_named_tables_reflection_and_placeholders():
    _, updates = ops_of('''
        import sqlalchemy as sa
        TABLE = "qos_policies"
        MODEL = sa.Table(TABLE, sa.MetaData(), sa.Column("id", sa.String(36)))

        def fill():
            session = sa.orm.Session(bind=op.get_bind())
            session.execute(MODEL.update().values(standard_attr_id=1).where(MODEL.c.id == 2))

        def upgrade():
            meta = sa.MetaData()
            meta.reflect(op.get_bind())
            schema = meta.tables["block_schema"]
            op.get_bind().execute(sa.update(schema).where(schema.c.id == 1).values(checksum="x"))
            fill()
            op.get_bind().execute("UPDATE oauth.tokens SET created_dt = COALESCE(used_dt, %s)", (1,))
    ''')
    assert [(u.table, sorted(u.columns)) for u in updates] == [
        ("block_schema", ["checksum"]), ("qos_policies", ["standard_attr_id"]), ("tokens", ["created_dt"])]


def test_imports_at_any_depth():
    from migrate_lint.revisions.facts import imports_of

    tree = ast.parse(textwrap.dedent('''
        import os, app.models as m
        from . import local
        def upgrade():
            if True:
                from app import helpers
            try:
                import yaml
            except ImportError:
                from app.compat import yaml
            m.Order.query.count()
            os.path.join("a")
    '''))
    # with what the file uses of each: names, or dotted paths through it (none collected for the
    # standard library, SQLAlchemy and Alembic: no rule reads them)
    assert imports_of(tree) == (
        ("os", 2, ()), ("app.models", 2, ("app.models.Order.query.count",)),
        ("app", 6, ("helpers",)), ("yaml", 8, ()), ("app.compat", 10, ("yaml",)))


def test_dialect_branches_keep_only_the_configured_dialect():
    from migrate_lint.revisions.migration import for_dialect

    operations, updates = ops_of('''
        from alembic import op
        import sqlalchemy as sa

        def upgrade():
            is_lite = op.get_bind().dialect.name == "sqlite"
            if is_lite:
                op.execute("UPDATE accounts SET tier = 'free'")
                op.drop_table("accounts_old")
            elif op.get_context().dialect.name in ("mysql", "oracle") and flag:
                op.drop_column("accounts", "legacy")
            op.execute("UPDATE accounts SET tier = 'basic' WHERE tier IS NULL")
            op.alter_column("accounts", "tier", nullable=False)
    ''')
    ddl = [o for o in operations if not o.name.startswith("get_")]
    assert [(o.line, o.dialects) for o in ddl[:3]] == [(8, frozenset({"sqlite"})), (9, frozenset({"sqlite"})),
                                                       (11, frozenset({"mysql", "mariadb", "oracle"}))]
    kept, kept_updates = for_dialect(operations, updates, "postgresql")
    assert [o.line for o in kept] == [6, 10, 12, 13]  # get_bind, get_context, then the common part
    assert [(u.line, u.position) for u in kept_updates] == [(12, 3)]  # after its own op.execute
    mariadb, _ = for_dialect(operations, updates, "mariadb")  # a mysql:// URL to MariaDB says "mysql"
    assert [o.line for o in mariadb if not o.name.startswith("get_")] == [11, 12, 13]


def test_loops_over_literals_run_once_per_item_and_other_loops_say_which_loop():
    operations, _ = ops_of('''
        from alembic import op
        import sqlalchemy as sa

        TABLES = ("posts", "comments")

        def rename(table):
            op.alter_column(table, "tenant_id", new_column_name="project_id")

        def upgrade():
            for table in reversed(TABLES):
                op.drop_column(table, "legacy_id", schema="blog")
            for name, column in [("users", "email")]:
                op.create_index(None, name, [column])
            for table in inspector.get_table_names():
                op.drop_column(table, "legacy_id")
                rename(table)
            with op.batch_alter_table("posts", schema="blog") as batch_op:
                batch_op.drop_column("slug")
    ''')
    assert [(o.name, o.args[0]) for o in operations[:2]] == [("drop_column", "comments"),
                                                             ("drop_column", "posts")]
    assert all(o.schema == "blog" for o in operations[:2])
    assert operations[2].args == (None, "users", ("email",))
    loop = "each table of the loop over inspector.get_table_names() (line 15)"
    assert operations[3].args[0] == Unknown(loop)
    assert operations[4].args[0] == Unknown("the table argument of rename()")
    assert operations[5].name == "batch_alter_table"  # recorded as an operation too
    assert operations[6].schema == "blog" and operations[6].batch_table == "posts"


def test_what_a_loop_computes_from_its_variable_is_the_loops_too():
    operations, _ = ops_of('''
        from alembic import op

        def upgrade():
            for cls in JoinModel.__subclasses__():
                table = cls.__tablename__
                op.create_index(f"{table}_forward_ind", table, ["a", "b"])
                op.drop_column(cls.__tablename__, "legacy_id")
                kept = "posts"
                op.drop_column(kept, "legacy_id")
    ''')
    over = "of the loop over JoinModel.__subclasses__() (line 5)"
    assert [o.args[1] if o.name == "create_index" else o.args[0] for o in operations] == [
        Unknown(f"each table {over}"), Unknown(f"each cls.__tablename__ {over}"), "posts"]


def test_names_built_from_literal_parts_are_names():
    operations, _ = ops_of('''
        from alembic import op

        def upgrade():
            for table in ("posts",):
                op.create_unique_constraint("uq_%s_slug" % table, table, ["slug"])
                op.create_index("ix_" + table + "_slug", table, ["slug"])
                op.create_index(f"ix_{table}_title", table, ["title"])
                op.create_index("ix_%s" % other, table, ["title"])
    ''')
    assert [o.args[0] for o in operations] == ["uq_posts_slug", "ix_posts_slug", "ix_posts_title",
                                               Unknown("'ix_%s' % other")]


def test_sql_written_from_operations_keeps_schema_and_the_codes_names():
    from migrate_lint.rendering.opsql import statements_from_operations

    operations, _ = ops_of('''
        from alembic import op

        def upgrade():
            fk_name = find_name()
            op.create_foreign_key(fk_name, "posts", "users", ["author_id"], ["id"], source_schema="blog")
            op.drop_column("posts", "legacy_id", schema="blog")
    ''')
    assert [s.sql for s in statements_from_operations(tuple(operations), "postgresql")] == [
        "ALTER TABLE blog.posts ADD CONSTRAINT (the name held by fk_name) FOREIGN KEY (author_id) "
        "REFERENCES users (id)",
        "ALTER TABLE blog.posts DROP COLUMN legacy_id"]


def test_other_operators_are_unknown():
    operations, _ = ops_of('''
        from alembic import op

        def upgrade():
            op.drop_column("t" * 2, "c" + "_old")
            op.execute(Config.external >> None)
    ''')
    assert operations[0].args == (Unknown("'t' * 2"), "c_old")
    assert operations[1].args == (Unknown("Config.external >> None"),)


def test_operations_imported_by_their_bare_names_are_operations():
    operations, _ = ops_of('''
        from alembic.op import create_index, drop_constraint as drop

        def upgrade():
            drop("TOKENS_ACCOUNT_FK", "tokens", type_="foreignkey")
            create_index("TOKENS_ACCOUNT_EXPIRED_AT_IDX", "tokens", ["account", "expired_at"])
    ''')
    assert [(o.name, o.args[0]) for o in operations] == [("drop_constraint", "TOKENS_ACCOUNT_FK"),
                                                         ("create_index", "TOKENS_ACCOUNT_EXPIRED_AT_IDX")]

"""`stats`: a read-only snapshot of a live database's table sizes, for `check --stats`."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from migrate_lint import __version__

if TYPE_CHECKING:
    import sqlalchemy as sa

FORMAT_VERSION = 1
VERSION_TABLE = "alembic_version"

# Planner estimates and sizes, never a count(*): reading them costs nothing on a billion-row table.
# reltuples is -1 for a table never analysed or vacuumed (PostgreSQL 14+): its row count is unknown.
POSTGRESQL = """
SELECT n.nspname = current_schema() AS in_path, n.nspname, c.relname,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
       pg_total_relation_size(c.oid), s.n_tup_ins, s.n_tup_upd, s.n_tup_del
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 3) <> 'pg_'
ORDER BY 2, 3
"""
# TABLE_ROWS is InnoDB's estimate (exact for MyISAM); ANALYZE TABLE refreshes it.
MYSQL = """
SELECT TABLE_NAME, TABLE_ROWS, COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
ORDER BY TABLE_NAME
"""
# Write counters exist only where performance_schema is on (MySQL's default, not MariaDB's).
MYSQL_WRITES = """
SELECT OBJECT_NAME, COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE
FROM performance_schema.table_io_waits_summary_by_table
WHERE OBJECT_SCHEMA = DATABASE() AND OBJECT_TYPE = 'TABLE'
"""


def snapshot(url: sa.URL, shown: sa.URL | None = None) -> dict[str, Any]:
    """Each table's estimated rows, total size and write activity, the alembic_version heads and
    when and where it was taken; the session is read-only, so nothing can be written."""
    import sqlalchemy as sa

    from migrate_lint.database.live import read_only
    from migrate_lint.database.scratch import DatabaseError, describe, error_text
    from migrate_lint.database.upgrade import connection_to

    backend = url.get_backend_name()
    if backend not in ("postgresql", "mysql", "mariadb"):
        raise DatabaseError(f"stats reads PostgreSQL, MySQL or MariaDB, not {backend}")
    taken = datetime.datetime.now(datetime.UTC)
    try:
        with connection_to(url) as connection:
            read_only(connection)
            if connection.dialect.name == "postgresql":
                dialect, tables = "postgresql", _postgresql(connection)
            else:
                dialect = "mariadb" if getattr(connection.dialect, "is_mariadb", False) else "mysql"
                tables = _mysql(connection)
            version = str(connection.exec_driver_sql(
                "SHOW server_version" if dialect == "postgresql" else "SELECT VERSION()").scalar())
            heads = _heads(connection, tables)
            tables.pop(VERSION_TABLE, None)  # Alembic's bookkeeping, not the application's
            connection.rollback()
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseError(f"cannot read {describe(shown or url)}: {error_text(exc)}") from None
    return {"version": FORMAT_VERSION, "tool": f"migrate-lint {__version__}",
            "taken_at": taken.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "dialect": dialect, "server_version": version, "database": url.database,
            "heads": heads, "tables": tables}


def _postgresql(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    tables = {}
    for in_path, schema, name, *sizes in connection.exec_driver_sql(POSTGRESQL):
        tables[name if in_path else f"{schema}.{name}"] = _table(*sizes)  # as a revision names it
    return tables


def _mysql(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    import contextlib

    import sqlalchemy as sa

    writes: dict[str, tuple[int, int, int]] = {}
    # performance_schema off (MariaDB's default: empty) or not readable: activity unknown, sizes known
    with contextlib.suppress(sa.exc.DBAPIError):
        writes = {row[0]: (row[1], row[2], row[3]) for row in connection.exec_driver_sql(MYSQL_WRITES)}
    return {name: _table(rows, size, *writes.get(name, (None, None, None)))
            for name, rows, size in connection.exec_driver_sql(MYSQL)}


def _table(rows: Any, size: Any, inserts: Any, updates: Any, deletes: Any) -> dict[str, Any]:
    counts = [inserts, updates, deletes]
    return {"rows": None if rows is None else int(rows), "bytes": int(size or 0),
            "inserts": _int(inserts), "updates": _int(updates), "deletes": _int(deletes),
            "writes": None if None in counts else sum(int(c) for c in counts)}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _heads(connection: sa.Connection, tables: dict[str, Any]) -> list[str] | None:
    """The revisions the database is at: what `check --stats` counts as already applied. None when
    it has no alembic_version table (then no table counts as created after the snapshot)."""
    if VERSION_TABLE not in tables:
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")
    return sorted(str(row[0]) for row in rows)

"""MariaDB/MySQL: the algorithm the server would use for an ALTER TABLE, found by asking for the
cheaper ones first on an empty copy of the table (the algorithm depends on the change and the
table's definition, not on its rows), and what it means for other sessions."""

from __future__ import annotations

import re
from typing import Any

ALTER = re.compile(r"^\s*ALTER\s+TABLE\s+((?:`[^`]+`|\w+)(?:\.(?:`[^`]+`|\w+))?)\s+(.*)$", re.I | re.S)
COPY_NAME = "`migrate_lint_algorithm_probe`"
# (algorithm, lock) tried in order: the first the server accepts is the one it would choose
TRIES = (("INSTANT", None), ("INPLACE", "NONE"), ("INPLACE", "SHARED"), ("COPY", "SHARED"), ("COPY", None))
MEANING = {
    ("INSTANT", None): "metadata only: reads and writes go on (a brief metadata lock)",
    ("INPLACE", "NONE"): "rebuilt or changed in place while reads and writes go on (brief metadata locks "
                         "at the start and end)",
    ("INPLACE", "SHARED"): "changed in place; writes blocked for the whole ALTER, reads go on",
    ("COPY", "SHARED"): "the table is copied row by row; writes blocked for the whole copy, reads go on",
    ("COPY", None): "the table is copied row by row under an exclusive lock; reads and writes blocked",
}


def algorithm(dbapi_connection: Any, statement: str) -> tuple[str, str] | None:
    """(algorithm with its lock, what it means) for an ALTER TABLE; None if it is not one or the
    copy cannot be made (the error says nothing about the algorithm then)."""
    found = ALTER.match(statement)
    if not found or re.search(r"\bALGORITHM\s*=", statement, re.I):
        return None
    table, rest = found.groups()
    rest = rest.strip().rstrip(";")
    if re.match(r"RENAME\b", rest, re.I):  # renaming the copy would leave it behind under the new name
        return None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_NAME}")
        cursor.execute(f"CREATE TABLE {COPY_NAME} LIKE {table}")
        for how, lock in TRIES:
            clause = f", ALGORITHM={how}" + (f", LOCK={lock}" if lock else "")
            try:
                cursor.execute(f"ALTER TABLE {COPY_NAME} {rest}{clause}")
            except Exception as exc:
                if _not_supported(exc):
                    continue
                return None  # the copy lacks what the ALTER needs (a foreign key, say)
            label = how + (f", LOCK={lock}" if lock else "")
            return label, MEANING[(how, lock)]
        return None
    except Exception:
        return None
    finally:
        try:
            cursor.execute(f"DROP TABLE IF EXISTS {COPY_NAME}")
        finally:
            cursor.close()


def blocked(label: str) -> str | None:
    """What other sessions cannot do while an ALTER with this algorithm runs."""
    if label == "COPY":
        return "reads and writes"
    return "writes" if label.endswith("LOCK=SHARED") else None


def table_of(statement: str) -> str | None:
    found = ALTER.match(statement)
    return found.group(1).replace("`", "") if found else None


def _not_supported(exc: Exception) -> bool:
    """MariaDB's ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON) (1845, 1846) and LOCK's kin (1846)."""
    code = getattr(exc, "args", (None,))[0]
    return code in (1845, 1846) or "is not supported" in str(exc)


def performance_schema(dbapi_connection: Any) -> bool:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT @@performance_schema")
        row = cursor.fetchone()
        return bool(row and int(row[0]))
    except Exception:
        return False
    finally:
        cursor.close()


# The metadata locks this session holds, as performance_schema lists them. What a statement leaves
# held lasts until the transaction ends (DML's SHARED_WRITE, an explicit LOCK TABLES); a DDL's
# exclusive lock ends with the implicit commit it makes, so its ALGORITHM says what it blocked.
# (The thread id is looked up by connection id: MariaDB has no PS_CURRENT_THREAD_ID().)
HELD = ("SELECT OBJECT_NAME, LOCK_TYPE FROM performance_schema.metadata_locks "
        "WHERE OWNER_THREAD_ID = (SELECT THREAD_ID FROM performance_schema.threads "
        "WHERE PROCESSLIST_ID = CONNECTION_ID()) AND OBJECT_TYPE = 'TABLE' "
        "AND OBJECT_SCHEMA = DATABASE() AND LOCK_STATUS = 'GRANTED'")
INSTRUMENT = ("SELECT ENABLED FROM performance_schema.setup_instruments "
              "WHERE NAME = 'wait/lock/metadata/sql/mdl'")


def metadata_locks(dbapi_connection: Any) -> dict[str, str] | None:
    """table -> metadata lock type this session holds after a statement; None if they cannot be read."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(HELD)
        return {str(name): str(kind) for name, kind in cursor.fetchall()
                if not str(name).startswith("alembic_version")}  # Alembic's bookkeeping
    except Exception:
        return None
    finally:
        cursor.close()


def metadata_note(dbapi_connection: Any) -> tuple[bool, str]:
    """(whether to read metadata locks after each statement, what the report says about them)."""
    if not performance_schema(dbapi_connection):
        return False, ("performance_schema is off on this server: metadata locks could not be observed; "
                       "what is blocked comes from each ALTER's algorithm")
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(INSTRUMENT)
        row = cursor.fetchone()
    except Exception:
        row = None
    finally:
        cursor.close()
    if not row or str(row[0]).upper() != "YES":
        return False, ("performance_schema is on, but its metadata lock instrument "
                       "(wait/lock/metadata/sql/mdl) is not enabled or not readable: metadata locks "
                       "could not be observed; what is blocked comes from each ALTER's algorithm")
    return True, ("metadata locks each statement leaves held until its transaction ends are read from "
                  "performance_schema.metadata_locks; a DDL's own lock ends with its implicit commit: "
                  "its ALGORITHM says what it blocked")

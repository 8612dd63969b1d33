"""What set-not-null-scans-table (ML121) claims about SET NOT NULL, proven on the real PostgreSQL server."""

from __future__ import annotations

import sqlalchemy as sa

from tests.servers import scratch_database

PROOF = "are sufficient to prove that it does not contain nulls"


def set_not_null_notices(connection: sa.Connection) -> list[str]:
    """The server's DEBUG1 notices while it runs SET NOT NULL on posts.locale."""
    raw = connection.connection.driver_connection
    notices: list[str] = []
    raw.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    connection.exec_driver_sql("SET client_min_messages = debug1")
    connection.exec_driver_sql("ALTER TABLE posts ALTER COLUMN locale SET NOT NULL")
    connection.exec_driver_sql("RESET client_min_messages")
    return notices


def test_set_not_null_scans_unless_a_validated_check_proves_the_column():
    with scratch_database("postgresql") as engine, engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE posts AS SELECT g AS id, 'en'::text AS locale "
                                   "FROM generate_series(1, 1000) g")
        assert not any(PROOF in n for n in set_not_null_notices(connection))  # no proof: a full scan
        connection.exec_driver_sql("ALTER TABLE posts ALTER COLUMN locale DROP NOT NULL")
        connection.exec_driver_sql(
            "ALTER TABLE posts ADD CONSTRAINT posts_locale_not_null CHECK (locale IS NOT NULL) NOT VALID")
        assert not any(PROOF in n for n in set_not_null_notices(connection))  # NOT VALID proves nothing
        connection.exec_driver_sql("ALTER TABLE posts ALTER COLUMN locale DROP NOT NULL")
        connection.exec_driver_sql("ALTER TABLE posts VALIDATE CONSTRAINT posts_locale_not_null")
        assert any(PROOF in n for n in set_not_null_notices(connection))  # validated: the scan is skipped

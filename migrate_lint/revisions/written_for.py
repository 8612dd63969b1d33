"""The database a history is written for, by the options its authors wrote: MySQL's table options
(`mysql_engine="InnoDB"`, `mysql_charset`), types imported from `sqlalchemy.dialects.mysql`, and
never any of PostgreSQL's (`postgresql_using`, JSONB, CONCURRENTLY, ...). OpenStack's histories
(manila, ironic, glance) write InnoDB into every table and run on MySQL/MariaDB; read as text, only
when nothing else names the dialect."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_file

# Kept as text and compiled by re on first use: most histories name their dialect otherwise.
# MySQL's table options are case-blind (magnum writes `mysql_ENGINE='InnoDB'`)
MYSQL = (rb"\b(?i:mysql_(?:engine|charset|collate|length|default_charset))\b|dialects\.mysql\b|"
         rb"dialects import mysql\b|ENGINE\s*=\s*InnoDB")
# ...or names PostgreSQL as a dialect it also runs on (consdb's `.with_variant(sa.VARCHAR(64), "postgresql")`)
POSTGRESQL = (rb"\bpostgresql_(?:using|where|concurrently|ops|include|not_valid|with)\b|"
              rb"dialects\.postgresql\b|dialects import postgresql\b|JSONB|CONCURRENTLY|[\"']postgresql[\"']")
AT_LEAST = 3  # files that say MySQL: one table option may be a habit copied from a tutorial
MAX_FILES = 3000


@cache
def written_for(script_location: str) -> tuple[str, str]:
    """("mysql", why) when at least AT_LEAST files of the script location write MySQL's options and
    none writes PostgreSQL's; ("", "") otherwise."""
    mysql: list[str] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(script_location):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(f for f in filenames if f.endswith(".py")):
            seen += 1
            if seen > MAX_FILES:
                return "", ""
            try:
                data = read_file(Path(dirpath, name))  # never a FIFO or /dev/zero
            except OSError:
                continue
            if re.search(POSTGRESQL, data):
                return "", ""
            if re.search(MYSQL, data):
                mysql.append(name)
    if len(mysql) < AT_LEAST:
        return "", ""
    return "mysql", (f"{len(mysql)} files of {Path(script_location).name}/ write MySQL's table options "
                     f"or types ({mysql[0]}, ...) and none PostgreSQL's")

"""Starting one render worker process (migrate_lint.rendering.worker).

Kept apart, on the standard library's subprocess alone, so that the `migrate-lint` command can start
a worker before it imports anything else: the worker's ~0.3 s import of SQLAlchemy and Alembic is
the longest path of a check that renders, and it runs in parallel with everything the check does.
"""

from __future__ import annotations

import subprocess
import sys


def start() -> subprocess.Popen[str]:
    # -P: neither the working folder nor any script folder goes on the worker's sys.path, so the
    # worker imports this package and Alembic from wherever they are installed, and never a module of
    # the checked project by accident; it must not depend on where the package itself lives.
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "migrate_lint.rendering.worker"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

"""Starting one render worker process (migrate_lint.render_worker).

Kept apart, on the standard library's subprocess alone, so that the `migrate-lint` command can start
a worker before it imports anything else: the worker's ~0.3 s import of SQLAlchemy and Alembic is
the longest path of a check that renders, and it runs in parallel with everything the check does.
"""

from __future__ import annotations

import os
import subprocess
import sys


def start() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "migrate_lint.render_worker"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

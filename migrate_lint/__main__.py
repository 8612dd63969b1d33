"""The `migrate-lint` command, and `python -m migrate_lint`.

A cold check that renders spends most of its time waiting for its render worker to import
SQLAlchemy and Alembic, so one is started here, before this process imports anything of its own.
A guess from the arguments is enough: the check stops the worker if rendering turns out not to be
wanted. With a cache (a warm run renders little) the check decides later, from the cache itself.
"""

import sys


def _cold_check(argv: list[str]) -> bool:
    if argv[:1] != ["check"] or "--no-execute" in argv:
        return False
    import os

    from migrate_lint.cache.folder import cache_location

    folder = cache_location()
    return "--no-cache" in argv or folder is None or not os.path.isdir(folder)


def main() -> int:
    argv = sys.argv[1:]
    worker = None
    if _cold_check(argv):
        from migrate_lint.rendering import process as worker_process

        worker = worker_process.start()
    try:
        from migrate_lint.cli import main as command_line

        return command_line(argv, started_worker=worker)
    finally:
        if worker is not None and worker.poll() is None:  # the command line ended before using it
            worker.kill()
            worker.wait()


if __name__ == "__main__":
    raise SystemExit(main())

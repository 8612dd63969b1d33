"""The `migrate-lint` command, and `python -m migrate_lint`.

A cold check that renders spends most of its time waiting for its render worker to import
SQLAlchemy and Alembic, so one is started here, before this process imports anything of its own.
A guess from the arguments is enough: the check stops the worker if rendering turns out not to be
wanted. With a cache (a warm run renders little) the check decides later, from the cache itself.
"""

import sys

if __name__ == "__main__" and not sys.flags.safe_path and sys.path:
    import os

    # `python -m` put the working folder first on sys.path, where the checked project's own yaml.py
    # or sqlalchemy.py would be imported in place of ours (under --no-execute too). This package is
    # already imported, and finds its own modules through its __path__; nothing else needs it.
    if sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


def _cold_check(argv: list[str]) -> bool:
    if argv[:1] != ["check"] or "--no-execute" in argv:
        return False
    import os

    from migrate_lint.cache.folder import cache_location

    folder = cache_location()
    return "--no-cache" in argv or folder is None or not os.path.isdir(folder)


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM (a cancelled CI job) or SIGHUP: kill every render worker's process group now, then
    unwind as an error, so that nothing a revision started outlives the check."""
    from migrate_lint.rendering import process as worker_process

    worker_process.kill_all()
    print("migrate-lint: terminated", file=sys.stderr)
    raise SystemExit(2)


def main() -> int:
    import gc
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    argv = sys.argv[1:]
    worker = None
    if _cold_check(argv):
        from migrate_lint.rendering import process as worker_process

        worker = worker_process.start()
    try:
        # the collector's passes over what imports allocate (modules, classes, functions: they live
        # as long as the process) free nothing; `check` keeps it off for its own imports too (cli.py)
        gc.disable()
        try:
            from migrate_lint.cli import main as command_line
        finally:
            gc.freeze()  # what was imported is left out of every later collection, not walked by the next
            if argv[:1] != ["check"]:
                gc.enable()
        # `check` runs with the collector off (what it builds lives until it prints, and the pass over
        # it all that the first allocation after gc.enable() makes cost ~10 ms); the others run long
        # and may build cycles (SQLAlchemy, libcst), so they have it on
        return command_line(argv, started_worker=worker)
    finally:
        # The exit code is decided and cleanup is done: a late SIGINT or SIGTERM (a CI runner sends
        # both) must not turn it into a death by signal while the interpreter shuts down.
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
        if worker is not None:  # the command line may have ended before using it
            worker.stop()
        # The process ends on return. What the command built (a check's facts and findings, which
        # closures keep in cycles) would be walked by the collections the interpreter runs as it
        # shuts down, more than once as it clears the modules, only to free what the exit frees.
        gc.freeze()


if __name__ == "__main__":
    raise SystemExit(main())

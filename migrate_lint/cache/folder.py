"""Where the cache lives, on `os` alone: the command looks for it before importing anything else
(see __main__). cache.cache_dir() gives it as a Path."""

import os


def cache_location() -> str | None:
    """MIGRATE_LINT_CACHE_DIR, else the user's cache folder; '' or 'off' disables caching."""
    configured = os.environ.get("MIGRATE_LINT_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "false") else configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "migrate-lint")

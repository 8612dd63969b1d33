"""Where the cache lives, on `os` alone: the command looks for it before importing anything else
(see __main__). cache.cache_dir() gives it as a Path."""

import os

_bypassed = [False]


class bypassed:  # lower case: used like a function, `with bypassed(not use_cache):`
    """Within the block, no cache is read or written (--no-cache: every cache, the catalogue's too).
    A class, not contextlib: this module is imported before the command starts its first worker."""

    def __init__(self, bypass: bool = True) -> None:
        self.bypass = bypass

    def __enter__(self) -> None:
        self.previous, _bypassed[0] = _bypassed[0], _bypassed[0] or self.bypass

    def __exit__(self, *_exc: object) -> None:
        _bypassed[0] = self.previous


def cache_location() -> str | None:
    """MIGRATE_LINT_CACHE_DIR, else the user's cache folder; '' or 'off' disables caching."""
    if _bypassed[0]:
        return None
    configured = os.environ.get("MIGRATE_LINT_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "false") else configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "migrate-lint")

"""Whether a settings module of the project stands alone: it reads its files and the environment
with the standard library (or a settings library) and imports nothing of the application, so a
revision that imports it for a setting loads no models, app or database (SpaceDock's
KerbalStuff.config, a ConfigParser over config.ini and os.environ). Read from the source, never
imported."""

from __future__ import annotations

import ast
import sys
from functools import lru_cache
from pathlib import Path

from migrate_lint.paths import read_file

# Libraries that only read settings: a module built on them is a settings reader too
SETTINGS_LIBRARIES = frozenset({"dotenv", "decouple", "environs", "pydantic", "pydantic_settings", "yaml",
                                "toml", "tomli", "tomllib", "typing_extensions"})


def module_file(roots: tuple[Path, ...], module: str) -> Path | None:
    """The file of a dotted module of the project's own, under one of its roots (or their src/)."""
    relative = Path(*module.split("."))
    for root in roots:
        for base in (root, root / "src"):
            for path in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
                if path.is_file():
                    return path
    return None


@lru_cache(maxsize=64)
def stands_alone(roots: tuple[Path, ...], module: str) -> bool:
    """The module is found and every module it imports is of the standard library or a settings
    library; False where it is not found or cannot be read."""
    path = module_file(roots, module)
    if path is None:
        return False
    try:
        tree = ast.parse(read_file(path).decode("utf-8", "replace"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return False
    allowed = sys.stdlib_module_names | SETTINGS_LIBRARIES | {"__future__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." if node.level else node.module or ""]
        else:
            continue
        if any(name.split(".")[0] not in allowed for name in names):
            return False
    return True

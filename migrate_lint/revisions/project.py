"""The project around a history: its root, its own top-level modules, and its naming convention."""

from __future__ import annotations

from pathlib import Path

from migrate_lint.config import Config
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.naming import declares_naming_convention

NOT_APPLICATION = frozenset({"setup", "conftest", "noxfile", "manage"})


def project_root(history: History, config: Config) -> Path:
    """The configured root when the history lies inside it, else the folder above the script location."""
    try:
        history.script_location.resolve().relative_to(config.root.resolve())
        return config.root
    except ValueError:
        return history.script_location.parent


def local_modules(history: History, config: Config) -> frozenset[str]:
    """Top-level modules and packages of the project itself (its application code)."""
    root = project_root(history, config)
    names = set()
    for folder in (root, root / "src"):
        if folder.is_dir():
            names |= {p.stem if p.suffix == ".py" else p.name for p in folder.iterdir()
                      if (p.suffix == ".py" or (p / "__init__.py").is_file())
                      and not p.name.startswith(".")}
    names.discard(history.script_location.name)  # migrations/ itself, when it is a package
    return frozenset(names - NOT_APPLICATION) | set(config.application_modules)


def has_naming_convention(history: History, config: Config) -> bool:
    """The config's answer, else whether the project's own source declares one."""
    if config.naming_convention is not None:
        return config.naming_convention
    skip = frozenset(d.resolve() for d in history.version_dirs)
    return declares_naming_convention(project_root(history, config), skip)

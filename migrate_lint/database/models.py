"""The application's models: its SQLAlchemy MetaData, found through a Flask app or module:attribute."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate_lint.errors import UserError


class ModelsError(UserError):
    pass


@dataclass
class Models:
    metadata: Any  # sqlalchemy.MetaData
    source: Path  # the file that defines them (where findings without a better place point)
    flask_app: Any = None
    script_location: Path | None = None  # Flask-Migrate's directory, when the app says
    places: dict[str, tuple[Path, int]] = field(default_factory=dict)  # table -> where its class is


def _failure(what: str, exc: BaseException) -> ModelsError:
    text = str(exc).strip().splitlines()
    return ModelsError(f"cannot load {what}: {type(exc).__name__}: {text[0] if text else ''}".rstrip(": "))


def load(app: str | None, metadata: str | None, root: Path) -> Models:
    """--metadata wins over --app; FLASK_APP is read as Flask reads it when neither is given."""
    if metadata:
        return _from_attribute(metadata, root)
    app = app or os.environ.get("FLASK_APP")
    if app:
        return _from_flask(app, root)
    raise ModelsError("drift needs the models: pass --app (or set FLASK_APP) for a Flask app, or "
                      "--metadata module:attribute, or set app or metadata in [tool.migrate-lint]")


def _from_attribute(spec: str, root: Path) -> Models:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ModelsError(f"--metadata {spec!r}: expected module:attribute (e.g. myapp.models:Base)")
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
        value: Any = module
        for part in attribute.split("."):
            value = getattr(value, part)
    except (Exception, SystemExit) as exc:  # the project's code can fail in any way: say what failed
        raise _failure(f"the models from {spec!r}", exc) from None
    meta = _metadata_of(value)
    if meta is None:
        raise ModelsError(f"--metadata {spec!r} is a {type(value).__name__}, not a MetaData, a "
                          "declarative base or a Flask-SQLAlchemy db")
    source = Path(inspect.getsourcefile(module) or module_name)
    return Models(meta, source, places=_places(value, meta))


def _from_flask(spec: str, root: Path) -> Models:
    try:
        from flask.cli import ScriptInfo
    except ImportError:
        raise ModelsError("--app needs Flask installed in this environment") from None
    cwd = os.getcwd()
    os.chdir(root)  # FLASK_APP paths are relative to where `flask` would run
    try:
        flask_app = ScriptInfo(app_import_path=spec).load_app()
    except (Exception, SystemExit) as exc:  # sys.exit() in the app is its failure, not our exit code
        raise _failure(f"the Flask app {spec!r}", exc) from None
    finally:
        os.chdir(cwd)
    return from_app(flask_app, root, spec)


def from_app(flask_app: Any, root: Path, spec: str | None = None) -> Models:
    """The models of a loaded Flask app: Flask-Migrate's db (or Flask-SQLAlchemy's) and directory."""
    spec = spec or flask_app.import_name
    migrate = flask_app.extensions.get("migrate")
    db = getattr(migrate, "db", None) or flask_app.extensions.get("sqlalchemy")
    meta = _metadata_of(db)
    if meta is None:
        raise ModelsError(f"the Flask app {spec!r} has no Flask-SQLAlchemy or Flask-Migrate extension")
    directory = getattr(migrate, "directory", None)
    location = (root / directory) if directory else None
    source = Path(inspect.getsourcefile(sys.modules[flask_app.import_name]) or spec) \
        if flask_app.import_name in sys.modules else Path(spec)
    return Models(meta, source, flask_app, location, _places(db, meta))


def _metadata_of(value: Any) -> Any:
    import sqlalchemy as sa

    if isinstance(value, sa.MetaData):
        return value
    binds = getattr(value, "metadatas", None)  # Flask-SQLAlchemy 3 with binds: one MetaData each
    if isinstance(binds, dict) and len(binds) > 1:
        merged = sa.MetaData()  # drift upgrades every bind into one scratch database
        for bind in binds.values():
            for table in bind.tables.values():
                table.to_metadata(merged)
        return merged
    meta = getattr(value, "metadata", None)
    return meta if isinstance(meta, sa.MetaData) else None


def _places(value: Any, meta: Any) -> dict[str, tuple[Path, int]]:
    """Where each mapped table's class is written, for findings to point at."""
    registry = getattr(getattr(value, "Model", value), "registry", None)
    places: dict[str, tuple[Path, int]] = {}
    for mapper in getattr(registry, "mappers", ()):
        table = getattr(mapper, "local_table", None)
        try:
            path = inspect.getsourcefile(mapper.class_)
            line = inspect.getsourcelines(mapper.class_)[1]
        except (OSError, TypeError):
            continue
        if path and table is not None and table.name not in places:
            places[table.name] = (Path(path), line)
    return places

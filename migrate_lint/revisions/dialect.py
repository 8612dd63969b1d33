"""Which dialect a history is checked for, and where that came from: settings, its folder's name,
alembic.ini's sqlalchemy.url, a Flask config's literal URL, the one database whose drivers the
dependencies declare, the database the project's compose files run, SQLite's PRAGMA in env.py,
else the MySQL options its revisions write; read without importing anything."""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from migrate_lint.config import DIALECTS, Config
from migrate_lint.paths import read_file, read_text, real_folder, real_path
from migrate_lint.revisions.compose_database import compose_dialect
from migrate_lint.revisions.database_url import url_dialect
from migrate_lint.revisions.drivers import OSLO_RUNS_ON, declared_dialect
from migrate_lint.revisions.readme_dialect import readme_dialect
from migrate_lint.revisions.written_for import written_for

DEFAULT = "postgresql"
DEFAULT_SOURCE = "default:"  # how a source says that nothing named the dialect
SETTING = "SQLALCHEMY_DATABASE_URI"
# a SQLite file its path calls a development, test or temporary one
DEVELOPERS_FILE = re.compile(r"(?i)(?:^|[/_.-])(?:dev|devel|development|test|testing|tmp|temp)(?:[/_.-]|$)")
URL_REPLACED = re.compile(r"""set_(main|section)_option\([^)]*['"]sqlalchemy\.url['"]|"""
                          r"create_(async_)?engine\(")
# Alembic's connection-sharing recipe: the application hands env.py its own connection
SHARED_CONNECTION = re.compile(r"""config\.attributes(\.get\(|\[)\s*['"]connection['"]""")
ENV_CALLS = frozenset({"os.environ.get", "environ.get", "os.getenv", "getenv", "config", "env",
                       "env.str", "os.environ.setdefault"})
CONFIG_FILES = ("config.py", "settings.py", "configs/*.py", "config/*.py", "settings/*.py")
SKIP = frozenset({"tests", "test", "docs", "node_modules", "migrations", "alembic", "build", "dist",
                  "venv", ".venv", "site-packages"})


@dataclass(frozen=True)
class Dialect:
    """The dialect a history is checked for, and where that came from."""

    name: str
    source: str  # shown in the summary: "alembic.ini sqlalchemy.url", "default: ..."

    @property
    def defaulted(self) -> bool:
        return self.source.startswith("default")


def _env_reference(url: str) -> str | None:
    """The variable an interpolated URL reads (`${DATABASE_URL}`, `%(DB_URL)s`), or None."""
    match = re.search(r"\$\{?(\w+)\}?|%\((\w+)\)s", url)
    return (match.group(1) or match.group(2)) if match else None


def _text_of(env_py: Path | None) -> str:
    try:
        return read_text(env_py) if env_py else ""
    except OSError:
        return ""


def _replaced_by(env_text: str, ini_url: str) -> bool:
    """Whether env.py connects with a URL of its own (quay's `sqlite:///will/be/overridden`), or,
    for a SQLite URL, with the connection the application hands it (OpenStack's heat and nova keep
    `sqlite:///heat.db` in alembic.ini for the command line alone)."""
    return bool(URL_REPLACED.search(env_text)) or (
        url_dialect(ini_url) == "sqlite" and bool(SHARED_CONNECTION.search(env_text)))


def infer(config: Config, version_dirs: tuple[Path, ...], ini_url: str | None = None,
          ini_label: str = "alembic.ini", env_py: Path | None = None,
          script_location: Path | None = None) -> Dialect:
    """Settings that name the history first, then the project's: per-path-dialect, a version folder
    named after a dialect, --dialect, [tool.migrate-lint] dialect, the ini's URL, the Flask config,
    the drivers the dependencies declare, the compose files' database, the README's URL, the MySQL
    options the revisions write."""
    for folder in version_dirs:
        for pattern, dialect in config.per_path_dialect:
            if _matches(folder, pattern, config.root):
                return Dialect(dialect, f'[tool.migrate-lint] per-path-dialect "{pattern}"')
    named = {d.name for d in version_dirs} & set(DIALECTS)
    if len(named) == 1:
        folder = next(d for d in version_dirs if d.name in named)
        return Dialect(folder.name, f"version folder {folder.parent.name}/{folder.name}")
    if config.dialect_source:
        return Dialect(config.dialect, config.dialect_source)
    notes = []
    env_text = _text_of(env_py)  # read once: whether it replaces the URL, whether it runs PRAGMAs
    if ini_url is not None and _replaced_by(env_text, ini_url):
        notes.append(f"env.py replaces {ini_label} sqlalchemy.url")
    elif ini_url is not None:
        if found := url_dialect(ini_url):
            return Dialect(found, f"{ini_label} sqlalchemy.url")
        if variable := _env_reference(ini_url):
            notes.append(f"{ini_label} sqlalchemy.url reads the environment variable {variable}, "
                         "which is not a dialect")
    flask = flask_config(str(real_folder(config.root)))
    if flask.name:
        return flask
    if flask.source:
        notes.append(flask.source)
    declared, why = declared_dialect(str(real_folder(config.root)))
    if declared:
        return Dialect(declared, why)
    if why:
        notes.append(why)
    composed, runs = compose_dialect(str(real_folder(config.root)))
    if composed:
        return Dialect(composed, "; ".join([runs, *notes]))
    if ini_url is None and script_location is not None and (sample := _sample_ini(script_location)):
        return Dialect(sample[0], "; ".join([f"{sample[1]} sqlalchemy.url, the sample ini to copy", *notes]))
    if _sqlite_pragmas(env_text):
        return Dialect("sqlite", "; ".join(["env.py runs SQLite's PRAGMA on each connection", *notes]))
    if oslo := _OSLO_ENV.search(env_text):
        return Dialect("mysql", "; ".join([f"env.py imports {oslo[1]}, {OSLO_RUNS_ON}", *notes]))
    if readme := readme_dialect(str(real_folder(config.root))):
        return Dialect(readme[0], "; ".join([f"the README's setup: {readme[1]}", *notes]))
    if script_location is not None and (written := written_for(str(script_location)))[0]:
        return Dialect(written[0], "; ".join([written[1], *notes]))
    reason = "; ".join(notes) or "no dialect found; set --dialect or [tool.migrate-lint] dialect"
    return Dialect(DEFAULT, f"{DEFAULT_SOURCE} {reason}")


# an ini shipped as a template to copy (asterisk's contrib/ast-db-manage/config.ini.sample), read
# where no alembic.ini is there: its active URL is the database the project sets up first
SAMPLE_INI = re.compile(r"(?i)^[\w.-]+\.ini\.(?:sample|example|dist|template|tmpl)$"
                        r"|^[\w.-]+\.(?:sample|example)\.ini$")
_INI_SETTING = re.compile(r"(?m)^\s*(script_location|sqlalchemy\.url)\s*[=:]\s*(\S.*?)\s*$")
MAX_SAMPLES = 20


def _sample_ini(script_location: Path) -> tuple[str, str] | None:
    """(dialect, file name) of a sample ini beside the script location that names it and an URL."""
    folder = script_location.parent
    try:
        names = sorted(n for n in os.listdir(folder) if SAMPLE_INI.match(n))[:MAX_SAMPLES]
    except OSError:
        return None
    for name in names:
        try:
            text = read_file(folder / name, 65536).decode("utf-8", "replace")
        except OSError:
            continue
        settings = dict(_INI_SETTING.findall(text))
        location = settings.get("script_location", "").rstrip("/").rsplit("/", 1)[-1]
        if location == script_location.name and (found := url_dialect(settings.get("sqlalchemy.url", ""))):
            return found, name
    return None


# `cursor.execute("PRAGMA foreign_keys=OFF")` in a connect listener: only SQLite has PRAGMA
_PRAGMA = re.compile(r"""execute\(\s*[rbuf]?["']PRAGMA\s""", re.IGNORECASE)
_OTHER_DATABASES = re.compile(r"(?i)postgres|mysql|mariadb|psycopg")


# an env.py that runs under OpenStack's database layer: a Neutron plugin's history (networking-infoblox
# declares neutron only in tox.ini, but its env.py imports oslo_db and neutron_lib)
_OSLO_ENV = re.compile(r"(?m)^\s*(?:from|import)\s+(oslo_db|neutron_lib|neutron)\b")


def _sqlite_pragmas(env_text: str) -> bool:
    """env.py runs a PRAGMA on its connections and names no other database (arch-security-tracker)."""
    return bool(_PRAGMA.search(env_text)) and not _OTHER_DATABASES.search(env_text)


def _matches(folder: Path, pattern: str, root: Path) -> bool:
    try:
        relative = real_path(folder).relative_to(real_folder(root)).as_posix()
    except ValueError:
        relative = folder.as_posix()
    return fnmatch.fnmatch(relative, pattern.rstrip("/")) or fnmatch.fnmatch(folder.as_posix(), pattern)


def _config_files(root: Path) -> Iterator[Path]:
    """Where a Flask app keeps its configuration: config.py or settings.py at the root, in a
    package (or a package below src/), or a configs/ folder of modules."""
    packages = [root] + [p for base in (root, root / "src") if base.is_dir()
                         for p in sorted(base.iterdir())
                         if p.is_dir() and p.name not in SKIP and not p.name.startswith(".")]
    for package in packages:
        for pattern in CONFIG_FILES:
            yield from sorted(f for f in package.glob(pattern) if "test" not in f.stem.lower())
        if package is not root and (package / "__init__.py").is_file():
            yield package / "__init__.py"  # app.config["SQLALCHEMY_DATABASE_URI"] = "..."


@cache
def flask_config(root: str) -> Dialect:
    """The dialect of the literal SQLALCHEMY_DATABASE_URI of a Flask config (name "" if none).

    Assignments in a class named Production* win; classes and files named after tests are left
    out. A URL read from the environment is not a dialect, even with a literal fallback: that
    fallback is the developer's database (often SQLite), not production's."""
    found: list[tuple[str, str, str | None, str | None]] = []  # (file, class, dialect, env variable)
    base = Path(root)
    for path in _config_files(base):
        try:
            tree = ast.parse(read_text(path))
        except (SyntaxError, ValueError, OSError):
            continue
        shown = path.relative_to(base).as_posix()
        for klass, value in _assignments(tree):
            dialect, variable = _classify(value)
            if dialect or variable:
                found.append((shown, klass, dialect, variable))
    found = [f for f in found if "test" not in f[1].lower()]
    production = [f for f in found if f[1].lower().startswith("prod")]
    chosen = production or found
    if not chosen:
        return Dialect("", "")
    where = f"{SETTING} in {chosen[0][0]}"
    variables = sorted({v for *_, v in chosen if v})
    if variables:
        return Dialect("", f"{where} reads the environment variable {', '.join(variables)}, "
                           "which is not a dialect")
    dialects = sorted({d for _, _, d, _ in chosen if d})
    if len(dialects) > 1:
        return Dialect("", f"{SETTING} names several dialects ({', '.join(dialects)})")
    return Dialect(dialects[0], where)


def _assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """(enclosing class, value) of each assignment of SQLALCHEMY_DATABASE_URI: a module or class
    attribute, `app.config["..."] = ...`, or a `config.update(SQLALCHEMY_DATABASE_URI=...)`."""
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        klass, node = stack.pop()
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_names_setting(t) for t in targets):
                yield klass, node.value
        elif isinstance(node, ast.Call):
            yield from ((klass, k.value) for k in node.keywords if k.arg == SETTING)
        inner = node.name if isinstance(node, ast.ClassDef) else klass
        stack.extend((inner, child) for child in ast.iter_child_nodes(node))


def _names_setting(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return target.id == SETTING
    return isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
        and target.slice.value == SETTING


def _classify(value: ast.expr) -> tuple[str | None, str | None]:
    """(dialect of a literal URL, or of one built from a literal prefix; environment variable read)."""
    for node in ast.walk(value):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            return None, _literal(node.slice) or "?"
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ENV_CALLS:
            return None, (_literal(node.args[0]) if node.args else None) or "?"
    prefix = value
    while isinstance(prefix, ast.BinOp) and isinstance(prefix.op, ast.Add | ast.Mod):
        prefix = prefix.left
    if isinstance(prefix, ast.JoinedStr) and prefix.values:
        prefix = prefix.values[0]
    text = _literal(prefix)
    dialect = url_dialect(text) if text else None
    if dialect == "sqlite" and text and DEVELOPERS_FILE.search(text):
        return None, None  # the developer's database (anitya's /var/tmp/anitya-dev.sqlite), not production's
    return dialect, None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

"""The project around a history: its root, its own top-level modules, the imports its revision
template writes, and its naming convention."""

from __future__ import annotations

import re
from pathlib import Path

from migrate_lint.config import Config
from migrate_lint.paths import read_file
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.naming import Templates, declares_naming_convention, naming_convention

NOT_APPLICATION = frozenset({"setup", "conftest", "noxfile", "manage"})
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")  # where a project's root is


def project_root(history: History, config: Config) -> Path:
    """The configured root when the history lies inside it, else the folder above the script location."""
    try:
        history.script_location.resolve().relative_to(config.root.resolve())
        return config.root
    except ValueError:
        return history.script_location.parent


_IMPORT = re.compile(r"^[ \t]*(?:import[ \t]+([\w.]+)|from[ \t]+([\w.]+)[ \t]+import\b)", re.M)


def _imports_in(text: str | None) -> frozenset[str]:
    """The modules a Python (or Mako) text imports at the start of a line, read as text."""
    return frozenset(a or b for a, b in _IMPORT.findall(text or ""))


def template_imports(history: History) -> frozenset[str]:
    """Modules that script.py.mako imports into every revision `alembic revision` writes."""
    try:
        text = read_file(history.script_location / "script.py.mako").decode("utf-8", "replace")
    except OSError:
        return frozenset()
    return _imports_in(text)


def env_imports(history: History) -> frozenset[str]:
    """Modules env.py imports: every run of the history loads them, whatever a revision imports."""
    return _imports_in(_env_source(history))


def marked_root(history: History) -> Path | None:
    """The nearest folder above the migrations that marks a project root, if any."""
    return next((folder for folder in history.script_location.resolve().parents
                 if any((folder / marker).exists() for marker in PROJECT_MARKERS)), None)


def project_roots(history: History, config: Config) -> tuple[Path, ...]:
    """The configured root, and the nearest folder above the migrations that marks a project root."""
    root = project_root(history, config)
    marked = marked_root(history)
    return (root,) if marked is None or marked == root.resolve() else (root, marked)


def local_modules(history: History, config: Config) -> frozenset[str]:
    """Top-level modules and packages of the project itself (its application code): beside the
    configured root, and beside the nearest folder above the migrations that marks a project root."""
    names = set()
    for folder in [f for r in project_roots(history, config) for f in (r, r / "src")]:
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


def naming_templates(history: History, config: Config) -> Templates | None:
    """The project's naming convention as its source writes it; none when the config says there is none."""
    if config.naming_convention is False:
        return None
    skip = frozenset(d.resolve() for d in history.version_dirs)
    return naming_convention(project_root(history, config), skip)


def _env_source(history: History) -> str | None:
    """env.py's text ("" when there is none), read as the analysis reads files; None when unreadable."""
    env = history.script_location / "env.py"
    try:
        return read_file(env).decode("utf-8", "replace") if env.is_file() else ""
    except OSError:
        return None


def env_transactional_ddl(history: History) -> bool:
    """False when env.py configures `transactional_ddl=False`, or runs the revisions on a connection
    in AUTOCOMMIT (privacyidea's `connection.execution_options(isolation_level="AUTOCOMMIT")`):
    each statement then commits on its own, so no lock outlives its statement and a failed one
    aborts nothing after it; read as text, never run."""
    text = _env_source(history)
    return text is None or (re.search(r"\btransactional_ddl\s*=\s*False\b", text) is None
                            and re.search(_AUTOCOMMIT_LEVEL, text) is None)


_AUTOCOMMIT_LEVEL = r"""\bisolation_level\s*=\s*["']AUTOCOMMIT["']"""


def env_transaction_per_migration(history: History) -> bool:
    """True when env.py passes `transaction_per_migration=True` to `context.configure` (each revision
    then commits on its own, so nothing one revision leaves open reaches the next); read as text."""
    text = _env_source(history)
    return text is not None and re.search(r"\btransaction_per_migration\s*=\s*True\b", text) is not None


def env_enum_sync_adds_values(history: History) -> bool:
    """True when `op.sync_enum_values` is alembic-autogenerate-enums' (env.py imports it, and not
    alembic_postgresql_enum): that one COMMITs and runs ALTER TYPE ... ADD VALUE, and re-creates
    the type only when called with should_reverse=True; read as text."""
    text = _env_source(history) or ""
    return "alembic_autogenerate_enums" in text and "alembic_postgresql_enum" not in text


def env_maps_models(history: History) -> bool:
    """False when env.py sets `target_metadata = None` and nothing else: the team keeps no
    SQLAlchemy models for Alembic to compare, so advice about mapping attributes has nothing to
    act on (R2R writes its SQL by hand); read as text."""
    text = _env_source(history)
    if not text:
        return True
    values = re.findall(r"^[ \t]*target_metadata[ \t]*(?::[^=\n]*)?=[ \t]*([^#\n]*)", text, re.M)
    return not values or any(value.strip() != "None" for value in values)


def env_translates_schema(history: History) -> int | None:
    """The env.py line that gives the connection a `schema_translate_map`: Alembic's operations follow
    it, and SQL in op.execute() does not (rucio maps its tables into a named schema); read as text."""
    text = _env_source(history)
    found = re.search(r"\bschema_translate_map\s*[=:]", text or "")
    return text.count("\n", 0, found.start()) + 1 if text and found else None


_OUTER_BEGIN = re.compile(r"\b(?!context\b)\w+\.begin(?:_twophase)?\(\)")
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]", re.M)
_OWN_EXECUTE = re.compile(r"\b(?!context\b|op\b)\w+\.execute\(")


def env_outer_transaction(history: History) -> int | None:
    """The env.py line where the connection enters a transaction of its own before Alembic is
    configured on it: an explicit `conn.begin()`, or a statement executed before
    `context.configure()` (SQLAlchemy 2 begins one then) and not committed. Alembic takes such a
    transaction for the caller's and runs the revisions inside it, where
    `op.get_context().autocommit_block()` fails an assertion (Hasgeek's funnel, Onyx); None if
    not. One begun after configure() is Alembic's own: begin_transaction() adopts it (koschei's
    BDR probe). Each function that calls `context.run_migrations()` is read apart: Phoenix's
    offline function begins Alembic's transaction, and its online one `connection.begin()`."""
    text = _env_source(history)
    if text is None:
        return None
    starts = [m.start() for m in _DEF.finditer(text)]
    spans = [(start, next((s for s in starts if s > start), len(text))) for start in starts]
    running = [(start, end) for start, end in spans if _RUNS.search(text, start, end)] or [(0, len(text))]
    return min((line for start, end in running if (line := _outer_begin(text, start, end)) is not None),
               default=None)


_RUNS = re.compile(r"\bcontext\.run_migrations\(")


def _outer_begin(text: str, start: int, end: int) -> int | None:
    """env_outer_transaction() within one function of env.py (text[start:end])."""
    started = text.find("begin_transaction(", start, end)
    if started < 0:
        run = _RUNS.search(text, start, end)
        begin, execute = _OUTER_BEGIN.search(text, start, run.start() if run else end), None
        bound = end
    else:
        # only the function that begins Alembic's transaction: an execute in a custom operation's
        # implementation defined above it (open-event-server's stored procedures) runs inside it
        enclosing = max((m.start() for m in _DEF.finditer(text, start, started)), default=start)
        configured = text.find("configure(", enclosing, started)
        bound = configured if configured >= 0 else started
        begin = _OUTER_BEGIN.search(text, enclosing, bound)
        execute = _OWN_EXECUTE.search(text, enclosing, bound)
    if execute is not None and ".commit()" in text[execute.end():bound]:
        execute = None  # committed before Alembic begins (Netflix dispatch's search_path)
    first = min((m.start() for m in (begin, execute) if m is not None), default=None)
    return None if first is None else text.count("\n", 0, first) + 1

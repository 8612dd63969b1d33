"""[tool.migrate-lint] in pyproject.toml -> a frozen Config; unknown keys and rule names are errors."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from migrate_lint.catalog import Catalog, suggestion
from migrate_lint.errors import UserError
from migrate_lint.finding import Report, Severity
from migrate_lint.paths import read_file, read_text, real_folder, real_path

DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")
# how revisions run: while the previous release serves traffic (online), after the new release is live
# everywhere (after-release: the contract step of expand/contract), or with the application stopped
DEPLOYS = ("online", "after-release", "offline")
SECTION = "migrate-lint"
MAX_RENDER_TIMEOUT = 3600  # an hour per revision: inf or 1e300 overflowed the clocks it is added to


class ConfigError(UserError):
    pass


@dataclass(frozen=True)
class Config:
    """The settings of a run: defaults, then the config file, then the command line."""

    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    script_location: str | None = None
    dialect: str = "postgresql"
    dialect_source: str = ""  # where `dialect` came from; "" while it is only the default
    per_path_dialect: tuple[tuple[str, str], ...] = ()  # (glob of a version folder, dialect)
    name: str | None = None  # the alembic.ini section to read, as Alembic's -n NAME
    postgresql_version: int = 15
    mysql_version: str | None = None  # MySQL or MariaDB server version; None: a current release
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    fail_on: Severity = Severity.WARNING
    require_reason: bool = False
    naming_convention: bool | None = None  # None: detect from the project's source
    exclude: tuple[str, ...] = ()
    render: bool = True
    transaction_per_migration: bool = False
    application_modules: tuple[str, ...] = ()
    baseline: str | None = None
    since: str | None = None
    render_timeout: float = 10.0
    lock_timeout: str = "5s"  # what the missing-lock-timeout fix sets
    app: str | None = None  # drift: the Flask app, as FLASK_APP names it
    metadata: str | None = None  # drift: module:attribute of the models' MetaData
    drift_include: tuple[str, ...] = ()  # drift: only these tables (globs)
    drift_exclude: tuple[str, ...] = ()  # drift: tables owned by something else (globs)
    deploy: str | None = None  # how revisions run (None: online, but offline on SQLite): see lint.deploy
    per_branch_deploy: tuple[tuple[str, str], ...] = ()  # (branch label, deploy)
    per_path_deploy: tuple[tuple[str, str], ...] = ()  # (glob of revision files, deploy)
    max_per_rule: int = 5  # text output: findings of one rule shown per revision before "and N more"
    stats: str | None = None  # a `migrate-lint stats` snapshot: lock findings weighed by table size
    small_table_rows: int = 10_000  # below: lock findings one severity lower
    large_table_rows: int = 10_000_000  # above: lock warnings become errors
    stats_max_age_days: int = 30  # an older snapshot is reported as stale
    new_table_days: int = 30  # without a snapshot: lock findings on a table created this recently, lower

    @property
    def mysql_server_version(self) -> tuple[int, ...]:
        """The MySQL or MariaDB version verdicts assume: the configured one, else a current release."""
        if self.mysql_version:
            return tuple(int(p) for p in self.mysql_version.split("."))
        return (10, 11, 0) if self.dialect == "mariadb" else (8, 0, 36)

    def override(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"`{key}` must be a list of strings")
    return tuple(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"`{key}` must be true or false")
    return value


def _dialect(value: Any, key: str) -> str:
    if value not in DIALECTS:
        raise ValueError(f"`{key}` must be one of {', '.join(DIALECTS)}, not {value!r}")
    return str(value)


def _deploy(value: Any, key: str) -> str:
    if value not in DEPLOYS:
        raise ValueError(f"`{key}` must be one of {', '.join(DEPLOYS)}, not {value!r}")
    return str(value)


def _deploys(value: Any, key: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, _deploy(deploy, f"{key}.{name}")) for name, deploy in _mapping(value, key).items())


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"`{key}` must be a table")
    return value


PARSERS: dict[str, Any] = {
    "script-location": lambda v, k: v if isinstance(v, str) else _bad(k, "a string"),
    "dialect": _dialect,
    "per-path-dialect": lambda v, k: tuple(
        (glob, _dialect(dialect, f"{k}.{glob}")) for glob, dialect in _mapping(v, k).items()),
    "deploy": _deploy,
    "per-branch-deploy": _deploys,
    "per-path-deploy": _deploys,
    "postgresql-version": lambda v, k: v if isinstance(v, int) and v >= 9 else _bad(k, "an integer"),
    "mysql-version": lambda v, k: str(v) if re.match(r"^\d+(\.\d+){0,2}$", str(v)) else
    _bad(k, 'a version such as "8.0.32"'),
    "select": _strings,
    "extend-select": _strings,
    "ignore": _strings,
    "per-file-ignores": lambda v, k: tuple(
        (glob, _strings(codes, f"{k}.{glob}")) for glob, codes in _mapping(v, k).items()),
    "severity": lambda v, k: tuple(
        (rule, Severity.parse(str(level)).label) for rule, level in _mapping(v, k).items()),
    "fail-on": lambda v, k: Severity.parse(str(v)),
    "require-reason": _bool,
    "naming-convention": _bool,
    "exclude": _strings,
    "render": _bool,
    "transaction-per-migration": _bool,
    "application-modules": _strings,
    "baseline": lambda v, k: v if isinstance(v, str) and v else _bad(k, "a file path"),
    "since": lambda v, k: v if isinstance(v, str) and v else _bad(k, "a revision id"),
    "app": lambda v, k: v if isinstance(v, str) and v else _bad(k, "an app import path"),
    "metadata": lambda v, k: v if isinstance(v, str) and ":" in v else _bad(k, "module:attribute"),
    "drift-include": _strings,
    "drift-exclude": _strings,
    "lock-timeout": lambda v, k: v if isinstance(v, str) and re.fullmatch(r"\d+\s*(us|ms|s|min|h)?", v)
    else _bad(k, 'a duration such as "5s"'),
    "max-per-rule": lambda v, k: v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else
    _bad(k, "a positive integer"),
    "stats": lambda v, k: v if isinstance(v, str) and v else _bad(k, "a file path"),
    "small-table-rows": lambda v, k: _count(v, k),
    "large-table-rows": lambda v, k: _count(v, k),
    "stats-max-age-days": lambda v, k: _count(v, k),
    "new-table-days": lambda v, k: _count(v, k),
    "render-timeout": lambda v, k: _seconds(v, k),
}


def _seconds(value: Any, key: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= MAX_RENDER_TIMEOUT:
        return float(value)  # (nan fails the comparison too)
    return _bad(key, f"a number of seconds above 0 and at most {MAX_RENDER_TIMEOUT}")


def _count(value: Any, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return _bad(key, "a whole number")


def _bad(key: str, expected: str) -> Any:
    raise ValueError(f"`{key}` must be {expected}")


def _line_of(text: str, key: str) -> int | None:
    """The line of a key inside our section, for diagnostics (tomllib gives no positions)."""
    in_section = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            if re.match(rf'^\[\s*tool\.{SECTION}\.\s*"?{re.escape(key)}"?\s*\]', stripped):
                return number  # a key written as its own table: [tool.migrate-lint.per-branch-deploy]
            in_section = stripped.startswith(f"[tool.{SECTION}")
        elif in_section and re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
            return number
    return None


def _line_matching(text: str, pattern: str) -> int | None:
    return next((n for n, line in enumerate(text.splitlines(), 1) if re.match(pattern, line.strip())), None)


def parse(text: str, path: Path) -> Config:
    import tomllib  # only for a file with our section (find_pyproject): ~4 ms with what it imports

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path, int(match.group(1)) if match else None) from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError("`tool` must be a table ([tool.migrate-lint] holds the settings)", path,
                          _line_matching(text, r"^tool\s*="))
    section = tool.get(SECTION, {})
    if not isinstance(section, dict):
        raise ConfigError(f"`tool.{SECTION}` must be a table: [tool.{SECTION}] followed by key = value "
                          "lines", path, _line_matching(text, rf'^(tool\s*\.\s*)?"?{SECTION}"?\s*='))
    values: dict[str, Any] = {"root": path.parent, "source": path}
    for key, raw in section.items():
        if key not in PARSERS:
            known = ", ".join(sorted(PARSERS))
            raise ConfigError(f"unknown key `{key}` in [tool.{SECTION}]{suggestion(key, PARSERS)} "
                              f"(known keys: {known})",
                              path, _line_of(text, key))
        try:
            values[key.replace("-", "_")] = PARSERS[key](raw, key)
        except ValueError as exc:
            raise ConfigError(str(exc), path, _line_of(text, key)) from None
    if "dialect" in section:
        values["dialect_source"] = f"[tool.{SECTION}] dialect"
    return Config(**values)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.migrate-lint] section, from start upwards."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                if f"[tool.{SECTION}" in read_text(candidate):
                    return candidate
            except OSError:
                continue
    return None


PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def _file_project(file: Path) -> Path:
    """The project a named file belongs to: the nearest folder above it with a project file
    (pyproject.toml, setup.py, setup.cfg, .git), not above the working folder when the file is
    inside it, so that pre-commit, which names the changed files, reads the project's
    dependencies for the dialect as a check of the whole folder does."""
    folder = file.resolve().parent
    cwd = Path.cwd().resolve()
    inside = folder == cwd or cwd in folder.parents
    for candidate in [folder, *folder.parents]:
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
        if candidate == cwd:
            break
    return cwd if inside else folder


def load(path: Path | None, start: Path) -> Config:
    """Config from an explicit file, else the nearest pyproject.toml, else the defaults."""
    if path is None:
        path = find_pyproject(start)
        if path is None:
            return Config(root=start.resolve() if start.is_dir() else _file_project(start))
    try:
        text = read_file(path).decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror or exc}", path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read config: {exc}", path) from None
    return parse(text, path)


@dataclass(frozen=True)
class RuleSelection:
    """Which rules run, at which severity, and which are ignored for which files."""

    enabled: frozenset[str]
    severities: dict[str, Severity]
    per_file: tuple[tuple[str, frozenset[str]], ...]
    root: Path
    configured: frozenset[str] = frozenset()  # rules whose severity the config sets: it always wins

    def matches(self, path: Path, patterns: tuple[str, ...]) -> bool:
        """Whether a glob matches the path relative to the config's folder, or its name."""
        try:
            relative = real_path(path).relative_to(real_folder(self.root)).as_posix()
        except ValueError:
            relative = path.as_posix()
        return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(path.name, p) for p in patterns)

    def ignored_for(self, path: Path) -> frozenset[str]:
        codes: set[str] = set()
        for pattern, ignored in self.per_file:
            if self.matches(path, (pattern,)):
                codes |= ignored
        return frozenset(codes)


def select_rules(config: Config, catalog: Catalog) -> RuleSelection:
    def codes(selectors: tuple[str, ...], key: str) -> set[str]:
        found: set[str] = set()
        for selector in selectors:
            matched = catalog.matching(selector)
            if not matched:
                raise ConfigError(f"`{key}` names {selector!r}, which matches no rule"
                                  f"{catalog.suggest(selector)} (see `migrate-lint rules`)", config.source,
                                  _line_of_source(config, key))
            found |= {rule.code for rule in matched}
        return found

    enabled = codes(config.select, "select") if config.select else {
        r.code for r in catalog.rules if r.default}
    enabled |= codes(config.extend_select, "extend-select")
    enabled -= codes(config.ignore, "ignore")
    severities = {r.code: r.severity for r in catalog.rules}
    configured = set()
    for rule, level in config.severity:
        for code in codes((rule,), "severity"):
            severities[code] = Severity.parse(level)
            configured.add(code)
    per_file = tuple((glob, frozenset(codes(rules, "per-file-ignores")))
                     for glob, rules in config.per_file_ignores)
    return RuleSelection(frozenset(enabled), severities, per_file, config.root, frozenset(configured))


def line_of_key(config: Config, key: str) -> int | None:
    """The line of a key in the config file, for errors found after the file was read."""
    return _line_of_source(config, key)


def _line_of_source(config: Config, key: str) -> int | None:
    if config.source is None:
        return None
    try:
        return _line_of(config.source.read_text(encoding="utf-8"), key)
    except OSError:
        return None


@dataclass(frozen=True)
class CheckOutcome:
    """What a `check` or `drift` run gives the command line: its report, under the config it ran with."""

    report: Report
    config: Config

    @property
    def fail_on(self) -> Severity:
        return self.config.fail_on

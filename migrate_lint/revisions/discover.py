"""Where the revision files are: script locations from alembic.ini, Flask-Migrate, config or a search."""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from migrate_lint.config import Config
from migrate_lint.errors import UserError
from migrate_lint.finding import InputError
from migrate_lint.paths import read_text
from migrate_lint.revisions.dialect import DEFAULT_SOURCE, infer

SKIP_DIRS = frozenset({
    ".git", ".hg", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__",
    "site-packages", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache",
})
# deep enough for a history shipped inside a package of a src layout (evidently keeps its
# alembic.ini in src/evidently/ui/service/storage/sql/migrations, seven folders down)
SEARCH_DEPTH = 8
PACKAGE_FOLDERS = frozenset({"alembic", "migrations"})  # a plugin's revisions, with no env.py of its own
TEMPLATED = re.compile(r"\{[^{}]*\}")  # str.format fields, left for the application
LOOKED_FOR = ("alembic.ini, migrations/alembic.ini, [tool.migrate-lint] script-location, "
              "a versions folder, revision files next to script.py.mako or in an alembic or migrations "
              "folder, or revision files")


class DiscoveryError(UserError):
    pass


class MissingVersionFolder(DiscoveryError):
    pass


class UnresolvedLocation(DiscoveryError):
    pass


@dataclass(frozen=True)
class History:
    """One independent revision history: its script location and its version files."""

    script_location: Path
    version_dirs: tuple[Path, ...]
    files: tuple[Path, ...]
    targets: frozenset[Path] | None = None  # set when single files were named: report only these
    ini: Path | None = None  # the alembic.ini it was read from, and its section (Alembic's -n)
    section: str | None = None
    ini_url: str | None = None  # that section's sqlalchemy.url, read for its dialect only
    dialect: str | None = None  # set by find_histories; None: the config's
    dialect_source: str = ""  # where the dialect came from, for the summary

    def is_target(self, path: Path) -> bool:
        return self.targets is None or path in self.targets

    @property
    def cache_key(self) -> str:
        """What names this history's caches: its version folders, as absolute paths."""
        return "|".join(os.path.abspath(d) for d in self.version_dirs)


def version_files(version_dirs: tuple[Path, ...]) -> tuple[Path, ...]:
    """Python files below the version folders, nested folders included, in a stable order."""
    # by path parts: sorting Path objects costs ten times more; each file is its folder's child
    # (a third of the cost of a Path made from all its parts)
    found: dict[tuple[str, ...], Path] = {}
    for top in version_dirs:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            folder = Path(dirpath)
            found.update(
                ((*folder.parts, name), folder / name) for name in filenames
                if name.endswith(".py") and name != "__init__.py" and not name.startswith(".#")
            )
    return tuple(found[parts] for parts in sorted(found))


def _split_locations(value: str, separator: str | None) -> list[str]:
    seps = {"space": " ", "newline": "\n", ":": ":", ";": ";", "os": os.pathsep}
    parts = value.split(seps[separator]) if separator in seps else re.split(r"[,\s]+", value)
    return [p.strip() for p in parts if p.strip()]


def _resolve_location(value: str, base: Path) -> Path:
    """A script location as a path; `package:sub:folder` is found on disk without importing."""
    if ":" in value and not re.match(r"^[A-Za-z]:[\\/]", value) and not Path(value).is_absolute():
        package, *parts = value.split(":")  # as Alembic: later colons separate folders too
        for folder in (base, *base.parents):
            for root in (folder, folder / "src"):
                candidate = root.joinpath(*package.split("."), *parts)
                if candidate.is_dir():
                    return candidate
        raise UnresolvedLocation(f"cannot find package location {value!r} without importing it; "
                             "set [tool.migrate-lint] script-location to its folder")
    path = Path(value)
    return path if path.is_absolute() else base / path


def _histories(script_location: Path, version_dirs: list[Path] | None = None,
               recursive: bool = False) -> list[History]:
    """The histories of a script location.

    Alembic reads nested version folders only with `recursive_version_locations`; a versions
    folder with no revision of its own but subfolders that hold some (one per dialect, say) is a
    set of independent histories, chosen between by env.py.
    """
    dirs = tuple(version_dirs) if version_dirs else (script_location / "versions",)
    missing = [d for d in dirs if not d.is_dir()]
    if missing:
        raise MissingVersionFolder(f"version folder {missing[0].as_posix()} does not exist")
    if recursive or len(dirs) > 1 or _looks_like_versions(dirs[0]):
        files = version_files(dirs)
        return [History(script_location, dirs, files if recursive else _loaded(dirs, files))]
    subfolders = sorted(d for d in dirs[0].iterdir() if d.is_dir() and d.name not in SKIP_DIRS
                        and _looks_like_versions(d, nested=True))
    if not subfolders:
        return [History(script_location, dirs, version_files(dirs))]
    return [History(script_location, (d,), version_files((d,))) for d in subfolders]


_HEADER_LINK = re.compile(
    r"^(?:revision|down_revision|depends_on)\b[^=\n]*=\s*(\([^)]*\)|\[[^\]]*\]|[^\n]*)", re.M)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def _loaded(dirs: tuple[Path, ...], files: tuple[Path, ...]) -> tuple[Path, ...]:
    """The files Alembic loads from version folders read without `recursive_version_locations`:
    those at the top, and a subfolder's only where its revisions link to them (neutron's release
    folders, which its own command line adds to the version locations). A subfolder whose
    revisions form a graph of their own is an archive Alembic never reads (wps's versions/archive,
    replaced by a squashed initial schema)."""
    top: list[Path] = []
    units: dict[Path, list[Path]] = {}
    for path in files:
        if path.parent in dirs:
            top.append(path)
        else:
            base = next(d for d in dirs if d in path.parents)
            units.setdefault(base / path.relative_to(base).parts[0], []).append(path)
    if not units:
        return files
    links = {path: _header_links(path) for path in files}
    ids = {path: link[0] for path, link in links.items()}
    refs = {path: link[1] for path, link in links.items()}
    known = set().union(*(ids[p] for p in top))
    wanted = set().union(*(refs[p] for p in top))
    kept = set(top)
    grew = True
    while grew:
        grew = False
        for unit, members in list(units.items()):
            unit_ids = set().union(*(ids[p] for p in members))
            unit_refs = set().union(*(refs[p] for p in members))
            if unit_refs & known or unit_ids & wanted:
                kept.update(members)
                known |= unit_ids
                wanted |= unit_refs
                del units[unit]
                grew = True
    return tuple(path for path in files if path in kept)


def _header_links(path: Path) -> tuple[set[str], set[str]]:
    """The revision ids a file defines and the ones it names as parents or dependencies, read
    from the header's assignments as text (a file that cannot be read links to nothing)."""
    try:
        text = read_text(path)
    except OSError:
        return set(), set()
    defined: set[str] = set()
    named: set[str] = set()
    for match in _HEADER_LINK.finditer(text):
        values = set(_QUOTED.findall(match.group(1)))
        (defined if match.group(0).startswith("revision") else named).update(values)
    return defined, named


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _sections(parser: configparser.ConfigParser, name: str | None, ini: Path) -> list[str | None]:
    """The sections that are histories: the one named (Alembic's -n), else [alembic], else every
    section with a script_location (a multi-tenant ini read with `alembic -n core`, whose
    [alembic] may hold only settings the others share, as Netflix's dispatch does)."""
    if name is not None:
        if not parser.has_section(name):
            raise DiscoveryError(f"alembic.ini has no section [{name}] (--name)", ini)
        return [name]
    named = [s for s in parser.sections() if parser.has_option(s, "script_location")]
    if parser.has_section("alembic") and ("alembic" in named or not named):
        return ["alembic"]  # an [alembic] without a location is Flask-Migrate's: the ini's folder
    return named or [None]  # type: ignore[return-value]  # [alembic] holding only shared settings


def from_alembic_ini(ini: Path, name: str | None = None) -> list[History]:
    here = ini.parent.resolve()  # Alembic substitutes an absolute %(here)s
    parser = configparser.ConfigParser(defaults={"here": str(here)})
    found: list[History] = []
    try:
        parser.read(ini, encoding="utf-8")
        for section in _sections(parser, name, ini):
            found += _section_histories(parser, section, ini)
    except configparser.ParsingError as exc:
        line, text = exc.errors[0]
        raise DiscoveryError(f"cannot read alembic.ini: not a `key = value` line: {text.strip()!r}",
                             ini, line) from None
    except (configparser.Error, UnicodeDecodeError) as exc:
        at = getattr(exc, "lineno", None)
        raise DiscoveryError(f"cannot read alembic.ini: {str(exc).splitlines()[0]}", ini, at) from None
    return found


def _section_histories(parser: configparser.ConfigParser, section: str | None, ini: Path) -> list[History]:
    def get(key: str, fallback: str | None = None) -> str | None:
        return parser.get(section, key, fallback=fallback) if section else fallback

    location, versions = get("script_location"), get("version_locations")
    # Flask-Migrate's alembic.ini has no script_location: the folder holding it is the location.
    templated = bool(location and TEMPLATED.search(location))
    script_location = ini.parent if not location or templated else _resolve_location(location, ini.parent)
    if (templated or not script_location.is_dir()) and not versions:
        script_location = _beside(ini) or script_location
        if templated and script_location == ini.parent and not (ini.parent / "versions").is_dir():
            raise DiscoveryError(f"script_location {location!r} is filled in by the application when it "
                                 "runs; set [tool.migrate-lint] script-location to the folder", ini)
    separator = get("version_path_separator")
    dirs = [_resolve_location(v, ini.parent) for v in _split_locations(versions, separator)] \
        if versions else None
    url = parser.get(section, "sqlalchemy.url", raw=True, fallback=None) if section else None
    return [replace(h, ini=ini, section=section, ini_url=url)
            for h in _histories(script_location, dirs, _flag(get("recursive_version_locations", "")))]


def _beside(ini: Path) -> Path | None:
    """Where the revisions are when script_location does not say: a value the application fills in
    when it runs (`{alembic_dir}`, JupyterHub's packaged ini) or a path inside its container image
    (`/usr/src/app/migrations`, HOT's tasking manager). The ini's own folder when it holds env.py and
    versions/, else the one folder beside it that does."""
    def is_location(folder: Path) -> bool:
        return (folder / "env.py").is_file() and (folder / "versions").is_dir()
    if is_location(ini.parent):
        return ini.parent
    beside = [d for d in ini.parent.iterdir() if d.is_dir() and is_location(d)]
    return beside[0] if len(beside) == 1 else None


def _pyproject_alembic(pyproject: Path) -> list[History] | None:
    """Alembic 1.16+ reads `[tool.alembic] script_location` from pyproject.toml."""
    import tomllib  # here only: most histories have an alembic.ini, and a check pays ~4 ms for it

    try:
        data = tomllib.loads(read_text(pyproject, errors="strict"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # reported by config loading when it is our config that is broken
    tool = data.get("tool")
    section = tool.get("alembic") if isinstance(tool, dict) else None  # `tool = 5` is not ours to report
    if not isinstance(section, dict) or not isinstance(section.get("script_location"), str):
        return None
    location = section["script_location"]
    base = pyproject.parent
    location = location.replace("%(here)s", str(base))
    raw = section.get("version_locations")
    dirs = [_resolve_location(v.replace("%(here)s", str(base)), base) for v in raw if isinstance(v, str)] \
        if isinstance(raw, list) else None
    return _histories(_resolve_location(location, base), dirs,
                      _flag(section.get("recursive_version_locations", False)))


def _looks_like_versions(folder: Path, nested: bool = False, limit: int = 50) -> bool:
    """Whether a folder (or, if nested, its subfolders) has a file assigning `revision` at line start."""
    files = folder.rglob("*.py") if nested else folder.glob("*.py")
    for _, path in zip(range(limit), files, strict=False):
        if not path.is_file():  # a FIFO named x.py would block the read below forever
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                if re.search(r"^(down_)?revision\b", handle.read(4096), re.M):
                    return True
        except OSError:
            continue
    return False


def _search(root: Path, name: str | None, passed_over: list[DiscoveryError]) -> Iterator[History]:
    """Every history below a folder: alembic.ini files, script locations with a versions folder,
    Flask-Alembic's migrations folder (revisions next to script.py.mako, no versions folder) and a
    package's `alembic` or `migrations` folder of revisions (Invenio's modules, Indico's plugins).

    An alembic.ini whose versions folder or package is not there is a template or a deployment's
    copy (zou's plugin template; datanommer's ansible role, whose package lives elsewhere in the
    image): it is passed over, into `passed_over`, so that it stops nothing else from being checked."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        depth = len(here.relative_to(root).parts)
        dirnames[:] = [] if depth >= SEARCH_DEPTH else sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".") and d != "versions")
        if "alembic.ini" in filenames:
            try:
                yield from from_alembic_ini(here / "alembic.ini", name)
            except (MissingVersionFolder, UnresolvedLocation) as exc:
                passed_over.append(exc)
        elif (here / "versions").is_dir() and (
                "env.py" in filenames or "script.py.mako" in filenames
                or _looks_like_versions(here / "versions", nested=True)):
            yield from _histories(here)
        elif ("script.py.mako" in filenames or here.name in PACKAGE_FOLDERS) and _looks_like_versions(here):
            # a package's own folder of revisions is a plugin's history, which the application adds
            # to its version locations: Invenio modules' `alembic` (through invenio-db's entry
            # point), Indico plugins' `migrations`
            yield History(here, (here,), version_files((here,)))


def discover_dir(folder: Path, script_location: Path | None = None, name: str | None = None) -> list[History]:
    if script_location is not None:
        if (script_location / "alembic.ini").is_file():
            return from_alembic_ini(script_location / "alembic.ini", name)
        if (script_location / "versions").is_dir():
            return _histories(script_location)
        return [History(script_location, (script_location,), version_files((script_location,)))]
    if (folder / "alembic.ini").is_file():
        return from_alembic_ini(folder / "alembic.ini", name)
    if (folder / "pyproject.toml").is_file() and (found := _pyproject_alembic(folder / "pyproject.toml")):
        return found
    if (folder / "migrations" / "alembic.ini").is_file():
        return from_alembic_ini(folder / "migrations" / "alembic.ini", name)
    if (folder / "versions").is_dir():
        return _histories(folder)
    if _looks_like_versions(folder):
        return [History(folder, (folder,), version_files((folder,)))]
    unique: dict[tuple[Path, ...], History] = {}
    passed_over: list[DiscoveryError] = []
    for history in _search(folder, name, passed_over):
        unique.setdefault(tuple(d.resolve() for d in history.version_dirs), history)
    if not unique and passed_over:
        raise passed_over[0]  # the one history there is, and why it cannot be read
    return _uncovered(list(unique.values()))


def _uncovered(histories: list[History]) -> list[History]:
    """The histories but those whose every file another one already reads: a history with
    recursive_version_locations reads its year folders (dstack's versions/2023, ...), which the
    search also finds as folders of revisions on their own, and would check every file twice."""
    if len(histories) < 2:
        return histories
    files = [frozenset(f.resolve() for f in h.files) for h in histories]
    return [h for h, mine in zip(histories, files, strict=True)
            if not any(mine < other for other in files)]


def discover_files(files: list[Path]) -> list[History]:
    """Single files: each is checked against the other revisions of its own folder."""
    by_dir: dict[Path, set[Path]] = {}
    for path in files:
        folder = path.parent
        for parent in path.parents:
            if parent.name == "versions":
                folder = parent
                break
        by_dir.setdefault(folder, set()).add(path)
    histories = []
    for folder, targets in by_dir.items():
        files_in = version_files((folder,))
        histories.append(History(folder, (folder,), tuple(sorted(set(files_in) | targets)),
                                 frozenset(targets)))
    return histories


def find_histories(paths: list[Path], config: Config) -> tuple[list[History], list[InputError]]:
    histories: list[History] = []
    errors: list[InputError] = []
    files = [p for p in paths if p.is_file()]
    if files:
        histories += discover_files(files)
    location = config.root / config.script_location if config.script_location else None
    for path in paths:
        if not path.exists():
            errors.append(InputError(path, None, "no such file or folder"))
        elif path.is_dir():
            try:
                found = discover_dir(path, location, config.name)
            except DiscoveryError as exc:
                errors.append(InputError(exc.path or path, exc.line, exc.message))
                continue
            if not found:
                errors.append(InputError(path, None, f"no Alembic revisions found (looked for {LOOKED_FOR})"))
            histories += found
    return with_siblings_dialect([with_dialect(h, config) for h in _merged(histories)]), errors


def _merged(histories: list[History]) -> list[History]:
    """One history per set of version folders: two paths that reach the same one (`check .
    migrations/versions`) check its files once, every file if either path meant them all."""
    by_dirs: dict[tuple[Path, ...], History] = {}
    for history in histories:
        key = tuple(d.resolve() for d in history.version_dirs)
        known = by_dirs.get(key)
        if known is None:
            by_dirs[key] = history
        elif known.targets is not None:
            targets = None if history.targets is None else known.targets | history.targets
            by_dirs[key] = replace(history if targets is None else known, targets=targets)
    return list(by_dirs.values())


def with_dialect(history: History, config: Config) -> History:
    """The history with the dialect it is checked for, and where that came from."""
    label = "alembic.ini" if history.section in (None, "alembic") else f"alembic.ini [{history.section}]"
    found = infer(config, history.version_dirs, history.ini_url, label, history.script_location / "env.py",
                  history.script_location)
    return replace(history, dialect=found.name, dialect_source=found.source)


def with_siblings_dialect(histories: list[History]) -> list[History]:
    """A history nothing names a dialect for takes the one the project's other histories show, when
    they all show the same: altair's extauth and famiport histories beside its MySQL ticketing and
    cms ones run on the same MySQL server."""
    known = [h for h in histories if h.dialect and not h.dialect_source.startswith(DEFAULT_SOURCE)]
    if len({h.dialect for h in known}) != 1 or len(known) == len(histories):
        return histories
    shown = ", ".join(h.script_location.as_posix() for h in known[:2]) + (", ..." if len(known) > 2 else "")
    source = f"the project's other histories ({shown}) are {known[0].dialect}: {known[0].dialect_source}"
    named = {id(h) for h in known}
    return [h if id(h) in named else replace(h, dialect=known[0].dialect, dialect_source=source)
            for h in histories]


def one_history(paths: list[Path], config: Config, command: str) -> tuple[History, list[InputError]]:
    """The single history a command that runs revisions works on, with the input errors met beside
    it; else a one-line error naming what was found (`command`: how that error starts)."""
    histories, errors = find_histories(paths or [Path(".")], config)
    if not histories and errors:
        raise UserError(errors[0].describe())
    if len(histories) != 1:
        where = ", ".join(h.script_location.as_posix() for h in histories) or "none found"
        raise UserError(f"{command}; name its folder ({where})")
    return histories[0], errors

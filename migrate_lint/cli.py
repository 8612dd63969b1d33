"""Command line: parse arguments, choose inputs and formatter, decide the exit code. No logic."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from migrate_lint import __version__
from migrate_lint.errors import UserError, printable, redact
from migrate_lint.formatters import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")
SEVERITIES = ("info", "warning", "error")

# Every option, declared once: flags and argparse settings. A command lists the options it takes
# (COMMANDS) and may word an option's help for itself.
OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "paths": (("paths",), {"nargs": "*", "type": Path, "metavar": "PATH",
                           "help": "project folders, script locations, versions folders or revision files"}),
    "format": (("--format",), {"choices": FORMATS, "default": "text"}),
    "also": (("--also",), {"action": "append", "default": [], "metavar": "FORMAT:FILE",
                           "help": "also write the report in another format to a file (repeatable), "
                                   "e.g. --also sarif:results.sarif --also markdown:$GITHUB_STEP_SUMMARY"}),
    "output": (("-o", "--output"), {"type": Path, "metavar": "FILE", "help": "write the report to FILE"}),
    "config": (("--config",), {"type": Path, "metavar": "FILE",
                               "help": "pyproject.toml to read settings from"}),
    "select": (("--select",), {"metavar": "RULES", "help": "comma-separated codes, prefixes or names"}),
    "extend-select": (("--extend-select",), {"metavar": "RULES", "help": "rules to add to the selection"}),
    "ignore": (("--ignore",), {"metavar": "RULES", "help": "rules to leave out"}),
    "dialect": (("--dialect",), {"choices": DIALECTS}),
    "script-location": (("--script-location",), {"metavar": "DIR", "help": "the Alembic script location"}),
    "name": (("-n", "--name"), {"metavar": "NAME", "help": "the alembic.ini section to read, as alembic -n "
                                "(default: [alembic], else every section with a script_location)"}),
    "fail-on": (("--fail-on",), {"choices": SEVERITIES,
                                 "help": "lowest severity that makes the exit code 1 (default: warning)"}),
    "exit-zero": (("--exit-zero",), {"action": "store_true", "help": "exit 0 even when there are findings"}),
    "no-execute": (("--no-execute",), {"action": "store_true",
                                       "help": "never import or run anything from the checked project: "
                                               "AST checks only, no rendering to SQL"}),
    "base": (("--base",), {"metavar": "REF",
                           "help": "pull-request mode: check only revisions added or changed since the merge "
                                   "base with REF (graph rules still see the whole tree)"}),
    "no-cache": (("--no-cache",), {"action": "store_true",
                                   "help": "do not read or write the cache of per-file results"}),
    "app": (("--app",), {"metavar": "IMPORT",
                         "help": "the Flask app, as FLASK_APP names it (default: $FLASK_APP)"}),
    "metadata": (("--metadata",), {"metavar": "MODULE:ATTR",
                                   "help": "the models' MetaData, declarative base or Flask-SQLAlchemy db"}),
    "database-url": (("--database-url",), {
        "metavar": "URL", "help": "a PostgreSQL or MySQL/MariaDB server to create the scratch database on "
                                  "(default: a temporary SQLite file); the database it names is never "
                                  "migrated"}),
    "allow-url-rights": (("--allow-url-rights",), {
        "action": "store_true", "help": "if the --database-url login cannot create the throwaway login "
                                        "revisions run as, run them with its own rights (a warning says "
                                        "so)"}),
    "clean-stale": (("--clean-stale",), {
        "action": "store_true", "help": "drop scratch databases and logins on the --database-url server that "
                                        "earlier runs left behind (older than an hour, their process gone), "
                                        "then stop"}),
    "live-url": (("--live-url",), {"metavar": "URL",
                                   "help": "compare this live database with the models instead, read-only"}),
    "roundtrip": (("--roundtrip",), {"action": "store_true",
                                     "help": "also downgrade and upgrade each revision, checking the schema "
                                             "comes back"}),
    "runner": (("--runner",), {"choices": ("auto", "env", "builtin"), "default": "auto",
                               "help": "env: the project's env.py; builtin: migrate-lint's own (default: "
                                       "env.py when it is a standard template that can be bound to the "
                                       "scratch database)"}),
    "include-tables": (("--include-tables",), {"metavar": "GLOBS", "help": "compare only these tables"}),
    "exclude-tables": (("--exclude-tables",), {"metavar": "GLOBS",
                                               "help": "leave out tables owned by something else"}),
    "fix": (("--fix",), {"action": "store_true",
                         "help": "rewrite revisions that are not applied yet to fix what has a safe fix"}),
    "diff": (("--diff",), {"action": "store_true",
                           "help": "print the fixes as a unified diff instead of writing them "
                                   "(exit 1 if any)"}),
    "unsafe-fixes": (("--unsafe-fixes",), {"action": "store_true",
                                           "help": "with --fix or --diff, also apply fixes that change "
                                                   "behaviour"}),
    "rule": (("rule",), {"metavar": "NAME_OR_CODE"}),
    "statistics": (("--statistics",), {"action": "store_true",
                                       "help": "text: count findings per rule instead of listing them"}),
    "quiet": (("--quiet", "-q"), {"action": "store_true", "help": "text: findings only, no summary"}),
    "stats": (("--stats",), {"type": Path, "metavar": "FILE",
                             "help": "a `migrate-lint stats` snapshot: lock findings weighed by the "
                                     "size of their table"}),
    "rows": (("--rows",), {"type": int, "default": 0, "metavar": "N",
                           "help": "fill each existing table with N generated rows before the revisions "
                                   "that touch it"}),
    "from": (("--from",), {"dest": "start", "metavar": "REV",
                           "help": "upgrade to REV untraced, then trace from there to the heads"}),
    "debug": (("--debug",), {"action": "store_true", "help": "show tracebacks of internal errors"}),
}
REPORTING = ("format", "also", "output", "config", "select", "ignore", "dialect", "name", "fail-on",
             "exit-zero", "statistics", "quiet")
COMMANDS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "check": ("lint revision histories (default: the current folder)",
              ("paths", *REPORTING, "extend-select", "script-location", "no-execute", "base", "no-cache",
               "stats", "fix", "diff", "unsafe-fixes", "debug"),
              {}),
    "drift": ("upgrade a scratch database and compare it with the models",
              ("paths", "app", "metadata", "database-url", "allow-url-rights", "clean-stale", "live-url",
               "roundtrip", "runner",
               "include-tables", "exclude-tables", *REPORTING, "debug"),
              {"paths": "the project or its script location (default: the current folder, or the "
                        "Flask-Migrate directory of the app)",
               "dialect": "the production dialect (a SQLite stand-in for another is reported)",
               "exit-zero": "exit 0 even when there is drift"}),
    "baseline": ("record today's findings so that only new ones fail",
                 ("paths", "config", "output", "no-execute", "debug"),
                 {"output": "where to write it (default: the config's baseline, "
                            "else .migrate-lint-baseline.json)",
                  "no-execute": "AST checks only"}),
    "stats": ("snapshot a live database's table sizes (read-only) for check --stats",
              ("live-url", "output", "config", "debug"),
              {"live-url": "the database to read table sizes from, read-only (required)",
               "output": "where to write the JSON snapshot (default: the config's `stats`, else "
                         "standard output)"}),
    "lock": ("write migrate-lint.lock: revisions' parents and checksums", ("paths", "config", "debug"), {}),
    "trace": ("run the history on a scratch database and record the locks and rewrites the server does",
              ("paths", "database-url", "rows", "from", "output", "config", "debug"),
              {"database-url": "the PostgreSQL or MySQL/MariaDB server to trace on (required); the "
                               "database it names is never migrated"}),
    "rule": ("show the documentation of one rule", ("rule", "debug"), {}),
    "rules": ("list every rule", ("debug",), {}),
}


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size() tells it, without importing shutil (and the
    compression modules it loads, ~4 ms of a check): $COLUMNS, else the terminal's, else 80."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, told the width (argparse makes one for every option it adds, and
    asks shutil for the width when none is given)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """argparse, with a "did you mean" for a mistyped command, option or choice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"formatter_class": _Formatter, **kwargs})

    def error(self, message: str) -> NoReturn:
        from migrate_lint.catalog import suggestion

        if match := re.search(r"unrecognized arguments: (\S+)", message):
            word = match.group(1).split("=")[0]
            message += suggestion(word, [flag for option, _ in OPTIONS.values() for flag in option
                                         if flag.startswith("-")])
        elif match := re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message):
            message += suggestion(match.group(1), re.findall(r"'([^']*)'", match.group(2)))
        super().error(message)


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; `only`: the command the arguments name, the one subparser built
    (argparse makes a help formatter for each option it adds, and a check reads only its own)."""
    parser = _Parser(
        prog="migrate-lint",
        description="Catch unsafe Alembic and Flask-Migrate revisions before they merge.")
    parser.add_argument("--version", action="version", version=f"migrate-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, options, helps) in COMMANDS.items():
        if only in COMMANDS and name != only:
            continue
        command = commands.add_parser(name, help=summary)
        for option in options:
            flags, settings = OPTIONS[option]
            command.add_argument(*flags, **(settings | ({"help": helps[option]} if option in helps else {})))
    if "trace" in commands.choices:
        commands.choices["trace"].add_argument("--format", choices=("text", "json", "markdown"),
                                               default="text", help="json carries the full trace")
    if "rules" in commands.choices:
        commands.choices["rules"].add_argument(
            "--format", choices=("text", "json", "markdown"), default="text",
            help="markdown: the full rule reference (docs/rules.md)")
    return parser


def _split(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


def _selection(args: argparse.Namespace) -> dict[str, Any]:
    """The config overrides every reporting command takes."""
    from migrate_lint.finding import Severity

    return {"select": _split(args.select), "ignore": _split(args.ignore), "dialect": args.dialect,
            "name": args.name, "fail_on": Severity.parse(args.fail_on) if args.fail_on else None}


def _check(args: argparse.Namespace) -> int:
    _also(args)
    import gc

    # a check's imports, catalogue and run hold no garbage cycles (see Engine.run): the collector's
    # ~40 passes over what they allocate would free nothing (~5 ms of a check's start-up)
    collecting = gc.isenabled()
    gc.disable()
    try:
        from migrate_lint.lint import run

        overrides = _selection(args) | {"extend_select": _split(args.extend_select),
                                        "script_location": args.script_location,
                                        "stats": str(args.stats.resolve()) if args.stats else None}
        outcome = run.check(args.paths or [Path(".")], args.config, overrides, use_cache=not args.no_cache,
                            execute=not args.no_execute, base=args.base,
                            started_worker=args.started_worker)
    finally:
        if collecting:
            gc.enable()
    if args.fix or args.diff or {args.format, *(kind for kind, _ in _also(args))} & {"json", "sarif"}:
        outcome, code = _fixes(args, outcome)
        if code is not None:
            return code
    return _report(args, outcome)


def _fixes(args: argparse.Namespace, outcome: Any) -> tuple[Any, int | None]:
    """Findings with their fixes (json and sarif show them); --fix writes them, --diff prints them."""
    from dataclasses import replace

    from migrate_lint.cache.store import cache_dir
    from migrate_lint.fix.apply import FixOptions, fix
    from migrate_lint.paths import real_path

    asked = frozenset(real_path(p) for p in args.paths if p.suffix == ".py" and p.is_file())
    shown = bool({args.format, *(kind for kind, _ in _also(args))} & {"json", "sarif"})
    options = FixOptions(args.unsafe_fixes, asked, None if args.no_cache else cache_dir(), args.base, shown)
    result = fix(outcome, args.paths or [Path(".")], options, apply=args.fix or args.diff)
    for note in result.notes:
        print(f"migrate-lint: {note}", file=sys.stderr)
    if args.diff:
        sys.stdout.write("".join(file.diff() for file in result.files))
        return outcome, EXIT_FINDINGS if result.files else EXIT_CLEAN
    if args.fix:
        for file in result.files:
            with open(file.path, "w", encoding="utf-8", newline="") as target:
                target.write(file.after)
        count = sum(len(file.fixed) for file in result.files)
        print(f"migrate-lint: fixed {count} finding{'s' * (count != 1)} in {len(result.files)} "
              f"file{'s' * (len(result.files) != 1)}", file=sys.stderr)
    return replace(outcome, report=result.report), None


def _also(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """--also FORMAT:FILE pairs; a bad one is a usage error before anything runs."""
    found = []
    for extra in args.also:
        kind, _, target = extra.partition(":")
        if kind not in FORMATS or not target:
            raise UserError(f"--also {extra!r}: expected FORMAT:FILE, FORMAT one of {', '.join(FORMATS)}")
        found.append((kind, Path(target)))
    return found


def _report(args: argparse.Namespace, outcome: Any) -> int:
    """Write the report in the chosen format; the exit code from errors, findings and fail-on."""
    from migrate_lint.formatters import get

    unwritten = [problem for kind, target in _also(args)
                 if (problem := _write(target, get(kind)(outcome.report)))]
    if args.format == "text":
        from migrate_lint.formatters.text_format import TextOptions, render

        options = TextOptions(colour=args.output is None and _colour(sys.stdout), quiet=args.quiet,
                              statistics=args.statistics, per_rule=outcome.config.max_per_rule)
        text = render(outcome.report, options)
    else:
        text = get(args.format)(outcome.report)
    if args.output and (problem := _write(args.output, text)):
        unwritten.append(problem)
        args.output = None  # the report is never lost: it goes to stdout instead
    if not args.output:
        _stdout(text)
    if args.format != "text" or args.output:
        for error in outcome.report.errors:
            print(f"migrate-lint: {printable(error.describe())}", file=sys.stderr)
    for problem in unwritten:
        print(f"migrate-lint: {problem}", file=sys.stderr)
    if outcome.report.errors or unwritten:
        return EXIT_ERROR
    if outcome.report.at_or_above(outcome.fail_on) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _colour(stream: Any) -> bool:
    """Colour on a terminal; NO_COLOR (any value) turns it off, FORCE_COLOR on (https://no-color.org)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def _write(target: Path, text: str) -> str | None:
    """Write a report file, creating its folders as needed; a one-line problem if that fails."""
    from migrate_lint.finding import display_path

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except FileExistsError as exc:  # mkdir met a file where a folder belongs
        return printable(f"cannot write {display_path(target)}: {display_path(Path(exc.filename))} "
                         "is not a folder")
    except OSError as exc:
        return printable(f"cannot write {display_path(target)}: {exc.strerror or exc}")
    return None


def _stdout(text: str) -> None:
    """Write to stdout; a reader that went away (`| head`) ends the output quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    """Python's recipe for a closed pipe: point stdout at devnull, so the flush at exit is quiet."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _drift(args: argparse.Namespace) -> int:
    import os

    from migrate_lint.drift import run as drift

    if args.clean_stale:
        from migrate_lint.database.scratch import clean_stale

        dropped = clean_stale(args.database_url)
        for name in dropped:
            print(f"dropped {name}")
        print(f"{len(dropped)} stale scratch databases and logins dropped")
        return EXIT_CLEAN
    overrides = _selection(args) | {"drift_include": _split(args.include_tables),
                                    "drift_exclude": _split(args.exclude_tables)}
    options = drift.DriftOptions(args.app, args.metadata, args.database_url, args.live_url, args.roundtrip,
                                 args.runner, args.flask_app, args.allow_url_rights)
    notes: list[str] = []
    if sys.stderr.isatty() and not os.environ.get("CI"):  # a progress bar, never in CI logs
        from migrate_lint.formatters.progress import BarStream

        real, sys.stderr = sys.stderr, BarStream(sys.stderr)
        try:
            outcome = drift.drift(args.paths, args.config, overrides, options, sys.stderr.draw, notes)
        finally:
            sys.stderr.close_bar()
            sys.stderr = real
    else:
        outcome = drift.drift(args.paths, args.config, overrides, options, None, notes)
    for note in notes:
        print(f"migrate-lint: {printable(redact(note))}", file=sys.stderr)
    return _report(args, outcome)


def _baseline(args: argparse.Namespace) -> int:
    from migrate_lint.lint import baseline, run

    outcome = run.check(args.paths or [Path(".")], args.config, {}, execute=not args.no_execute,
                        ignore_baseline=True)
    for error in outcome.report.errors:
        print(f"migrate-lint: {printable(error.describe())}", file=sys.stderr)
    if outcome.report.errors:
        return EXIT_ERROR
    config = outcome.config
    target = args.output or config.root / (config.baseline or baseline.DEFAULT_NAME)
    count = baseline.write(outcome.report, target)
    print(f"wrote {count} finding fingerprints to {target}")
    if not config.baseline and args.output is None:
        print(f'add  baseline = "{baseline.DEFAULT_NAME}"  to [tool.migrate-lint] to use it')
    return EXIT_CLEAN


def _lock(args: argparse.Namespace) -> int:
    from migrate_lint.finding import display_path
    from migrate_lint.lint import run

    written, errors = run.lock(args.paths or [Path(".")], args.config)
    for error in errors:
        print(f"migrate-lint: {printable(error.describe())}", file=sys.stderr)
    for path, count in written:
        print(f"wrote {count} revisions to {display_path(path)}")
    return EXIT_ERROR if errors else EXIT_CLEAN


def _stats(args: argparse.Namespace) -> int:
    import json

    from migrate_lint.config import load
    from migrate_lint.database.live import live_url
    from migrate_lint.database.stats import snapshot

    if not args.live_url:
        raise UserError("stats needs --live-url URL: the database to read table sizes from")
    url, shown = live_url(args.live_url)
    config = load(args.config, Path("."))
    target = args.output or (config.root / config.stats if config.stats else None)
    data = snapshot(url, shown)
    text = json.dumps(data, indent=2) + "\n"
    if target is None:
        sys.stdout.write(text)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        from migrate_lint.finding import display_path

        print(f"wrote the sizes of {len(data['tables'])} tables to {display_path(target)}", file=sys.stderr)
    return EXIT_CLEAN


def _trace(args: argparse.Namespace) -> int:
    from migrate_lint.trace.run import trace
    from migrate_lint.trace.show import render

    outcome = trace(args.paths, args.config, args.database_url, args.start, rows=args.rows)
    text = render(outcome, args.format)
    if args.output and (problem := _write(args.output, text)):
        print(f"migrate-lint: {problem}", file=sys.stderr)
        args.output = None
    if not args.output:
        _stdout(text)
    return EXIT_FINDINGS if outcome.failing() else EXIT_CLEAN


def _rule(args: argparse.Namespace) -> int:
    from migrate_lint.catalog import load_catalog
    from migrate_lint.formatters.ruledoc import render

    catalog = load_catalog()
    spec = catalog.get(args.rule)
    if spec is None:
        raise UserError(f"no rule named {args.rule!r}{catalog.suggest(args.rule)}; "
                        "`migrate-lint rules` lists them")
    sys.stdout.write(render(spec))
    return EXIT_CLEAN


def _rules(args: argparse.Namespace) -> int:
    import json

    from migrate_lint.catalog import load_catalog

    catalog = load_catalog()
    if args.format == "markdown":
        from migrate_lint.formatters.ruledoc import reference

        sys.stdout.write(reference(list(catalog.rules)))
        return EXIT_CLEAN
    if args.format == "json":
        rows = [{"code": r.code, "name": r.name, "title": r.title, "severity": r.severity.label,
                 "default": r.default, "deploy": r.deploy} for r in catalog.rules]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    for r in catalog.rules:
        flag = "" if r.default else "  (opt-in)"
        print(f"{r.code}  {r.name:<40} {r.severity.label:<8} {r.title}{flag}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None, flask_app: Any = None, started_worker: Any = None) -> int:
    """The command line; `flask_app` is the app `flask migrate-lint ...` already loaded, and
    `started_worker` a render worker process started before this module was imported."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    args.flask_app = flask_app
    args.started_worker = started_worker
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    handlers = {"check": _check, "drift": _drift, "baseline": _baseline, "lock": _lock, "stats": _stats,
                "trace": _trace, "rule": _rule, "rules": _rules}
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # `migrate-lint rules | head -3`: the reader has all it wanted
        _silence_stdout()
        return EXIT_CLEAN
    except UserError as exc:
        print(f"migrate-lint: {printable(exc.describe())}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("migrate-lint: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # an internal error: never a traceback unless asked for
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        else:
            print(f"migrate-lint: internal error: {type(exc).__name__}: {printable(redact(str(exc)))} "
                  "(rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_ERROR

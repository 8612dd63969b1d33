"""Command line: parse arguments, choose inputs and formatter, decide the exit code. No logic."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from migrate_lint import __version__
from migrate_lint.errors import UserError, printable, redact
from migrate_lint.formatters import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate-lint",
        description="Catch unsafe Alembic and Flask-Migrate revisions before they merge.")
    parser.add_argument("--version", action="version", version=f"migrate-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser("check", help="lint revision histories (default: the current folder)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                       help="project folders, script locations, versions folders or revision files")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--also", action="append", default=[], metavar="FORMAT:FILE",
                       help="also write the report in another format to a file (repeatable), "
                            "e.g. --also sarif:results.sarif --also markdown:$GITHUB_STEP_SUMMARY")
    check.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
    check.add_argument("--config", type=Path, metavar="FILE", help="pyproject.toml to read settings from")
    check.add_argument("--select", metavar="RULES", help="comma-separated codes, prefixes or names")
    check.add_argument("--extend-select", metavar="RULES", help="rules to add to the selection")
    check.add_argument("--ignore", metavar="RULES", help="rules to leave out")
    check.add_argument("--dialect", choices=("postgresql", "mysql", "mariadb", "sqlite"))
    check.add_argument("--script-location", metavar="DIR", help="the Alembic script location")
    check.add_argument("--fail-on", choices=("info", "warning", "error"),
                       help="lowest severity that makes the exit code 1 (default: warning)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--no-execute", action="store_true",
                       help="never import or run anything from the checked project: AST checks only, "
                            "no rendering to SQL")
    check.add_argument("--base", metavar="REF",
                       help="pull-request mode: check only revisions added or changed since the merge "
                            "base with REF (graph rules still see the whole tree)")
    check.add_argument("--no-cache", action="store_true",
                       help="do not read or write the cache of per-file results")
    check.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    drift = commands.add_parser("drift", help="upgrade a scratch database and compare it with the models")
    drift.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                       help="the project or its script location (default: the current folder, or the "
                            "Flask-Migrate directory of the app)")
    drift.add_argument("--app", metavar="IMPORT",
                       help="the Flask app, as FLASK_APP names it (default: $FLASK_APP)")
    drift.add_argument("--metadata", metavar="MODULE:ATTR",
                       help="the models' MetaData, declarative base or Flask-SQLAlchemy db")
    drift.add_argument("--database-url", metavar="URL",
                       help="a PostgreSQL or MySQL/MariaDB server to create the scratch database on "
                            "(default: a temporary SQLite file); the database it names is never migrated")
    drift.add_argument("--live-url", metavar="URL",
                       help="compare this live database with the models instead, read-only")
    drift.add_argument("--roundtrip", action="store_true",
                       help="also downgrade and upgrade each revision, checking the schema comes back")
    drift.add_argument("--runner", choices=("auto", "env", "builtin"), default="auto",
                       help="env: the project's env.py; builtin: migrate-lint's own (default: env.py when "
                            "it is a standard template that can be bound to the scratch database)")
    drift.add_argument("--include-tables", metavar="GLOBS", help="compare only these tables")
    drift.add_argument("--exclude-tables", metavar="GLOBS", help="leave out tables owned by something else")
    drift.add_argument("--format", choices=FORMATS, default="text")
    drift.add_argument("--also", action="append", default=[], metavar="FORMAT:FILE",
                       help="also write the report in another format to a file (repeatable)")
    drift.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
    drift.add_argument("--config", type=Path, metavar="FILE", help="pyproject.toml to read settings from")
    drift.add_argument("--select", metavar="RULES", help="comma-separated codes, prefixes or names")
    drift.add_argument("--ignore", metavar="RULES", help="rules to leave out")
    drift.add_argument("--dialect", choices=("postgresql", "mysql", "mariadb", "sqlite"),
                       help="the production dialect (a SQLite stand-in for another is reported)")
    drift.add_argument("--fail-on", choices=("info", "warning", "error"))
    drift.add_argument("--exit-zero", action="store_true", help="exit 0 even when there is drift")
    drift.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    base = commands.add_parser("baseline", help="record today's findings so that only new ones fail")
    base.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    base.add_argument("--config", type=Path, metavar="FILE")
    base.add_argument("--output", type=Path, metavar="FILE",
                      help="where to write it (default: the config's baseline, "
                           "else .migrate-lint-baseline.json)")
    base.add_argument("--no-execute", action="store_true", help="AST checks only")
    base.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    locker = commands.add_parser("lock", help="write migrate-lint.lock: revisions' parents and checksums")
    locker.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    locker.add_argument("--config", type=Path, metavar="FILE")
    locker.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    rule = commands.add_parser("rule", help="show the documentation of one rule")
    rule.add_argument("rule", metavar="NAME_OR_CODE")
    rule.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                       help="markdown: the full rule reference (docs/rules.md)")
    rules.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def _split(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


def _check(args: argparse.Namespace) -> int:
    _also(args)
    from migrate_lint.finding import Severity
    from migrate_lint.lint import run

    overrides = {
        "select": _split(args.select), "extend_select": _split(args.extend_select),
        "ignore": _split(args.ignore), "dialect": args.dialect, "script_location": args.script_location,
        "fail_on": Severity.parse(args.fail_on) if args.fail_on else None,
    }
    outcome = run.check(args.paths or [Path(".")], args.config, overrides, use_cache=not args.no_cache,
                        execute=not args.no_execute, base=args.base,
                        started_worker=args.started_worker)
    return _report(args, outcome)


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
    from migrate_lint.finding import Severity

    overrides = {
        "select": _split(args.select), "ignore": _split(args.ignore), "dialect": args.dialect,
        "fail_on": Severity.parse(args.fail_on) if args.fail_on else None,
        "drift_include": _split(args.include_tables), "drift_exclude": _split(args.exclude_tables),
    }
    options = drift.DriftOptions(args.app, args.metadata, args.database_url, args.live_url, args.roundtrip,
                                 args.runner, args.flask_app)
    shown = sys.stderr.isatty() and not os.environ.get("CI")  # a progress bar, never in CI logs
    notes: list[str] = []
    outcome = drift.drift(args.paths, args.config, overrides, options,
                          _progress_bar if shown else None, notes)
    if shown:
        print(file=sys.stderr)
    for note in notes:
        print(f"migrate-lint: {printable(redact(note))}", file=sys.stderr)
    return _report(args, outcome)


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(f"\rupgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="",
          file=sys.stderr, flush=True)


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


def _rule(args: argparse.Namespace) -> int:
    from migrate_lint.catalog import load_catalog
    from migrate_lint.formatters.ruledoc import render

    spec = load_catalog().get(args.rule)
    if spec is None:
        raise UserError(f"no rule named {args.rule!r}; `migrate-lint rules` lists them")
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
                 "default": r.default} for r in catalog.rules]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    for r in catalog.rules:
        flag = "" if r.default else "  (opt-in)"
        print(f"{r.code}  {r.name:<40} {r.severity.label:<8} {r.title}{flag}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None, flask_app: Any = None, started_worker: Any = None) -> int:
    """The command line; `flask_app` is the app `flask migrate-lint ...` already loaded, and
    `started_worker` a render worker process started before this module was imported."""
    parser = _parser()
    args = parser.parse_args(argv)
    args.flask_app = flask_app
    args.started_worker = started_worker
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    handlers = {"check": _check, "drift": _drift, "baseline": _baseline, "lock": _lock, "rule": _rule,
                "rules": _rules}
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

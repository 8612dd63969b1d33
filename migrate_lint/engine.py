"""The engine: read each history, run the selected checks, turn hits into findings."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from migrate_lint import suppress
from migrate_lint.catalog import Catalog
from migrate_lint.checks import CheckContext, Hit
from migrate_lint.config import Config, RuleSelection
from migrate_lint.discover import History
from migrate_lint.extract import extract
from migrate_lint.finding import Finding, InputError, Location, Report
from migrate_lint.graph import Header, RevisionGraph, read_header
from migrate_lint.migration import Migration
from migrate_lint.naming import declares_naming_convention

SYNTAX_ERROR, DYNAMIC_HEADER = "ML901", "ML405"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str
    tree: ast.Module | None
    syntax_error: Hit | None
    header: Header


def read_source(path: Path) -> SourceFile | InputError:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputError(path, None, f"cannot read file: {exc.strerror or exc}")
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputError(path, data[: exc.start].count(b"\n") + 1,
                          f"cannot decode as UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        line = exc.lineno or 1
        hit = Hit(line, path.name, {"error": f"{exc.msg} (line {line})"}, (exc.offset or 1))
        return SourceFile(path, source, None, hit, Header(None))
    except (ValueError, RecursionError, MemoryError) as exc:
        hit = Hit(1, path.name, {"error": str(exc) or type(exc).__name__})
        return SourceFile(path, source, None, hit, Header(None))
    return SourceFile(path, source, tree, None, read_header(tree, path))


class LazyMigrations(Mapping[str, Migration]):
    """Migrations by revision id, extracted from their AST only when a check asks for one."""

    def __init__(self, files: dict[str, SourceFile]) -> None:
        self.files = files
        self.built: dict[str, Migration] = {}

    def __getitem__(self, rev_id: str) -> Migration:
        if rev_id not in self.built:
            source = self.files[rev_id]
            assert source.tree is not None and source.header.revision is not None
            operations, updates = extract(source.tree)
            self.built[rev_id] = Migration(source.header.revision, source.source, operations,
                                           updates)
        return self.built[rev_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


@cache
def check_module(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"migrate_lint.checks.{module}")
    except ModuleNotFoundError:
        return None  # a rule the engine reports itself (syntax errors, suppressions, headers)


class Engine:
    def __init__(self, catalog: Catalog, selection: RuleSelection, config: Config) -> None:
        self.catalog = catalog
        self.selection = selection
        self.config = config
        self.checks = [(spec.code, mod) for spec in catalog.rules
                       if spec.code in selection.enabled and (mod := check_module(spec.module))]

    def finding(self, code: str, hit: Hit, path: Path, revision: str | None) -> Finding:
        spec = self.catalog.get(code)
        assert spec is not None, code
        message, help_text = spec.render(dict(hit.fields))
        location = Location(path, hit.line, hit.column, hit.end_line or hit.line)
        return Finding(code, spec.name, self.selection.severities[code], message, location,
                       revision, hit.subject, help_text)

    def enabled_for(self, path: Path) -> frozenset[str]:
        return self.selection.enabled - self.selection.ignored_for(path)

    def run(self, histories: list[History]) -> Report:
        findings: list[Finding] = []
        errors: list[InputError] = []
        sources: dict[Path, str] = {}
        files = 0
        for history in histories:
            found, problems, read = self._history(history, sources)
            findings += found
            errors += problems
            files += read
        directives = {path: d for path, text in sources.items()
                      if (d := suppress.parse_directives(text))}
        outcome = suppress.apply(findings, directives, self._resolve, self.enabled_for,
                                 self.config.require_reason)
        kept = outcome.kept + [self.finding(code, hit, path, None) for code, path, hit
                               in outcome.hits if code in self.enabled_for(path)]
        kept.sort(key=Finding.sort_key)
        return Report(tuple(kept), tuple(outcome.suppressed), (), files, tuple(errors))

    def _resolve(self, rule: str) -> str | None:
        spec = self.catalog.get(rule)
        return spec.code if spec else None

    def _history(self, history: History, sources: dict[Path, str]
                 ) -> tuple[list[Finding], list[InputError], int]:
        errors: list[InputError] = []
        parsed: list[SourceFile] = []
        for path in history.files:
            if self._excluded(path):
                continue
            result = read_source(path)
            if isinstance(result, InputError):
                errors.append(result)
            else:
                parsed.append(result)
        targets = [f for f in parsed if history.is_target(f.path)
                   and (f.header.revision or f.syntax_error or f.header.problems)]
        if not targets and not errors:
            where = history.script_location.as_posix()
            errors.append(InputError(history.script_location, None,
                                     f"no Alembic revisions found in {where}"))
        for source in targets:
            sources[source.path] = source.source
        hits = list(self._native_hits(targets))
        revisions = [f.header.revision for f in parsed if f.header.revision]
        graph = RevisionGraph(revisions)
        migrations = LazyMigrations({rev.id: f for f in parsed
                                     if (rev := f.header.revision) and graph.by_id.get(rev.id) is rev})
        ctx = CheckContext(
            dialect=self.config.dialect, graph=graph, migrations=migrations,
            opaque=frozenset(f.path for f in parsed if f.header.problems),
            detect_naming_convention=lambda: self._naming_convention(history))
        hits += self._check_hits(ctx, [f.path for f in targets], history)
        by_path = {rev.path: rev.id for rev in revisions}
        findings = [self.finding(code, hit, path, by_path.get(path)) for code, path, hit in hits
                    if code in self.enabled_for(path)]
        return findings, errors, len(targets)

    def _native_hits(self, files: list[SourceFile]) -> Iterator[tuple[str, Path, Hit]]:
        for source in files:
            if source.syntax_error:
                yield SYNTAX_ERROR, source.path, source.syntax_error
            for problem in source.header.problems:
                yield DYNAMIC_HEADER, source.path, Hit(problem.line, source.path.name, {
                    "name": problem.name, "source": problem.source})

    def _check_hits(self, ctx: CheckContext, targets: list[Path], history: History
                    ) -> Iterator[tuple[str, Path, Hit]]:
        target_set = set(targets)
        revision_of = {rev.path: rev.id for rev in ctx.graph.by_id.values()}
        for code, module in self.checks:
            if module.SCOPE == "history":
                for hit in module.check(ctx):
                    if hit.path in target_set:
                        yield code, hit.path, hit
            else:
                for path in targets:
                    rev_id = revision_of.get(path)
                    if rev_id is not None and code in self.enabled_for(path):
                        migration = ctx.migrations[rev_id]
                        yield from ((code, path, hit) for hit in module.check(migration, ctx))

    def _excluded(self, path: Path) -> bool:
        return bool(self.config.exclude) and bool(
            self.selection.matches(path, self.config.exclude))

    def _naming_convention(self, history: History) -> bool:
        if self.config.naming_convention is not None:
            return self.config.naming_convention
        root = self.config.root
        try:
            history.script_location.resolve().relative_to(root.resolve())
        except ValueError:
            root = history.script_location.parent
        skip = frozenset(d.resolve() for d in history.version_dirs)
        return declares_naming_convention(root, skip)

"""The engine: read each history, run the selected checks, turn hits into findings."""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from migrate_lint import suppress
from migrate_lint.cache import FactsCache, digest
from migrate_lint.catalog import Catalog
from migrate_lint.checks import CheckContext, Hit
from migrate_lint.config import Config, RuleSelection
from migrate_lint.discover import History
from migrate_lint.errors import UserError
from migrate_lint.facts import CLASSES, FileFacts, analyse_many, decode
from migrate_lint.finding import Finding, InputError, Location, Report
from migrate_lint.graph import RevisionGraph
from migrate_lint.migration import Migration, Revision
from migrate_lint.naming import declares_naming_convention
from migrate_lint.opsql import statements_from_operations
from migrate_lint.paths import real_path
from migrate_lint.sql import SqlFacts

if TYPE_CHECKING:
    from migrate_lint.history import ChangeSet
    from migrate_lint.render import Rendered, RenderPool

SYNTAX_ERROR, DYNAMIC_HEADER, NOT_RENDERED = "ML901", "ML405", "ML904"
LOCK_NAME = "migrate-lint.lock"  # lockfile.NAME, without importing it on every run


@cache
def check_module(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"migrate_lint.checks.{module}")
    except ModuleNotFoundError:
        return None  # a rule the engine reports itself (syntax errors, suppressions, headers)


class Engine:
    def __init__(self, catalog: Catalog, selection: RuleSelection, config: Config,
                 cache_folder: Path | None = None, execute: bool = True,
                 changes: ChangeSet | None = None) -> None:
        self.catalog = catalog
        self.selection = selection
        self.config = config
        self.cache_folder = cache_folder
        self.execute = execute and config.render
        self.pool: RenderPool | None = None
        self.enabled: dict[Path, frozenset[str]] = {}
        self.changes = changes
        self.render_stores: dict[str, FactsCache] = {}
        self.digests: dict[Path, str] = {}
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
        """Rules that apply to a file: the selection less its per-file ignores (computed once)."""
        if path not in self.enabled:
            self.enabled[path] = self.selection.enabled - self.selection.ignored_for(path)
        return self.enabled[path]

    def start_rendering(self, histories: list[History], renders: int) -> None:
        """Start workers for about `renders` revisions now if nothing is rendered yet: they import
        Alembic (~0.45 s) while this process reads files and asks git what changed."""
        if not self.execute or renders == 0 or any(self._render_store(h).entries for h in histories):
            return
        from migrate_lint.render import RenderPool

        if self.pool is None:
            self.pool = RenderPool(self.config.dialect, self.config.render_timeout,
                                   RenderPool.size_for(renders))
        else:
            self.pool.grow(RenderPool.size_for(renders))

    def run(self, histories: list[History]) -> Report:
        files = [p for h in histories for p in h.files]
        self.start_rendering(histories, len(files) if self.changes is None else sum(
            real_path(p) in self.changes.changed for p in files))  # --base renders only changes
        collecting = gc.isenabled()
        gc.disable()  # what a run builds holds no reference cycles, and the collector cost ~40% of it
        try:
            return self._run(histories)
        finally:
            if collecting:
                gc.enable()
            self.close()

    def close(self) -> None:
        """Stop the render workers, if any were started."""
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _run(self, histories: list[History]) -> Report:
        findings: list[Finding] = []
        errors: list[InputError] = []
        directives: dict[Path, list[suppress.Directive]] = {}
        files = 0
        for history in histories:
            found, problems, targets = self._history(history)
            findings += found
            errors += problems
            files += len(targets)
            directives.update({path: list(facts.directives) for path, facts in targets.items()
                               if facts.directives})
        outcome = suppress.apply(findings, directives, self._resolve, self.enabled_for,
                                 self.config.require_reason)
        kept = outcome.kept + [self.finding(code, hit, path, None) for code, path, hit
                               in outcome.hits if code in self.enabled_for(path)]
        kept.sort(key=Finding.sort_key)
        return Report(tuple(kept), tuple(outcome.suppressed), (), files, tuple(errors))

    def _resolve(self, rule: str) -> str | None:
        spec = self.catalog.get(rule)
        return spec.code if spec else None

    def read(self, history: History) -> tuple[dict[Path, tuple[str, FileFacts]], list[InputError]]:
        """Every file of a history as (source, facts), from the cache when its content is known."""
        store = FactsCache(self.cache_folder, "|".join(os.path.abspath(d) for d in history.version_dirs),
                           CLASSES)
        files: dict[Path, tuple[str, FileFacts]] = {}
        errors: list[InputError] = []
        unknown: list[tuple[Path, str]] = []
        order: list[Path] = []
        for path in history.files:
            if self._excluded(path):
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                errors.append(InputError(path, None, f"cannot read file: {exc.strerror or exc}"))
                continue
            source = decode(path, data)
            if isinstance(source, InputError):
                errors.append(source)
                continue
            content = self.digests[path] = digest(data)
            facts = store.get(os.path.abspath(path), content)
            order.append(path)
            if facts is None:
                unknown.append((path, source))
                continue
            if facts.header.revision is not None and facts.header.revision.path != path:
                # the cache knows it under another spelling
                facts = replace(facts, header=replace(facts.header,
                                                      revision=replace(facts.header.revision, path=path)))
            files[path] = (source, facts)
        for (path, source), facts in zip(unknown, analyse_many(unknown), strict=True):
            store.put(os.path.abspath(path), self.digests[path], facts)
            files[path] = (source, facts)
        files = {path: files[path] for path in order}  # the history's file order
        store.save({os.path.abspath(p) for p in files})
        return files, errors

    def _history(self, history: History) -> tuple[list[Finding], list[InputError], dict[Path, FileFacts]]:
        files, errors = self.read(history)
        targets = {path: facts for path, (_, facts) in files.items()
                   if history.is_target(path) and facts.is_revision_file}
        if self.changes is not None:  # pull-request mode: only what the change adds or edits
            targets = {p: f for p, f in targets.items() if real_path(p) in self.changes.changed}
        if not targets and not errors and self.changes is None:
            errors.append(InputError(history.script_location, None,
                                     f"no Alembic revisions found in {history.script_location.as_posix()}"))
        revisions = [facts.header.revision for _, facts in files.values() if facts.header.revision]
        graph = RevisionGraph(revisions)
        if self.config.since:
            targets, problem = self._since(graph, targets, history)
            errors += problem
        rendered = self._render(history, [p for p, f in targets.items() if f.header.revision]) \
            if self.execute else {}
        migrations = {
            rev.id: self._migration(rev, source, facts, rendered.get(rev.path))
            for source, facts in files.values()
            if (rev := facts.header.revision) is not None and graph.by_id.get(rev.id) is rev}
        lock_path = history.script_location / LOCK_NAME
        ctx = CheckContext(
            dialect=self.config.dialect, graph=graph, migrations=migrations,
            opaque=frozenset(p for p, (_, facts) in files.items() if facts.header.problems),
            detect_naming_convention=lambda: self._naming_convention(history),
            postgresql_version=self.config.postgresql_version,
            mysql_version=self._mysql_version(),
            local_modules=self._local_modules(history),
            transaction_per_migration=self.config.transaction_per_migration,
            base=self.changes.base if self.changes else "",
            base_sources=self.changes.base_sources if self.changes else {},
            changed=self.changes.changed if self.changes else None,
            removed_lines=self.changes.removed_lines if self.changes else {},
            lock=self._lock(lock_path, errors), lock_path=lock_path)
        hits = [*self._native_hits(targets), *self._render_hits(rendered), *self._check_hits(ctx, targets)]
        by_path = {rev.path: rev.id for rev in revisions}
        findings = [self.finding(code, hit, path, by_path.get(path)) for code, path, hit in hits
                    if code in self.enabled_for(path)]
        return findings, errors, targets

    def _since(self, graph: RevisionGraph, targets: dict[Path, FileFacts], history: History
               ) -> tuple[dict[Path, FileFacts], list[InputError]]:
        """Only revisions that descend from `since` (adopting the tool on an old history)."""
        since = self.config.since or ""
        start = graph.resolve(since, allow_label=True)
        if start is None:
            return {}, [InputError(self.config.source, None, f"`since` names revision {since!r}, which "
                                   f"is not in {history.script_location.as_posix()}")]
        later, queue = set(), list(graph.children[start])
        while queue:
            rev_id = queue.pop()
            if rev_id not in later:
                later.add(rev_id)
                queue.extend(graph.children[rev_id])
        keep = {graph.by_id[r].path for r in later}
        return {p: f for p, f in targets.items() if p in keep or f.header.revision is None}, []

    @staticmethod
    def _lock(path: Path, errors: list[InputError]) -> dict[str, Any] | None:
        """The history's lock file, if it has one; a broken one is an input error, not a stop."""
        if not path.is_file():
            return None
        from migrate_lint import lockfile

        try:
            return lockfile.load(path)
        except UserError as exc:
            errors.append(InputError(exc.path, exc.line, exc.message))
            return None

    def _render_store(self, history: History) -> FactsCache:
        """The render cache of a history, read once per run."""
        key = f"render:{self.config.dialect}|" + "|".join(os.path.abspath(d) for d in history.version_dirs)
        if key not in self.render_stores:
            from migrate_lint.render import Rendered

            self.render_stores[key] = FactsCache(self.cache_folder, key, {"Rendered": Rendered,
                                                                           "SqlFacts": SqlFacts})
        return self.render_stores[key]

    def _render(self, history: History, paths: list[Path]) -> dict[Path, Rendered]:
        """Rendered SQL per revision: from the cache for unchanged files, else from the workers.

        Only successful renders are cached: a failure may depend on code outside the file."""
        store = self._render_store(history)
        results: dict[Path, Rendered] = {}
        for path in paths:
            if (hit := store.get(os.path.abspath(path), self.digests[path])) is not None:
                results[path] = hit
        misses = [p for p in paths if p not in results]
        if misses and self.pool is None:
            from migrate_lint.render import RenderPool

            self.pool = RenderPool(self.config.dialect, self.config.render_timeout,
                                   RenderPool.size_for(len(misses)))
        fresh = self.pool.render(misses) if misses and self.pool else {}
        for path, result in fresh.items():
            if result.error is None:
                store.put(os.path.abspath(path), self.digests[path], result)
        store.save({os.path.abspath(p) for p in history.files})  # keep what other runs rendered
        return results | fresh

    def _migration(self, revision: Revision, source: str, facts: FileFacts,
                   rendered: Rendered | None) -> Migration:
        if rendered is None or rendered.error is not None:
            statements = statements_from_operations(facts.operations, self.config.dialect)
            return Migration(revision, source, facts.operations, facts.updates, statements,
                             rendered.error if rendered else None, imports=facts.imports)
        from migrate_lint.render import statements_of

        statements = statements_of(rendered, facts.operations, self.config.dialect)
        return Migration(revision, source, facts.operations, facts.updates, statements, rendered=True,
                         imports=facts.imports)

    @staticmethod
    def _render_hits(rendered: dict[Path, Rendered]) -> Iterator[tuple[str, Path, Hit]]:
        for path, result in rendered.items():
            if result.error:
                yield NOT_RENDERED, path, Hit(result.error_line or 1, path.name, {"error": result.error})

    def _native_hits(self, targets: dict[Path, FileFacts]) -> Iterator[tuple[str, Path, Hit]]:
        for path, facts in targets.items():
            if facts.syntax_error:
                yield SYNTAX_ERROR, path, facts.syntax_error
            for problem in facts.header.problems:
                yield DYNAMIC_HEADER, path, Hit(problem.line, path.name, {
                    "name": problem.name, "source": problem.source})

    def _check_hits(self, ctx: CheckContext, targets: dict[Path, FileFacts]
                    ) -> Iterator[tuple[str, Path, Hit]]:
        for code, module in self.checks:
            if module.SCOPE == "history":
                yield from ((code, hit.path, hit) for hit in module.check(ctx)
                            if hit.path in targets or hit.path == ctx.lock_path)
        revision_of = {m.path: m for m in ctx.migrations.values()}
        per_revision = [(code, module.check) for code, module in self.checks if module.SCOPE != "history"]
        for path in targets:
            migration = revision_of.get(path)
            if migration is None:
                continue
            enabled = self.enabled_for(path)
            for code, check in per_revision:
                if code in enabled:
                    for hit in check(migration, ctx):
                        yield code, path, hit

    def _mysql_version(self) -> tuple[int, ...]:
        if self.config.mysql_version:
            return tuple(int(p) for p in self.config.mysql_version.split("."))
        return (10, 11, 0) if self.config.dialect == "mariadb" else (8, 0, 36)

    def _project_root(self, history: History) -> Path:
        try:
            history.script_location.resolve().relative_to(self.config.root.resolve())
            return self.config.root
        except ValueError:
            return history.script_location.parent

    def _local_modules(self, history: History) -> frozenset[str]:
        """Top-level modules and packages of the project itself (its application code)."""
        root = self._project_root(history)
        names = set()
        for folder in (root, root / "src"):
            if folder.is_dir():
                names |= {p.stem if p.suffix == ".py" else p.name for p in folder.iterdir()
                          if (p.suffix == ".py" or (p / "__init__.py").is_file())
                          and not p.name.startswith(".")}
        names.discard(history.script_location.name)  # migrations/ itself, when it is a package
        return frozenset(names - {"setup", "conftest", "noxfile", "manage"}) | set(
            self.config.application_modules)

    def _excluded(self, path: Path) -> bool:
        return bool(self.config.exclude) and self.selection.matches(path, self.config.exclude)

    def _naming_convention(self, history: History) -> bool:
        if self.config.naming_convention is not None:
            return self.config.naming_convention
        skip = frozenset(d.resolve() for d in history.version_dirs)
        return declares_naming_convention(self._project_root(history), skip)

"""The engine: read each history, run the selected checks, turn hits into findings."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from migrate_lint.catalog import Catalog
from migrate_lint.checks import CheckContext, Hit
from migrate_lint.config import Config, RuleSelection
from migrate_lint.finding import Finding, InputError, Location, Report
from migrate_lint.lint import deploy, dialect_guard, env_help, lockfile, mysql_era, pins, suppress
from migrate_lint.lint.dedupe import WHOLE_REVISION, one_per_location, qualified
from migrate_lint.lint.schemas import DEFAULTS, with_schema
from migrate_lint.paths import real_folder, real_path
from migrate_lint.rendering.opsql import after_commit, statements_from_operations
from migrate_lint.rendering.partial import rendered_prefix
from migrate_lint.rendering.store import RenderStore
from migrate_lint.revisions.directives import Directive
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.facts import FileFacts
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.halves import in_two
from migrate_lint.revisions.migration import (
    LazyMigrations,
    Migration,
    Operation,
    Rendered,
    Revision,
    Statement,
    Unknown,
    for_dialect,
    other_dialects_lines,
)
from migrate_lint.revisions.project import (
    env_enum_sync_adds_values,
    env_imports,
    env_maps_models,
    env_outer_transaction,
    env_transaction_per_migration,
    env_transactional_ddl,
    env_translates_schema,
    has_naming_convention,
    local_modules,
    marked_root,
    naming_templates,
    project_roots,
    template_imports,
)
from migrate_lint.revisions.project_python import needed_python
from migrate_lint.revisions.reading import Files, Reader, known_header
from migrate_lint.revisions.timeouts import env_lock_timeout

if TYPE_CHECKING:
    from migrate_lint.lint.changes import ChangeSet
    from migrate_lint.lint.table_age import AgeWeigher
    from migrate_lint.lint.table_sizes import Snapshot, Weigher
    from migrate_lint.rendering.render import RenderPool

SYNTAX_ERROR, DYNAMIC_HEADER, NOT_RENDERED = "ML901", "ML405", "ML904"


@cache
def check_module(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"migrate_lint.checks.{module}")
    except ModuleNotFoundError:
        return None  # a rule the engine reports itself (syntax errors, suppressions, headers)


class Engine:
    def __init__(self, catalog: Catalog, selection: RuleSelection, config: Config,
                 cache_folder: Path | None = None, execute: bool = True,
                 changes: ChangeSet | None = None, pool: RenderPool | None = None,
                 sizes: Snapshot | None = None) -> None:
        self.catalog = catalog
        self.selection = selection
        self.config = config
        self.cache_folder = cache_folder
        self.execute = execute and config.render
        self.pool = pool  # render workers, started by the caller or on the first cache miss
        self.enabled: dict[Path, frozenset[str]] = {}
        self.changes = changes
        self.renders = RenderStore(cache_folder)
        self.reader = Reader(cache_folder)
        self.changed_files: frozenset[Path] | None = None  # under --base, as the histories spell them
        self.sizes = sizes  # table sizes that weigh lock findings (check --stats)
        self.deploys: dict[Path, deploy.Mode] = {}  # revisions not deployed online: how, and why
        self.labels: set[str] = set()  # every branch label of the histories, for per-branch-deploy
        self.checks = [(spec.code, mod) for spec in catalog.rules
                       if spec.code in selection.enabled and (mod := check_module(spec.module))]

    def finding(self, code: str, hit: Hit, path: Path, revision: str | None,
                weigher: Weigher | AgeWeigher | None = None) -> Finding:
        spec = self.catalog.get(code)
        assert spec is not None, code
        message, help_text = spec.render({"subject": hit.subject, **DEFAULTS, **hit.fields})
        location = Location(path, hit.line, hit.column, hit.end_line or hit.line)
        # see lint.dedupe.one_per_table
        table = hit.fields.get("table", "") if spec.per_table else WHOLE_REVISION if spec.per_revision else ""
        severity = self.selection.severities[code]
        if spec.lesser and code not in self.selection.configured:
            severity = dict(spec.lesser).get(hit.fields.get("variant", "default"), severity)
        found = Finding(code, spec.name, severity, message, location, revision, hit.subject, help_text,
                        table=table, variant=hit.fields.get("variant", "default"))
        return weigher.weigh(found, hit) if weigher else found

    def enabled_for(self, path: Path) -> frozenset[str]:
        """Rules that apply to a file: the selection less its per-file ignores (computed once)."""
        if not self.selection.per_file:
            return self.selection.enabled  # one set for every file, and no glob to match
        if path not in self.enabled:
            self.enabled[path] = self.selection.enabled - self.selection.ignored_for(path)
        return self.enabled[path]

    def _size_pool(self, renders: int) -> None:
        """Fit workers started early (run.start_rendering) to the revisions that need rendering."""
        if self.pool is None:
            return
        if renders == 0 or not self.execute:
            self.close()
        else:
            from migrate_lint.rendering.render import RenderPool

            self.pool.grow(RenderPool.size_for(renders))

    def run(self, histories: list[History]) -> Report:
        files = [p for h in histories for p in h.files]
        if self.changes is not None:  # --base checks (and renders) only what the change adds or edits
            self.changed_files = frozenset(p for p in files if real_path(p) in self.changes.changed)
        self._size_pool(len(files if self.changed_files is None else self.changed_files))
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
        directives: dict[Path, list[Directive]] = {}
        files = 0
        for history in histories:
            found, problems, targets = self._history(history)
            findings += found
            errors += problems
            files += len(targets)
            directives.update({path: list(facts.directives) for path, facts in targets.items()
                               if facts.directives})
        outcome = suppress.apply(findings, directives, self._resolve, self.enabled_for,
                                 self.config.require_reason, self.catalog.suggest)
        kept = outcome.kept + [self.finding(code, hit, path, None) for code, path, hit
                               in outcome.hits if code in self.enabled_for(path)]
        kept, held, reasons = deploy.split(kept, self.deploys, self.catalog)
        kept.sort(key=Finding.sort_key)
        return Report(tuple(kept), tuple(outcome.suppressed), (), files, tuple(errors),
                      not_reported=tuple(sorted(held, key=Finding.sort_key)),
                      not_reported_reasons=tuple(reasons.most_common()))

    def _reports(self, code: str, path: Path) -> bool:
        """Whether a finding of the rule on the file is reported: the rule is enabled for it, and the
        file's deploy leaves the rule's risk (a rule that leaves a risk to another asks this)."""
        if code not in self.enabled_for(path):
            return False
        mode, spec = self.deploys.get(path), self.catalog.get(code)
        return mode is None or spec is None or spec.applies_to(mode[0])

    def _resolve(self, rule: str) -> str | None:
        spec = self.catalog.get(rule)
        return spec.code if spec else None

    def read(self, history: History) -> tuple[Files, list[InputError]]:
        """The history's files that are not excluded, as (source, facts); see Reader.read."""
        from migrate_lint.rendering.cores import spare_core

        return self.reader.read(history, self._checked, self._excluded, spare_core(self.pool))

    def _checked(self, path: Path) -> bool:
        """Whether the file's own findings are reported: all files, or under --base the changed ones."""
        return self.changed_files is None or path in self.changed_files

    def migrations(self, history: History, graph: RevisionGraph, files: Files,
                   rendered: dict[Path, Rendered]) -> LazyMigrations:
        """The graph's migrations, each built when a check first asks for it."""
        def build(revision: Revision) -> Migration:
            source, known = files[revision.path]
            facts = self.reader.complete(history, revision.path, source, known)
            return self._migration(revision, source, facts, rendered.get(revision.path))

        return LazyMigrations(graph.by_id, build)

    def _history(self, history: History) -> tuple[list[Finding], list[InputError], dict[Path, FileFacts]]:
        files, errors = self.read(history)
        # every file of a plain check, the changed ones under --base (only those were analysed)
        targets = {path: facts for path, (_, facts) in files.items()
                   if isinstance(facts, FileFacts) and self._checked(path) and history.is_target(path)
                   and facts.is_revision_file}
        if not targets and not errors and self.changes is None:
            errors.append(InputError(history.script_location, None,
                                     f"no Alembic revisions found in {history.script_location.as_posix()}"))
        headers = [known_header(known) for _, known in files.values()]
        revisions = [header.revision for header in headers if header.revision]
        graph = RevisionGraph(revisions)
        modes, labels = deploy.modes(self.config, graph, lambda p: files[p][0] if p in files else None,
                                     self.selection.matches, history.script_location)
        self.deploys.update(modes)
        self.labels |= labels
        if self.config.since:
            targets, problem = self._since(graph, targets, history)
            errors += problem
        # a file that does not parse here is no revision to render (its header still places it)
        parsed = [p for p, f in targets.items() if f.header.revision and not f.syntax_error]
        rendered = self._render(history, parsed) if self.execute else {}
        lock_path = history.script_location / lockfile.NAME
        migrations = self.migrations(history, graph, files, rendered)
        source_of = lambda rev_id: files[graph.by_id[rev_id].path][0]  # noqa: E731
        ctx = CheckContext(
            source_of=source_of,
            dialect=self.config.dialect, graph=graph, migrations=migrations,
            opaque=frozenset(p for p, header in zip(files, headers, strict=True) if header.problems),
            detect_naming_convention=lambda: has_naming_convention(history, self.config),
            detect_conventions=lambda: naming_templates(history, self.config),
            postgresql_version=self.config.postgresql_version,
            mysql_version=self.config.mysql_server_version,
            local_modules=local_modules(history, self.config),
            project_roots=project_roots(history, self.config),
            template_imports=template_imports(history),
            env_imports=env_imports(history),
            project_marked=bool(self.config.application_modules) or marked_root(history) is not None,
            transaction_per_migration=(self.config.transaction_per_migration
                                       or env_transaction_per_migration(history)),
            transactional_ddl=env_transactional_ddl(history),
            enum_sync_adds_values=env_enum_sync_adds_values(history),
            maps_models=env_maps_models(history),
            base=self.changes.base if self.changes else "",
            base_sources=self.changes.base_sources if self.changes else {},
            changed=self.changed_files,
            reported=None if self.changed_files is None and history.targets is None else frozenset(targets),
            removed_lines=self.changes.removed_lines if self.changes else {},
            lock=lockfile.load_if_present(lock_path, errors), lock_path=lock_path,
            lock_timeout=env_lock_timeout(history) if self.config.dialect == "postgresql" else None,
            reports=self._reports)
        hits = [*self._native_hits(targets, history), *self._render_hits(rendered),
                *self._check_hits(ctx, targets, errors)]
        by_path = {rev.path: rev.id for rev in revisions}
        weigher = self._weigher(graph, migrations, source_of)
        findings = one_per_location([self.finding(code, hit, path, by_path.get(path), weigher)
                                     for code, path, hit in hits if code in self.enabled_for(path)])
        findings = [_with_schema(f, migrations) if f.table not in ("", WHOLE_REVISION) and f.revision else f
                    for f in findings]
        findings = pins.noted(findings, real_folder(self.config.root))
        if self.config.dialect in ("mysql", "mariadb"):
            findings = dialect_guard.noted(findings, targets, self.config.dialect, self.catalog.mysql_rules)
        if self.config.dialect == "postgresql":
            findings = dialect_guard.noted(findings, targets, "postgresql", self.catalog.postgresql_only)
            findings = mysql_era.noted(findings, graph, source_of, self.catalog.postgresql_bound)
        if any(f.help and env_help.asks_for_block(f.help) for f in findings):
            findings = env_help.noted(findings, Path(history.script_location.name, "env.py"),
                                      env_outer_transaction(history))
        if any(f.help and env_help.RAW_SQL.search(f.help) for f in findings):
            findings = env_help.noted(findings, Path(history.script_location.name, "env.py"),
                                      env_translates_schema(history), env_help.SCHEMA_NOTE, env_help.RAW_SQL)
        self.reader.save(history, files)  # with what checks had analysed in full on demand
        return findings, errors, targets

    def _weigher(self, graph: RevisionGraph, migrations: LazyMigrations, source_of: Callable[[str], str]
                 ) -> Weigher | AgeWeigher | None:
        if self.sizes is None:  # no table sizes given: the tables' age is all that is known
            if not self.config.new_table_days:
                return None
            from migrate_lint.lint.table_age import AgeWeigher

            return AgeWeigher(self.config, self.catalog, graph, migrations, source_of)
        from migrate_lint.lint import table_sizes

        if not table_sizes.same_family(self.sizes, self.config.dialect):
            return None
        return table_sizes.Weigher(self.sizes, self.config, self.catalog, graph, migrations)

    def _since(self, graph: RevisionGraph, targets: dict[Path, FileFacts], history: History
               ) -> tuple[dict[Path, FileFacts], list[InputError]]:
        """Only revisions that descend from `since` (adopting the tool on an old history)."""
        since = self.config.since or ""
        start = graph.resolve(since, allow_label=True)
        if start is None:
            return {}, [InputError(self.config.source, None, f"`since` names revision {since!r}, which "
                                   f"is not in {history.script_location.as_posix()}")]
        keep = {graph.by_id[r].path for r in graph.descendants(start)}
        return {p: f for p, f in targets.items() if p in keep or f.header.revision is None}, []

    def _render(self, history: History, paths: list[Path]) -> dict[Path, Rendered]:
        """Rendered SQL per revision: from the render store for unchanged files, else from the workers."""
        digests, dialect = self.reader.digests, self.config.dialect
        results = self.renders.cached(history, dialect, paths, digests)
        misses = [p for p in paths if p not in results]
        if misses and self.pool is None:
            from migrate_lint.rendering.render import RenderPool

            self.pool = RenderPool(RenderPool.size_for(len(misses)))
        fresh = self.pool.render(misses, dialect, self.config.render_timeout) if misses and self.pool else {}
        self.renders.keep(history, dialect, fresh, digests)
        return results | fresh

    def _migration(self, revision: Revision, source: str, facts: FileFacts,
                   rendered: Rendered | None) -> Migration:
        operations, updates = for_dialect(facts.operations, facts.updates, self.config.dialect)
        downgrade, _ = for_dialect(facts.downgrade, (), self.config.dialect)
        elsewhere = other_dialects_lines(facts.operations, facts.updates, self.config.dialect) \
            if len(operations) < len(facts.operations) or len(updates) < len(facts.updates) else frozenset()
        statements, error = self._statements(operations, rendered)
        return Migration(revision, source, operations, updates, statements, error,
                         rendered=rendered is not None and error is None, imports=facts.imports,
                         downgrade=downgrade, elsewhere=elsewhere)

    def _statements(self, operations: tuple[Operation, ...], rendered: Rendered | None
                    ) -> tuple[tuple[Statement, ...], str | None]:
        """The revision's SQL, and the error where its render stopped part-way."""
        if rendered is None:  # --no-execute: render.py is never imported
            return statements_from_operations(operations, self.config.dialect), None
        from migrate_lint.rendering.render import statements_of

        if rendered.error is None:
            return statements_of(rendered, operations, self.config.dialect), None
        # a render that stopped part-way: its SQL for the calls it reached, written SQL for the rest
        done = rendered_prefix(rendered, operations)
        reached = statements_of(rendered, operations, self.config.dialect)
        # an op.execute("COMMIT") the render reached leaves the written rest outside a transaction
        written = statements_from_operations(operations[done:], self.config.dialect)
        flags = after_commit([s.sql for s in reached + written])[len(reached):]
        return reached + tuple(replace(s, autocommit=True) if outside and not s.autocommit else s
                               for s, outside in zip(written, flags, strict=True)), rendered.error

    @staticmethod
    def _render_hits(rendered: dict[Path, Rendered]) -> Iterator[tuple[str, Path, Hit]]:
        for path, result in rendered.items():
            if result.error:
                yield NOT_RENDERED, path, Hit(result.error_line or 1, path.name, {
                    "error": result.error, "line": str(result.error_line or "?"),
                    "count": str(len(result.statements)),
                    "variant": "partial" if result.statements else
                    "default" if result.error_line else "whole"})

    def _native_hits(self, targets: dict[Path, FileFacts], history: History
                     ) -> Iterator[tuple[str, Path, Hit]]:
        # the Python the project needs, read only where a file does not parse
        needed = needed_python(project_roots(history, self.config), self.config.root) \
            if any(facts.syntax_error for facts in targets.values()) else None
        for path, facts in targets.items():
            if facts.syntax_error:
                yield SYNTAX_ERROR, path, _for_project_python(facts.syntax_error, needed)
            for problem in facts.header.problems:
                yield DYNAMIC_HEADER, path, Hit(problem.line, path.name, {
                    "name": problem.name, "source": problem.source})

    def _check_hits(self, ctx: CheckContext, targets: dict[Path, FileFacts], errors: list[InputError]
                    ) -> Iterator[tuple[str, Path, Hit]]:
        for code, module in self.checks:
            if module.SCOPE == "history":
                yield from ((code, hit.path, hit) for hit in module.check(ctx)
                            if hit.path in targets or hit.path == ctx.lock_path)
        per_revision = [(code, module.check) for code, module in self.checks if module.SCOPE != "history"]
        selected: dict[frozenset[str], list[tuple[str, Any]]] = {}  # the checks each rule set runs

        def revision_hits(path: Path) -> list[tuple[str, Path, Hit]] | InputError:
            enabled = self.enabled_for(path)
            if enabled not in selected:
                selected[enabled] = [(code, check) for code, check in per_revision if code in enabled]
            revision = targets[path].header.revision
            assert revision is not None
            try:  # one file nested beyond what an analysis can recurse through loses only its own
                migration = ctx.migrations[revision.id]
                return [(code, path, with_schema(hit, migration)) for code, check in selected[enabled]
                        for hit in check(migration, ctx)]
            except RecursionError:
                return InputError(path, None, "too deeply nested to analyse (the other files were checked)")

        # unreadable files, and duplicate ids (the graph keeps the first), are not checked
        paths = [path for path, facts in targets.items() if (revision := facts.header.revision) is not None
                 and ctx.graph.by_id.get(revision.id) is revision]
        # the checks are pure, and each revision's run of them is ~0.1 ms: a forked child takes half
        from migrate_lint.rendering.cores import spare_core

        for found in in_two(paths, revision_hits, spare_core(self.pool)):
            if isinstance(found, InputError):
                errors.append(found)
            else:
                yield from found

    def _excluded(self, path: Path) -> bool:
        return bool(self.config.exclude) and self.selection.matches(path, self.config.exclude)


def _with_schema(finding: Finding, migrations: LazyMigrations) -> Finding:
    """The finding's table qualified by the schema its call or SQL names (see dedupe.qualified);
    none when the call names its table by a variable."""
    migration = migrations.get(finding.revision or "")
    if migration is None:
        return finding
    line = finding.location.line
    calls = [op for op in migration.operations if op.line == line]
    if any(isinstance(value, Unknown) and (value.source or "").lower() == finding.table.lower()
           for op in calls for value in (op.batch_table, *op.args, *op.kwargs.values())):
        return replace(finding, table="")  # a variable's name: each call may be on another table
    schemas = [schema for op in calls for schema in
               (op.kwargs.get("schema"), op.kwargs.get("source_schema")) if isinstance(schema, str)]
    table = f"{schemas[0]}.{finding.table}" if schemas and "." not in finding.table else \
        qualified(finding.table, finding.subject, [s.sql for s in migration.statements if s.line == line])
    return finding if table == finding.table else replace(finding, table=table)


def _for_project_python(error: Hit, needed: tuple[tuple[int, int], str] | None) -> Hit:
    """A syntax error in a project that needs a newer Python than this one: the file may be valid
    there (PEP 701 f-strings), so it is told as unread, not as broken."""
    if needed is None or "variant" in error.fields or needed[0] <= sys.version_info[:2]:
        return error
    version, source = needed
    return replace(error, fields={**error.fields, "variant": "newer",
                                  "needed": f"{version[0]}.{version[1]}", "source": source})

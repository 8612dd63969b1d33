"""`check --fix` and `--diff`, and the fixes json and sarif carry: plan each fixable finding's edits,
re-check every fixed file, and keep a file's fix only if its fixed findings are gone and none appeared."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from migrate_lint.catalog import Catalog, load_catalog
from migrate_lint.config import CheckOutcome, Config
from migrate_lint.errors import UserError
from migrate_lint.finding import Edit, Finding, Fix, Report, display_path
from migrate_lint.fix.recheck import FileFix, recheck
from migrate_lint.fix.scope import Scope
from migrate_lint.lint.run import per_table
from migrate_lint.paths import real_path
from migrate_lint.revisions.discover import History, find_histories

DEFAULT_LINE_LENGTH = 88  # ruff's


@dataclass
class FixOptions:
    unsafe: bool = False  # also apply fixes marked unsafe
    asked: frozenset[Path] = frozenset()  # revision files named on the command line (real paths)
    cache_folder: Path | None = None
    base: str | None = None
    edits: bool = True  # each finding's own edits (json and sarif show them; --fix alone needs none)


@dataclass
class FixResult:
    report: Report
    files: list[FileFix] = field(default_factory=list)  # fixes that passed the re-check
    notes: list[str] = field(default_factory=list)


def fixers() -> dict[str, Callable[..., str | None]]:
    """Each fixable rule's fixer; unnamed-constraint first, as the others read the names it gives."""
    from migrate_lint.fix.ddl import fix_index, fix_lock_timeout, fix_not_valid, fix_set_not_null
    from migrate_lint.fix.followup import fix_add_not_null
    from migrate_lint.fix.names import fix_unnamed_constraint

    return {"ML303": fix_unnamed_constraint, "ML101": fix_index, "ML102": fix_index, "ML104": fix_not_valid,
            "ML105": fix_not_valid, "ML115": fix_lock_timeout, "ML302": fix_set_not_null,
            "ML301": fix_add_not_null}


def _candidates(report: Report, catalog: Catalog, unsafe: bool) -> dict[Path, list[Finding]]:
    found: dict[Path, list[Finding]] = {}
    for finding in report.findings:
        spec = catalog.get(finding.code)
        if spec and spec.fix and (unsafe or spec.fix == "safe"):  # each object of a merged finding
            found.setdefault(finding.location.path, []).extend(finding.parts)
    return found


def _scope(outcome: CheckOutcome, options: FixOptions, paths: list[Path]) -> tuple[list[History], Scope]:
    from migrate_lint.fix.scope import unapplied

    histories, _ = find_histories(paths, outcome.config)
    changes = None
    if options.base:
        from migrate_lint.lint.changes import changes_since

        start = next((p for p in paths if p.exists()), Path("."))
        changes = changes_since(options.base, start if start.is_dir() else start.parent)
    return histories, unapplied(histories, options.cache_folder, changes)


def plan_file(path: Path, text: str, findings: list[Finding], config: Config,
              revision: tuple[str, bool, History] | None = None) -> tuple[str, dict[int, str], list[Any]]:
    """The fixed text of one file, by index into `findings` what each planned fix does, and the
    follow-up revisions to write after it (fix.followup); `revision`: the file's (id, head, history)."""
    from migrate_lint.fix.plan import Plan
    from migrate_lint.fix.source import Source

    plan = Plan(Source(text), config.dialect, config.lock_timeout, line_length(config))
    if revision is not None:
        plan.revision, plan.head = revision[0], revision[1]
    table = fixers()
    done = {}
    order = sorted(range(len(findings)),
                   key=lambda i: (findings[i].code != "ML303", findings[i].location.line))
    for index in order:
        message = table[findings[index].code](plan, findings[index])
        if message:
            done[index] = message
    return plan.apply(), done, plan.followups


def line_length(config: Config) -> int:
    """The project's ruff line length, so that a fix leaves a ruff-formatted file formatted."""
    import tomllib

    if config.source is None or config.source.name != "pyproject.toml":
        return DEFAULT_LINE_LENGTH
    try:
        ruff = tomllib.loads(config.source.read_text(encoding="utf-8")).get("tool", {}).get("ruff", {})
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_LINE_LENGTH
    value = ruff.get("line-length")
    return value if isinstance(value, int) else DEFAULT_LINE_LENGTH


def edits(before: str, after: str) -> tuple[Edit, ...]:
    """Whole-line replacements that turn `before` into `after`."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return tuple(Edit(i1 + 1, 1, i2 + 1, 1, "".join(new[j1:j2]))
                 for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def follow_ups(kept: list[FileFix], scope: Scope) -> list[FileFix]:
    """The new revisions the kept fixes call for, each after its fixed revision (a head)."""
    from migrate_lint.fix.followup import write_follow_up

    made = []
    for file in kept:
        for follow in file.followups:
            head, _, history = scope.revisions[real_path(file.path)]
            path, text = write_follow_up(history, file.path, head, follow)
            made.append(FileFix(path, "", text))
    return made


def fix(outcome: CheckOutcome, paths: list[Path], options: FixOptions, apply: bool) -> FixResult:
    """Findings with their fixes. With `apply`, the fixed files too, each re-checked (see FileFix)."""
    catalog = load_catalog()
    candidates = _candidates(outcome.report, catalog, options.unsafe or not apply)
    if not candidates:
        return FixResult(outcome.report)
    histories, scope = _scope(outcome, options, paths)
    notes: list[str] = []
    fixes: dict[Finding, Fix] = {}
    planned: list[FileFix] = []
    for path, findings in candidates.items():
        real = real_path(path)
        if real not in scope.fixable:
            reason = scope.why_not.get(real, "it is not a revision of the history")
            if real in options.asked and apply:
                raise UserError(f"cannot fix {display_path(path)}: {reason}; edit-applied-migration is "
                                "worse than the finding")
            if apply:
                notes.append(f"not fixed: {display_path(path)}: {reason}")
            continue
        with open(path, encoding="utf-8", newline="") as handle:  # line endings as they are
            text = handle.read()
        try:
            after, done, followups = plan_file(path, text, findings, outcome.config,
                                               scope.revisions.get(real))
        except Exception as exc:  # libcst cannot parse what ast could: report, never guess
            notes.append(f"not fixed: {display_path(path)}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        for index, message in done.items():
            finding = findings[index]
            spec = catalog.get(finding.code)
            changes: tuple[Edit, ...] = ()
            if options.edits:
                single = after if len(done) == 1 else \
                    plan_file(path, text, [finding], outcome.config, scope.revisions.get(real))[0]
                changes = edits(text, single)
            fixes[finding] = Fix(spec.fix if spec else "safe", message, changes)
        if done and after != text:
            planned.append(FileFix(path, text, after, [findings[i] for i in done], followups))
        plan = partial(plan_file, path, text, config=outcome.config, revision=scope.revisions.get(real))
        fixes |= _merged_fixes(outcome.report.findings, path, fixes, text, plan if options.edits else None)
    report = replace(outcome.report,
                     findings=tuple(replace(f, fix=fixes.get(f)) for f in outcome.report.findings))
    if not apply:
        return FixResult(report, notes=notes)
    kept, refused, fresh = recheck(planned, histories, outcome, catalog, options.cache_folder)
    notes += refused
    kept += follow_ups(kept, scope)
    # In a fixed file the findings left are the re-check's (their lines are the new ones), and those only
    # the rendered layer finds, which the re-check (AST only) cannot see.
    rendered_only = {spec.code for spec in catalog.rules if "rendered" in spec.tags} | {"ML904"}
    remaining = [f for f in report.findings if f.location.path not in fresh or f.code in rendered_only]
    remaining += [f for found in fresh.values() for f in found]  # the re-check's, one per object
    return FixResult(replace(report, findings=tuple(per_table(remaining))), kept, notes)


def _merged_fixes(findings: tuple[Finding, ...], path: Path, fixes: dict[Finding, Fix], text: str,
                  plan: Callable[..., tuple[str, Any, Any]] | None) -> dict[Finding, Fix]:
    """A merged finding's fix: every one of its objects' fixes, as one set of edits (json, sarif)."""
    found = {}
    for finding in findings:
        if len(finding.parts) < 2 or finding.location.path != path:
            continue
        fixed = [part for part in finding.parts if part in fixes]
        if not fixed:
            continue
        messages = list(dict.fromkeys(fixes[part].message for part in fixed))
        edits_of = edits(text, plan(fixed)[0]) if plan is not None else ()
        found[finding] = Fix(fixes[fixed[0]].applicability, "; ".join(messages)
                             + (f" ({len(fixed)} calls)" if len(fixed) > 1 else ""), edits_of)
    return found


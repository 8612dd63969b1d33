"""How each revision is deployed, from `deploy`, `per-branch-deploy` and `per-path-deploy`: online (the
previous release serves traffic while it runs), after-release (only the new release runs: the contract
step of expand/contract) or offline (the application is stopped). Findings of rules whose risk needs
what a revision's deploy rules out are set apart, and counted, instead of reported."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from migrate_lint.catalog import Catalog, suggestion
from migrate_lint.config import Config
from migrate_lint.finding import Finding
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.labels import label_origin, resolve_label, search_roots
from migrate_lint.revisions.orchestration import rolling_deploy
from migrate_lint.revisions.startup import upgrades_at_start
from migrate_lint.revisions.upgrade_docs import stops_to_upgrade

# Expand/contract (OpenStack's neutron, keystone, glance; the pattern in general): a contract revision
# runs only once no server runs the previous release. Whether traffic is stopped too differs (neutron
# stops every neutron-server, keystone and glance contract while the new release serves), so the
# convention assumes only what every one of them guarantees. Configure the label to change it.
CONVENTIONS = {"contract": "after-release"}
# ...but neutron, and the subprojects that import its labels, call contract revisions offline
# migrations: `neutron-db-manage has_offline_migrations` tells the operator to stop every
# neutron-server before `upgrade --contract`.
NEUTRON_CONTRACT = frozenset({("neutron.db.migration.cli", "CONTRACT_BRANCH"),
                              ("neutron_lib.db.constants", "CONTRACT_BRANCH")})
NEUTRON_OFFLINE = ("neutron's contract branch, whose revisions neutron runs as offline migrations, "
                   "with every neutron-server stopped")
DOCUMENTED = "the project's upgrade instructions stop the application first"
RANK = {"online": 0, "after-release": 1, "offline": 2}  # labels that disagree: the lowest wins

Mode = tuple[str, str]  # (deploy mode, why: "contract branch")


def modes(config: Config, graph: RevisionGraph, sources: Callable[[Path], str | None],
          matches: Callable[[Path, tuple[str, ...]], bool], script_location: Path
          ) -> tuple[dict[Path, Mode], set[str]]:
    """The deploy mode of each revision file that is not online, with why; and the branch labels the
    history carries, as written and as resolved."""
    labels, offline = _resolved_labels(graph, sources, search_roots(config.root, script_location))
    guarded: list[str] = []
    default, before = _default(config, script_location, lambda: _guards_locks(graph, sources, guarded))
    earlier = _written_before(graph, guarded) if before else set()
    branches = dict(config.per_branch_deploy)
    found: dict[Path, Mode] = {}
    declared = {rev.path: mode for rev in graph.by_id.values() if (mode := _declared(sources(rev.path)))}
    if not graph.labels and not config.per_path_deploy and not earlier and not declared:
        # most histories: one mode for all
        return ({} if default[0] == "online" else {rev.path: default for rev in graph.by_id.values()}), set()
    for rev in graph.by_id.values():
        branch = graph.branch_labels_of(rev.id)
        mode = _by_path(config, rev.path, matches) or _by_branch(
            branches, {labels.get(label, label) for label in branch}, branch, offline) or \
            declared.get(rev.path) or (before if before and rev.id in earlier else default)
        if mode[0] != "online":
            found[rev.path] = mode
    return found, set(graph.labels) | set(labels.values())


def _default(config: Config, script_location: Path, guards_locks: Callable[[], str | None]
             ) -> tuple[Mode, Mode | None]:
    """`deploy` as configured; unset, online, but offline on SQLite (a database file that one
    application serves and that the migration holds for writing while it runs) and where the
    application upgrades its database as it starts (revisions.startup) or its upgrade instructions
    stop it first (revisions.upgrade_docs): no previous release serves traffic during the upgrade
    then. Unless the history guards against locks itself (CONCURRENTLY, NOT VALID, lock_timeout): its
    team runs revisions beside a serving release, as Prefect's server does beside its other
    replicas; or the project deploys the application that upgrades as it starts with a rolling
    update (revisions.orchestration). Say `deploy = "online"` where one does. Second, where the
    instructions stop the application but the history guards its locks: the mode of the revisions
    written before the first guarded one, which ran as the instructions say."""
    if config.deploy is not None:
        return (config.deploy, f'deploy = "{config.deploy}"'), None
    if config.dialect == "sqlite":
        return ("offline", "SQLite: the application is stopped to upgrade its database file"), None
    root = config.root if script_location.resolve().is_relative_to(config.root.resolve()) \
        else script_location.parent
    # the revisions are not the application; a runner beside env.py is (MindsDB's migrate.py)
    started = upgrades_at_start(root, frozenset({(script_location / "versions").resolve()}))
    why = "the application upgrades its database as it starts"
    if not started and (started := stops_to_upgrade(root)):
        why = DOCUMENTED
    if started and not (guard := guards_locks()):
        if why.endswith("as it starts") and (rolled := rolling_deploy(root)):
            return ("online", (f"{why} ({started[0]}:{started[1]}), but {rolled} deploys it with a rolling "
                               "update: the previous release serves while it does")), None
        return ("offline", f"{why}, {started[0]}:{started[1]}"), None
    if started:
        before = ("offline", f"{why}, {started[0]}:{started[1]}, and this revision is older than the "
                             "first that guards its locks") if why == DOCUMENTED else None
        return ("online", f"{why}, but {guard}"), before
    return ("online", 'deploy = "online"'), None


LOCK_GUARDS = ("concurrently", "not_valid", "NOT VALID", "lock_timeout")


def _guards_locks(graph: RevisionGraph, sources: Callable[[Path], str | None],
                  guarded: list[str]) -> str | None:
    """Where a revision of the history guards against the locks it takes, said as a reason; `guarded`
    gets every such revision."""
    reason = None
    for rev in sorted(graph.by_id.values(), key=lambda r: r.path):
        text = sources(rev.path) or ""
        if guard := next((g for g in LOCK_GUARDS if g in text or g.upper() in text), None):
            guarded.append(rev.id)
            reason = reason or f"{rev.path.name} uses {guard}, written for a release that keeps serving"
    return reason


def _written_before(graph: RevisionGraph, guarded: list[str]) -> set[str]:
    """Revisions written before the team began guarding its locks: neither guarded nor after one.
    Its upgrade instructions stop the application, so these ran that way (SkyPortal guards only its
    newest revision)."""
    if not guarded:
        return set()
    later = set(guarded).union(*(graph.descendants(rev_id) for rev_id in guarded))
    return set(graph.by_id) - later


def unknown_branches(config: Config, seen: set[str]) -> list[str]:
    """per-branch-deploy labels that no checked revision carries (a typo would silently do nothing)."""
    return [f"`per-branch-deploy` names branch {label!r}, which no revision carries"
            f"{suggestion(label, seen)}" for label, _ in config.per_branch_deploy if label not in seen]


def _resolved_labels(graph: RevisionGraph, sources: Callable[[Path], str | None],
                     roots: tuple[Path, ...]) -> tuple[dict[str, str], frozenset[str]]:
    """Computed labels (`cli.CONTRACT_BRANCH`) mapped to their value where it can be read, and the
    labels, as written, that are neutron's contract branch."""
    resolved: dict[str, str] = {}
    neutron: set[str] = set()
    for rev in graph.by_id.values():
        source = sources(rev.path) if rev.branch_labels else None
        if source is not None:
            for label in rev.branch_labels:
                origin = label_origin(label, source)
                resolved[label] = resolve_label(label, origin, roots)  # a literal label stays itself
                if origin in NEUTRON_CONTRACT:
                    neutron.add(label)
    return resolved, frozenset(neutron)


# A revision whose docstring says it must not run beside the previous release (cognee's "NOT an
# online migration: ... stop all replicas, upgrade, then start")
DECLARED_OFFLINE = re.compile(
    r"\bnot\s+an?\s+online\s+(?:migration|upgrade)\b|\brequires?\s+(?:a\s+)?downtime\b"
    r"|\bstop\s+(?:all|every)\s+(?:the\s+)?(?:replicas|instances|workers|servers)\b", re.IGNORECASE)
_DOCSTRING = re.compile(r"""\A(?:\s*#[^\n]*\n)*\s*[rRuU]?(\"\"\"|\'\'\')(.*?)\1""", re.DOTALL)


def _declared(text: str | None) -> Mode | None:
    """Offline where the revision's docstring says it runs with the previous release stopped."""
    docstring = _DOCSTRING.match(text[:16384]) if text else None
    found = DECLARED_OFFLINE.search(docstring[2]) if docstring else None
    return ("offline", f'the revision says so ("{" ".join(found[0].split())}")') if found else None


def _by_path(config: Config, path: Path, matches: Callable[[Path, tuple[str, ...]], bool]) -> Mode | None:
    """The first per-path-deploy glob that matches the revision file."""
    for glob, mode in config.per_path_deploy:
        if matches(path, (glob,)):
            return mode, f'per-path-deploy "{glob}"'
    return None


def _by_branch(branches: dict[str, str], values: Iterable[str], sources: Iterable[str],
               offline: frozenset[str] = frozenset()) -> Mode | None:
    """The deploy of the revision's branch: configured labels (by value or as written in the header)
    first, then neutron's contract branch (`offline`: its labels as written), then the conventions;
    when two labels disagree the one that reports more wins."""
    values, sources = sorted(set(values)), sorted(set(sources))
    configured = [(branches[label], label) for label in (*values, *sources) if label in branches]
    if not configured and offline.intersection(sources):
        return "offline", NEUTRON_OFFLINE
    found = configured or [(CONVENTIONS[label], label) for label in values if label in CONVENTIONS]
    if not found:
        return None
    mode, label = min(found, key=lambda item: (RANK[item[0]], item[1]))
    return mode, f"{label} branch"


def split(findings: Iterable[Finding], deploys: dict[Path, Mode], catalog: Catalog
          ) -> tuple[list[Finding], list[Finding], Counter[str]]:
    """(reported, not reported, reasons with their counts): a finding is not reported when its rule's
    risk needs what its revision's deploy rules out (traffic, or the previous release running)."""
    kept: list[Finding] = []
    held: list[Finding] = []
    reasons: Counter[str] = Counter()
    for finding in findings:
        mode = deploys.get(finding.location.path)
        spec = catalog.get(finding.code) if mode else None
        if mode and spec is not None and not spec.applies_to(mode[0], finding.variant):
            held.append(finding)
            reasons[f"{mode[0]} deploy ({mode[1]})"] += 1
        else:
            kept.append(finding)
    return kept, held, reasons

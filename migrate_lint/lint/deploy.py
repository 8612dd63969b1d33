"""How each revision is deployed: online (the previous release serves traffic while it runs) or offline
(the application is stopped), from `deploy`, `per-branch-deploy` and `per-path-deploy`; findings of
rules whose risk needs the application running are not reported for offline revisions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from migrate_lint.catalog import Catalog
from migrate_lint.config import Config
from migrate_lint.finding import Finding
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.labels import resolve_label, search_roots

# OpenStack's expand/contract convention (neutron, and projects built on its migration CLI): contract
# revisions run only with every API server stopped. Configure the label "online" to opt out.
CONVENTIONS = {"contract": "offline"}


def offline_revisions(config: Config, graph: RevisionGraph, sources: Callable[[Path], str | None],
                      matches: Callable[[Path, tuple[str, ...]], bool], script_location: Path
                      ) -> dict[Path, str]:
    """Each offline revision's file, with why it is offline ("contract branch")."""
    labels = _resolved_labels(graph, sources, search_roots(config.root, script_location))
    branches = dict(config.per_branch_deploy)
    offline: dict[Path, str] = {}
    for rev in graph.by_id.values():
        branch = graph.branch_labels_of(rev.id)
        mode, reason = _by_path(config, rev.path, matches) or _by_branch(
            branches, {labels.get(label, label) for label in branch}, branch) or (
            config.deploy, 'deploy = "offline"')
        if mode == "offline":
            offline[rev.path] = reason
    return offline


def _resolved_labels(graph: RevisionGraph, sources: Callable[[Path], str | None],
                     roots: tuple[Path, ...]) -> dict[str, str]:
    """Computed labels (`cli.CONTRACT_BRANCH`) mapped to their value where it can be read."""
    resolved: dict[str, str] = {}
    for rev in graph.by_id.values():
        source = sources(rev.path) if rev.branch_labels else None
        if source is not None:
            for label in rev.branch_labels:
                resolved[label] = resolve_label(label, source, roots)  # a literal label stays itself
    return resolved


def _by_path(config: Config, path: Path, matches: Callable[[Path, tuple[str, ...]], bool]
             ) -> tuple[str, str] | None:
    """The first per-path-deploy glob that matches the revision file."""
    for glob, mode in config.per_path_deploy:
        if matches(path, (glob,)):
            return mode, f'per-path-deploy "{glob}"'
    return None


def _by_branch(branches: dict[str, str], values: Iterable[str], sources: Iterable[str]
               ) -> tuple[str, str] | None:
    """The deploy of the revision's branch: configured labels (by value or as written in the header)
    first, then the conventions; online wins when two labels disagree."""
    values, sources = sorted(set(values)), sorted(set(sources))
    configured = [(branches[label], label) for label in (*values, *sources) if label in branches]
    found = configured or [(CONVENTIONS[label], label) for label in values if label in CONVENTIONS]
    if not found:
        return None
    mode, label = max(found)  # "online" > "offline": any online label keeps the revision online
    return mode, f"{label} branch"


def split(findings: Iterable[Finding], offline: dict[Path, str], catalog: Catalog
          ) -> tuple[list[Finding], list[Finding], Counter[str]]:
    """(reported, not reported, reasons with their counts): the findings of online-only rules in
    offline revisions are set apart."""
    kept: list[Finding] = []
    held: list[Finding] = []
    reasons: Counter[str] = Counter()
    for finding in findings:
        reason = offline.get(finding.location.path)
        spec = catalog.get(finding.code) if reason else None
        if reason and spec is not None and spec.needs_online:
            held.append(finding)
            reasons[reason] += 1
        else:
            kept.append(finding)
    return kept, held, reasons

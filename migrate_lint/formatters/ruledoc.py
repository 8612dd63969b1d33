"""A rule's documentation as Markdown, rendered from its catalogue entry (cases included)."""

from __future__ import annotations

import textwrap
from typing import Any

from migrate_lint.catalog import Case, RuleSpec, anchor


def _case_source(case: Case) -> str:
    first = case.revisions[0] if case.revisions else None
    if isinstance(first, dict) and "models" in first:  # a drift case
        parts = ["# models", first["models"].rstrip(), "", "# the revision", "def upgrade():",
                 textwrap.indent(first["upgrade"].rstrip(), "    ")]
        if first.get("downgrade"):
            parts += ["", "def downgrade():", textwrap.indent(first["downgrade"].rstrip(), "    ")]
        return "\n".join(parts)
    parts = []
    revisions = [r for r in case.revisions if not (isinstance(r, dict) and "path" in r)]
    for index, revision in enumerate(revisions, start=1):
        text = revision if isinstance(revision, str) else revision["source"]
        if len(case.revisions) > 1:
            parts.append(f"# revision {index}")
        parts.append(text.rstrip())
    for other in case.revisions:
        if isinstance(other, dict) and "path" in other:  # a project file the same change edits
            if isinstance(other.get("base"), str):
                parts.append(f"# {other['path']}, before the change")
                parts.append(other["base"].rstrip())
            parts.append(f"# {other['path']}, in the change")
            parts.append(other["source"].rstrip())
    return "\n".join(parts)


FIXES = {"safe": "Fix: safe (`migrate-lint check --fix`).",
         "unsafe": "Fix: unsafe, it changes behaviour (`migrate-lint check --fix --unsafe-fixes`).",
         "": "Fix: none."}

DEPLOYS = {"traffic": "Deploy: the risk needs traffic while revisions run; not reported for revisions "
                      'deployed `"offline"` (`deploy`, `per-branch-deploy`, `per-path-deploy`).',
           "old-code": "Deploy: the risk needs the previous release running; not reported for revisions "
                       'deployed `"after-release"` or `"offline"` (the contract branch by default).',
           "any": "Deploy: any; reported however revisions are deployed."}


def render(spec: RuleSpec) -> str:
    lines = [
        f"# {spec.code} {spec.name}: {spec.title}", "",
        f"Default severity: {spec.severity.label}. "
        f"{'On by default.' if spec.default else 'Opt-in: enable it with select.'}",
    ]
    if spec.dialects:
        lines.append(f"Dialects: {', '.join(spec.dialects)}.")
    lines.append(FIXES.get(spec.fix, FIXES[""]))
    lines.append(DEPLOYS[spec.deploy])
    for variant, deploy in spec.deploy_variants:
        lines.append(f"Its {variant} wording: {DEPLOYS[deploy][len('Deploy: '):]}")
    lines += ["", "## What it catches", spec.catches, "", "## Why it is risky", spec.risk, "",
              "## The safe way", spec.safe]
    if spec.example:
        lines += ["", "```python", spec.example, "```"]
    if spec.trace:
        lines += ["", f"Not verified by `migrate-lint trace`: {spec.trace}"]
    for kind, title in (("fail", "Flagged"), ("pass", "Not flagged")):
        cases = [c for c in spec.cases if c.kind == kind]
        lines += ["", f"## {title}"]
        for case in cases:
            config = f" (config: {case.config})" if case.config else ""
            lines += ["", f"{case.name}{config}:", "", "```python",
                      textwrap.dedent(_case_source(case)), "```"]
            if case.server:
                lines += ["", _verified(case.server)]
            if case.fixed is not None:
                lines += ["", "`check --fix` rewrites it as:", "", "```python", case.fixed.rstrip(), "```"]
    if spec.references:
        lines += ["", "## References", *(f"- {ref}" for ref in spec.references)]
    lines += ["", f"Suppress one occurrence with `# migrate-lint: ignore[{spec.name}] -- reason`."]
    return "\n".join(lines) + "\n"


SERVERS = {"postgresql": "PostgreSQL 15", "mariadb": "MariaDB 10.11"}


def _verified(server: dict[str, Any]) -> str:
    """The facts `migrate-lint trace` observed for this case on the real servers in CI."""
    said = []
    for name, facts in server.items():
        if "algorithm" in facts:
            algorithms = facts["algorithm"].items()
            said.append(f"{SERVERS.get(name, name)}: " + ", ".join(
                f"ALTER TABLE {table} runs with ALGORITHM={how}" for table, how in algorithms))
            continue
        locks = facts.get("locks") or {}
        # a statement run outside the migration's transaction commits as it ends: its locks are never
        # seen held, so the docs say where it ran rather than "no lock"
        outside = "runs outside the migration's transaction (autocommit): its locks end with it"
        parts = [", ".join(f"{mode} on {table}" for table, mode in locks.items()) or
                 (outside if facts.get("autocommit") else "no lock left held that blocks reads or writes")]
        if locks and facts.get("autocommit"):
            parts.append("part of it " + outside)
        rewrites = facts.get("rewrites") or ()
        parts.append(f"rewrites {', '.join(rewrites)}" if rewrites else "rewrites nothing")
        parts += [f"leaves {item} not validated" for item in facts.get("unvalidated") or ()]
        if "invalid" in facts:
            invalid = facts["invalid"]
            parts.append(f"leaves index {', '.join(invalid)} invalid" if invalid
                         else "leaves no index invalid")
        if "keys" in facts:
            keys = facts["keys"]
            parts.append(f"drops or replaces the primary key of {', '.join(keys)}" if keys
                         else "keeps every primary key")
        if "scanned" in facts:
            scanned = facts["scanned"]
            parts.append(f"reads every row of {', '.join(scanned)}" if scanned
                         else "reads no table's rows in the migration's transaction")
        said.append(f"{SERVERS.get(name, name)}: {'; '.join(parts)}")
    return f"Verified by `migrate-lint trace` on {' and '.join(said)}."


def reference(specs: list[RuleSpec]) -> str:
    """The whole rule reference (docs/rules.md): an index, then every rule one heading deeper."""
    lines = ["# Rule reference", "",
             "Generated from `rules/*.yml` by `migrate-lint rules --format markdown`; do not edit by hand.",
             "", "| code | name | severity | default | title |", "|---|---|---|---|---|"]
    for spec in specs:
        lines.append(f"| [{spec.code}](#{anchor(spec.code, spec.name)}) | `{spec.name}` | "
                     f"{spec.severity.label} | {'on' if spec.default else 'opt-in'} | {spec.title} |")
    for spec in specs:
        page = render(spec).replace("\n## ", "\n### ")
        lines += ["", page.replace(f"# {spec.code} {spec.name}: {spec.title}",
                                   f"## {spec.code} {spec.name}\n\n{spec.title}.", 1).rstrip("\n")]
    return "\n".join(lines) + "\n"

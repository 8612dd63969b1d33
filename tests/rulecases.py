"""Turn a catalogue case into revision files on disk and read its `# expect:` markers."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from migrate_lint.catalog import Case, Catalog

VERSIONS = "migrations/versions"
CONFIG_ONLY = "migrate-lint.toml"  # a case's config when its project has no root marker
EXPECT = re.compile(r"#\s*expect:\s*([A-Za-z0-9_, -]+)$")

TEMPLATE = '''"""{name}"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''


def _revisions(case: Case) -> list[Any]:
    """A case's revisions; entries with a `path` are other project files (application code)."""
    return [r for r in case.revisions if not (isinstance(r, dict) and "path" in r)]


def project_files(case: Case) -> list[tuple[str, str]]:
    """(path in the project, text now) of a case's non-revision files."""
    return [(r["path"], textwrap.dedent(r["source"])) for r in case.revisions
            if isinstance(r, dict) and "path" in r]


def revision_sources(case: Case) -> list[tuple[str, str]]:
    """(file name, source) for each revision of a case; bodies are chained r1 <- r2 <- r3."""
    files = []
    for index, revision in enumerate(_revisions(case), start=1):
        if isinstance(revision, str):
            down = repr(f"r{index - 1}") if index > 1 else "None"
            body = textwrap.indent(textwrap.dedent(revision).rstrip() or "pass", "    ")
            source = TEMPLATE.format(name=case.name, rev=f"r{index}", down=down, body=body)
        else:
            source = textwrap.dedent(revision["source"])
        files.append((f"r{index}.py", source))
    return files


def expected(files: list[tuple[str, str]], catalog: Catalog) -> set[tuple[str, int, str]]:
    found = set()
    for name, source in files:
        for number, line in enumerate(source.splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for rule in match.group(1).split(","):
                    spec = catalog.get(rule.strip())
                    assert spec is not None, f"unknown rule in marker: {rule!r}"
                    found.add((name, number, spec.code))
    return found


def expected_in_files(case: Case, catalog: Catalog) -> set[tuple[str, int, str]]:
    """Findings a case's non-revision files expect at their first line (`expect: MLxxx`)."""
    found = set()
    for other in case.revisions:
        if isinstance(other, dict) and "path" in other and other.get("expect"):
            for rule in str(other["expect"]).split(","):
                spec = catalog.get(rule.strip())
                assert spec is not None, f"unknown rule in expect: {rule!r}"
                found.add((Path(other["path"]).name, 1, spec.code))
    return found


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def locked_sources(case: Case) -> list[str]:
    """Texts of a case's revisions as they were when the lock file was written."""
    return [textwrap.dedent(rev["locked"]) for rev in case.revisions
            if isinstance(rev, dict) and isinstance(rev.get("locked"), str)]


def write_lock(script_location: Path, sources: list[str]) -> None:
    """migrate-lint.lock for these revision texts, as `migrate-lint lock` writes it."""
    import ast

    from migrate_lint.lint import lockfile
    from migrate_lint.revisions.facts import code_fingerprint
    from migrate_lint.revisions.graph import RevisionGraph, read_header

    revisions = [read_header(ast.parse(text), script_location / "x.py").revision for text in sources]
    checksums = {rev.id: code_fingerprint(text) for rev, text in zip(revisions, sources, strict=True)}
    lockfile.write(script_location / lockfile.NAME, RevisionGraph(revisions), checksums)


def base_sources(case: Case) -> list[tuple[str, str]]:
    """(path in the project, text at the base) for files of a case that say what they were before."""
    revisions = [(f"{VERSIONS}/r{index}.py", rev) for index, rev in enumerate(_revisions(case), 1)]
    others = [(r["path"], r) for r in case.revisions if isinstance(r, dict) and "path" in r]
    return [(name, textwrap.dedent(rev["base"])) for name, rev in revisions + others
            if isinstance(rev, dict) and isinstance(rev.get("base"), str)]


def write_project(root: Path, files: list[tuple[str, str]], config: dict[str, Any],
                  base: list[tuple[str, str]] = (), locked: list[str] = (),
                  others: list[tuple[str, str]] = (), project_root: bool = True) -> Path:
    """A project folder with pyproject.toml, migrations/versions holding the case's revisions, and
    its other files. Without project_root the config goes to migrate-lint.toml instead, so nothing
    marks the folder as a project's root (pass it as the config file).

    With base texts, it is a git repository whose one commit holds them; the case's files are
    then the uncommitted change (checked with --base HEAD)."""
    versions = root / VERSIONS
    versions.mkdir(parents=True)
    if base:
        for name, source in base:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(source, encoding="utf-8")
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
    for name, source in files:
        (versions / name).write_text(source, encoding="utf-8")
    for name, source in others:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source, encoding="utf-8")
    if locked:
        write_lock(root / "migrations", locked)
    lines = ["[tool.migrate-lint]", 'script-location = "migrations"']
    lines += [f"{key} = {_toml_value(value)}" for key, value in config.items()]
    (root / ("pyproject.toml" if project_root else CONFIG_ONLY)).write_text("\n".join(lines) + "\n",
                                                                           encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    """Run git in a test repository with a fixed identity; fail loudly."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(root)}
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout

"""edited-applied-migration: a revision that already exists on the base branch was changed."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.facts import parse
from migrate_lint.migration import Migration

CODE = "ML406"
SCOPE = "revision"


def _code(source: str) -> str | None:
    """The code of a file, without comments, formatting or docstrings; None if it does not parse."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    before = ctx.base_sources.get(migration.path.resolve())
    if before is None:
        return
    old, new = _code(before), _code(migration.source)
    if old is None or new is None:
        edited = " ".join(before.split()) != " ".join(migration.source.split())
    else:
        edited = old != new
    if edited:
        rev = migration.revision
        yield Hit(rev.line, rev.id, {"revision": rev.id, "base": ctx.base[:12]})

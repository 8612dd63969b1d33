"""missing-parent-revision: down_revision or depends_on naming a revision nobody defines."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, graph_problems

CODE = "ML402"
SCOPE = "history"


def check(ctx: CheckContext) -> Iterator[Hit]:
    return graph_problems(ctx, "missing")

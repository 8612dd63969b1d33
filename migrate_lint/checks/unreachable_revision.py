"""unreachable-revision: a revision that no head leads down to."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, graph_problems

CODE = "ML410"
SCOPE = "history"


def check(ctx: CheckContext) -> Iterator[Hit]:
    return graph_problems(ctx, "unreachable")

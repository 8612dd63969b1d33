"""duplicate-revision-id: two files declaring the same revision id."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, graph_problems

CODE = "ML403"
SCOPE = "history"


def check(ctx: CheckContext) -> Iterator[Hit]:
    return graph_problems(ctx, "duplicate")

"""revision-cycle: down_revision chains that loop back on themselves."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, graph_problems

CODE = "ML404"
SCOPE = "history"


def check(ctx: CheckContext) -> Iterator[Hit]:
    return graph_problems(ctx, "cycle")

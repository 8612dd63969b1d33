"""Revisions whose render stopped part-way (an app import, `.fetchone()` on the offline connection,
an exception in upgrade()): which op.* calls the rendered SQL already covers.

The worker sends what Alembic emitted before the failure (worker.py). The operations the AST found
are in execution order (helpers inlined at their call), so the render covers a prefix of them: up
to the last call whose line (or `with batch_alter_table` line) emitted a rendered statement. The
calls after it never ran, and the engine lints the SQL written from them (opsql) instead.
"""

from __future__ import annotations

from migrate_lint.revisions.migration import Operation, Rendered


def rendered_prefix(rendered: Rendered, operations: tuple[Operation, ...]) -> int:
    """How many of `operations`, from the first, the partial render emitted SQL for."""
    lines = {line for line, *_ in rendered.statements}
    if not lines:
        return 0
    reached = [index for index, op in enumerate(operations)
               if op.line in lines or (op.batch_line is not None and op.batch_line in lines)]
    return reached[-1] + 1 if reached else 0

"""Revisions whose render stopped part-way (an app import, `.fetchone()` on the offline connection,
an exception in upgrade()): which op.* calls the rendered SQL already covers.

The worker sends what Alembic emitted before the failure (worker.py). The operations the AST found
are in execution order (helpers inlined at their call, loops unrolled), so the render covers a
prefix of them, matched to the rendered statements in order by line (or `with batch_alter_table`
line): a loop's calls share their lines, so the last call on a rendered line is not the end of the
prefix when the loop stopped in its first pass. The calls after it never ran, and the engine lints
the SQL written from them (opsql) instead.
"""

from __future__ import annotations

from migrate_lint.revisions.migration import Operation, Rendered


def rendered_prefix(rendered: Rendered, operations: tuple[Operation, ...]) -> int:
    """How many of `operations`, from the first, the partial render emitted SQL for.

    Each call takes the next rendered statement written at its line, and the ones after it at that
    line too unless the next call shares the line (a loop's next pass); a call whose line is not the
    next statement's emitted nothing (`op.execute` of SQL built at run time), where a later call's
    line is."""
    lines = [line for line, *_ in rendered.statements]
    at, covered = 0, 0
    for index, op in enumerate(operations):
        if at == len(lines):
            break
        own = {op.line} if op.batch_line is None else {op.line, op.batch_line}
        if lines[at] not in own:
            if any(lines[at] in (later.line, later.batch_line) for later in operations[index + 1:]):
                continue  # this call emitted nothing; a later one wrote the next statement
            break
        at += 1
        following = operations[index + 1] if index + 1 < len(operations) else None
        shared = following is not None and following.line == op.line
        while not shared and at < len(lines) and lines[at] in own:
            at += 1
        covered = index + 1
    return covered

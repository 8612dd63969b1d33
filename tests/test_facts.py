"""analyse_many: splitting the work over a forked helper never changes the result."""

import os
from pathlib import Path

import pytest

from migrate_lint import facts

needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2,
                                reason="the split needs fork and a second core")


def revisions(count: int) -> list[tuple[Path, str]]:
    return [(Path(f"versions/r{i}.py"),
             f"revision = 'r{i}'\ndown_revision = {repr(f'r{i - 1}') if i else None}\n"
             "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n"
             f"    op.add_column('t{i % 7}', sa.Column('c{i}', sa.Integer(), nullable={i % 2 == 0}))\n"
             f"    op.create_index('ix_{i}', 't{i % 7}', ['c{i}'])  # migrate-lint: ignore[ML101] -- new\n")
            for i in range(count)]


@needs_fork
def test_the_split_gives_what_one_process_gives():
    files = revisions(facts.SPLIT_AT + 51)
    assert facts.analyse_many(files) == [facts.analyse(path, source) for path, source in files]


@needs_fork
def test_a_failing_helper_costs_time_not_results(monkeypatch):
    parent = os.getpid()
    analyse = facts.analyse

    def fails_in_the_helper(path, source):
        if os.getpid() != parent:
            raise RuntimeError("the helper breaks")
        return analyse(path, source)

    monkeypatch.setattr(facts, "analyse", fails_in_the_helper)
    files = revisions(facts.SPLIT_AT)
    found = facts.analyse_many(files)
    assert [f.header.revision.id for f in found] == [f"r{i}" for i in range(len(files))]
    assert found == [analyse(path, source) for path, source in files]

"""analyse_many: splitting the work over a forked helper (halves.in_two) never changes the result;
header_of is analyse().header at a lower cost."""

import os
from pathlib import Path

import pytest

from migrate_lint.revisions import facts
from migrate_lint.revisions.halves import SPLIT_AT

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the split needs fork")


def revisions(count: int) -> list[tuple[Path, str]]:
    return [(Path(f"versions/r{i}.py"),
             f"revision = 'r{i}'\ndown_revision = {repr(f'r{i - 1}') if i else None}\n"
             "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n"
             f"    op.add_column('t{i % 7}', sa.Column('c{i}', sa.Integer(), nullable={i % 2 == 0}))\n"
             f"    op.create_index('ix_{i}', 't{i % 7}', ['c{i}'])  # migrate-lint: ignore[ML101] -- new\n")
            for i in range(count)]


def expected(path: Path, source: str, complete: bool):
    found = facts.analyse(path, source)
    return found if complete else found.header


@needs_fork
def test_the_split_gives_what_one_process_gives():
    files = [(path, source, i % 3 == 0) for i, (path, source) in enumerate(revisions(SPLIT_AT + 51))]
    assert facts.analyse_many(files) == [expected(*file) for file in files]
    assert facts.analyse_many(files, spare_core=False) == [expected(*file) for file in files]


@needs_fork
def test_a_failing_helper_costs_time_not_results(monkeypatch):
    parent = os.getpid()
    analyse = facts.analyse

    def fails_in_the_helper(path, source):
        if os.getpid() != parent:
            raise RuntimeError("the helper breaks")
        return analyse(path, source)

    monkeypatch.setattr(facts, "analyse", fails_in_the_helper)
    files = [(path, source, True) for path, source in revisions(SPLIT_AT)]
    found = facts.analyse_many(files)
    assert [f.header.revision.id for f in found] == [f"r{i}" for i in range(len(files))]
    assert found == [analyse(path, source) for path, source, _ in files]


HEADERS = {
    "plain": "revision = 'a1'\ndown_revision = 'a0'\nbranch_labels = None\ndepends_on = None\n",
    "annotated, merge": "revision: str = 'a1'\ndown_revision: tuple = ('a0', 'b0')\n",
    "through a constant": "PARENT = 'a0'\nrevision = 'a1'\ndown_revision = PARENT\n",
    "reassigned after upgrade()": "revision = 'a1'\ndown_revision = 'a0'\ndef upgrade():\n    pass\n"
                                  "down_revision = 'b0'\n",
    "computed": "import os\nrevision = 'a1'\ndown_revision = os.environ['PARENT']\n",
    "not a revision": "from alembic import op\n",
    "syntax error after the header": "revision = 'a1'\ndown_revision = 'a0'\ndef upgrade(:\n    pass\n",
    "null byte": "revision = 'a1'\x00\n",
}


@pytest.mark.parametrize("source", HEADERS.values(), ids=HEADERS.keys())
def test_header_of_reads_what_analyse_reads(source):
    path = Path("versions/a1.py")
    assert facts.header_of(path, source) == facts.analyse(path, source).header

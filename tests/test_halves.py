"""halves.in_two: a forked child doing part of the items never changes the result, nor does its
failure; a check whose revisions' checks are split reports what one process reports."""

import os
from pathlib import Path

import pytest

from migrate_lint.revisions import halves
from migrate_lint.revisions.halves import SPLIT_AT, in_two

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the split needs fork")


@needs_fork
@pytest.mark.parametrize("share", [0.5, 0.53])
def test_the_split_gives_what_one_process_gives(share):
    items = list(range(SPLIT_AT + 7))
    work = lambda n: (n, str(n) * 2, Path(f"r{n}.py"))  # noqa: E731
    assert in_two(items, work, spare_core=True, share=share) == [work(n) for n in items]
    assert in_two(items, work, spare_core=False, share=share) == [work(n) for n in items]


@needs_fork
def test_a_failing_helper_costs_time_not_results():
    parent = os.getpid()

    def work(n):
        if os.getpid() != parent:
            os._exit(3)  # the helper dies before it sends anything
        return n * n

    items = list(range(SPLIT_AT))
    assert in_two(items, work, spare_core=True) == [n * n for n in items]


def revision(i: int) -> str:
    return (f'"""r{i}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "r{i}"\n'
            f"down_revision = {repr(f'r{i - 1}') if i else None}\n\n\ndef upgrade():\n"
            f"    op.add_column('t{i % 7}', sa.Column('c{i}', sa.Integer(), nullable={i % 2 == 0}))\n"
            f"    op.create_index('ix_{i}', 't{i % 7}', ['c{i}'])\n\n\ndef downgrade():\n    pass\n")


@needs_fork
def test_checks_split_over_a_helper_report_what_one_process_reports(tmp_path, check_dir, monkeypatch):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    for i in range(SPLIT_AT + 20):
        (versions / f"r{i:03}.py").write_text(revision(i))
    (tmp_path / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n')
    calls = []
    split = halves.in_two

    def counted(items, work, spare_core, share=0.5):
        calls.append(spare_core)
        return split(items, work, spare_core, share)

    monkeypatch.setattr("migrate_lint.lint.engine.in_two", counted)
    monkeypatch.setattr("migrate_lint.rendering.cores.usable_cores", lambda: 2)
    both = check_dir(tmp_path)
    monkeypatch.setattr("migrate_lint.rendering.cores.usable_cores", lambda: 1)
    one = check_dir(tmp_path)
    assert calls == [True, False]
    assert both == one
    assert {f.code for f in one.findings} >= {"ML101", "ML301"}


@needs_fork
def test_a_first_run_read_in_two_reports_what_one_process_reports(tmp_path, monkeypatch):
    from migrate_lint.lint import run

    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    for i in range(SPLIT_AT + 20):
        (versions / f"r{i:03}.py").write_text(revision(i))
    (versions / "r150.py").write_bytes(b"revision = 'x'\n# \xff not UTF-8\n")  # in the child's part
    (versions / "r010.py").write_text("revision = 'r10'\ndef upgrade(:\n")  # in this process's part
    (tmp_path / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n')
    monkeypatch.chdir(tmp_path)
    reports = []
    for cores in (2, 1):
        monkeypatch.setattr("migrate_lint.rendering.cores.usable_cores", lambda cores=cores: cores)
        reports.append(run.check([Path(".")], None, {}, use_cache=False, execute=False).report)
    assert reports[0] == reports[1]
    assert [e.message.split(" (")[0] for e in reports[0].errors] == ["cannot decode as UTF-8"]
    assert ("ML901", "r010.py") in {(f.code, f.location.path.name) for f in reports[0].findings}

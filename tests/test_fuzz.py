"""Property: whatever the revision files contain, `check` returns a report and never raises."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate_lint.formatters import FORMATS, get
from migrate_lint.lint import run
from tests.conftest import REPO

SEEDS = [p.read_text() for p in sorted((REPO / "examples" / "blog" / "migrations" / "versions").glob("*.py"))]
IDS = st.sampled_from(["a1", "b2", "c3", "d4"])
NAMES = st.sampled_from(["users", "posts", "x", ""])
OPS = st.sampled_from(["add_column", "drop_column", "alter_column", "drop_table", "create_table",
                       "create_foreign_key", "drop_constraint", "create_unique_constraint", "execute",
                       "create_index", "batch_alter_table", "bulk_insert", "rename_table", "plugin_op"])
ATOMS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), NAMES.map(repr),
    st.sampled_from(["sa.Column('c', sa.Integer, nullable=False)", "sa.Column(name, type_)",
                     "sa.Column('d', sa.Text(), server_default='x', nullable=False)", "f'{x}'",
                     "'UPDATE users SET c = 1'", "sa.text('update posts set x=1; drop')", "[1, [2]]",
                     "*args", "**kw", "op.f('ix')", "lambda: 1", "users.update().values(c=1)"]))


@st.composite
def revision_source(draw) -> str:
    down = draw(st.one_of(st.none(), IDS, st.tuples(IDS, IDS), st.just("os.environ['X']")))
    down_src = down if isinstance(down, str) and down.startswith("os.") else repr(down)
    lines = ["from alembic import op", "import sqlalchemy as sa", "",
             f"revision = {draw(IDS)!r}", f"down_revision = {down_src}",
             f"branch_labels = {draw(st.sampled_from(['None', repr(('x',)), '3']))}",
             f"depends_on = {draw(st.sampled_from(['None', repr('b2'), repr('zz')]))}", "",
             "def helper(t, c=None):", "    op.drop_column(t, c)", "", "def upgrade():"]
    batch = draw(st.booleans())
    indent = "    "
    if batch:
        lines.append("    with op.batch_alter_table('users') as batch_op:")
        indent = "        "
    for _ in range(draw(st.integers(0, 6))):
        target = "batch_op" if batch and draw(st.booleans()) else "op"
        args = ", ".join(str(a) for a in draw(st.lists(ATOMS, max_size=4)))
        kw = draw(st.sampled_from(["", ", nullable=False", ", constraint_name=None", ", table_name='t'"]))
        lines.append(f"{indent}{target}.{draw(OPS)}({args}{kw})  # migrate-lint: ignore[{draw(NAMES)}]")
    lines.append(f"{indent}helper({draw(NAMES)!r}, {draw(NAMES)!r})")
    return "\n".join(lines) + "\n"


@st.composite
def mutated_seed(draw) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        insert = draw(st.one_of(st.text(max_size=8), st.sampled_from(["(", ")", ":", "\n    ", '"""', "#"])))
        text = text[:start] + insert + text[end:]
    return text


FILES = st.lists(st.one_of(revision_source(), mutated_seed(), st.binary(max_size=60)), min_size=1, max_size=5)


def check_files(contents: list[str | bytes]) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        versions = root / "migrations" / "versions"
        versions.mkdir(parents=True)
        for index, content in enumerate(contents):
            path = versions / f"r{index}.py"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        report = run.check([root], None, {}, execute=False).report
        for finding in report.findings:
            assert finding.location.line >= 1 and finding.message and "{" not in finding.code
            assert finding.location.path.parent == versions
        assert report.files_checked + len(report.errors) >= 1  # the input is always accounted for
        for name in FORMATS:
            assert isinstance(get(name)(report), str)
    finally:
        shutil.rmtree(root)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES)
def test_check_always_reports(contents):
    check_files(contents)

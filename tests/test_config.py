"""[tool.migrate-lint]: parsing, errors with lines, rule selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.config import Config, ConfigError, find_pyproject, parse, select_rules
from migrate_lint.finding import Severity


def config_of(body: str) -> Config:
    return parse("[project]\nname = 'x'\n\n[tool.migrate-lint]\n" + body, Path("/p/pyproject.toml"))


def test_full_config():
    config = config_of(
        'script-location = "db"\ndialect = "mysql"\nmysql-version = "8.0.32"\nselect = ["ML2", "ML301"]\n'
        'ignore = ["drop-table"]\nfail-on = "error"\nrequire-reason = true\nnaming-convention = false\n'
        'per-file-ignores = { "db/versions/2019_*.py" = ["ML2"] }\nseverity = { drop-column = "error" }\n')
    assert config.dialect == "mysql" and config.fail_on is Severity.ERROR
    assert config.per_file_ignores == (("db/versions/2019_*.py", ("ML2",)),)
    assert config.root == Path("/p") and config.require_reason and config.naming_convention is False


@pytest.mark.parametrize(("body", "message", "line"), [
    ('dialect = "postgresql"\nselectt = ["ML"]\n', "unknown key `selectt`", 6),
    ('dialect = "oracle"\n', "`dialect` must be one of", 5),
    ('fail-on = "fatal"\n', "unknown severity 'fatal'", 5),
    ('select = "ML" = 1\n', "invalid TOML", 5),
    ('require-reason = "yes"\n', "must be true or false", 5),
])
def test_bad_config_names_key_and_line(body, message, line):
    with pytest.raises(ConfigError) as info:
        config_of(body)
    assert message in info.value.message and info.value.line == line


def test_selection(catalog):
    selection = select_rules(config_of('select = ["ML2"]\nextend-select = ["multiple-heads"]\n'
                                       'ignore = ["ML202"]\nseverity = { drop-column = "error" }\n'
                                       'per-file-ignores = { "old/*.py" = ["drop-column"] }\n'), catalog)
    assert selection.enabled == {"ML201", "ML203", "ML204", "ML205", "ML401"}
    assert selection.severities["ML201"] is Severity.ERROR
    assert selection.ignored_for(Path("/p/old/a1.py")) == {"ML201"}
    assert selection.ignored_for(Path("/p/new/a1.py")) == frozenset()


def test_unknown_rule_names_are_errors(catalog, tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.migrate-lint]\nignore = ["drop-colum"]\n')
    with pytest.raises(ConfigError) as info:
        select_rules(parse(path.read_text(), path), catalog)
    assert "'drop-colum', which matches no rule" in info.value.message and info.value.line == 2


def test_nearest_pyproject_with_our_section(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.migrate-lint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_pyproject(tmp_path / "app") == tmp_path / "pyproject.toml"

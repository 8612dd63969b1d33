"""Finding revision histories the way users lay them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.revisions.discover import DiscoveryError, discover_dir, discover_files, from_alembic_ini

REVISION = 'revision = "{rev}"\ndown_revision = {down}\n\ndef upgrade():\n    pass\n'


def revision(folder: Path, rev: str, down: str | None = None, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{rev}.py")
    path.write_text(REVISION.format(rev=rev, down=repr(down)), encoding="utf-8")
    return path


def names(history) -> list[str]:
    return [p.name for p in history.files]


def test_alembic_ini_script_location_with_here(tmp_path):
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/db\n")
    revision(tmp_path / "db" / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert history.script_location == tmp_path / "db"
    assert names(history) == ["a1.py"]


def test_flask_migrate_layout_has_no_script_location(tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "alembic.ini").write_text("[alembic]\n# template\n\n[loggers]\nkeys = root\n")
    revision(tmp_path / "migrations" / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert history.script_location == tmp_path / "migrations"
    assert names(history) == ["a1.py"]


def test_config_script_location_wins(tmp_path):
    revision(tmp_path / "db" / "versions", "a1")
    revision(tmp_path / "other" / "versions", "z9")
    [history] = discover_dir(tmp_path, tmp_path / "db")
    assert names(history) == ["a1.py"]


def test_version_locations_and_separator(tmp_path):
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = db\nversion_path_separator = os\n"
        "version_locations = %(here)s/db/core:%(here)s/db/shop\n")
    revision(tmp_path / "db" / "core", "a1")
    revision(tmp_path / "db" / "shop", "s1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py", "s1.py"]


def test_nested_version_folders_and_non_revision_files(tmp_path):
    versions = tmp_path / "migrations" / "versions"
    revision(versions / "2023", "a1")
    revision(versions / "2024", "b1", "a1")
    (tmp_path / "migrations" / "alembic.ini").write_text("[alembic]\nrecursive_version_locations = true\n")
    (versions / "__init__.py").write_text("")
    (versions / "helpers.py").write_text("def util():\n    return 1\n")
    (versions / "__pycache__").mkdir()
    (versions / "__pycache__" / "x.py").write_text("junk")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py", "b1.py", "helpers.py"]


def test_revisions_at_the_top_keep_nested_ones_in_the_same_history(tmp_path):
    versions = tmp_path / "versions"
    revision(versions, "a1")
    revision(versions / "later", "b1", "a1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py", "b1.py"]


def test_a_subfolder_with_a_graph_of_its_own_is_an_archive_alembic_never_loads(tmp_path):
    """wps's layout: a squashed initial schema at the top, the old history kept in versions/archive.
    Without recursive_version_locations Alembic reads only the top; a subfolder linked to the top
    (neutron's release folders, which its command line adds) stays in, however deep the chain."""
    versions = tmp_path / "versions"
    revision(versions, "a1")
    revision(versions / "archive", "x1")
    revision(versions / "archive", "x2", "x1")
    revision(versions / "later", "b1", "a1")
    revision(versions / "later2", "c1", "b1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py", "b1.py", "c1.py"]
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = .\nrecursive_version_locations = true\n")
    [history] = discover_dir(tmp_path)
    assert sorted(names(history)) == ["a1.py", "b1.py", "c1.py", "x1.py", "x2.py"]


def test_one_subfolder_per_dialect_is_one_history_each(tmp_path):
    versions = tmp_path / "migrations" / "versions"
    revision(versions / "postgresql", "a1")
    revision(versions / "sqlite", "a1")
    (tmp_path / "migrations" / "alembic.ini").write_text("[alembic]\n")
    histories = discover_dir(tmp_path)
    assert [(h.version_dirs[0].name, names(h)) for h in histories] == [
        ("postgresql", ["a1.py"]), ("sqlite", ["a1.py"])]


def test_several_independent_histories(tmp_path):
    for service in ("billing", "users"):
        (tmp_path / service).mkdir()
        (tmp_path / service / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/alembic\n")
        revision(tmp_path / service / "alembic" / "versions", f"{service}1")
    histories = discover_dir(tmp_path)
    assert sorted(names(h)[0] for h in histories) == ["billing1.py", "users1.py"]


def test_a_versions_folder_itself(tmp_path):
    revision(tmp_path, "a1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py"]


def test_pyproject_tool_alembic(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.alembic]\nscript_location = "%(here)s/alembic"\n')
    revision(tmp_path / "alembic" / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py"]


def test_package_script_location_resolved_without_import(tmp_path):
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = myapp:migrations\n")
    revision(tmp_path / "src" / "myapp" / "migrations" / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py"]


def test_single_files_are_targets_checked_against_their_folder(tmp_path):
    a1 = revision(tmp_path / "migrations" / "versions", "a1")
    b1 = revision(tmp_path / "migrations" / "versions", "b1", "a1")
    [history] = discover_files([b1])
    assert names(history) == ["a1.py", "b1.py"]
    assert history.is_target(b1) and not history.is_target(a1)


def test_empty_folder_finds_nothing(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hi')\n")
    assert discover_dir(tmp_path) == []


def test_missing_version_folder_is_an_error(tmp_path):
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = nowhere\n")
    with pytest.raises(DiscoveryError, match="does not exist"):
        discover_dir(tmp_path)


def test_a_template_ini_with_no_version_folder_found_by_the_search_is_not_a_history(tmp_path):
    """The application ships an alembic.ini, env.py and script.py.mako for its plugins to copy (zou):
    the search passes over it and finds the real history; named directly, it is still an error."""
    template = tmp_path / "app" / "plugin_template"
    template.mkdir(parents=True)
    (template / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    (template / "env.py").write_text("")
    (tmp_path / "app" / "migrations").mkdir()
    (tmp_path / "app" / "migrations" / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    revision(tmp_path / "app" / "migrations" / "versions", "a1")
    assert [names(h) for h in discover_dir(tmp_path)] == [["a1.py"]]
    with pytest.raises(DiscoveryError, match="does not exist"):
        discover_dir(template)


def test_a_deployment_copy_of_the_ini_whose_package_is_elsewhere_is_passed_over(tmp_path):
    """datanommer keeps its real alembic.ini beside its package, and a copy for its ansible role
    whose `package:alembic` location only resolves inside the image: the copy stops nothing."""
    dist = tmp_path / "datanommer.models"
    (dist / "alembic.ini").parent.mkdir()
    (dist / "alembic.ini").write_text("[alembic]\nscript_location = datanommer.models:alembic\n")
    revision(dist / "datanommer" / "models" / "alembic" / "versions", "a1")
    role = tmp_path / "devel" / "roles" / "files"
    role.mkdir(parents=True)
    (role / "alembic.ini").write_text("[alembic]\nscript_location = datanommer.models:alembic\n")
    assert [names(h) for h in discover_dir(tmp_path)] == [["a1.py"]]
    with pytest.raises(DiscoveryError, match="cannot find package location"):
        discover_dir(role)


def test_a_search_that_finds_only_an_unreadable_ini_says_why(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "alembic.ini").write_text("[alembic]\nscript_location = app.db:migrations\n")
    with pytest.raises(DiscoveryError, match=r"cannot find package location 'app\.db:migrations'"):
        discover_dir(tmp_path)


def test_broken_alembic_ini_names_the_line(tmp_path):
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = db\n  stray continuation\nnot a pair\n")
    with pytest.raises(DiscoveryError) as info:
        from_alembic_ini(ini)
    assert info.value.path == ini and info.value.line == 4


def test_here_is_absolute_when_the_ini_is_given_relatively(tmp_path, monkeypatch):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/db\n")
    revision(tmp_path / "proj" / "db" / "versions", "a1")
    monkeypatch.chdir(tmp_path)
    [history] = discover_dir(Path("proj"))
    assert names(history) == ["a1.py"]


def test_package_location_with_colon_separated_folders_above_the_ini(tmp_path):
    package = tmp_path / "src" / "app" / "server" / "db"
    (package).mkdir(parents=True)
    (package / "alembic.ini").write_text("[alembic]\nscript_location = app:server:db:_migrations\n")
    revision(package / "_migrations" / "versions", "a1")
    [history] = discover_dir(package)
    assert history.script_location == package / "_migrations" and names(history) == ["a1.py"]


def test_script_location_the_application_fills_in_is_the_folder_beside_the_ini(tmp_path):
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = {alembic_dir}\nsqlalchemy.url = {db_url}\n")
    (tmp_path / "alembic").mkdir()
    (tmp_path / "alembic" / "env.py").write_text("")
    revision(tmp_path / "alembic" / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert history.script_location == tmp_path / "alembic"
    assert names(history) == ["a1.py"]


def test_script_location_filled_in_with_no_folder_to_find_says_what_to_set(tmp_path):
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = {alembic_dir}\n")
    with pytest.raises(DiscoveryError, match=r"filled in by the application.*script-location"):
        discover_dir(tmp_path)


def test_a_script_location_inside_a_container_image_is_the_ini_s_own_folder(tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "alembic.ini").write_text(
        "[alembic]\nscript_location = /usr/src/app/migrations\n")
    (tmp_path / "migrations" / "env.py").write_text("")
    revision(tmp_path / "migrations" / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert history.script_location == tmp_path / "migrations"
    assert names(history) == ["a1.py"]


def test_recursive_version_locations_read_once(tmp_path):
    """dstack's layout: one history whose ini reads the year folders recursively; the search must
    not find each year folder again as a history of its own."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nrecursive_version_locations = true\n")
    revision(tmp_path / "app" / "migrations" / "versions" / "2023", "a1")
    revision(tmp_path / "app" / "migrations" / "versions" / "2024", "a2", "a1")
    [history] = discover_dir(tmp_path)
    assert sorted(names(history)) == ["a1.py", "a2.py"]


def test_two_paths_to_one_history_check_its_files_once(tmp_path):
    from migrate_lint.config import Config
    from migrate_lint.revisions.discover import find_histories

    revision(tmp_path / "migrations" / "versions", "a1")
    revision(tmp_path / "migrations" / "versions", "a2", "a1")
    config = Config(root=tmp_path)
    [history], errors = find_histories([tmp_path, tmp_path / "migrations" / "versions"], config)
    assert not errors and history.targets is None and sorted(names(history)) == ["a1.py", "a2.py"]
    [one], _ = find_histories([tmp_path / "migrations" / "versions" / "a1.py",
                               tmp_path / "migrations" / "versions"], config)
    assert one.targets is None


def test_a_packages_alembic_folder_of_revisions_is_a_history(tmp_path):
    """Invenio's modules keep their revisions in `<package>/alembic/`, with no env.py or ini."""
    revision(tmp_path / "invenio_things" / "alembic", "t1")
    revision(tmp_path / "invenio_things" / "alembic", "t2", "t1")
    (tmp_path / "invenio_things" / "models.py").write_text("revision = 3\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "alembic").mkdir()
    (tmp_path / "docs" / "alembic" / "conf.py").write_text("project = 'x'\n")  # no revisions: not one
    [history] = discover_dir(tmp_path)
    assert names(history) == ["t1.py", "t2.py"]
    assert history.script_location == tmp_path / "invenio_things" / "alembic"


def test_a_plugins_migrations_folder_of_revisions_is_a_history(tmp_path):
    """Indico's plugins keep their revisions in `<plugin>/migrations/`, each plugin a history."""
    for plugin in ("livesync", "citadel"):
        revision(tmp_path / plugin / f"indico_{plugin}" / "migrations", f"{plugin}1")
    (tmp_path / "shop" / "migrations").mkdir(parents=True)  # Django's: no `revision =` lines
    (tmp_path / "shop" / "migrations" / "0001_initial.py").write_text("class Migration:\n    pass\n")
    histories = discover_dir(tmp_path)
    assert sorted(names(h)[0] for h in histories) == ["citadel1.py", "livesync1.py"]


def test_a_history_inside_a_package_seven_folders_down_is_found_from_the_root(tmp_path):
    """A library that ships its own migrations keeps them deep in its source tree, with an
    alembic.ini whose script_location only works from that folder."""
    migrations = tmp_path / "src" / "tool" / "ui" / "service" / "storage" / "sql" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/versions\n")
    (migrations / "env.py").write_text("")
    revision(migrations / "versions", "a1")
    [history] = discover_dir(tmp_path)
    assert names(history) == ["a1.py"]

"""The project's own upgrade instructions: an application stopped before its database is upgraded
makes the history offline; one upgraded while it serves does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.revisions.upgrade_docs import stops_to_upgrade
from tests.test_deploy import REVISION, STARTS, guard_locks, history

STOPPED = """Upgrade
=======

- Stop the application and activate the virtualenv

- Upgrade with pip::

    $ pip install -U ourapp

- Upgrade the database:

.. code-block:: bash

    $ ourapp db upgrade

- Restart the application.
"""
TORN_DOWN = """## Deploying a new release
1. Tear-down the scheduler instance
1. Tear-down all worker instances
1. At this point, perform any database migrations: nothing is writing.
1. Deploy the new scheduler
"""
WHILE_SERVING = """Upgrading
---------

    pip install -U ourapp
    ourapp db upgrade

If the upgrade hangs on a lock, restart the web server in another shell (do not stop the upgrade).
"""
RESTARTED_FIRST = """- Stop the web server
- Pull the new code
- Start the web server again
- Run `flask db upgrade`
"""
COLD = """Cold upgrade
============

#. Gracefully stop all control plane processes. We recommend in this order:
   Housekeeping, Health manager, API, Worker.

#. Upgrade all control plane nodes to the next release.

#. Run ``ourapp-db-manage upgrade head`` from any node to upgrade the
   database and run any corresponding database migrations.

#. Start all processes.
"""
OWN_COMMAND = """Upgrading
=========
1. Stop the old version of the API server and the statsd daemon

2. Install the new version

3. Run `ourapp-upgrade`.

4. Start the new API server
"""
DBSYNC = """* Stop the ourapp service.

* Run database sync::

    ourapp-dbsync --config-file ourapp.conf upgrade
"""
A_PRE_UPGRADE_CHECK = """- Stop the web server
- Run the pre-upgrade check
"""
FAR_APART = "- Stop the application\n" + "\n".join(f"line {n}" for n in range(60)) + "\nflask db upgrade\n"


SAID_TO_THE_READER = """Updating
--------
After an update to a newer version, you need to manually stop the
services (including httpd) and execute DB migrations with `tool alembic upgrade head`.
Then the services can be started again.
"""  # koschei's README
ENSURED_STOPPED = """## Applying migration scripts

To apply migration scripts by hand, after ensuring that the app is stopped, check
out the branch with pending migration scripts, and run:

    alembic -x config=config.yaml upgrade head
"""  # SkyPortal's
STOPPED_BEFORE_SYNC = """Set upgradeSchema to enable a pre-upgrade hook.
When updating the schema of an existing installation, all OurApp components should be stopped before syncing.
"""  # Gafaelfawr's Helm guide
STOPPED_ELSEWHERE = """The app is stopped by SIGTERM.

Upgrading the schema happens while it serves: run `alembic upgrade head` at any time.
"""
STOPPED_TO_TEST = """Testing
-------
You need to stop the server before running the test suite.
"""

STOPPED_BY_COMMANDS = """To upgrade the master::

    $ /etc/init.d/uwsgi stop
    $ supervisorctl -c ~/.ourapp/supervisord.conf stop dispatcher
    $ pip install -U ourapp
    $ ourapp dispatcher migrate
    $ supervisorctl -c ~/.ourapp/supervisord.conf start dispatcher
"""  # cuckoo's distributed master
RESET_THEN_UPGRADE = """To reset the queue::

    $ supervisorctl stop dispatcher
    $ psql -c "UPDATE task SET status = 'pending'"
    $ supervisorctl start dispatcher

To upgrade::

    $ pip install -U ourapp
    $ ourapp dispatcher migrate
"""
MIGRATIONS_NEED_DOWNTIME = """Applying migrations
===================

Unlike regular code changes, database schema migrations in production require actual downtime.
"""  # ltd-keeper's
APPLIED_AFTER_THE_STOP = """Database schema changes can interfere with normal operation, so you
should stop all OurApp services before beginning the upgrade:

1. Stop the daemons.
2. Upgrade the packages.
3. Run ourapp-init to apply database changes.
4. Start the daemons.
"""  # beaker's
NO_DOWNTIME = """Our database migrations do not require downtime: they run beside the serving release.

Schema migrations require zero downtime here.
"""
PREPARED_BEFORE_UPGRADING = """# Upgrading OurApp

## Before upgrading

1. **Read the release notes**.

2. **Stop OurApp**. If it runs as a systemd service, stop it before making any changes:

   ```bash
   sudo systemctl stop ourapp
   ```

3. **Back up the database**.

## Upgrade using the update script

Run `bash update.sh`: it runs `flask db upgrade` to apply pending database migrations.
"""  # flowintel's installation manual
UPGRADED_IN_ANOTHER_SECTION = """## Maintenance

Stop the application to rotate its logs.

## Upgrade

Run `flask db upgrade`.
"""
STEPS_A_SCRIPT_TAKES = """The script performs the following steps:

1. Stops any running OurApp screen sessions
2. Pulls the latest code with `git pull`
3. Runs `flask db upgrade` to apply pending database migrations
4. Starts the workers
"""  # flowintel's update.sh, as its manual lists it
WRITES_A_NEW_REVISION = """- Stop the web server
- Run `flask db migrate` to write a revision for your model change
"""


SCRIPT_STOPS = """#!/bin/bash
set -e
echo "Stopping the services"
for service in ${SERVICES[@]}; do
    sudo systemctl stop "${service}"
done
cp -n ${olddir}/config/*.toml ${newdir}/config/
source backend/venv/bin/activate
ourapp db upgrade
for service in ${SERVICES[@]}; do
    sudo systemctl start "${service}"
done
"""
SCRIPT_RESTARTS_FIRST = """#!/bin/bash
sudo systemctl stop ourapp
git pull
sudo systemctl start ourapp
ourapp db upgrade
"""


@pytest.mark.parametrize(("where", "text", "line"), [
    ("docs/dist.rst", STOPPED_BY_COMMANDS, 3),
    ("docs/dist.rst", RESET_THEN_UPGRADE, None),
    ("docs/gke-migrations.rst", MIGRATIONS_NEED_DOWNTIME, 4),
    ("documentation/admin-guide/upgrading.rst", APPLIED_AFTER_THE_STOP, 1),
    ("docs/upgrade.md", WRITES_A_NEW_REVISION, None),
    ("doc/installation-manual.md", PREPARED_BEFORE_UPGRADING, 7),
    ("doc/installation-manual.md", UPGRADED_IN_ANOTHER_SECTION, None),
    ("doc/installation-manual.md", STEPS_A_SCRIPT_TAKES, 3),
    ("docs/upgrade.md", NO_DOWNTIME, None),
    ("docs/installation/upgrade.rst.txt", STOPPED, 4),
    ("docs/update.md", TORN_DOWN, 2),
    ("UPGRADING.md", STOPPED, 4),
    ("doc/source/admin/guides/upgrade.rst", COLD, 4),  # OpenStack's cold upgrade (Octavia)
    ("doc/source/install.rst", OWN_COMMAND, 3),  # gnocchi-upgrade
    ("doc/source/admin/upgrade.rst", DBSYNC, 1),  # ironic-inspector-dbsync
    ("README.md", SAID_TO_THE_READER, 3),
    ("README.md", STOPPED_TO_TEST, None),
    ("doc/migrations.md", ENSURED_STOPPED, 3),
    ("docs/operations/helm.rst", STOPPED_BEFORE_SYNC, 2),
    ("docs/operations.md", STOPPED_ELSEWHERE, None),
    ("docs/upgrade.md", A_PRE_UPGRADE_CHECK, None),
    ("docs/upgrade.rst", WHILE_SERVING, None),
    ("docs/upgrade.md", RESTARTED_FIRST, None),
    ("docs/upgrade.md", FAR_APART, None),
    ("notes/upgrade.md", STOPPED, None),  # not documentation the tool reads
    ("install/migration/migration.sh", SCRIPT_STOPS, 5),  # GeoNature's upgrade script
    ("scripts/update.sh", SCRIPT_RESTARTS_FIRST, None),  # serving again before the upgrade
    ("scripts/dev_update.sh", SCRIPT_STOPS, None),  # a developer's
    ("scripts/backup.sh", SCRIPT_STOPS, None),  # not named for an upgrade
])
def test_upgrade_instructions_that_stop_the_application_first(tmp_path, where, text, line):
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(text)
    assert stops_to_upgrade(tmp_path) == ((where, line) if line else None)


def test_the_history_is_then_offline_and_the_summary_says_where(tmp_path, check_dir):
    root = history(tmp_path)
    (root / "docs").mkdir()
    (root / "docs" / "upgrade.md").write_text(STOPPED)
    report = check_dir(root)
    reasons = " ".join(dict(report.not_reported_reasons))
    assert "offline deploy (the project's upgrade instructions stop the application first, " \
           "docs/upgrade.md:4)" in reasons
    assert not any(f.code == "ML201" for f in report.findings)


def test_a_history_that_guards_its_locks_is_online_from_its_first_guarded_revision_on(tmp_path, check_dir):
    """The instructions describe how the revisions before it ran (SkyPortal guards only its newest)."""
    root = history(tmp_path)
    (root / "docs").mkdir()
    (root / "docs" / "upgrade.md").write_text(STOPPED)
    guard_locks(root)
    later = REVISION.format(rev="e4", down='"e3"', labels=None, imports="")
    (root / "migrations" / "versions" / "e4.py").write_text(later)
    report = check_dir(root)
    assert {f.location.path.name for f in report.findings if f.code == "ML201"} == {"e4.py"}
    reasons = " ".join(dict(report.not_reported_reasons))
    assert ("the project's upgrade instructions stop the application first, docs/upgrade.md:4, and this "
            "revision is older than the first that guards its locks") in reasons


def test_without_instructions_a_guarded_history_is_online_throughout(tmp_path, check_dir):
    root = history(tmp_path)  # an application that upgrades as it starts is not told to stop first
    (root / "proj" / "app.py").write_text(STARTS)
    guard_locks(root)
    report = check_dir(root)
    assert {f.location.path.name for f in report.findings if f.code == "ML201"} >= {"k0.py", "e2.py"}


def test_unreadable_documentation_is_passed_over(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "upgrade.md").mkdir()  # a folder named like a document
    (tmp_path / "docs" / "notes.txt").symlink_to("/dev/zero")
    assert stops_to_upgrade(Path(tmp_path)) is None

"""Whether the project's own upgrade instructions stop the application before the database is
upgraded ("Stop the application ... then `ftcli db upgrade`": FitTrackee; "Tear-down the scheduler
... perform any database migrations": Security Monkey). Such a team upgrades offline: no earlier
release serves while the revisions run. Read from the documentation's text, never guessed from
anything else: an instruction to stop (a sentence, a list item or a command that stops a service),
and then, in the same section and with no start between, the database upgrade; or a sentence that
says the migrations need downtime."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_file
from migrate_lint.revisions.discover import SKIP_DIRS

DOC_FOLDERS = frozenset({"docs", "doc", "documentation"})
DOC_SUFFIXES = (".md", ".rst", ".txt")
MAX_FILES = 2000
MAX_BYTES = 1_000_000
WINDOW = 40  # lines from the stop to the upgrade: one section of instructions
HEADING = re.compile(r"\n#{1,6} ")  # ...that ends at the next Markdown heading
# ...unless it is the steps to take before the upgrade, which the next section then performs
# ("## Before upgrading ... 2. Stop Flowintel", then "## Upgrade using the update script")
BEFORE_UPGRADING = re.compile(r"(?im)^#{1,6}[ \t]+(?:before|prior\s+to|prepar\w*)\b[^\n]*\b(?:upgrad|updat)")
# "stop", or a list of steps a script takes: "1. Stops any running Flowintel screen sessions"
_STOP_VERB = r"(?:stops?|shut\s*down|shuts\s+down|tear[\s-]*down|halt)"
_RUNNING = (r"application|app|server|servers|service|services|instances?|workers?|containers?|"
            r"scheduler|site|web|processes|daemons?|sessions")
# an imperative, as a sentence or a list item starts: "- Stop the application", "1. Tear-down all workers"
STOP = re.compile(r"(?im)^[ \t>*#\d.)-]*(?:\w+\s+)?" + _STOP_VERB + r"\b[^\n]*\b(?:" + _RUNNING + r")\b")
OBJECTS = r"(?:" + _RUNNING + r"|components?)"
# or said to the reader in a sentence, the object perhaps on the next line: "After an update, you
# need to manually stop the\nservices (including httpd) and execute DB migrations" (koschei)
STOP_SENTENCE = re.compile(r"(?i)\b(?:you|we)\s+(?:need\s+to|must|should|have\s+to)\s+"
                           r"(?:first\s+|manually\s+)?" + _STOP_VERB + r"\b[^.]{0,60}?\b"
                           + OBJECTS + r"\b")
# or as a state to reach first: "after ensuring that the app is stopped, ... upgrade head" (SkyPortal),
# "all Gafaelfawr components should be stopped before ..." (its sentence names the schema update)
_STOPPED = r"(?:stopped|shut\s*down|scaled\s+down|not\s+running)"
STOP_PASSIVE = re.compile(r"(?i)\b(?:(?:ensur\w*|make\s+sure|check|verify)\s+(?:that\s+)?(?:the|all)\s+"
                          r"(?:[\w-]+\s+){0,2}" + OBJECTS + r"\s+(?:is|are)\s+" + _STOPPED + "|"
                          + OBJECTS + r"\s+(?:should|must|needs?\s+to)\s+be\s+" + _STOPPED + r"\s+before)\b")


def _service_command(verb: str, compose: str, more: str = "") -> str:
    """A command line that stops or starts a service: `verb` for systemctl, service, init.d and
    supervisorctl, `compose` for docker compose, and `more` as further alternatives."""
    return (rf"^[ \t$>*\d.)-]*(?:sudo\s+)?(?:systemctl\s+{verb}\b|service\s+\S+\s+{verb}\b|"
            rf"/etc/init\.d/\S+\s+{verb}\b|supervisorctl\b[^\n]*\s{verb}\b|"
            rf"docker(?:-compose|\s+compose)\b[^\n]*\s{compose}\b{more})")


# or a command that stops it: "$ /etc/init.d/uwsgi stop", "supervisorctl ... stop distributed" (cuckoo),
# "systemctl stop ourapp", "docker compose down", "kubectl delete deployment ..." (ltd-keeper)
STOP_COMMAND = re.compile("(?im)" + _service_command(
    "stop", "(?:stop|down)", r"|kubectl\s+(?:delete\s+deployment|scale\b[^\n]*--replicas[= ]0)\b"))
# or said outright: "database schema migrations in production require actual downtime" (ltd-keeper)
# (not "do not require downtime", "require no / zero / minimal downtime")
DOWNTIME = re.compile(r"(?i)\bmigrations?\b(?:(?!\b(?:not|never|no|without)\b|n't)[^.\n]){0,60}"
                      r"\brequires?\s+(?:(?!(?:no|zero|minimal|little|any)\b)\w+\s+)?downtime\b")
START = re.compile(r"(?im)^[ \t>*#\d.)-]*(?:re)?start\b|" + _service_command("(?:re)?start", "up"))
# and a project's own upgrade command, written as code (gnocchi: "Run `gnocchi-upgrade`"), or
# OpenStack's dbsync ("ironic-inspector-dbsync ... upgrade", "nova-manage db sync")
UPGRADE = re.compile(r"(?im)\b(?:db\s+upgrade|upgrade[-_]db|alembic\s+(?:-\S+\s+\S+\s+)*upgrade|"
                     r"(?:database|db)\s+migrations?|migrate\s+the\s+database|upgrade\s+(?:the\s+)?database|"
                     r"[\w-]*dbsync|db[ _]sync|"
                     r"(?:updat|upgrad)(?:e|es|ing)\s+the\s+(?:database\s+)?schema|"
                     r"(?:apply|run)\s+(?:the\s+)?database\s+(?:changes|migrations?|upgrades?))\b|"
                     r"`[\w.-]+-upgrade\b[^`\n]*`|"
                     # a command line that ends in `migrate` ("$ cuckoo distributed migrate"), not
                     # `db migrate`, which writes a new revision
                     r"^[ \t$>]*(?!.*\bdb\s+migrate\b)[\w./-]+(?:\s+[\w-]+)?\s+migrate[ \t]*$")


def _documents(root: Path) -> list[Path]:
    """Documentation files: the top folder's README/UPGRADE/UPDATE/INSTALL files and every text
    file under a docs folder."""
    names = sorted(os.listdir(root)) if root.is_dir() else []
    found = [root / name for name in names if name.lower().endswith(DOC_SUFFIXES)
             and name.upper().startswith(("README", "UPGRAD", "UPDAT", "INSTALL", "DEPLOY"))]
    for folder in (name for name in names if name.lower() in DOC_FOLDERS):
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            found.extend(Path(dirpath) / n for n in sorted(filenames) if n.lower().endswith(DOC_SUFFIXES))
            if len(found) > MAX_FILES:
                return found[:MAX_FILES]
    return found


def _stopped_before_upgrade(text: str) -> int | None:
    """The line of the first stop instruction that a database upgrade follows in its section."""
    if said := DOWNTIME.search(text):
        return text.count("\n", 0, said.start()) + 1
    stops = (*STOP.finditer(text), *STOP_SENTENCE.finditer(text), *STOP_PASSIVE.finditer(text),
             *STOP_COMMAND.finditer(text))
    for stop in sorted(stops, key=lambda m: m.start()):
        end = stop.end()
        if stop.re is STOP_PASSIVE:  # its sentence may name the upgrade before it ("When updating ...")
            end = max(text.rfind(". ", 0, stop.start()), text.rfind("\n\n", 0, stop.start()), 0)
        window = "\n".join(text[end:].split("\n", WINDOW + 1)[:WINDOW])
        section = window if _preparing(text, stop.start()) else HEADING.split(window, 1)[0]
        upgrade = UPGRADE.search(section)
        if upgrade and not START.search(section, 0, upgrade.start()):
            return text.count("\n", 0, stop.start()) + 1
    return None


def _preparing(text: str, at: int) -> bool:
    """The Markdown section holding this position is the steps to take before upgrading."""
    headings = list(HEADING.finditer(text, 0, at))
    start = headings[-1].start() + 1 if headings else 0
    return text.startswith("#", start) and BEFORE_UPGRADING.match(text, start) is not None


# a shell script the project ships to upgrade an installation: GeoNature's install/migration/migration.sh
# stops its services, upgrades the database and starts them again
SCRIPT = re.compile(r"(?i)(?:upgrad|updat|migrat)\w*\.sh$")
SCRIPT_DEPTH = 3  # folders below the root: install/migration/migration.sh
NOT_RELEASE_SCRIPT = re.compile(r"(?i)(?:^|[_.-])(?:dev|devel|development|local|test|tests|ci)(?:[_.-]|$)")


def _scripts(root: Path) -> list[Path]:
    """Upgrade scripts: shell scripts named for an upgrade, update or migration, near the root, not
    for development or tests."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        dirnames[:] = [] if depth >= SCRIPT_DEPTH else sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.startswith(".") and not NOT_RELEASE_SCRIPT.search(d))
        found.extend(Path(dirpath) / n for n in sorted(filenames)
                     if SCRIPT.search(n) and not NOT_RELEASE_SCRIPT.search(n[:-3]))
        if len(found) > MAX_FILES:
            break
    return found


def _stopped_in_script(text: str) -> int | None:
    """The line of a command that stops a service and that a database upgrade follows, anywhere
    later in the script (the script is the one procedure), with no start between."""
    for stop in STOP_COMMAND.finditer(text):
        upgrade = UPGRADE.search(text, stop.end())
        if upgrade and not START.search(text, stop.end(), upgrade.start()):
            return text.count("\n", 0, stop.start()) + 1
    return None


@cache
def stops_to_upgrade(root: Path) -> tuple[str, int] | None:
    """(file relative to root, line) of upgrade instructions that stop the application first: in
    the documentation, or in an upgrade script the project ships."""
    for path in _scripts(root):
        try:
            data = read_file(path, MAX_BYTES)
        except OSError:
            continue
        line = _stopped_in_script(data.decode("utf-8", "replace"))
        if line is not None:
            return path.relative_to(root).as_posix(), line
    for path in _documents(root):
        try:
            data = read_file(path, MAX_BYTES)
        except OSError:
            continue
        text = data.decode("utf-8", "replace")
        if not UPGRADE.search(text) and not DOWNTIME.search(text):
            continue
        line = _stopped_before_upgrade(text)
        if line is not None:
            return path.relative_to(root).as_posix(), line
    return None

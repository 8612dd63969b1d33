"""Whether the project ships its application with a rolling update: a Helm chart, Kubernetes or
OpenShift manifests of a Deployment, a Google Cloud Deploy pipeline. Kubernetes' RollingUpdate,
OpenShift's Rolling strategy and Cloud Run all start the new release before they stop the old one,
so an application that upgrades its database as it starts does so while the previous release still
serves (renku's Helm chart, BC Gov's Cloud Deploy services): its revisions run online."""

from __future__ import annotations

import os
import re
from pathlib import Path

from migrate_lint.paths import read_file
from migrate_lint.revisions.discover import SKIP_DIRS

PIPELINES = frozenset({"Chart.yaml", "clouddeploy.yaml", "skaffold.yaml"})
FOLDERS = frozenset({"k8s", "kubernetes", "helm", "helm-chart", "charts", "chart", "openshift", "manifests",
                     "deploy", "deployment", "devops", "infra", "_infra", "kustomize"})
SUFFIXES = (".yaml", ".yml", ".json")
KIND = re.compile(r'\bkind"?\s*:\s*"?(?:Deployment|DeploymentConfig|StatefulSet)\b')
RECREATE = re.compile(r'"?type"?\s*:\s*"?Recreate\b')  # the old release is stopped first
# tests, and other projects' charts vendored beside the application's (orchest's thirdparty/ingress-nginx)
NOT_OURS = frozenset({"tests", "test", "thirdparty", "third_party", "third-party", "vendor", "vendored"})
MAX_ENTRIES = 20000
MAX_BYTES = 200_000


def rolling_deploy(root: Path) -> str | None:
    """The file (relative to root) that deploys the application with a rolling update; None if none."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                             and d not in NOT_OURS)
        seen += len(filenames) + len(dirnames)
        if seen > MAX_ENTRIES:
            return None
        parts = set(here.relative_to(root).parts)
        for name in sorted(filenames):
            if name in PIPELINES:
                return (here / name).relative_to(root).as_posix()
            if name.endswith(SUFFIXES) and parts & FOLDERS:
                try:
                    text = read_file(here / name, MAX_BYTES).decode("utf-8", "replace")
                except OSError:
                    continue
                if KIND.search(text) and not RECREATE.search(text):
                    return (here / name).relative_to(root).as_posix()
    return None

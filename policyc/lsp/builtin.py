"""Read-only descriptions of built-in ClusterRoles, for go-to-definition.

A built-in role has no declaration in the policy: every kube-apiserver creates it from the
RBAC bootstrap policy (policyc/data/bootstrap/cluster-roles.yaml, transcribed from upstream).
Going to its definition opens a YAML file that describes it, written once into the user's
cache folder with mode 0444, so that every editor can open it (no custom URI scheme needed).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from policyc.access.objects import ObjRef
from policyc.access.policy import builtin_roles
from policyc.k8s.bootstrap import AGGREGATE_LABELS, builtin_cluster_roles
from policyc.output.yaml import dump

READ_ONLY = 0o444


def cache_dir() -> Path:
    """Where the descriptions live: $XDG_CACHE_HOME/policyc/builtin-roles (or ~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policyc" / "builtin-roles"


def description(name: str) -> str:
    """The YAML text describing built-in ClusterRole `name` (its rules after aggregation)."""
    obj = dict(builtin_cluster_roles()[name])
    role = builtin_roles()[ObjRef("ClusterRole", "", name)]
    header = [
        f"# Built-in ClusterRole `{name}`: every kube-apiserver creates it (RBAC bootstrap policy).",
        "# A read-only description written by `policyc lsp`; a policy cannot redefine this role.",
    ]
    if "aggregationRule" in obj:
        obj["rules"] = [r.to_dict() for r in role.rules]
        header.append("# `rules` are what the clusterrole-aggregation controller fills in from the built-in roles;")
        if name in AGGREGATE_LABELS:
            header.append(f"# roles declared with `aggregate-to {name}` add theirs (hover shows the total).")
    return "\n".join(header) + "\n" + dump(obj)


def _file_name(name: str) -> str:
    return "clusterrole-" + re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".yaml"


def description_file(name: str) -> Path:
    """The description file of built-in ClusterRole `name`, written (read-only) if missing or stale."""
    text = description(name)
    folder = cache_dir()
    path = folder / _file_name(name)
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, READ_ONLY)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

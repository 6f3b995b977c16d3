"""The built-in roles and bindings every API server creates, as data, per release.

Two upstream snapshots (see the headers of the files): the user-facing ClusterRoles and default
ClusterRoleBindings (`data/bootstrap/cluster-roles.yaml`, from
plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go) and the Roles and RoleBindings of
kube-system and kube-public (`data/bootstrap/namespace-roles.yaml`, namespace_policy.go); and the
built-in components' roles and default bindings (`data/bootstrap/components.yaml`: kube-scheduler,
kube-controller-manager, kube-proxy, nodes; see its header).

The bootstrap policy grows with the API: a release's roles name only resources that exist by
then (`selfsubjectreviews` from 1.26, `leasecandidates` from 1.31). `bootstrap_objects(release)`
derives each release's objects from the snapshots and the generated release tables
(policyc/data/releases): a rule keeps the resources of built-in groups that some supported release
up to it serves (a resource removed later stays: the roles keep naming it, as upstream's do).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

from policyc.k8s import datacache, releases

# The bundled data is plain YAML: libyaml's loader reads it several times faster (issue 19).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The components' roles and default bindings (components.yaml) are added to the API server's own.
_FILES = ("cluster-roles.yaml", "components.yaml", "namespace-roles.yaml")


@functools.cache
def _snapshot() -> tuple[dict[str, Any], ...]:
    items: list[dict[str, Any]] = []
    for name in _FILES:
        text = (Path(__file__).resolve().parent.parent / "data" / "bootstrap" / name).read_text("utf-8")
        items += yaml.load(text, Loader=_LOADER)["items"]
    return tuple(items)


def _served_by(version: tuple[int, int], group: str, resource: str) -> bool:
    """Whether `group`/`resource[/sub]` exists in some supported release up to `version`
    (anything outside the built-in groups, and wildcards, always count)."""
    if resource == releases.WILDCARD or group == releases.WILDCARD:
        return True
    base, _, sub = resource.partition("/")
    for v in releases.SUPPORTED:
        if v > version:
            break
        rel = releases.load_release(v)
        if not rel.has_group(group):
            continue
        info = rel.lookup(group, base)
        if info is not None and (not sub or sub == releases.WILDCARD or info.has_subresource(sub)):
            return True
    return not any(releases.load_release(v).has_group(group) for v in releases.SUPPORTED)


def _for_release(obj: dict[str, Any], version: tuple[int, int]) -> dict[str, Any]:
    if "rules" not in obj or obj.get("aggregationRule"):
        return obj
    rules = []
    for rule in obj["rules"]:
        if rule.get("nonResourceURLs"):
            rules.append(rule)
            continue
        groups = rule.get("apiGroups") or []
        kept = [r for r in rule.get("resources") or [] if any(_served_by(version, g, r) for g in groups)]
        if kept:
            rules.append({**rule, "resources": kept})
    out = copy.deepcopy(obj)
    out["rules"] = rules
    return out


@functools.cache
def bootstrap_objects(release: tuple[int, int] | None = None) -> tuple[dict[str, Any], ...]:
    """Every object of the bootstrap policy of `release` (default: the newest supported):
    ClusterRoles, ClusterRoleBindings, and the Roles and RoleBindings of kube-system and kube-public."""
    version = releases.NEWEST if release is None else (int(release[0]), int(release[1]))
    if version not in releases.SUPPORTED:
        version = releases.NEWEST if version > releases.NEWEST else releases.OLDEST
    # Derived once per data and code, then read from the user's cache (policyc/k8s/datacache.py):
    # parsing the snapshots and every release's table is most of a small `can-i --from` (issue 19).
    return tuple(datacache.cached(f"bootstrap-{version[0]}.{version[1]}",
                                  lambda: [_for_release(obj, version) for obj in _snapshot()]))


@functools.cache
def builtin_cluster_roles() -> dict[str, dict[str, Any]]:
    """Built-in ClusterRoles by name."""
    return {o["metadata"]["name"]: o for o in bootstrap_objects() if o["kind"] == "ClusterRole"}


@functools.cache
def builtin_namespaced_roles() -> dict[tuple[str, str], dict[str, Any]]:
    """Built-in Roles by (namespace, name): the ones namespace_policy.go creates."""
    return {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in bootstrap_objects() if o["kind"] == "Role"}


def is_builtin_role(name: str) -> bool:
    """Whether `name` is a built-in ClusterRole policyc knows, or a reserved `system:` name."""
    return name in builtin_cluster_roles() or name.startswith("system:")


# The aggregation labels Kubernetes documents for extending the user-facing roles.
AGGREGATE_LABELS = {
    "admin": "rbac.authorization.k8s.io/aggregate-to-admin",
    "edit": "rbac.authorization.k8s.io/aggregate-to-edit",
    "view": "rbac.authorization.k8s.io/aggregate-to-view",
}

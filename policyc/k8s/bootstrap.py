"""The built-in roles and bindings every API server creates, as data, per release.

Two upstream snapshots (see the headers of the files): the user-facing ClusterRoles and default
ClusterRoleBindings (`data/bootstrap/cluster-roles.yaml`, from
plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go) and the Roles and RoleBindings of
kube-system and kube-public (`data/bootstrap/namespace-roles.yaml`, namespace_policy.go); and the
built-in components' roles and default bindings (`data/bootstrap/components.yaml`: kube-scheduler,
kube-controller-manager, kube-proxy, nodes; see its header); and kube-controller-manager's
per-controller roles `system:controller:*` with their bindings to kube-system service accounts
(`data/bootstrap/controller-roles.yaml`, controller_policy.go).

The bootstrap policy grows with the API: a release's roles name only resources that exist by
then (`selfsubjectreviews` from 1.26, `leasecandidates` from 1.31). `bootstrap_objects(release)`
derives each release's objects from the snapshots and the generated release tables
(policyc/data/releases): a rule keeps the resources of built-in groups that some supported release
up to it serves (a resource removed later stays: the roles keep naming it, as upstream's do). Then
`RELEASE_CHANGES` (below) applies what the snapshots cannot show: roles a release does not have yet
(or any more), and rules a release has that the snapshots lack (or lacks that they have), each with
its upstream source. docs/access.md describes both.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policyc.docblocks import replace_block
from policyc.k8s import datacache, releases

# The bundled data is plain YAML: libyaml's loader reads it several times faster (issue 19).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The components' roles and default bindings (components.yaml) are added to the API server's own.
# The controllers' roles and bindings (controller-roles.yaml) are the API server's too
# (pkg/registry/rbac/rest/storage_rbac.go creates ClusterRoles() and ControllerRoles()).
_FILES = ("cluster-roles.yaml", "policy-roles.yaml", "components.yaml", "controller-roles.yaml", "namespace-roles.yaml")

Release = tuple[int, int]



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


def _rule(verbs: str, group: str, resources: str, names: str = "") -> dict[str, Any]:
    """A PolicyRule as the bootstrap YAML writes it (comma-separated lists)."""
    rule: dict[str, Any] = {"apiGroups": [group], "resources": resources.split(","), "verbs": verbs.split(",")}
    if names:
        rule["resourceNames"] = names.split(",")
    return rule


@dataclass(frozen=True)
class ReleaseChange:
    """How the built-in objects of some releases differ from the snapshots.

    `effect`: `absent` (the releases do not have the objects), `add` (their rules include `rules`,
    which the snapshot lacks) or `remove` (their rules lack `rules`, which the snapshot has). The
    change holds for `first` up to `last` (None: open-ended).
    """

    kinds: tuple[str, ...]
    name: str
    effect: str
    source: str
    first: Release | None = None
    last: Release | None = None
    namespace: str = ""
    rules: tuple[dict[str, Any], ...] = ()

    def applies_to(self, release: Release) -> bool:
        """Whether `release` is in the change's range."""
        return (self.first is None or release >= self.first) and (self.last is None or release <= self.last)

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether the change is about `obj`."""
        meta = obj.get("metadata") or {}
        return obj.get("kind") in self.kinds and meta.get("name") == self.name and (
            meta.get("namespace") or "") == self.namespace


_ROLE_AND_BINDING = ("ClusterRole", "ClusterRoleBinding")
_CONTROLLERS = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go"
_FEATURES = "pkg/features/kube_features.go"


def _controller_from(name: str, first: Release, source: str) -> ReleaseChange:
    """A controller role (and its binding) that releases before `first` do not create: controller_policy.go
    adds it only when its feature gate is on, which by default it is from `first`."""
    return ReleaseChange(kinds=_ROLE_AND_BINDING, name=f"system:controller:{name}", effect="absent",
                         last=(first[0], first[1] - 1), source=f"{_CONTROLLERS}; {source}")


# One row per difference between a release's built-in objects and the snapshots (the snapshots are of
# 1.31+ golden files; tests/unit/k8s/test_bootstrap_releases.py has one case per row).
RELEASE_CHANGES: tuple[ReleaseChange, ...] = (
    # -- user-facing roles (policy.go)
    ReleaseChange(kinds=("ClusterRole",), name="system:aggregate-to-edit", effect="add", last=(1, 21),
                  rules=(_rule("create,delete,deletecollection,patch,update", "", "endpoints"),),
                  source="kubernetes/kubernetes#103704 (1.22: edit and admin lose Endpoints writes, CVE-2021-25740)"),
    ReleaseChange(kinds=_ROLE_AND_BINDING, name="system:monitoring", effect="absent", last=(1, 19),
                  source="kubernetes/kubernetes#93311 (system:monitoring added in 1.20)"),
    ReleaseChange(kinds=("ClusterRole",), name="system:monitoring", effect="add", first=(1, 34),
                  rules=(_rule("get", "", "nodes/metrics"),),
                  source="kubernetes/kubernetes#132178 (1.34: system:monitoring reads the kubelet's metrics)"),
    *(ReleaseChange(kinds=("ClusterRole",), name=f"system:certificates.k8s.io:{signer}-approver", effect="absent",
                    last=(1, 17), source="KEP-1513 certificates signerName (1.18): policy.go adds an approver role "
                                         "per kubernetes.io signer")
      for signer in ("kube-apiserver-client", "kube-apiserver-client-kubelet", "kubelet-serving", "legacy-unknown")),
    ReleaseChange(kinds=_ROLE_AND_BINDING, name="system:service-account-issuer-discovery", effect="absent",
                  last=(1, 19), source="pkg/features/kube_features.go ServiceAccountIssuerDiscovery (beta, on by "
                                       "default, 1.20; policy.go adds the role and binding with the gate)"),
    # -- components (policy.go): leader election on Endpoints until it went (leases only)
    ReleaseChange(kinds=("ClusterRole",), name="system:kube-scheduler", effect="add", last=(1, 27),
                  rules=(_rule("create", "", "endpoints"), _rule("get,update", "", "endpoints", "kube-scheduler")),
                  source="kubernetes/kubernetes#117140 (1.28: endpoints leader-election rules removed)"),
    ReleaseChange(kinds=("ClusterRole",), name="system:kube-controller-manager", effect="add", last=(1, 27),
                  rules=(_rule("create", "", "endpoints"),
                         _rule("get,update", "", "endpoints", "kube-controller-manager")),
                  source="kubernetes/kubernetes#117414 (1.28: the same removal for the controller manager)"),
    # -- leader-locking Roles (namespace_policy.go): configmaps locks until 1.34, leases from 1.31
    *(ReleaseChange(kinds=("Role",), name=f"system::leader-locking-{who}", namespace="kube-system", effect="add",
                    last=(1, 34), rules=(_rule("watch", "", "configmaps"), _rule("get,update", "", "configmaps", who)),
                    source="kubernetes/kubernetes#134297 (1.35: configmaps rules leave the leader-locking Roles)")
      for who in ("kube-controller-manager", "kube-scheduler")),
    *(ReleaseChange(kinds=("Role",), name=f"system::leader-locking-{who}", namespace="kube-system", effect="remove",
                    last=(1, 30), rules=(_rule("create,get,list,update,watch", "coordination.k8s.io", "leases"),),
                    source="KEP-4355 coordinated leader election (1.31, LeaseCandidate API): namespace_policy.go "
                           "gives the leader-locking Roles leases with it; the first release is not pinned to a PR")
      for who in ("kube-controller-manager", "kube-scheduler")),
    # -- controller roles whose controller (or feature gate) is younger than the oldest supported release
    _controller_from("endpointslice-controller", (1, 17), "EndpointSlice (beta, on by default, 1.17)"),
    _controller_from("endpointslicemirroring-controller", (1, 19), "EndpointSlice mirroring controller (1.19)"),
    _controller_from("root-ca-cert-publisher", (1, 20), f"{_FEATURES} RootCAConfigMap (beta, on by default, 1.20)"),
    _controller_from("ephemeral-volume-controller", (1, 21),
                     f"{_FEATURES} GenericEphemeralVolume (beta, on by default, 1.21)"),
    _controller_from("ttl-after-finished-controller", (1, 21),
                     f"{_FEATURES} TTLAfterFinished (beta, on by default, 1.21)"),
    _controller_from("legacy-service-account-token-cleaner", (1, 29),
                     f"{_FEATURES} LegacyServiceAccountTokenCleanUp (beta, on by default, 1.29)"),
    _controller_from("validatingadmissionpolicy-status-controller", (1, 30),
                     f"{_FEATURES} ValidatingAdmissionPolicy (GA, on, 1.30)"),
    _controller_from("service-cidrs-controller", (1, 33), f"{_FEATURES} MultiCIDRServiceAllocator (GA, 1.33)"),
    _controller_from("selinux-warning-controller", (1, 33),
                     f"{_FEATURES} SELinuxChangePolicy (beta, on by default, 1.33)"),
    _controller_from("resource-claim-controller", (1, 34), f"{_FEATURES} DynamicResourceAllocation (GA, 1.34)"),
    _controller_from("volumeattributesclass-protection-controller", (1, 34),
                     f"{_FEATURES} VolumeAttributesClass (GA, 1.34)"),
    _controller_from("device-taint-eviction-controller", (1, 36),
                     f"{_FEATURES} DRADeviceTaints (beta, on by default, 1.36)"),
)


def _changed(obj: dict[str, Any], version: Release) -> dict[str, Any] | None:
    """`obj` as `version` has it after RELEASE_CHANGES, or None when the release does not have it."""
    changes = [c for c in RELEASE_CHANGES if c.applies_to(version) and c.matches(obj)]
    if not changes:
        return obj
    if any(c.effect == "absent" for c in changes):
        return None
    rules = list(obj.get("rules") or ())
    for c in changes:
        if c.effect == "add":
            rules += [copy.deepcopy(r) for r in c.rules]
        else:
            rules = [r for r in rules if r not in c.rules]
    return {**obj, "rules": rules}


# ------------------------------------------------------------------ docs/access.md

BEGIN = ("<!-- bootstrap-releases:begin (generated by scripts/gen_access_rules.py from "
         "policyc/k8s/bootstrap.py RELEASE_CHANGES) -->")
END = "<!-- bootstrap-releases:end -->"


def _releases_text(change: ReleaseChange) -> str:
    fmt = releases.format_version
    if change.first is None and change.last is not None:
        return f"up to {fmt(change.last)}"
    if change.last is None and change.first is not None:
        return f"{fmt(change.first)}+"
    return f"{fmt(change.first or releases.OLDEST)}-{fmt(change.last or releases.NEWEST)}"


def _rule_text(rule: dict[str, Any]) -> str:
    groups = ",".join(g or "core" for g in rule.get("apiGroups", ()))
    names = f" named {','.join(rule['resourceNames'])}" if rule.get("resourceNames") else ""
    return f"`{','.join(rule['verbs'])} {','.join(rule['resources'])}` ({groups}){names}"


def release_table() -> str:
    """RELEASE_CHANGES as docs/access.md shows it: one line per row, sources included."""
    lines = ["| object | releases | there | source |", "|---|---|---|---|"]
    for c in RELEASE_CHANGES:
        what = {"absent": "does not exist", "add": "also has ", "remove": "lacks "}[c.effect]
        what += "; ".join(_rule_text(r) for r in c.rules)
        where = f" in {c.namespace}" if c.namespace else ""
        kinds = " and ".join(c.kinds)
        lines.append(f"| {kinds} `{c.name}`{where} | {_releases_text(c)} | {what} | {c.source} |")
    return "\n".join(lines)


def with_release_table(doc: str) -> str:
    """`doc` with the text between the markers replaced by the current table (ValueError without markers)."""
    return replace_block(doc, BEGIN, END, release_table(), "docs/access.md bootstrap-releases")


@functools.cache
def bootstrap_objects(release: tuple[int, int] | None = None) -> tuple[dict[str, Any], ...]:
    """Every object of the bootstrap policy of `release` (default: the newest supported):
    ClusterRoles, ClusterRoleBindings, and the Roles and RoleBindings of kube-system and kube-public."""
    version = releases.NEWEST if release is None else (int(release[0]), int(release[1]))
    if version not in releases.SUPPORTED:
        version = releases.NEWEST if version > releases.NEWEST else releases.OLDEST
    # Derived once per data and code, then read from the user's cache (policyc/k8s/datacache.py):
    # parsing the snapshots and every release's table is most of a small `can-i --from` (issue 19).
    return tuple(datacache.cached(f"bootstrap-{version[0]}.{version[1]}", lambda: _derive(version)))


def _derive(version: Release) -> list[dict[str, Any]]:
    """The objects of `version`: RELEASE_CHANGES applied to the snapshots, then the served resources."""
    out = []
    for obj in _snapshot():
        changed = _changed(obj, version)
        if changed is not None:
            out.append(_for_release(changed, version))
    return out


@functools.cache
def builtin_cluster_roles(release: Release | None = None) -> dict[str, dict[str, Any]]:
    """Built-in ClusterRoles of `release` (default: the newest supported) by name."""
    return {o["metadata"]["name"]: o for o in bootstrap_objects(release) if o["kind"] == "ClusterRole"}


def releases_with_role(name: str) -> tuple[Release, ...]:
    """The supported releases whose bootstrap policy has ClusterRole `name` (empty: none known)."""
    return tuple(v for v in releases.SUPPORTED if name in builtin_cluster_roles(v))


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

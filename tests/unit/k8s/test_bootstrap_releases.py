"""The built-in roles of each supported release (policyc/k8s/bootstrap.py): the controller roles of
controller_policy.go, and RELEASE_CHANGES, one case per row (release, object, what it holds there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from policyc.access.authorizer import AccessModel
from policyc.access.request import Request, UserInfo
from policyc.k8s import bootstrap, releases
from policyc.k8s.bootstrap import RELEASE_CHANGES, bootstrap_objects, builtin_cluster_roles, releases_with_role

CONTROLLER = "system:controller:"

# The controllers of the upstream golden file testdata/controller-roles.yaml (kubernetes/kubernetes commit
# 008b3652959ca58af8be3fb5b6ecfe9ae7638282), one ClusterRole and one ClusterRoleBinding each.
UPSTREAM_CONTROLLERS = {
    "attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller", "cronjob-controller",
    "daemon-set-controller", "deployment-controller", "device-taint-eviction-controller", "disruption-controller",
    "endpoint-controller", "endpointslice-controller", "endpointslicemirroring-controller",
    "ephemeral-volume-controller", "expand-controller", "generic-garbage-collector", "horizontal-pod-autoscaler",
    "job-controller", "legacy-service-account-token-cleaner", "namespace-controller", "node-controller",
    "persistent-volume-binder", "pod-garbage-collector", "pv-protection-controller", "pvc-protection-controller",
    "replicaset-controller", "replication-controller", "resource-claim-controller", "resourcequota-controller",
    "root-ca-cert-publisher", "route-controller", "selinux-warning-controller", "service-account-controller",
    "service-cidrs-controller", "service-controller", "statefulset-controller", "ttl-after-finished-controller",
    "ttl-controller", "validatingadmissionpolicy-status-controller", "volumeattributesclass-protection-controller",
}


def _data() -> list[dict[str, Any]]:
    from importlib import resources
    text = resources.files("policyc").joinpath("data/bootstrap/controller-roles.yaml").read_text("utf-8")
    return yaml.safe_load(text)["items"]


def test_the_bundled_controller_roles_are_upstreams() -> None:
    items = _data()
    roles = {o["metadata"]["name"]: o for o in items if o["kind"] == "ClusterRole"}
    bindings = {o["metadata"]["name"]: o for o in items if o["kind"] == "ClusterRoleBinding"}
    assert {n.removeprefix(CONTROLLER) for n in roles} == UPSTREAM_CONTROLLERS
    # controller_policy.go addControllerRole: a binding of the same name to kube-system/<controller>.
    assert set(bindings) == set(roles)
    for name, b in bindings.items():
        assert b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}
        assert b["subjects"] == [{"kind": "ServiceAccount", "name": name.removeprefix(CONTROLLER),
                                  "namespace": "kube-system"}]
    for o in items:
        assert o["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
        assert o["metadata"]["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    for role in roles.values():
        for rule in role["rules"]:
            assert set(rule) <= {"apiGroups", "resources", "resourceNames", "verbs"} and rule["verbs"]


# controller_policy.go, as the golden file writes them: the rules the escalation rows rely on.
KEY_RULES = [
    ("clusterrole-aggregation-controller",
     {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
      "verbs": ["escalate", "get", "list", "patch", "update", "watch"]}),
    ("generic-garbage-collector",
     {"apiGroups": ["*"], "resources": ["*"], "verbs": ["delete", "get", "list", "patch", "update", "watch"]}),
    ("namespace-controller",
     {"apiGroups": ["*"], "resources": ["*"], "verbs": ["delete", "deletecollection", "get", "list", "watch"]}),
    ("legacy-service-account-token-cleaner",
     {"apiGroups": [""], "resources": ["secrets"], "verbs": ["delete", "patch"]}),
]


@pytest.mark.parametrize(("controller", "rule"), KEY_RULES, ids=[c for c, _ in KEY_RULES])
def test_key_controller_rules(controller: str, rule: dict[str, Any]) -> None:
    assert rule in builtin_cluster_roles()[CONTROLLER + controller]["rules"]


def _obj(release: tuple[int, int], kind: str, name: str, namespace: str = "") -> dict[str, Any] | None:
    found = [o for o in bootstrap_objects(release) if o["kind"] == kind and o["metadata"]["name"] == name
             and o["metadata"].get("namespace", "") == namespace]
    return found[0] if found else None


def _allows(release, kind, name, namespace, verb, group, resource, res_name=""):
    obj = _obj(release, kind, name, namespace)
    if obj is None:
        return None
    for r in obj["rules"]:
        if (verb in r["verbs"] and group in r.get("apiGroups", ()) and resource in r.get("resources", ())
                and (not r.get("resourceNames") or res_name in r["resourceNames"])):
            return True
    return False


CM, SCHED = "system::leader-locking-kube-controller-manager", "system::leader-locking-kube-scheduler"
# (release, kind, name, namespace, request (verb, group, resource, name) or None for "exists", expected):
# expected None means the release does not have the object at all.
CASES = [
    ((1, 21), "ClusterRole", "system:aggregate-to-edit", "", ("create", "", "endpoints", ""), True),
    ((1, 22), "ClusterRole", "system:aggregate-to-edit", "", ("create", "", "endpoints", ""), False),
    ((1, 19), "ClusterRole", "system:monitoring", "", None, None),
    ((1, 19), "ClusterRoleBinding", "system:monitoring", "", None, None),
    ((1, 33), "ClusterRole", "system:monitoring", "", ("get", "", "nodes/metrics", ""), False),
    ((1, 20), "ClusterRole", "system:monitoring", "", None, True),
    ((1, 34), "ClusterRole", "system:monitoring", "", ("get", "", "nodes/metrics", ""), True),
    ((1, 20), "ClusterRoleBinding", "system:monitoring", "", None, True),
    *(c for signer in ("kube-apiserver-client", "kube-apiserver-client-kubelet", "kubelet-serving", "legacy-unknown")
      for c in (((1, 17), "ClusterRole", f"system:certificates.k8s.io:{signer}-approver", "", None, None),
                ((1, 18), "ClusterRole", f"system:certificates.k8s.io:{signer}-approver", "",
                 ("approve", "certificates.k8s.io", "signers", f"kubernetes.io/{signer}"), True))),
    ((1, 19), "ClusterRole", "system:service-account-issuer-discovery", "", None, None),
    ((1, 20), "ClusterRole", "system:service-account-issuer-discovery", "", None, True),
    ((1, 27), "ClusterRole", "system:kube-scheduler", "", ("update", "", "endpoints", "kube-scheduler"), True),
    ((1, 28), "ClusterRole", "system:kube-scheduler", "", ("update", "", "endpoints", "kube-scheduler"), False),
    ((1, 27), "ClusterRole", "system:kube-controller-manager", "",
     ("create", "", "endpoints", ""), True),
    ((1, 28), "ClusterRole", "system:kube-controller-manager", "", ("create", "", "endpoints", ""), False),
    ((1, 34), "Role", CM, "kube-system", ("update", "", "configmaps", "kube-controller-manager"), True),
    ((1, 35), "Role", CM, "kube-system", ("update", "", "configmaps", "kube-controller-manager"), False),
    ((1, 34), "Role", SCHED, "kube-system", ("watch", "", "configmaps", ""), True),
    ((1, 35), "Role", SCHED, "kube-system", ("watch", "", "configmaps", ""), False),
    ((1, 30), "Role", CM, "kube-system", ("update", "coordination.k8s.io", "leases", ""), False),
    ((1, 31), "Role", CM, "kube-system", ("update", "coordination.k8s.io", "leases", ""), True),
    ((1, 30), "Role", SCHED, "kube-system", ("create", "coordination.k8s.io", "leases", ""), False),
    ((1, 31), "Role", SCHED, "kube-system", ("create", "coordination.k8s.io", "leasecandidates", ""), True),
    ((1, 16), "ClusterRole", CONTROLLER + "endpointslice-controller", "", None, None),
    ((1, 17), "ClusterRole", CONTROLLER + "endpointslice-controller", "",
     ("create", "discovery.k8s.io", "endpointslices", ""), True),
    ((1, 18), "ClusterRole", CONTROLLER + "endpointslicemirroring-controller", "", None, None),
    ((1, 19), "ClusterRoleBinding", CONTROLLER + "endpointslicemirroring-controller", "", None, True),
    ((1, 19), "ClusterRole", CONTROLLER + "root-ca-cert-publisher", "", None, None),
    ((1, 20), "ClusterRole", CONTROLLER + "root-ca-cert-publisher", "", ("create", "", "configmaps", ""), True),
    ((1, 20), "ClusterRole", CONTROLLER + "ephemeral-volume-controller", "", None, None),
    ((1, 21), "ClusterRole", CONTROLLER + "ephemeral-volume-controller", "",
     ("create", "", "persistentvolumeclaims", ""), True),
    ((1, 20), "ClusterRole", CONTROLLER + "ttl-after-finished-controller", "", None, None),
    ((1, 21), "ClusterRole", CONTROLLER + "ttl-after-finished-controller", "", ("delete", "batch", "jobs", ""), True),
    ((1, 28), "ClusterRole", CONTROLLER + "legacy-service-account-token-cleaner", "", None, None),
    ((1, 29), "ClusterRole", CONTROLLER + "legacy-service-account-token-cleaner", "",
     ("delete", "", "secrets", ""), True),
    ((1, 29), "ClusterRole", CONTROLLER + "validatingadmissionpolicy-status-controller", "", None, None),
    ((1, 30), "ClusterRole", CONTROLLER + "validatingadmissionpolicy-status-controller", "",
     ("patch", "admissionregistration.k8s.io", "validatingadmissionpolicies/status", ""), True),
    ((1, 32), "ClusterRole", CONTROLLER + "service-cidrs-controller", "", None, None),
    ((1, 33), "ClusterRole", CONTROLLER + "service-cidrs-controller", "",
     ("update", "networking.k8s.io", "servicecidrs", ""), True),
    ((1, 32), "ClusterRole", CONTROLLER + "selinux-warning-controller", "", None, None),
    ((1, 33), "ClusterRole", CONTROLLER + "selinux-warning-controller", "", ("get", "", "pods", ""), True),
    ((1, 33), "ClusterRole", CONTROLLER + "resource-claim-controller", "", None, None),
    ((1, 34), "ClusterRole", CONTROLLER + "resource-claim-controller", "",
     ("create", "resource.k8s.io", "resourceclaims", ""), True),
    ((1, 33), "ClusterRoleBinding", CONTROLLER + "volumeattributesclass-protection-controller", "", None, None),
    ((1, 34), "ClusterRole", CONTROLLER + "volumeattributesclass-protection-controller", "",
     ("update", "storage.k8s.io", "volumeattributesclasses", ""), True),
    ((1, 35), "ClusterRole", CONTROLLER + "device-taint-eviction-controller", "", None, None),
    ((1, 36), "ClusterRole", CONTROLLER + "device-taint-eviction-controller", "", ("delete", "", "pods", ""), True),
    # Controllers older than every supported release: every release has them.
    ((1, 16), "ClusterRole", CONTROLLER + "clusterrole-aggregation-controller", "",
     ("escalate", "rbac.authorization.k8s.io", "clusterroles", ""), True),
    ((1, 37), "ClusterRole", CONTROLLER + "generic-garbage-collector", "", ("delete", "*", "*", ""), True),
]


@pytest.mark.parametrize(("release", "kind", "name", "namespace", "request_", "expected"), CASES,
                         ids=[f"{releases.format_version(c[0])}-{c[2]}-{c[1]}" for c in CASES])
def test_release_has_what_upstream_has(release, kind, name, namespace, request_, expected) -> None:
    obj = _obj(release, kind, name, namespace)
    if expected is None:
        assert obj is None
        return
    assert obj is not None
    if request_ is not None:
        assert _allows(release, kind, name, namespace, *request_) is expected


def test_every_change_has_a_case_on_each_side() -> None:
    """Each row is tested inside its range and, where it ends, just outside it."""
    tested = {(c[0], c[2]) for c in CASES}
    for change in RELEASE_CHANGES:
        inside = change.last if change.last is not None else change.first
        assert (inside, change.name) in tested, change
        edge = ((change.last[0], change.last[1] + 1) if change.last is not None
                else (change.first[0], change.first[1] - 1))
        if edge in releases.SUPPORTED:
            assert (edge, change.name) in tested, change
        assert change.source, change


def test_every_change_is_about_a_bundled_object() -> None:
    names = {(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace", "")) for o in bootstrap._snapshot()}
    for change in RELEASE_CHANGES:
        assert any((k, change.name, change.namespace) in names for k in change.kinds), change
        for rule in change.rules if change.effect == "remove" else ():
            [obj] = [o for o in bootstrap._snapshot() if change.matches(o)]
            assert rule in obj["rules"], change


def test_the_monitoring_group_is_bound() -> None:
    model = AccessModel.from_objects([], (1, 30))
    metrics = Request("get", path="/metrics")
    assert model.authorize(UserInfo.authenticated("prom", ("system:monitoring",)), metrics).allowed
    assert not AccessModel.from_objects([], (1, 19)).authorize(
        UserInfo.authenticated("prom", ("system:monitoring",)), metrics).allowed


def test_releases_with_role() -> None:
    assert releases_with_role(CONTROLLER + "resource-claim-controller")[0] == (1, 34)
    assert releases_with_role("system:monitoring")[0] == (1, 20)
    assert releases_with_role("system:kube-dns") == ()


def test_the_access_model_of_a_release_answers_with_its_roles() -> None:
    edit_endpoints = Request("create", "", "endpoints", namespace="app")
    for release, allowed in (((1, 21), True), ((1, 22), False)):
        model = AccessModel.from_objects([{
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "e", "namespace": "app"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}]}], release)
        assert model.authorize(UserInfo.authenticated("alice"), edit_endpoints).allowed is allowed
    gc = UserInfo.service_account("kube-system", "generic-garbage-collector")
    model = AccessModel.from_objects([], (1, 30))
    assert model.authorize(gc, Request("delete", "", "secrets", name="x", namespace="app")).allowed
    assert not model.authorize(gc, Request("create", "", "secrets", namespace="app")).allowed


def test_docs_table_is_current() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "access.md"
    text = doc.read_text(encoding="utf-8")
    assert text == bootstrap.with_release_table(text), "docs/access.md is out of date: run scripts/gen_access_rules.py"
    for change in RELEASE_CHANGES:
        assert change.source in text

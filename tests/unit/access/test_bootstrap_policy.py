"""The bootstrap policy per release (policyc/k8s/bootstrap.py): the namespaced Roles and
RoleBindings of namespace_policy.go, and the release's own rules, in every model."""

from __future__ import annotations

import pytest

from policyc.access.authorizer import AccessModel
from policyc.access.request import Request, UserInfo
from policyc.k8s import releases
from policyc.k8s.bootstrap import bootstrap_objects, builtin_namespaced_roles

# plugin/pkg/auth/authorizer/rbac/bootstrappolicy/namespace_policy.go: what every API server
# creates outside the cluster scope (kubeadm's kubeadm:* objects are not the API server's).
NAMESPACED = {
    ("Role", "kube-system", "extension-apiserver-authentication-reader"),
    ("Role", "kube-system", "system::leader-locking-kube-controller-manager"),
    ("Role", "kube-system", "system::leader-locking-kube-scheduler"),
    ("Role", "kube-system", "system:controller:bootstrap-signer"),
    ("Role", "kube-system", "system:controller:cloud-provider"),
    ("Role", "kube-system", "system:controller:token-cleaner"),
    ("Role", "kube-public", "system:controller:bootstrap-signer"),
    ("RoleBinding", "kube-system", "system::extension-apiserver-authentication-reader"),
    ("RoleBinding", "kube-system", "system::leader-locking-kube-controller-manager"),
    ("RoleBinding", "kube-system", "system::leader-locking-kube-scheduler"),
    ("RoleBinding", "kube-system", "system:controller:bootstrap-signer"),
    ("RoleBinding", "kube-system", "system:controller:cloud-provider"),
    ("RoleBinding", "kube-system", "system:controller:token-cleaner"),
    ("RoleBinding", "kube-public", "system:controller:bootstrap-signer"),
}


def _names(release: tuple[int, int]) -> set[tuple[str, str, str]]:
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in bootstrap_objects(release)}


@pytest.mark.parametrize("version", releases.SUPPORTED, ids=releases.format_version)
def test_every_release_has_the_namespaced_bootstrap_objects(version: tuple[int, int]) -> None:
    names = _names(version)
    assert {n for n in names if n[0] in ("Role", "RoleBinding")} == NAMESPACED
    assert ("ClusterRole", "", "system:basic-user") in names


def _rule_resources(release: tuple[int, int], kind: str, name: str, namespace: str = "") -> set[str]:
    [obj] = [o for o in bootstrap_objects(release)
             if o["kind"] == kind and o["metadata"]["name"] == name and o["metadata"].get("namespace", "") == namespace]
    return {r for rule in obj["rules"] for r in rule.get("resources", ())}


# (release, kind, name, namespace, resource, present): a release's roles name only what it serves.
PER_RELEASE = [
    ((1, 30), "Role", "system::leader-locking-kube-scheduler", "kube-system", "leasecandidates", False),
    ((1, 31), "Role", "system::leader-locking-kube-scheduler", "kube-system", "leasecandidates", True),
    # Leases in the leader-locking Roles from 1.31, configmaps up to 1.34 (k8s/bootstrap.py RELEASE_CHANGES).
    ((1, 16), "Role", "system::leader-locking-kube-scheduler", "kube-system", "leases", False),
    ((1, 16), "Role", "system::leader-locking-kube-scheduler", "kube-system", "configmaps", True),
    ((1, 25), "ClusterRole", "system:basic-user", "", "selfsubjectreviews", False),
    ((1, 26), "ClusterRole", "system:basic-user", "", "selfsubjectreviews", True),
    ((1, 37), "ClusterRole", "system:basic-user", "", "selfsubjectrulesreviews", True),
]


@pytest.mark.parametrize(("version", "kind", "name", "namespace", "resource", "present"), PER_RELEASE)
def test_the_rules_are_the_releases(version: tuple[int, int], kind: str, name: str, namespace: str,
                                    resource: str, present: bool) -> None:
    assert (resource in _rule_resources(version, kind, name, namespace)) is present


def test_a_model_has_them_and_answers_with_them() -> None:
    model = AccessModel.from_objects([], (1, 30))
    scheduler = UserInfo.authenticated("system:kube-scheduler")
    read_auth = Request("get", "", "configmaps", name="extension-apiserver-authentication", namespace="kube-system")
    decision = model.authorize(scheduler, read_auth)
    assert decision.allowed
    assert str(decision.reasons[0].role) == "Role kube-system/extension-apiserver-authentication-reader"
    other = Request("get", "", "configmaps", name="other", namespace="kube-system")
    assert not model.authorize(scheduler, other).allowed
    signer = UserInfo.service_account("kube-system", "bootstrap-signer")
    assert model.authorize(signer, Request("update", "", "configmaps", name="cluster-info",
                                           namespace="kube-public")).allowed
    assert not model.authorize(signer, Request("update", "", "configmaps", name="cluster-info",
                                               namespace="default")).allowed


def test_builtin_namespaced_roles_are_known_by_namespace_and_name() -> None:
    assert ("kube-system", "extension-apiserver-authentication-reader") in builtin_namespaced_roles()
    assert ("default", "extension-apiserver-authentication-reader") not in builtin_namespaced_roles()

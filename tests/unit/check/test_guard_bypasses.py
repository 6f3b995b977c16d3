"""Guards that hold on a real cluster (issue 13): the policies that used to slip through now fail with
PC302 naming every step and its grant line; policies that are safe still pass."""

from __future__ import annotations

import pytest

import policyc
from conftest import REPO, shared_path
from helpers import compile_text

BYPASSES = {
    "workload-mounts-secrets": (
        "kubernetes 1.30\n"
        "team app1 {\n"
        "  members user testuser\n"
        "  grant create deployments.apps in kube-system\n"
        "}\n"
        "forbid read secrets for team app1 in kube-system\n",
        # The shortest path: a pod in kube-system running as a controller's service account (controller
        # roles, k8s/bootstrap.py), as short as the mounted secrets and reaching every namespace's.
        ["can create deployments.apps in namespace `kube-system` (pods run as any service account there) "
         "(grant of team `app1` at test.policy:4:3), so acts as serviceaccount "
         "`kube-system/generic-garbage-collector`"],
        [4],
    ),
    "impersonate-component-user": (
        "kubernetes 1.30\n"
        "grant impersonate users to user m in cluster\n"
        "forbid read secrets for user m\n",
        ["can impersonate user `system:kube-controller-manager` (grant at test.policy:2:1), so acts as user "
         "`system:kube-controller-manager`", "built-in ClusterRoleBinding system:kube-controller-manager"],
        [2],
    ),
    "websocket-exec-as-get": (
        "kubernetes 1.30\n"
        "serviceaccount ns1/admin\n"
        "grant role cluster-admin to serviceaccount ns1/admin in cluster\n"
        "grant get pods/exec to user m in ns1\n"
        "forbid delete nodes for user m\n",
        ["can get pods/exec (WebSocket) in namespace `ns1`", "(grant at test.policy:4:1), so acts as serviceaccount "
         "`ns1/admin`", "through ClusterRole `cluster-admin` (grant at test.policy:3:1)"],
        [4, 3],
    ),
    "create-token-secret": (
        "kubernetes 1.30\n"
        "serviceaccount app/ci\n"
        "grant role cluster-admin to serviceaccount app/ci in cluster\n"
        "grant create secrets to user m in app\n"
        "grant get secrets named ci-token to user m in app\n"
        "forbid delete nodes for user m\n",
        ["can create a service-account-token secret and read it back in namespace `app` (grant at "
         "test.policy:4:1; grant at test.policy:5:1)"],
        [4, 5, 3],
    ),
    "patch-secrets-reads": (
        "kubernetes 1.30\n"
        "grant patch secrets named db to user m in app\n"
        "forbid get secrets for user m\n",
        ["can update/patch secrets in namespace `app` (the response carries the data)"],
        [2],
    ),
    "csr-before-signers": (
        "kubernetes 1.17\n"
        "grant create certificatesigningrequests.certificates.k8s.io to user m in cluster\n"
        "grant update certificatesigningrequests.certificates.k8s.io/approval to user m in cluster\n"
        "forbid delete nodes for user m\n",
        ["can create and approve certificate signing requests for any signer (no signer check)"],
        [2, 3],
    ),
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_bypass_is_a_guard_violation(name: str) -> None:
    text, parts, lines = BYPASSES[name]
    result = compile_text(text)
    errors = [d for d in result.diagnostics if d.is_error]
    assert [d.code for d in errors] == ["PC302"], [(d.code, d.message) for d in result.diagnostics]
    (d,) = errors
    for part in parts:
        assert part in d.message
    assert [lb.span.line for lb in d.labels] == lines


def test_the_same_policies_closed_pass() -> None:
    # exec as `get` stops at 1.35 (AuthorizePodWebsocketUpgradeCreatePermission)
    assert compile_text(BYPASSES["websocket-exec-as-get"][0].replace("1.30", "1.35")).ok
    # workloads in another namespace reach nothing in kube-system
    assert compile_text(BYPASSES["workload-mounts-secrets"][0].replace("in kube-system\n}", "in apps\n}")).ok
    # impersonating a user nobody binds gives nothing
    assert compile_text("kubernetes 1.30\ngrant impersonate users named bob to user m in cluster\n"
                        "forbid read secrets for user m\n").ok
    # get secrets by name alone reads no token
    assert compile_text(BYPASSES["create-token-secret"][0].replace("grant create secrets to user m in app\n", "")).ok


def test_namespace_object_counts_for_in_cluster_guards() -> None:
    text = "kubernetes 1.30\ngrant delete namespaces to user m in ns1\nforbid delete namespaces for user m in cluster\n"
    (d,) = [d for d in compile_text(text).diagnostics if d.is_error]
    assert d.code == "PC301" and "delete namespaces in namespace `ns1`" in d.message
    # but a RoleBinding reaches no other cluster-scoped resource
    assert compile_text("kubernetes 1.30\ngrant role admin to user m in ns1\nforbid delete nodes for user m\n").ok


@pytest.mark.parametrize("folder", [REPO / "policies", shared_path("spec", "article"), shared_path("spec", "org")])
def test_safe_policies_still_pass(folder) -> None:
    result = policyc.load(folder)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]

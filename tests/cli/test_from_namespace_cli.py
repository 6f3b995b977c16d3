"""`can-i`, `who-can` and `explain --from` with `-n`: a real project's RBAC shipped without namespaces
(Argo CD's install.yaml, applied with `kubectl apply -n argocd`) placed as kubectl places it, through the
installed console script. kubectl: k8s.io/cli-runtime/pkg/resource/visitor.go RequireNamespace."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

ARGO = REPO / "tests" / "data" / "realworld" / "argo-cd" / "rbac.yaml"  # 19 Roles, RoleBindings, SAs without one
PLACED = "note: 19 namespaced objects without `metadata.namespace` placed in `argocd` (`-n`)"


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def sa(name: str) -> str:
    return f"system:serviceaccount:argocd:{name}"


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        # Role argocd-server (create secrets), bound by a RoleBinding whose ServiceAccount subject names no
        # namespace: the binding's own, `argocd` once placed (appliesToUser).
        (["create", "secrets", "--as", sa("argocd-server"), "-n", "argocd"], "yes"),
        (["create", "secrets", "--as", sa("argocd-server"), "-n", "default"], "no"),  # the Role is argocd's
        # Role argocd-redis: `get secrets` named argocd-redis only, and `create secrets`.
        (["get", "secrets", "argocd-redis", "--as", sa("argocd-redis"), "-n", "argocd"], "yes"),
        (["get", "secrets", "argocd-secret", "--as", sa("argocd-redis"), "-n", "argocd"], "no"),
        (["list", "configmaps", "--as", sa("argocd-dex-server"), "-n", "argocd"], "yes"),
        (["update", "configmaps", "--as", sa("argocd-dex-server"), "-n", "argocd"], "no"),
        # ClusterRole and ClusterRoleBinding argocd-server stay cluster-wide: delete, get, patch * everywhere.
        (["delete", "pods", "--as", sa("argocd-server"), "-n", "kube-system"], "yes"),
    ],
)
def test_can_i_answers_from_the_placed_objects(policyc: list[str], args: list[str], answer: str) -> None:
    namespace = args[args.index("-n") + 1]
    r = run([*policyc, "can-i", *args, "--from", str(ARGO)])
    assert r.stdout.strip() == answer, r.stderr
    assert r.returncode == (0 if answer == "yes" else 1)
    assert f"placed in `{namespace}` (`-n`)" in r.stderr


def test_can_i_explain_names_the_binding_in_the_namespace_given(policyc: list[str]) -> None:
    r = run([*policyc, "can-i", "create", "secrets", "--as", sa("argocd-server"), "-n", "argocd", "--explain",
             "--from", str(ARGO)])
    assert r.returncode == 0, r.stderr
    assert "RoleBinding argocd/argocd-server of Role argocd/argocd-server" in r.stdout


def test_without_n_the_error_names_n(policyc: list[str]) -> None:
    r = run([*policyc, "can-i", "create", "secrets", "--as", sa("argocd-server"), "--from", str(ARGO)])
    assert r.returncode == 2 and r.stdout == ""
    assert (f"{ARGO.as_posix()}:76:1: error[PC310]: document 8 is not a valid Kubernetes object: a Role needs "
            "`metadata.namespace`") in r.stderr
    assert "help: pass `-n NAMESPACE` to place the objects without a namespace there, as `kubectl apply -n` does" \
        in r.stderr


def test_who_can_lists_the_service_accounts_of_the_placed_bindings(policyc: list[str]) -> None:
    r = run([*policyc, "who-can", "create", "secrets", "-n", "argocd", "-o", "json", "--from", str(ARGO)])
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith(PLACED)
    subjects = {(s["subject"]["kind"], s["subject"].get("namespace", ""), s["subject"]["name"]): s["reasons"]
                for s in json.loads(r.stdout)["subjects"]}
    service_accounts = {name for kind, ns, name in subjects if kind == "ServiceAccount" and ns == "argocd"}
    # Roles: argocd-server and argocd-redis create secrets; ClusterRole argocd-application-controller `*`.
    assert service_accounts == {"argocd-server", "argocd-redis", "argocd-application-controller"}
    (reason,) = subjects[("ServiceAccount", "argocd", "argocd-redis")]
    assert reason["binding"] == {"kind": "RoleBinding", "namespace": "argocd", "name": "argocd-redis"}
    (cluster,) = subjects[("ServiceAccount", "argocd", "argocd-application-controller")]
    assert cluster["binding"] == {"kind": "ClusterRoleBinding", "name": "argocd-application-controller"}


def test_explain_holds_what_the_placed_role_grants(policyc: list[str]) -> None:
    r = run([*policyc, "explain", "serviceaccount:argocd/argocd-dex-server", "-n", "argocd", "-o", "json",
             "--from", str(ARGO)])
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith(PLACED)
    own = [e for e in json.loads(r.stdout)["access"] if not e["path"] and e["reason"]["origin"].startswith(
        ARGO.as_posix())]
    assert [(e["scope"], e["rule"], e["reason"]["binding"]) for e in own] == [
        ("argocd", {"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": ["get", "list", "watch"]},
         {"kind": "RoleBinding", "namespace": "argocd", "name": "argocd-dex-server"})]


def test_an_object_in_another_namespace_is_refused_as_kubectl_refuses_it(policyc: list[str], tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n"
                     "  namespace: kube-system\nrules: []\n")
    for command in (["explain", "user:alice"], ["can-i", "get", "pods", "--as", "alice"], ["who-can", "get", "pods"]):
        r = run([*policyc, *command, "-n", "argocd", "--from", str(ARGO), "--from", str(other)])
        assert r.returncode == 2 and r.stdout == "", command
        assert (f"{other.as_posix()}:5:3: error[PC626]: Role reader (document 1) is in namespace `kube-system`, "
                "not `argocd` given with `-n`") in r.stderr
        assert "help: kubectl refuses it too (\"You must pass '--namespace=kube-system'\")" in r.stderr
    # Nothing to place: `-n` is the request's namespace only, and objects keep theirs (as before).
    r = run([*policyc, "who-can", "get", "pods", "-n", "argocd", "--from", str(other)])
    assert r.returncode == 0 and "PC626" not in r.stderr and "placed" not in r.stderr, r.stderr


def test_a_cluster_role_binding_service_account_without_namespace_is_refused(policyc: list[str],
                                                                             tmp_path: Path) -> None:
    # The API server requires it (pkg/apis/rbac/validation ValidateRoleBindingSubject) and `-n` never fills
    # subjects, so the binding would not exist: an answer without it is an error, with `-n` or not.
    crb = tmp_path / "crb.yaml"
    crb.write_text("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\n"
                   "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
                   "subjects:\n- kind: ServiceAccount\n  name: runner\n")
    for namespace in ([], ["-n", "ci"]):
        r = run([*policyc, "can-i", "get", "pods", "--as", "system:serviceaccount:ci:runner", *namespace,
                 "--from", str(crb)])
        assert r.returncode == 2, r.stdout
        assert (f"{crb.as_posix()}:7:3: error[PC310]: document 1 is not a valid Kubernetes object: a "
                "ClusterRoleBinding's ServiceAccount subject needs a `namespace`") in r.stderr


def test_explain_n_is_for_from_only(policyc: list[str]) -> None:
    r = run([*policyc, "explain", "user:alice", "-n", "argocd", "--policy", str(REPO / "policies")])
    assert r.returncode == 2
    assert "-n/--namespace places the --from objects that name no namespace" in r.stderr


def test_help_says_what_n_does_with_from(policyc: list[str]) -> None:
    for command in ("can-i", "who-can", "explain"):
        r = run([*policyc, command, "--help"])
        assert r.returncode == 0
        text = " ".join(r.stdout.replace("│", " ").split())  # Rich's boxes wrap the help
        assert "--from, also the namespace of the namespaced objects that name none, as `kubectl apply -n`" in text \
            or "With --from: the namespace of the namespaced objects that name none, as `kubectl apply -n`" in text, \
            command

"""`import -n`, policyc's own output read back, roles whose rules all drop, and the `--verify` headline."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from importer_cases import docs_from, run, status

from policyc.importer.verify import Verification
from policyc.k8s.yamlread import parse_stream
from policyc.review.report import AccessLine

ROLE = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r{ns}}}\nrules: []\n"


@pytest.mark.parametrize(
    ("doc", "namespace", "code", "placed"),
    [
        # kubectl apply -n: a namespaced object without a namespace goes there ...
        (ROLE.format(ns=""), "argocd", None, "argocd"),
        ("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s}\n", "argocd", None, "argocd"),
        # ... one that names the same namespace is fine, another namespace is refused, as kubectl does.
        (ROLE.format(ns=", namespace: argocd"), "argocd", None, "argocd"),
        (ROLE.format(ns=", namespace: default"), "argocd", "PC626", None),
        # Without -n: skipped with PC625, which suggests -n (not "the API server would refuse it").
        (ROLE.format(ns=""), None, "PC625", None),
        # Cluster-scoped objects are left alone, as kubectl leaves them.
        ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\nrules: []\n", "argocd",
         None, ""),
    ],
)
def test_namespace_placement(doc: str, namespace: str | None, code: str | None, placed: str | None) -> None:
    docs, diags = parse_stream("in.yaml", doc, namespace=namespace)
    assert [d.code for d in diags] == ([code] if code else [])
    if code == "PC625":
        assert "has no `metadata.namespace`: it is meant for `kubectl apply -n NAMESPACE`" in diags[0].message
        assert "pass `-n NAMESPACE`" in diags[0].help
    assert [d.namespace for d in docs] == ([] if placed is None else [placed])


def test_without_the_option_the_shape_check_still_refuses_it() -> None:
    # Callers that do not place objects (--from) keep PC602.
    _docs, diags = parse_stream("in.yaml", ROLE.format(ns=""))
    assert [d.code for d in diags] == ["PC602"] and "needs `metadata.namespace`" in diags[0].message


def _csr(user: str, groups: list[str]) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, user)]
    names += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    pem = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names)).sign(key, hashes.SHA256())
    return base64.b64encode(pem.public_bytes(serialization.Encoding.PEM)).decode()


def _csr_doc(name: str, request: str, ours: bool = True) -> str:
    labels = "{app.kubernetes.io/managed-by: policyc}" if ours else "{}"
    return (f"apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\n"
            f"  labels: {labels}\n  annotations: {{policyc.dev/user: {name}}}\nspec:\n  request: {request}\n"
            "  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\n---\n")


def test_certificate_users_come_back_from_policycs_requests() -> None:
    text = (_csr_doc("alice", _csr("alice", ["devs", "ops"])) + _csr_doc("bob", _csr("bob", []))
            + _csr_doc("eve", _csr("eve", []), ours=False) + _csr_doc("mallory", _csr("not-mallory", [])))
    result, _compiled, v = run(docs_from(text), (1, 30))
    cluster = result.files["cluster.policy"]
    assert "user alice auth certificate groups devs, ops\nuser bob auth certificate\n" in cluster
    assert "certificates ca /etc/kubernetes/pki/ca.crt" in cluster
    assert [d.code for d in result.diagnostics if d.code == "PC627"] == ["PC627"]
    # Not policyc's, or a subject that is not the annotated user: not access policy (PC602).
    assert status(result, "CertificateSigningRequest eve") == "skipped"
    assert status(result, "CertificateSigningRequest mallory") == "skipped"
    assert v.unchanged


def test_policycs_own_default_namespace_is_its_declared_namespace() -> None:
    ours = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n"
            "  labels: {app.kubernetes.io/managed-by: policyc}\n")
    result, _c, _v = run(docs_from(ours), (1, 30))
    assert result.files["namespaces/default.policy"] == "namespace default {}\n"
    plain, _c, _v = run(docs_from("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n"), (1, 30))
    assert status(plain, "Namespace default") == "skipped"


def test_a_role_whose_rules_all_drop_stays_in_the_cluster() -> None:
    text = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: old}\nrules:\n"
            "- {apiGroups: [apps], resources: [pods], verbs: [get]}\n---\n"
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: old}\n"
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: old}\n"
            "subjects: [{kind: User, name: alice}]\n")
    result, _compiled, v = run(docs_from(text), (1, 30))
    assert "role old" not in result.files["cluster.policy"]
    assert status(result, "ClusterRole old") == "skipped" and status(result, "ClusterRoleBinding old") == "kept"
    [d] = [d for d in result.diagnostics if d.code == "PC608"]
    assert "every permission is on what Kubernetes 1.30 does not serve (`get pods.apps`)" in d.message
    assert v.unchanged and not v.dead  # it stays, so nothing changed


@pytest.mark.parametrize(
    ("dead", "first"),
    [
        ([], "no access changes (2 subjects compared in 3 scopes)"),
        ([AccessLine(False, "user a", "cluster", ("get",), ("pods.apps",), ())],
         "no access changes on what Kubernetes 1.30 serves (2 subjects compared in 3 scopes); 1 permission line "
         "left out (below)"),
    ],
)
def test_verify_never_says_no_access_changes_when_it_left_something_out(dead: list, first: str) -> None:
    lines = Verification(dead=dead, subjects=2, scopes=3).lines((1, 30))
    assert lines[0] == first
    assert ("left out: permissions on what Kubernetes 1.30 does not serve (they allowed nothing):" in lines) == bool(
        dead)

"""Round trips: realistic dumps imported, compiled and proved to give the same effective access.

The fixtures are `kubectl get roles,clusterroles,rolebindings,clusterrolebindings,serviceaccounts,
namespaces,limitranges,resourcequotas,podsecuritypolicies -A -o yaml` of small clusters: the
bootstrap policy (built-in roles with their aggregated rules filled in, default bindings,
component roles), server-side fields (uid, resourceVersion, managedFields, status, last-applied
annotations), teams, aggregated roles, service accounts across namespaces, resourceNames,
non-resource URLs, LimitRanges, quotas, PSA labels (1.30) and PodSecurityPolicies (1.24).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importer_cases import codes, docs_of, run, status

from conftest import shared_path
from policyc.importer.verify import compile_files, verify_objects
from policyc.k8s.yamlread import read_paths
from policyc.output.tree import layout
from policyc.pipeline import compile_path

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def test_cluster_130_round_trip_has_no_access_changes() -> None:
    result, compiled, v = run(docs_of("cluster-1.30.yaml"), (1, 30))
    assert v.unchanged, v.lines((1, 30))
    assert v.subjects >= 15
    # The dead `services.apps` / `configmaps.apps` of the cross-product rule are listed apart.
    assert {line.targets for line in v.dead} == {("configmaps.apps", "services.apps")}
    files = result.files
    cluster = files["cluster.policy"]
    assert "kubernetes 1.30" in cluster
    assert "role monitoring aggregates metrics-viewer, scrape-targets" in cluster
    assert "role metrics-viewer aggregate-to view {" in cluster
    assert "  get /healthz, /livez/*, /readyz, /version" in cluster
    assert "team payments-devs {\n  members user alice@example.com, user bob@example.com\n" in cluster
    assert "grant role namespace-lister to everyone in cluster" in cluster
    payments = files["namespaces/payments.policy"]
    assert "  pod-security restricted\n" in payments
    assert "    pvc max storage 20Gi\n" in payments
    # Two quotas merge, the smaller `pods` wins.
    assert "quota limits.memory 32Gi, persistentvolumeclaims 10, pods 40, requests.cpu 8" in payments
    assert "get, update, patch configmaps named feature-flags, payments-settings" in payments
    assert "  pod-security enforce baseline, warn restricted\n" in files["namespaces/checkout.policy"]
    assert "PC616" in codes(result) and "PC608" in codes(result)
    # Built-in roles, default bindings, `system:` objects and default service accounts are skipped.
    for ref in ("ClusterRole admin", "ClusterRoleBinding system:basic-user", "ServiceAccount payments/default",
                "Role kube-system/system::leader-locking-kube-controller-manager", "Namespace kube-system"):
        assert status(result, ref) == "skipped", ref
    assert not result.docs("kept")
    # kubeadm's bindings are not `system:` objects: they are imported as grants of built-in roles.
    assert "grant role system:node-proxier to serviceaccount kube-system/kube-proxy in cluster" in cluster


def test_cluster_124_round_trip_with_pod_security_policies() -> None:
    result, compiled, v = run(docs_of("cluster-1.24.yaml"), (1, 24))
    assert v.unchanged, v.lines((1, 24))
    cluster = result.files["cluster.policy"]
    assert "pod-security-policy apps-restricted {" in cluster
    assert "  read-only-root-filesystem yes\n" in cluster
    assert "cluster {\n  admission PodSecurityPolicy\n}" in cluster
    assert "  pod-security apps-restricted\n" in result.files["namespaces/apps.policy"]
    assert "  pod-security apps-restricted\n" in result.files["namespaces/batch.policy"]
    # The PSP with allowedHostPaths cannot be written: it stays, and says so.
    assert status(result, "PodSecurityPolicy system-privileged") == "kept"
    assert [d for d in result.diagnostics if d.code == "PC613" and "allowedHostPaths" in d.message]
    psps = [m for m in compiled.manifests if m.kind == "PodSecurityPolicy"]
    assert [m.name for m in psps] == ["apps-restricted"]


def test_verification_fails_when_the_policy_changes_access() -> None:
    """The proof can fail: drop one grant from the imported policy and it names what was lost."""
    docs = docs_of("cluster-1.30.yaml")
    result, compiled, _ = run(docs, (1, 30))
    files = dict(result.files)
    files["cluster.policy"] = files["cluster.policy"].replace(
        "grant role namespace-lister to everyone in cluster", "")
    changed = compile_files(files)
    after = [m.body for m in changed.manifests] + [d.obj for d in result.remaining]
    v = verify_objects([d.obj for d in docs], after, (1, 30))
    assert not v.unchanged
    assert [(x.subject, x.scope, x.verbs, x.targets) for x in v.removed] == [
        ("group system:authenticated", "", ("get", "list", "watch"), ("namespaces",))]
    assert "- group system:authenticated: get, list, watch namespaces in cluster" in v.lines((1, 30))


def test_verification_sees_admission_changes() -> None:
    docs = docs_of("cluster-1.30.yaml")
    result, _compiled, _ = run(docs, (1, 30))
    files = dict(result.files)
    files["namespaces/payments.policy"] = files["namespaces/payments.policy"].replace("pods 40", "pods 45")
    changed = compile_files(files)
    v = verify_objects([d.obj for d in docs], [m.body for m in changed.manifests] +
                       [d.obj for d in result.remaining], (1, 30))
    assert [(c.area, c.scope, c.key, c.before, c.after) for c in v.settings] == [
        ("quota", "payments", "pods", "40", "45")]


@pytest.mark.parametrize("name", ["cluster-1.30.yaml", "cluster-1.24.yaml"])
def test_import_is_a_fixed_point(name: str, tmp_path: Path) -> None:
    """Importing what the imported policy builds gives back the same policy, byte for byte."""
    release = (1, 30) if "1.30" in name else (1, 24)
    first, compiled, _ = run(docs_of(name), release)
    out = tmp_path / "out"
    for rel, text in layout(compiled.manifests).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    docs, _sources, _diags = read_paths([str(out)])
    second, _c, v = run(docs + first.remaining, release)  # the cluster: policyc's objects and what stayed
    assert v.unchanged, v.lines(release)
    assert second.files == first.files


def _build_and_import(policy: Path, release: tuple[int, int], tmp_path: Path):
    built = compile_path(policy)
    assert built.ok, built.diagnostics
    out = tmp_path / "out"
    for rel, text in layout(built.manifests).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    docs, _sources, diags = read_paths([str(out)])
    assert not [d for d in diags if d.is_error]
    return built, docs, run(docs, release)


@pytest.mark.parametrize(("case", "release"), [("article", (1, 24)), ("org", (1, 30)), ("rbac", None)])
def test_golden_policies_come_back_with_the_same_access(case: str, release, tmp_path: Path) -> None:
    policy = GOLDEN / case / "policy"
    built = compile_path(policy)
    release = release or built.program.release
    _built, docs, (result, compiled, v) = _build_and_import(policy, release, tmp_path)
    assert v.unchanged, v.lines(release)
    # The imported policy grants the same access as the ORIGINAL policy, not only as its YAML.
    direct = verify_objects([m.body for m in built.manifests],
                            [m.body for m in compiled.manifests] + [d.obj for d in result.remaining], release)
    assert direct.unchanged, direct.lines(release)


@pytest.mark.parametrize(("case", "release"), [("article", (1, 24)), ("org", (1, 30))])
def test_spec_folders_come_back_with_the_same_access(case: str, release, tmp_path: Path) -> None:
    _built, _docs, (result, _compiled, v) = _build_and_import(shared_path("spec", case), release, tmp_path)
    assert v.unchanged, v.lines(release)
    if case == "article":
        text = result.files["cluster.policy"]
        assert "role app-operator aggregates deployer, pod-reader" in text
        assert "team app1 {" in text
        assert "  pod-security restricted\n" in result.files["namespaces/development.policy"]
        assert "grant create, delete pods to user bob" in result.files["namespaces/development.policy"]
    else:
        assert "team payments {" in result.files["namespaces/payments.policy"]
        # policyc's own ValidatingAdmissionPolicy comes back as the profile (importer/vap.py).
        assert status(result, "ValidatingAdmissionPolicy hardened") == "imported"
        assert "pod-security-policy hardened {" in result.files["cluster.policy"]


def test_names_the_lexer_cannot_read_bare_are_quoted() -> None:
    """Kubernetes allows names the language writes only quoted: spaces, quotes, a namespace `cluster`."""
    text = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "my role"}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get], resourceNames: ["pod one", "x\\\\y"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: cluster}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "my role"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "Alice Smith"}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: 'say "hi"'}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: c, namespace: cluster}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "Alice Smith"}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: 'say "hi"'}
"""
    from importer_cases import docs_from

    result, compiled, v = run(docs_from(text), (1, 30))
    assert v.unchanged, v.lines((1, 30))
    cluster = result.files["cluster.policy"]
    assert 'role "my role" {' in cluster
    assert 'get pods named "pod one", "x\\\\y"' in cluster
    assert 'members group "say \\"hi\\"", user "Alice Smith"' in result.files["namespaces/cluster.policy"]
    assert 'grant role "my role" in "cluster"' in result.files["namespaces/cluster.policy"]

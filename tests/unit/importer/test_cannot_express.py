"""Every "cannot express" path of `policyc import`: its diagnostic, where it points, and the object kept.

Kept objects stay in the cluster, so the verification still proves that nothing changed; the
one exception is the PC612 pin, which the import does change and the verification reports.
"""

from __future__ import annotations

import pytest
from importer_cases import docs_from, docs_of, run, status

RB = "rbac.authorization.k8s.io/v1"


@pytest.fixture(scope="module")
def imported():
    return run(docs_of("cannot-express.yaml"), (1, 30))


@pytest.mark.parametrize(
    ("code", "ref", "state", "line", "words"),
    [
        ("PC604", "RoleBinding apps/to-missing", "kept", 7, "refers to Role `does-not-exist`, which does not exist"),
        ("PC605", "ResourceQuota apps/best-effort", "kept", 17, "quota `scopeSelector` cannot be expressed"),
        ("PC606", "ClusterRoleBinding break-glass", "kept", 26, "`system:masters` bypasses authorization"),
        ("PC606", "ClusterRoleBinding scheduler-extra", "kept", 34, "user `system:kube-scheduler` is a Kubernetes "
         "component identity"),
        ("PC607", "ClusterRole core-everything", "kept", 41, "resource `*` of the core group cannot be written"),
        ("PC615", "ClusterRoleBinding core-readers", "kept", 50, "ClusterRole core-everything stays in the cluster"),
        ("PC607", "ClusterRole webhook-caller", "kept", 58, "verb `purge` on non-resource URL `/hooks/*` is not"),
        ("PC608", "ClusterRole old-chart", "imported", 66, "does not serve: `list deployments`"),
        ("PC609", "ClusterRole super-view", "kept", 78, "selects `system:aggregate-to-view`, which is not imported"),
        ("PC611", "LimitRange apps/odd", "kept", 89, "limit type `Node` cannot be expressed"),
        ("PC612", "Namespace apps", "imported", 98, "pinned to `v1.25`; the policy pins it to the target release"),
        ("PC613", "PodSecurityPolicy legacy", "kept", 103, "PodSecurityPolicy does not exist in Kubernetes 1.30"),
        ("PC614", "RoleBinding apps/cluster-reader", "kept", 133, "a namespace that has a Role of the same name"),
        ("PC603", "ServiceAccount apps/builder", "imported", 153, "field `automountServiceAccountToken` cannot be"),
        ("PC602", "ConfigMap apps/settings", "skipped", 145, "kind `ConfigMap` is not access policy"),
        ("PC610", "ServiceAccount apps/builder", "imported", 138, "is given again in"),
    ],
)
def test_each_path_has_its_diagnostic(imported, code: str, ref: str, state: str, line: int, words: str) -> None:
    result, _compiled, _v = imported
    found = [d for d in result.diagnostics if d.code == code and d.message.startswith(ref + " (document")]
    assert found, [(d.code, d.message) for d in result.diagnostics]
    d = found[0]
    assert words in d.message
    assert d.span.file.endswith("cannot-express.yaml") and d.span.line == line
    assert d.help
    assert status(result, ref) == state
    if state == "kept":
        assert d.message.endswith("; the object is kept as it is")


def test_kept_objects_keep_access_and_the_pin_change_is_reported(imported) -> None:
    result, _compiled, v = imported
    assert not v.added and not v.removed
    assert [(c.area, c.key, c.before, c.after) for c in v.settings] == [
        ("pod-security", "pod-security.kubernetes.io/enforce-version", "v1.25", "v1.30")]
    assert "role old-chart {\n  get deployments.apps, deployments.extensions\n  list pods\n}" in \
        result.files["cluster.policy"]


def _one(text: str, release=(1, 30)):
    result, _c, v = run(docs_from(text), release)
    assert not v.added and not v.removed, v.lines(release)
    return result


def test_binding_without_subjects_and_unknown_subject_kind() -> None:
    result = _one(f"""\
apiVersion: {RB}
kind: ClusterRoleBinding
metadata: {{name: nobody}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
---
apiVersion: {RB}
kind: ClusterRoleBinding
metadata: {{name: robots}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
subjects: [{{kind: Robot, name: r2}}]
""")
    assert [(d.code, "no subjects" in d.message or "`Robot`" in d.message) for d in result.diagnostics] == [
        ("PC606", True), ("PC606", True)]


def test_limit_ranges_that_conflict_keep_the_second() -> None:
    result = _one("""\
apiVersion: v1
kind: LimitRange
metadata: {name: a, namespace: n}
spec: {limits: [{type: Container, max: {memory: 1Gi}}]}
---
apiVersion: v1
kind: LimitRange
metadata: {name: b, namespace: n}
spec: {limits: [{type: Container, max: {memory: 2Gi}}]}
""")
    assert status(result, "LimitRange n/a") == "imported" and status(result, "LimitRange n/b") == "kept"
    assert [d.code for d in result.diagnostics] == ["PC611"]
    assert "sets `container max memory` to `2Gi` where another LimitRange" in result.diagnostics[0].message


def test_url_role_granted_in_a_namespace() -> None:
    result = _one(f"""\
apiVersion: {RB}
kind: ClusterRole
metadata: {{name: mixed}}
rules:
- {{apiGroups: [""], resources: [pods], verbs: [get]}}
- {{nonResourceURLs: [/metrics], verbs: [get]}}
---
apiVersion: {RB}
kind: RoleBinding
metadata: {{name: mixed, namespace: n}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: mixed}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: u}}]
""")
    assert [d.code for d in result.diagnostics] == ["PC614"]
    assert "holds non-resource URLs" in result.diagnostics[0].message


def test_aggregated_role_that_is_itself_aggregated_and_its_members() -> None:
    result = _one(f"""\
apiVersion: {RB}
kind: ClusterRole
metadata:
  name: agg
  labels: {{rbac.authorization.k8s.io/aggregate-to-view: "true"}}
aggregationRule:
  clusterRoleSelectors: [{{matchLabels: {{example.com/agg: "true"}}}}]
rules: []
---
apiVersion: {RB}
kind: ClusterRole
metadata:
  name: member
  labels: {{example.com/agg: "true"}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get]}}]
""")
    assert status(result, "ClusterRole agg") == "kept"
    # The member must stay too: the kept `agg` selects it by a label the policy cannot give it.
    assert status(result, "ClusterRole member") == "kept"
    assert [d.code for d in result.diagnostics] == ["PC609", "PC615"]


def test_invalid_pod_security_level_keeps_the_namespace() -> None:
    result = _one("""\
apiVersion: v1
kind: Namespace
metadata:
  name: n
  labels: {pod-security.kubernetes.io/enforce: strict}
""")
    assert status(result, "Namespace n") == "kept"
    assert [d.code for d in result.diagnostics] == ["PC612"]


def test_psp_that_no_namespace_may_use_is_kept() -> None:
    result = _one("""\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: unused
  annotations: {seccomp.security.alpha.kubernetes.io/allowedProfileNames: "*"}
spec:
  privileged: false
  runAsUser: {rule: RunAsAny}
  seLinux: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: ["*"]
  hostPorts: [{min: 0, max: 65535}]
  allowedCapabilities: ["*"]
""", (1, 24))
    assert status(result, "PodSecurityPolicy unused") == "kept"
    assert "no namespace's service accounts may use it" in result.diagnostics[0].message


def test_include_system_imports_default_bindings_but_never_built_in_roles() -> None:
    docs = docs_of("cluster-1.30.yaml")
    result, _c, v = run(docs, (1, 30), exclude_system=False)
    assert v.unchanged, v.lines((1, 30))
    assert status(result, "ClusterRole admin") == "skipped"
    assert status(result, "ClusterRoleBinding system:basic-user") == "imported"
    # Default bindings to component identities cannot be written: they stay, with PC606.
    assert status(result, "ClusterRoleBinding system:controller:deployment-controller") == "imported"
    assert status(result, "RoleBinding kube-system/system::leader-locking-kube-controller-manager") == "kept"
    assert "grant role system:basic-user to everyone in cluster" in result.files["cluster.policy"]


def test_psa_namespace_on_a_psp_cluster_gets_the_level_psp_and_verify_says_so() -> None:
    """docs/migrating.md: policyc adds `policyc-LEVEL` for a labelled namespace once PSPs are on."""
    keep = [d for d in docs_of("cluster-1.24.yaml") if d.name in ("apps-restricted", "psp:apps-restricted", "apps")
            and d.namespace in ("", "apps")]
    web = docs_from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels:\n"
                    "    pod-security.kubernetes.io/enforce: restricted\n"
                    "    pod-security.kubernetes.io/enforce-version: v1.24\n")
    result, _c, v = run(keep + web, (1, 24))
    assert "cluster {\n  admission PodSecurityPolicy\n}" in result.files["cluster.policy"]
    assert [(x.subject, x.scope, x.verbs, x.targets, x.names) for x in v.added] == [
        ("group system:serviceaccounts:web", "web", ("use",), ("podsecuritypolicies.policy",),
         ("policyc-restricted",))]
    assert [(c.area, c.scope) for c in v.settings] == [("pod-security-policy", "policyc-restricted")]


def test_what_policyc_checks_refuse_is_kept_not_written() -> None:
    """A quota the checks refuse (`pods` must be an integer) stays as it is: the policy still compiles."""
    result = _one("""\
apiVersion: v1
kind: ResourceQuota
metadata: {name: odd, namespace: n}
spec: {hard: {pods: 500m}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: fine, namespace: n}
spec: {limits: [{type: Container, max: {memory: 1Gi}}]}
""")
    assert status(result, "ResourceQuota n/odd") == "kept"
    assert status(result, "LimitRange n/fine") == "imported"
    d = [d for d in result.diagnostics if d.code == "PC605"][0]
    assert "policyc's checks refuse the namespace's quota" in d.message and "(PC186)" in d.message
    assert "quota" not in result.files["namespaces/n.policy"]


def test_psp_with_policyc_reserved_name_is_kept() -> None:
    result = _one("""\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: policyc-custom}
spec: {privileged: false, runAsUser: {rule: RunAsAny}, seLinux: {rule: RunAsAny}, volumes: ["*"],
       supplementalGroups: {rule: RunAsAny}, fsGroup: {rule: RunAsAny}}
""", (1, 24))
    assert status(result, "PodSecurityPolicy policyc-custom") == "kept"
    assert "reserved for policyc's own PodSecurityPolicies" in result.diagnostics[0].message

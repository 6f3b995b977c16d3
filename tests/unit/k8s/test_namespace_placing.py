"""k8s/yamlread.py's placing of namespaced objects without a namespace: one set of rules for `import -n`
(`place`) and `--from -n` (`place_missing`, `namespace_conflict`), as kubectl's RequireNamespace."""

from __future__ import annotations

import yaml

from policyc.k8s.yamlread import Doc, namespace_conflict, parse_stream, place, place_missing

ROLE = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r{ns}\nrules: []\n"
CLUSTER_ROLE = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: c\nrules: []\n"
CRB = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\n"
       "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
       "subjects:\n- kind: ServiceAccount\n  name: runner@NS@\n")


def _doc(text: str) -> Doc:
    """The object as read, before any shape check or placing."""
    return Doc(yaml.safe_load(text), "x.yaml", 1)


def test_from_places_only_namespaced_objects_without_a_namespace() -> None:
    docs, diags = parse_stream("x.yaml", ROLE.format(ns="") + "---\n" + CLUSTER_ROLE, strict="PC310", namespace="a")
    assert diags == []
    assert [(d.kind, d.namespace, d.placed) for d in docs] == [("Role", "a", True), ("ClusterRole", "", False)]


def test_from_leaves_conflicts_to_the_caller_import_refuses_them() -> None:
    text = ROLE.format(ns="\n  namespace: b")
    docs, diags = parse_stream("x.yaml", text, strict="PC310", namespace="a")
    assert diags == [] and [(d.namespace, d.placed) for d in docs] == [("b", False)]
    conflict = namespace_conflict(docs[0], "a")
    assert conflict is not None and conflict.code == "PC626" and conflict.span.line == 5
    assert conflict.message == "Role r (document 1) is in namespace `b`, not `a` given with `-n`"
    assert place(_doc(text), "a").message == conflict.message  # import: the same diagnostic
    assert namespace_conflict(docs[0], "b") is None


def test_place_and_place_missing_fill_the_same_way() -> None:
    a, b = _doc(ROLE.format(ns="")), _doc(ROLE.format(ns=""))
    assert place(a, "ns") is None
    assert place_missing(b, "ns").obj == a.obj == {**a.obj, "metadata": {"name": "r", "namespace": "ns"}}


def test_a_cluster_role_binding_service_account_subject_needs_a_namespace() -> None:
    # pkg/apis/rbac/validation: Required for a ClusterRoleBinding; `-n` does not fill subjects.
    docs, diags = parse_stream("x.yaml", CRB.replace("@NS@", ""), strict="PC310", namespace="ci")
    assert docs == [] and [(d.code, d.span.line) for d in diags] == [("PC310", 7)]
    assert "a ClusterRoleBinding's ServiceAccount subject needs a `namespace`" in diags[0].message
    docs, diags = parse_stream("x.yaml", CRB.replace("@NS@", "\n  namespace: ci"), strict="PC310")
    assert len(docs) == 1 and diags == []
    docs, diags = parse_stream("x.yaml", CRB.replace("@NS@", ""), namespace=None)  # import: skipped with PC602
    assert docs == [] and [d.code for d in diags] == ["PC602"]

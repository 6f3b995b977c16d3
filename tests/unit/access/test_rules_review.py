"""`can-i --list` as `kubectl auth can-i --list` prints it (policyc/access/rulesreview.py).

kubectl breaks the SelfSubjectRulesReview's rules down (one group, resource, verb, name; or one
URL and verb), merges single-resource rules that differ only in verbs (in the order met; URL
rules are never merged, so a URL two roles grant is listed twice), sorts by the Go string of
the rule (Verbs first, byte order) and prints through a tab writer (kubectl/pkg/util/rbac/rbac.go,
kubectl/pkg/cmd/auth/cani.go, cli-runtime/pkg/printers/tabwriter.go).
"""

from __future__ import annotations

from policyc.access.authorizer import AccessModel
from policyc.access.request import UserInfo
from policyc.access.rulesreview import HEADERS, list_rows, tabwrite

RBAC = "rbac.authorization.k8s.io/v1"


def _objs() -> list[dict]:
    def role(kind: str, name: str, rules: list[dict], ns: str = "") -> dict:
        return {"apiVersion": RBAC, "kind": kind, "metadata": {"name": name, **({"namespace": ns} if ns else {})},
                "rules": rules}

    def bind(kind: str, name: str, role_kind: str, role_name: str, subjects: list[dict], ns: str = "") -> dict:
        return {"apiVersion": RBAC, "kind": kind, "metadata": {"name": name, **({"namespace": ns} if ns else {})},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
                "subjects": subjects}

    alice = [{"kind": "User", "name": "alice"}]
    return [
        role("ClusterRole", "urls", [{"nonResourceURLs": ["/metrics", "/healthz"], "verbs": ["get"]}]),
        role("ClusterRole", "health", [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]),
        role("ClusterRole", "watcher", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["watch"]}]),
        role("Role", "dev", [
            {"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"], "verbs": ["update"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        ], "ns1"),
        role("Role", "other", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], "ns2"),
        bind("ClusterRoleBinding", "urls", "ClusterRole", "urls", alice),
        bind("ClusterRoleBinding", "health", "ClusterRole", "health", alice),
        bind("ClusterRoleBinding", "watcher", "ClusterRole", "watcher", alice),
        bind("RoleBinding", "dev", "Role", "dev", alice, "ns1"),
        bind("RoleBinding", "other", "Role", "other", alice, "ns2"),
    ]


MODEL = AccessModel.from_objects(_objs(), (1, 30), bootstrap=False)
ALICE = UserInfo.impersonated("alice")

NS1 = """\
Resources          Non-Resource URLs   Resource Names   Verbs
deployments        []                  []               [get list]
deployments.apps   []                  []               [get list]
pods.apps          []                  []               [get list]
                   [/healthz]          []               [get]
                   [/healthz]          []               [get]
                   [/metrics]          []               [get]
pods/log           []                  []               [get]
deployments.apps   []                  [web]            [update]
pods               []                  []               [watch get list]
"""


def test_the_table_is_kubectls() -> None:
    assert tabwrite([HEADERS, *list_rows(MODEL, ALICE, "ns1")]) == NS1


def test_the_namespace_decides_which_role_bindings_count() -> None:
    rows = list_rows(MODEL, ALICE, "ns2")
    assert ("*.*", "[]", "[]", "[*]") in rows
    assert not any(r[0] == "pods/log" for r in rows)
    assert [r[0] for r in list_rows(MODEL, ALICE, "default")] == ["", "", "", "pods"]


def test_a_superuser_holds_everything() -> None:
    rows = list_rows(MODEL, UserInfo.impersonated("root", ["system:masters"]), "default")
    assert rows == [("*.*", "[]", "[]", "[*]"), ("", "[*]", "[]", "[*]")]

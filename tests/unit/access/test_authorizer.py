"""RBAC authorizer semantics, one table row per case.

Rows come from the authorizer's source and tests: plugin/pkg/auth/authorizer/rbac/rbac_test.go
(TestAuthorizer, TestRuleMatches), pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches,
APIGroupMatches, ResourceMatches with `*/subresource`, ResourceNameMatches, NonResourceURLMatches),
pkg/registry/rbac/validation/rule.go (VisitRulesFor, appliesToUser: binding scope and service
account subjects), the authenticated-group adder and the impersonation filter of k8s.io/apiserver,
and the clusterrole-aggregation controller (pkg/controller/clusterroleaggregation).
"""

from __future__ import annotations

import pytest
from rbac_fixtures import cr, crb, rb, role, rule

from policyc.access.authorizer import AccessModel
from policyc.access.matching import covers, rule_allows
from policyc.access.request import Request, UserInfo
from policyc.k8s.rules import PolicyRule

# Cluster used by the table (no bootstrap objects, so only these grant anything).
OBJECTS = [
    # rbac_test.go case 1: a ClusterRole bound by a RoleBinding grants only in its namespace.
    cr("admin-all", rule("*", "*", "*")),
    rb("ns1", "admin", "ClusterRole", "admin-all", "User:admin", "Group:admins"),
    # rbac_test.go case 2: non-resource URLs through ClusterRoleBindings.
    cr("nr-getter", rule("get", urls="/apis")),
    cr("nr-all", rule("*", urls="/apis")),
    cr("nr-prefix", rule("get", urls="/apis/*")),
    crb("nr-getter", "nr-getter", "User:foo", "Group:bar"),
    crb("nr-all", "nr-all", "User:nradmin", "Group:nradmin"),
    crb("nr-prefix", "nr-prefix", "User:prefixed", "Group:prefixed"),
    # A URL rule bound by a RoleBinding never applies (URL requests have no namespace).
    cr("healthz", rule("get", urls="/healthz")),
    rb("ns1", "healthz", "ClusterRole", "healthz", "User:rb-url"),
    # rbac_test.go cases 3 and 4: subresources.
    cr("pods-only", rule("*", "*", "pods")),
    rb("sub", "pods-only", "ClusterRole", "pods-only", "User:podsonly"),
    cr("pods-status", rule("*", "*", "pods/status")),
    rb("sub", "pods-status", "ClusterRole", "pods-status", "User:podstatus"),
    cr("pods-star", rule("get", "", "pods/*")),
    rb("sub", "pods-star", "ClusterRole", "pods-star", "User:podsstar"),
    cr("any-scale", rule("update", "*", "*/scale")),
    rb("sub", "any-scale", "ClusterRole", "any-scale", "User:scaler"),
    # resourceNames.
    cr("cm-named", rule("get,update", "", "configmaps", names="app-settings")),
    rb("names", "cm-named", "ClusterRole", "cm-named", "User:named"),
    # Roles are looked up in the binding's namespace.
    role("ns2", "reader", rule("get,list", "", "pods")),
    role("ns3", "reader", rule("delete", "", "pods")),
    rb("ns2", "reader", "Role", "reader", "User:roleuser"),
    # Bindings to missing roles grant nothing.
    rb("ns2", "ghost", "Role", "missing", "User:ghost"),
    # Service accounts: explicit namespace, defaulted in a RoleBinding, never defaulted in a CRB.
    cr("secret-reader", rule("get", "", "secrets")),
    rb("apps", "sa", "ClusterRole", "secret-reader", "ServiceAccount:apps/builder", "ServiceAccount:/local"),
    crb("sa-crb", "secret-reader", "ServiceAccount:/nons"),
    cr("node-reader", rule("get,list", "", "nodes")),
    crb("sa-group", "node-reader", "Group:system:serviceaccounts:apps"),
    cr("cm-reader", rule("list", "", "configmaps")),
    crb("authenticated", "cm-reader", "Group:system:authenticated"),
    cr("anon-health", rule("get", urls="/livez")),
    crb("unauthenticated", "anon-health", "Group:system:unauthenticated"),
    # Groups, and API groups.
    cr("deploy", rule("create", "apps", "deployments")),
    crb("deploy", "deploy", "Group:dev"),
    cr("multi", rule("verb1,verb2", "group1,group2", "resource1,resource2")),
    crb("multi", "multi", "User:multi"),
    # Aggregation: `agg` selects by matchLabels, `agg2` by matchExpressions, `outer` nests `agg`.
    cr("hammer", rule("hammer", "", "nails"), labels={"tool": "yes"}),
    cr("chisel", rule("chisel", "", "mortises"), labels={"tool": "yes", "kind": "fine"}),
    cr("saw", rule("saw", "", "boards"), labels={"tool": "no"}),
    cr("agg", rule("stale", "", "leftovers"), labels={"outer": "true"},
       selectors=[{"matchLabels": {"tool": "yes"}}]),
    cr("agg2", selectors=[{"matchExpressions": [{"key": "tool", "operator": "In", "values": ["no"]}]}]),
    cr("agg3", selectors=[{"matchExpressions": [{"key": "kind", "operator": "DoesNotExist"},
                                                  {"key": "tool", "operator": "Exists"}]}]),
    cr("outer", selectors=[{"matchLabels": {"outer": "true"}}]),
    crb("agg", "agg", "User:carpenter"),
    crb("agg2", "agg2", "User:sawyer"),
    crb("agg3", "agg3", "User:third"),
    crb("outer", "outer", "User:boss"),
]

MODEL = AccessModel.from_objects(OBJECTS, bootstrap=False)
BOOT = AccessModel.from_objects([], bootstrap=True)


def res(verb, resource, ns="", group="", sub="", name=""):
    return Request(verb, group, resource, sub, name, ns)


def url(verb, path):
    return Request(verb, path=path)


U = UserInfo
CASES = [
    # --- rbac_test.go TestAuthorizer case 1: ClusterRole via RoleBinding, scoped to ns1
    ("rb-admin-user", U("admin"), res("get", "Pods", "ns1"), True),
    ("rb-admin-watch", U("admin"), res("watch", "Pods", "ns1"), True),
    ("rb-admin-with-group", U("admin", ("group1",)), res("watch", "Foobar", "ns1"), True),
    ("rb-group-member", U("joe", ("admins",)), res("watch", "Foobar", "ns1"), True),
    ("rb-group-among-others", U("joe", ("group1", "admins")), res("watch", "Foobar", "ns1"), True),
    ("rb-other-namespace", U("admin"), res("GET", "Pods", "ns2"), False),
    ("rb-cluster-scoped", U("admin"), res("GET", "Nodes"), False),
    ("rb-group-other-namespace", U("admin", ("admins",)), res("GET", "Pods", "ns2"), False),
    ("rb-group-cluster-scoped", U("admin", ("admins",)), res("GET", "Nodes"), False),
    # --- case 2: non-resource URLs
    ("url-user", U("foo"), url("get", "/apis"), True),
    ("url-group", U("", ("bar",)), url("get", "/apis"), True),
    ("url-star-verb", U("nradmin"), url("get", "/apis"), True),
    ("url-star-verb-group", U("", ("nradmin",)), url("get", "/apis"), True),
    ("url-star-verb-watch", U("nradmin"), url("watch", "/apis"), True),
    ("url-prefix", U("prefixed"), url("get", "/apis/v1"), True),
    ("url-prefix-group", U("", ("prefixed",)), url("get", "/apis/v1"), True),
    ("url-prefix-deep", U("prefixed"), url("get", "/apis/v1/foobar"), True),
    ("url-wrong-verb", U("foo"), url("watch", "/apis"), False),
    ("url-wrong-verb-group", U("", ("bar",)), url("watch", "/apis"), False),
    ("url-wrong-path", U("foo"), url("get", "/api/v1"), False),
    ("url-wrong-path-admin", U("nradmin"), url("get", "/api/v1"), False),
    ("url-prefix-not-covering", U("prefixed"), url("get", "/api/v1"), False),
    ("url-prefix-needs-slash", U("prefixed"), url("get", "/apis"), False),
    ("url-through-rolebinding", U("rb-url"), url("get", "/healthz"), False),
    # --- cases 3 and 4: subresources
    ("pods-rule-pods", U("podsonly"), res("get", "pods", "sub"), True),
    ("pods-rule-not-status", U("podsonly"), res("get", "pods", "sub", sub="status"), False),
    ("status-rule-status", U("podstatus"), res("get", "pods", "sub", sub="status"), True),
    ("status-rule-not-pods", U("podstatus"), res("get", "pods", "sub"), False),
    ("pods-star-is-literal", U("podsstar"), res("get", "pods", "sub", sub="log"), False),
    ("pods-star-literal-match", U("podsstar"), res("get", "pods", "sub", sub="*"), True),
    ("star-scale-deployments", U("scaler"), res("update", "deployments", "sub", "apps", "scale"), True),
    ("star-scale-statefulsets", U("scaler"), res("update", "statefulsets", "sub", "apps", "scale"), True),
    ("star-scale-not-status", U("scaler"), res("update", "deployments", "sub", "apps", "status"), False),
    ("star-scale-not-parent", U("scaler"), res("update", "deployments", "sub", "apps"), False),
    # --- resourceNames
    ("named-match", U("named"), res("get", "configmaps", "names", name="app-settings"), True),
    ("named-update", U("named"), res("update", "configmaps", "names", name="app-settings"), True),
    ("named-other", U("named"), res("get", "configmaps", "names", name="other"), False),
    ("named-no-name", U("named"), res("get", "configmaps", "names"), False),
    # --- Roles live in the binding's namespace; missing roles grant nothing
    ("role-in-binding-ns", U("roleuser"), res("list", "pods", "ns2"), True),
    ("role-other-ns-rules", U("roleuser"), res("delete", "pods", "ns2"), False),
    ("role-not-elsewhere", U("roleuser"), res("list", "pods", "ns3"), False),
    ("missing-role", U("ghost"), res("get", "pods", "ns2"), False),
    # --- service accounts
    ("sa-explicit-ns", U.service_account("apps", "builder"), res("get", "secrets", "apps"), True),
    ("sa-defaulted-ns", U.service_account("apps", "local"), res("get", "secrets", "apps"), True),
    ("sa-same-name-other-ns", U.service_account("other", "builder"), res("get", "secrets", "apps"), False),
    ("sa-crb-no-namespace", U.service_account("nons", "nons"), res("get", "secrets", "nons"), False),
    ("sa-group", U.service_account("apps", "anyone"), res("list", "nodes"), True),
    ("sa-group-other-ns", U.service_account("web", "anyone"), res("list", "nodes"), False),
    ("sa-name-without-groups", U("system:serviceaccount:apps:builder"), res("get", "secrets", "apps"), True),
    ("sa-impersonated-groups", U.impersonated("system:serviceaccount:apps:x"), res("get", "nodes"), True),
    ("sa-impersonated-explicit-groups", U.impersonated("system:serviceaccount:apps:x", ["g"]),
     res("get", "nodes"), False),
    # --- authenticated / anonymous
    ("authenticated-user", U.authenticated("alice"), res("list", "configmaps", "any"), True),
    ("impersonated-user", U.impersonated("alice"), res("list", "configmaps", "any"), True),
    ("anonymous-not-authenticated", U.anonymous(), res("list", "configmaps", "any"), False),
    ("anonymous-impersonated", U.impersonated("system:anonymous"), res("list", "configmaps", "any"), False),
    ("anonymous-unauthenticated-url", U.impersonated("system:anonymous"), url("get", "/livez"), True),
    ("unauthenticated-group-no-auth", U.impersonated("bob", ["system:unauthenticated"]),
     res("list", "configmaps", "x"), False),
    ("authenticated-user-not-anon-url", U.authenticated("alice"), url("get", "/livez"), False),
    # --- API groups and verbs (TestRuleMatches "tuple expansion")
    ("group-exact", U("", ("dev",)), res("create", "deployments", "x", "apps"), True),
    ("group-core-differs", U("", ("dev",)), res("create", "deployments", "x"), False),
    ("group-extensions-differs", U("", ("dev",)), res("create", "deployments", "x", "extensions"), False),
    ("verb-exact", U("", ("dev",)), res("update", "deployments", "x", "apps"), False),
    ("tuple-1", U("multi"), res("verb1", "resource1", group="group1"), True),
    ("tuple-2", U("multi"), res("verb2", "resource2", group="group2"), True),
    ("tuple-3", U("multi"), res("verb2", "resource1", group="group2"), True),
    ("tuple-miss", U("multi"), res("verb3", "resource1", group="group1"), False),
    # --- aggregation (clusterroleaggregation_controller_test.go)
    ("agg-selected", U("carpenter"), res("hammer", "nails"), True),
    ("agg-selected-2", U("carpenter"), res("chisel", "mortises"), True),
    ("agg-not-selected", U("carpenter"), res("saw", "boards"), False),
    ("agg-dead-rules-removed", U("carpenter"), res("stale", "leftovers"), False),
    ("agg-expression-in", U("sawyer"), res("saw", "boards"), True),
    ("agg-expression-in-miss", U("sawyer"), res("hammer", "nails"), False),
    ("agg-does-not-exist", U("third"), res("hammer", "nails"), True),
    ("agg-does-not-exist-miss", U("third"), res("chisel", "mortises"), False),
    ("agg-nested", U("boss"), res("hammer", "nails"), True),
    ("agg-nested-miss", U("boss"), res("saw", "boards"), False),
]


@pytest.mark.parametrize(("user", "request_", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_authorizer(user: UserInfo, request_: Request, allowed: bool) -> None:
    assert MODEL.authorize(user, request_).allowed is allowed


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60


BOOT_CASES = [
    # The built-in roles and default bindings (policyc/k8s/bootstrap.py).
    ("masters-superuser", U("x", ("system:masters",)), res("delete", "nodes"), True),
    ("masters-anything", U("x", ("system:masters",)), url("post", "/anything"), True),
    ("basic-user", U.authenticated("x"), res("create", "selfsubjectaccessreviews", group="authorization.k8s.io"), True),
    ("discovery", U.authenticated("x"), url("get", "/apis/apps"), True),
    ("public-info-anonymous", U.anonymous(), url("get", "/version"), True),
    ("discovery-not-anonymous", U.anonymous(), url("get", "/apis"), False),
    ("nothing-else", U.authenticated("x"), res("get", "pods", "default"), False),
]


@pytest.mark.parametrize(("user", "request_", "allowed"), [c[1:] for c in BOOT_CASES],
                         ids=[c[0] for c in BOOT_CASES])
def test_bootstrap(user: UserInfo, request_: Request, allowed: bool) -> None:
    assert BOOT.authorize(user, request_).allowed is allowed


def test_edit_is_aggregated_from_view_and_aggregate_to_edit() -> None:
    edit = BOOT.role(next(r for r in BOOT.roles if r.name == "edit"))
    assert edit is not None
    view_rule = next(i for i, r in enumerate(edit.rules) if "pods/log" in r.resources)
    assert edit.source_of(view_rule) == "system:aggregate-to-view"
    assert any("impersonate" in r.verbs and "serviceaccounts" in r.resources for r in edit.rules)
    admin = BOOT.role(next(r for r in BOOT.roles if r.name == "admin"))
    assert admin is not None and set(edit.rules) <= set(admin.rules)


def test_decision_names_binding_role_and_rule() -> None:
    d = MODEL.authorize(U("joe", ("admins",)), res("get", "pods", "ns1"))
    (reason,) = d.reasons
    assert str(reason.binding) == "RoleBinding ns1/admin"
    assert str(reason.role) == "ClusterRole admin-all"
    assert reason.subject is not None and reason.subject.name == "admins"
    assert reason.rule == PolicyRule(("*",), ("*",), (), (), ("*",))


def test_who_can_lists_subjects_in_scope_only() -> None:
    found = MODEL.who_can(res("get", "secrets", "apps"))
    names = [(w.subject.kind, w.subject.namespace, w.subject.name) for w in found]
    assert names[0] == ("Group", "", "system:masters")
    assert ("ServiceAccount", "apps", "builder") in names and ("ServiceAccount", "apps", "local") in names
    assert ("User", "", "admin") not in names  # its RoleBinding is in ns1
    assert ("User", "", "admin") in [(w.subject.kind, w.subject.namespace, w.subject.name)
                                     for w in MODEL.who_can(res("get", "secrets", "ns1"))]


@pytest.mark.parametrize(
    ("owner", "servant", "expected"),
    [  # policy_comparator.go semantics
        (rule("*", "*", "*"), rule("get", "", "pods"), True),
        (rule("get", "", "pods"), rule("get,list", "", "pods"), False),
        (rule("get", "", "*/scale"), rule("get", "apps", "deployments/scale"), False),
        (rule("get", "apps", "*/scale"), rule("get", "apps", "deployments/scale"), True),
        (rule("get", "", "configmaps"), rule("get", "", "configmaps", names="a"), True),
        (rule("get", "", "configmaps", names="a"), rule("get", "", "configmaps"), False),
        (rule("get", urls="/apis/*"), rule("get", urls="/apis/v1"), True),
        (rule("get", urls="/apis"), rule("get", urls="/apis/v1"), False),
    ],
)
def test_covers(owner: dict, servant: dict, expected: bool) -> None:
    assert covers([PolicyRule.from_dict(owner)], [PolicyRule.from_dict(servant)])[0] is expected


def test_rule_allows_is_exact_about_case() -> None:
    assert not rule_allows(PolicyRule.from_dict(rule("get", "", "pods")), res("GET", "pods"))

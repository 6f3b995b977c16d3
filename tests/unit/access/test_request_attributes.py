"""can-i asks what kube-apiserver asks: request attributes as requestinfo.go makes them
(staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) decided by RuleAllows
(plugin/pkg/auth/authorizer/rbac/rbac.go). Each case is a cluster, a question, and the API server's answer."""

from __future__ import annotations

import pytest
from rbac_fixtures import cr, crb, rb, rule

from policyc.access.request import UserInfo
from policyc.access.session import Session

OBJS = [
    cr("ns-reader", rule("get", "", "namespaces"), rule("update", "", "namespaces/status")),
    rb("ns1", "ns-reader", "ClusterRole", "ns-reader", "User:alice"),
    cr("scaler", rule("update", "*", "*/scale"), rule("get", "", "pods/*")),
    rb("app", "scaler", "ClusterRole", "scaler", "User:alice"),
    cr("one-secret", rule("get", "", "secrets", names="a")),
    rb("app", "one-secret", "ClusterRole", "one-secret", "User:alice"),
    cr("urls", rule("get", urls="/custom/*,/metrics")),
    crb("urls", "urls", "User:bob"),
    rb("app", "urls-in-ns", "ClusterRole", "urls", "User:alice"),
    cr("core-star", rule("get", "", "*")),
    rb("core", "core-star", "ClusterRole", "core-star", "User:alice"),
    cr("all", rule("list", "*", "*")),
    crb("all", "all", "User:carol"),
]

CASES = [
    # user, verb, resource, name, -n, allowed
    ("alice", "get", "namespaces", "ns1", None, True),  # namespace=ns1, name=ns1: the RoleBinding applies
    ("alice", "get", "namespaces", "ns1", "other", True),  # the path names the namespace, not -n
    ("alice", "get", "namespaces", "ns2", None, False),
    ("alice", "list", "namespaces", None, None, False),  # a collection is cluster-scoped
    ("alice", "update", "namespaces/status", "ns1", None, True),
    ("alice", "update", "deployments.apps/scale", None, "app", True),  # */scale matches any scale subresource
    ("alice", "update", "deployments.apps", None, "app", False),
    ("alice", "get", "pods/log", "web", "app", False),  # pods/* only matches a subresource named `*`
    ("alice", "get", "pods", "web", "core", True),  # core `*`
    ("alice", "get", "pods/log", "web", "core", True),  # `*` matches subresources too
    ("alice", "get", "deployments.apps", "web", "core", False),  # `*` resources, core group only
    ("alice", "get", "secrets", "a", "app", True),
    ("alice", "get", "secrets", "b", "app", False),
    ("alice", "get", "secrets", None, "app", False),  # resourceNames: a request without a name is not allowed
    ("alice", "get", "secrets", "b", "core", True),
    ("alice", "get", "/metrics", None, None, False),  # URLs through a RoleBinding never apply
    ("alice", "get", "nodes", "n1", "app", False),  # cluster-scoped: RoleBindings never apply
    ("bob", "get", "/custom/a/b", None, None, True),
    ("bob", "get", "/custom", None, None, False),  # `/custom/*` needs the slash
    ("bob", "post", "/metrics", None, None, False),
    ("bob", "get", "/healthz", None, None, True),  # system:public-info-viewer
    ("carol", "list", "widgets.example.com", None, "x", True),
    ("carol", "get", "pods", None, "x", False),
    ("system:kube-controller-manager", "get", "secrets", "s", "x", True),  # built-in component binding
    ("system:kube-controller-manager", "create", "serviceaccounts/token", "sa", "x", True),
    ("system:kube-proxy", "list", "endpointslices.discovery.k8s.io", None, "x", True),
    ("system:kube-proxy", "get", "secrets", "s", "x", False),
    ("system:kube-scheduler", "create", "pods/binding", "p", "x", True),
]


@pytest.fixture(scope="module")
def session() -> Session:
    return Session.of_objects(OBJS, (1, 30))


@pytest.mark.parametrize(("user", "verb", "resource", "name", "ns", "allowed"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[2]} {c[3]} -n {c[4]}" for c in CASES])
def test_can_i_agrees_with_the_api_server(session: Session, user, verb, resource, name, ns, allowed) -> None:
    req = session.request(verb, resource, name, ns, False)
    assert session.model.authorize(UserInfo.impersonated(user), req).allowed is allowed


def test_a_namespace_request_is_made_in_that_namespace(session: Session) -> None:
    session.notes.clear()
    req = session.request("get", "namespaces", "ns1", "other", False)
    assert (req.namespace, req.name) == ("ns1", "ns1")
    assert session.notes == ["warning: a request for namespace `ns1` is made in namespace `ns1`; -n is ignored"]

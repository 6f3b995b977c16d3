"""RBAC rules to the language: targets, aliases, merging, dead permissions, what cannot be written.

The inverse must be exact: every target written is read back by policyc.k8s.rules.split_resource
(the compiler's own reading) as the same (group, resource).
"""

from __future__ import annotations

import pytest

from policyc.importer.plan import LRule
from policyc.importer.rules import alias_verbs, is_dead, target_text, translate_rules
from policyc.k8s.releases import load_release
from policyc.k8s.rules import Atom, PolicyRule, split_resource

R130 = load_release((1, 30))


@pytest.mark.parametrize(
    ("group", "resource", "text"),
    [
        ("", "pods", "pods"),
        ("", "pods/log", "pods/log"),
        ("apps", "deployments", "deployments.apps"),
        ("apps", "deployments/scale", "deployments.apps/scale"),
        ("*", "*", "*"),
        ("*", "*/scale", "*/scale"),
        ("apps", "*", "*.apps"),
        ("apps", "*/status", "*.apps/status"),
        ("*", "pods", "pods.*"),
        ("*", "pods/log", "pods.*/log"),
        ("metrics.k8s.io", "pods", "pods.metrics.k8s.io"),
        ("", "*", None),  # every resource of the core group: the language has no word for it
        ("", "weird.name", None),
        ("", "", None),
        ("", "pods/", None),
    ],
)
def test_target_text(group: str, resource: str, text: str | None) -> None:
    assert target_text(group, resource) == text
    if text is not None:
        assert split_resource(text) == (group, resource)


@pytest.mark.parametrize(
    ("verbs", "written"),
    [
        (["get", "list", "watch"], ("read",)),
        (["watch", "list", "get"], ("read",)),
        (["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"], ("read", "write")),
        (["get", "list", "watch", "update"], ("read", "update")),
        (["create", "update", "patch", "delete", "deletecollection", "get"], ("write", "get")),
        (["get", "list"], ("get", "list")),
        (["*", "get"], ("*",)),
        (["use"], ("use",)),
        (["impersonate", "get"], ("get", "impersonate")),
    ],
)
def test_alias_verbs(verbs: list[str], written: tuple[str, ...]) -> None:
    assert alias_verbs(verbs) == written


def test_rules_merge_across_groups_and_sort() -> None:
    rules = [
        PolicyRule(("apps",), ("replicasets", "deployments"), (), (), ("get", "list", "watch")),
        PolicyRule(("",), ("pods",), (), (), ("watch", "get", "list")),
        PolicyRule(("",), ("configmaps",), ("b", "a"), (), ("get",)),
        PolicyRule((), (), (), ("/healthz", "/version"), ("get",)),
        PolicyRule(("",), ("pods",), (), (), ("delete",)),
    ]
    out = translate_rules(rules, R130)
    # Verbs are merged per resource first (pods: get, list, watch and delete), as the compiler does.
    assert out.rules == (
        LRule(("read",), ("deployments.apps", "replicasets.apps")),
        LRule(("read", "delete"), ("pods",)),
        LRule(("get",), ("configmaps",), ("a", "b")),
        LRule(("get",), ("/healthz", "/version")),
    )
    assert not out.dead and not out.problems


def test_cross_product_atoms_that_no_group_serves_are_dead() -> None:
    # kubectl and Helm charts often list groups and resources that do not pair up.
    rule = PolicyRule(("", "apps"), ("pods", "deployments"), (), (), ("get",))
    out = translate_rules([rule], R130)
    assert out.rules == (LRule(("get",), ("deployments.apps", "pods")),)
    assert sorted((a.group, a.resource) for a in out.dead) == [("", "deployments"), ("apps", "pods")]


@pytest.mark.parametrize(
    ("atom", "dead"),
    [
        (Atom("get", "", "pods"), False),
        (Atom("get", "", "deployments"), True),
        (Atom("get", "apps", "pods"), True),
        (Atom("get", "", "pods/logz"), True),
        (Atom("get", "", "*"), False),
        (Atom("get", "*", "deployments"), False),
        (Atom("get", "example.com", "widgets"), False),  # a custom group: policyc cannot know
        (Atom("frobnicate", "", "pods"), True),  # not a verb of the release, on a built-in group
        (Atom("frobnicate", "example.com", "widgets"), False),
        (Atom("get", "", "", (), "/healthz"), False),
    ],
)
def test_dead_atoms(atom: Atom, dead: bool) -> None:
    assert is_dead(atom, R130) is dead


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (PolicyRule(("",), ("*",), (), (), ("get",)), "resource `*` of the core group cannot be written"),
        (PolicyRule((), (), (), ("/hooks",), ("purge",)), "verb `purge` on non-resource URL `/hooks` is not an"),
        (PolicyRule(("*",), ("widgets",), (), (), ("frobnicate",)), "verb `frobnicate` is not a verb"),
    ],
)
def test_rules_the_language_cannot_write(rule: PolicyRule, problem: str) -> None:
    out = translate_rules([rule], R130)
    assert out.problems and problem in out.problems[0]


@pytest.mark.parametrize(
    ("rule", "written"),
    [
        # Knative's subscription verb: a custom resource's API defines it (config/core/roles of knative/eventing).
        (PolicyRule(("messaging.knative.dev",), ("subscriptions",), (), (), ("knsubscribe",)),
         LRule(("knsubscribe",), ("subscriptions.messaging.knative.dev",))),
        # Every HTTP method on a URL: requestinfo.go lowercases the request's method.
        (PolicyRule((), (), (), ("/healthz",), ("get", "head")), LRule(("get", "head"), ("/healthz",))),
        (PolicyRule((), (), (), ("/hooks",), ("post", "put", "options")),
         LRule(("options", "post", "put"), ("/hooks",))),
        # Authorization-only subresources (k8s/releases.py AUTHZ_ONLY_SUBRESOURCES).
        (PolicyRule(("apps",), ("statefulsets/finalizers", "deployments/finalizers"), (), (), ("update",)),
         LRule(("update",), ("deployments.apps/finalizers", "statefulsets.apps/finalizers"))),
        (PolicyRule(("",), ("services/finalizers",), (), (), ("update", "patch")),
         LRule(("update", "patch"), ("services/finalizers",))),
        (PolicyRule(("example.com",), ("widgets/finalizers",), (), (), ("update",)),
         LRule(("update",), ("widgets.example.com/finalizers",))),
        (PolicyRule(("",), ("endpoints/restricted",), (), (), ("create",)),
         LRule(("create",), ("endpoints/restricted",))),
        (PolicyRule(("discovery.k8s.io",), ("endpointslices/restricted",), (), (), ("create",)),
         LRule(("create",), ("endpointslices.discovery.k8s.io/restricted",))),
    ],
)
def test_rules_real_projects_need_are_written(rule: PolicyRule, written: LRule) -> None:
    out = translate_rules([rule], R130)
    assert out.rules == (written,) and not out.dead and not out.problems


def test_a_core_resource_with_a_dot_is_dead() -> None:
    # `apiGroups: [""], resources: [deployments.apps]`: the core group serves nothing with a dot.
    out = translate_rules([PolicyRule(("",), ("deployments.apps", "pods"), (), (), ("get",))], R130)
    assert out.rules == (LRule(("get",), ("pods",)),) and not out.problems
    assert [(a.group, a.resource) for a in out.dead] == [("", "deployments.apps")]

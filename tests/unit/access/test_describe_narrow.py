"""access/describe.py `narrow_to`: who-can and explain show the part of a rule that allows the request,
narrowed in verbs, API groups and resources alike (a rule on several groups is shown only with the
group the request used)."""

from __future__ import annotations

import pytest

from policyc.access.describe import narrow_to, resource_text, rule_text
from policyc.access.request import Request
from policyc.k8s.rules import PolicyRule

CASES = [
    # (rule: groups, resources, verbs), request (verb, group, resource, sub), shown
    ((("", "apps"), ("pods", "deployments"), ("get", "list")), ("get", "", "pods", ""), "get pods"),
    ((("", "apps"), ("pods", "deployments"), ("get", "list")), ("list", "apps", "deployments", ""),
     "list deployments.apps"),
    ((("*",), ("*",), ("*",)), ("delete", "apps", "deployments", ""), "delete *"),
    ((("", "batch"), ("*",), ("create",)), ("create", "batch", "jobs", ""), "create *.batch"),
    ((("",), ("pods", "pods/exec"), ("create", "get")), ("create", "", "pods", "exec"), "create pods/exec"),
    ((("apps", "extensions"), ("deployments",), ("get",)), ("get", "extensions", "deployments", ""),
     "get deployments.extensions"),
]


@pytest.mark.parametrize(("rule", "request_", "shown"), CASES)
def test_narrowed_rule_names_only_what_the_request_used(rule: tuple, request_: tuple, shown: str) -> None:
    groups, resources, verbs = rule
    verb, group, resource, sub = request_
    narrowed = narrow_to(PolicyRule(groups, resources, (), (), verbs), Request(verb, group, resource, sub))
    assert rule_text(narrowed) == shown


TEXTS = [
    # (group, resource) of a rule, as the reports write it
    ("", "pods", "pods"),
    ("", "pods/*", "pods/*"),
    ("*", "*", "*"),  # every resource of every group: the language's `*`
    ("", "*", "* (core group)"),  # core only: must not read as `*` (PC607: the language cannot write it)
    ("", "*/scale", "*/scale (core group)"),
    ("*", "pods", "pods (every group)"),
    ("apps", "*", "*.apps"),
    ("apps", "deployments/scale", "deployments.apps/scale"),
]


@pytest.mark.parametrize(("group", "resource", "shown"), TEXTS)
def test_resource_text_tells_the_core_wildcard_from_everything(group: str, resource: str, shown: str) -> None:
    assert resource_text(group, resource) == shown

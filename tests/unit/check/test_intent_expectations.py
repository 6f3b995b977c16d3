"""Expectations (PC320-PC322) and policy-wide allowances (PC531, PC532), on two releases.

`can` is answered as `policyc can-i` answers (the same `AccessModel.authorize`); `cannot` as a guard
(the same `access.guards.first_violation`), so an escalation path breaks it: the built-in `edit`
role may create pods, and a pod may run as any service account of its namespace
(kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation).
"""

from __future__ import annotations

import pytest

from helpers import codes, compile_text, underlined
from policyc.access.expect import evaluate
from policyc.access.guards import GuardSpec, first_violation
from policyc.access.policy import graph_for, model_from_program

BASE = """\
kubernetes {release}
namespace web-prod {{ }}
serviceaccount web-prod/deployer
grant role edit to group web-devs in web-prod
grant role admin to serviceaccount web-prod/deployer in web-prod
grant read pods to group auditors in cluster
"""


@pytest.mark.parametrize("release", ["1.24", "1.30"])
def test_passing_expectations_are_silent(release: str) -> None:
    text = BASE.format(release=release) + (
        "expect group web-devs can create pods/exec in web-prod\n"
        "expect group auditors can list pods in cluster\n"
        "expect group auditors cannot get secrets\n"
    )
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]


@pytest.mark.parametrize("release", ["1.24", "1.30"])
def test_pc320_can_that_the_api_server_refuses(release: str) -> None:
    result = compile_text(BASE.format(release=release) + "expect group auditors can get pods/log in web-prod\n")
    [d] = [d for d in result.diagnostics if d.code == "PC320"]
    assert d.is_error and underlined(result, d) == "expect group auditors can get pods/log in web-prod"
    assert "get pods/log in namespace `web-prod`" in d.message and "would answer no" in d.message


def test_pc321_cannot_broken_directly() -> None:
    result = compile_text(BASE.format(release="1.30") + "expect group web-devs cannot get secrets in web-prod\n")
    [d] = [d for d in result.diagnostics if d.code == "PC321"]
    assert "ClusterRole `edit`" in d.message and d.labels


def test_pc321_cannot_broken_through_escalation() -> None:
    """web-devs cannot bind roles themselves, but they can run a pod as web-prod/deployer, which holds admin."""
    text = BASE.format(release="1.30") + "expect group web-devs cannot create rolebindings.rbac.authorization.k8s.io " \
        "in web-prod\n"
    result = compile_text(text)
    [d] = [d for d in result.diagnostics if d.code == "PC321"]
    assert "so acts as serviceaccount `web-prod/deployer`" in d.message


def test_cannot_uses_the_guard_evaluator() -> None:
    """An expectation's `cannot` and a guard of the same words give the same violation."""
    text = BASE.format(release="1.30") + (
        "expect group web-devs cannot create rolebindings.rbac.authorization.k8s.io in web-prod\n"
        "forbid create rolebindings.rbac.authorization.k8s.io for group web-devs in web-prod\n"
    )
    result = compile_text(text)
    program = result.program
    model = model_from_program(program, result.manifests)
    graph = graph_for(model, program)
    [e] = program.policy.expectations
    [g] = program.policy.guards
    outcome = evaluate(e, program, model, graph)
    [ident] = [v.subject for v in outcome.violations]
    assert outcome.violations[0] == first_violation(graph, ident, GuardSpec.of(g))
    assert {"PC302", "PC321"} <= set(codes(result))


def test_pc322_expectation_contradicts_a_guard() -> None:
    text = BASE.format(release="1.30") + (
        "forbid create pods/exec for group web-devs\n"
        "expect group web-devs can create pods/exec in web-prod\n"
    )
    result = compile_text(text)
    [d] = [d for d in result.diagnostics if d.code == "PC322"]
    assert underlined(result, d) == "expect group web-devs can create pods/exec in web-prod"
    assert d.labels[0].span.line == 7


def test_pc322_is_found_behind_cannot_expectations() -> None:
    """`contradictions` skips the guards' ranges only when no expectation says `can`."""
    text = BASE.format(release="1.30") + (
        "forbid create pods/exec for group web-devs\n"
        "expect group auditors cannot get secrets\n"
        "expect group web-devs can create pods/exec in web-prod\n"
    )
    [d] = [d for d in compile_text(text).diagnostics if d.code == "PC322"]
    assert d.span.line == 9 and d.labels[0].span.line == 7


def test_expectation_with_a_selector_and_a_team() -> None:
    text = """\
kubernetes 1.30
namespace a {
  labels tier=prod
}
namespace b {
  labels tier=prod
}
team web {
  members group web-devs
  grant role view in a
}
expect team web can list pods in namespaces matching tier=prod
"""
    result = compile_text(text)
    [d] = [d for d in result.diagnostics if d.code == "PC320"]
    assert "namespace `b`" in d.message


@pytest.mark.parametrize("release", ["1.24", "1.30"])
def test_policy_wide_allow_silences_warnings(release: str) -> None:
    text = BASE.format(release=release) + "grant read * except secrets to group audit in cluster\n"
    assert "PC144" in codes(compile_text(text))
    result = compile_text(text + 'allow PC144, PC109 because "we rebuild after every upgrade"\n')
    assert "PC144" not in codes(result)
    [suppressed] = [d for d in result.suppressed if d.code == "PC144"]
    assert suppressed.labels[-1].span.line == 8 and "we rebuild" in suppressed.labels[-1].message


def test_pc531_allow_without_a_reason() -> None:
    text = BASE.format(release="1.30") + "namespace-class idle { }\nallow PC109\n"
    result = compile_text(text)
    [d] = [d for d in result.diagnostics if d.code == "PC531"]
    assert d.is_error and underlined(result, d) == "allow PC109"
    assert "PC109" in codes(result)  # an allowance without a reason silences nothing


@pytest.mark.parametrize(("code", "message"), [("PC301", "is an error"), ("PC999", "is not a policyc diagnostic")])
def test_pc532_allow_of_an_error_or_an_unknown_code(code: str, message: str) -> None:
    result = compile_text(BASE.format(release="1.30") + f'allow {code} because "trusted"\n')
    [d] = [d for d in result.diagnostics if d.code == "PC532"]
    assert d.is_error and underlined(result, d) == code and message in d.message

"""docs/examples/three-teams (written with classes, selectors, exclusions, expectations) and
docs/examples/three-teams-plain (the same cluster without them) emit the same objects, except
what the exclusion adds: the auditor's "read everything except secrets".

The auditor's objects differ by construction (one explicit ClusterRole against `view` plus a
hand-written list), so for them the test compares what the API server would answer: for every
request `read * except secrets` expands to on the target release, and for secrets.
"""

from __future__ import annotations

from conftest import REPO
from policyc.access.policy import model_from_program
from policyc.access.request import Request, UserInfo
from policyc.k8s.expand import expand
from policyc.k8s.releases import load_release, parse_resource
from policyc.pipeline import compile_path

WITH = REPO / "docs" / "examples" / "three-teams"
PLAIN = REPO / "docs" / "examples" / "three-teams-plain"


def _lines(folder) -> int:
    return sum(len(p.read_text().splitlines()) for p in sorted(folder.glob("*.policy")))


def _compile(folder):
    result = compile_path(folder)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return result


def _objects(result) -> dict[tuple[str, str | None, str], dict]:
    return {(m.kind, m.namespace, m.name): m.body for m in result.manifests}


def _auditor(key: tuple[str, str | None, str]) -> bool:
    return key[2].startswith("policyc:group:auditors")


def test_the_constructed_cluster_is_at_most_half_the_lines() -> None:
    assert 2 * _lines(WITH) <= _lines(PLAIN)


def test_both_emit_the_same_objects_apart_from_the_auditor() -> None:
    with_intent, plain = _objects(_compile(WITH)), _objects(_compile(PLAIN))
    same = {k: v for k, v in with_intent.items() if not _auditor(k)}
    assert same == {k: v for k, v in plain.items() if not _auditor(k)}
    assert len(same) > 30  # 7 namespaces, their limits and quotas, bindings, service accounts
    # What the exclusion adds: one explicit ClusterRole and its binding, instead of `view` plus a list.
    assert sorted(k for k in with_intent if _auditor(k)) == [
        ("ClusterRole", None, "policyc:group:auditors"),
        ("ClusterRoleBinding", None, "policyc:group:auditors"),
    ]


def test_the_auditor_is_answered_the_same_for_every_request_of_the_exclusion() -> None:
    answers = []
    release = load_release((1, 30))
    pairs = expand(release, ["read"], [], ["*"], ["secrets"]).pairs
    auditor = UserInfo.authenticated("erin", ("auditors",))
    for folder in (WITH, PLAIN):
        result = _compile(folder)
        model = model_from_program(result.program, result.manifests)
        asked = []
        for verb, resource in pairs:
            ref = parse_resource(resource)
            req = Request(verb, ref.group, ref.resource, ref.subresource or "")
            asked.append(model.authorize(auditor, req).allowed)
        secrets = model.authorize(auditor, Request("get", "", "secrets", "", "", "web-prod")).allowed
        exec_ = model.authorize(auditor, Request("create", "", "pods", "exec", "", "web-prod")).allowed
        answers.append((asked, secrets, exec_))
    assert answers[0] == answers[1]
    assert all(answers[0][0]) and answers[0][1] is False and answers[0][2] is False

"""`can-i --batch`: JSON lines in, JSON lines out, one model (policyc/access/batch.py)."""

from __future__ import annotations

import json

import pytest

from policyc.access import authorizer, batch
from policyc.access.session import Session

RBAC = "rbac.authorization.k8s.io/v1"
OBJS = [
    {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "dev", "namespace": "ns1"},
     "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get"]}]},
    {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "dev", "namespace": "ns1"},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "dev"},
     "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"}]},
]
SESSION = Session.of_objects(OBJS, (1, 30))


def _run(*lines: str) -> list[dict]:
    return [json.loads(out) for out in batch.run(SESSION, lines)]


def test_one_answer_per_question_in_order_with_the_question_echoed() -> None:
    questions = [
        {"as": "alice", "verb": "get", "resource": "po", "namespace": "ns1"},
        {"as": "alice", "verb": "get", "resource": "deploy", "namespace": "ns2"},
        {"as": "bob", "as_groups": ["devs"], "verb": "get", "resource": "deployment.apps", "name": "web",
         "namespace": "ns1", "all_namespaces": False},
        {"as": "alice", "verb": "get", "resource": "pods", "all_namespaces": True},
    ]
    answers = _run(*(json.dumps(q) for q in questions))
    assert [a["allowed"] for a in answers] == [True, False, True, False]
    assert [a["request"] for a in answers] == questions
    assert all(a["warnings"] == [] for a in answers)


def test_kubectls_warnings_are_in_the_answer() -> None:
    [answer] = _run('{"as": "alice", "verb": "gett", "resource": "podz", "namespace": "ns1"}')
    assert answer == {"allowed": False, "request": {"as": "alice", "verb": "gett", "resource": "podz",
                                                    "namespace": "ns1"},
                      "warnings": ["verb 'gett' is not a known verb", "the server doesn't have a resource type 'podz'"]}


def test_a_bad_line_is_an_error_naming_its_line_and_the_stream_goes_on() -> None:
    answers = _run(
        "not json",
        "",
        '["as", "alice"]',
        '{"as": "alice", "verb": "get"}',
        '{"as": "alice", "verb": "get", "resource": "pods", "colour": "red"}',
        '{"as": "alice", "verb": "get", "resource": "pods", "as_groups": "devs"}',
        '{"as": "", "verb": "get", "resource": "pods"}',
        '{"as": "alice", "verb": "get", "resource": "pods/"}',
        '{"as": "alice", "verb": "get", "resource": "pods", "namespace": "ns1"}',
    )
    assert answers[:-1] == [
        {"error": "not JSON: Expecting value: line 1 column 1 (char 0)", "line": 1},
        {"error": "expected a JSON object with `as`, `verb` and `resource`", "line": 3},
        {"error": "missing field `resource`", "line": 4},
        {"error": "unknown field `colour` (expected `as`, `as_groups`, `verb`, `resource`, `name`, `namespace`, "
                  "`all_namespaces`)", "line": 5},
        {"error": "`as_groups` must be a list of strings", "line": 6},
        {"error": "`as` must be a string (not empty)", "line": 7},
        {"error": "malformed resource `pods/`: empty subresource", "line": 8},
    ]
    assert answers[-1]["allowed"] is True


def _big_session(rules: int) -> Session:
    verbs = ["get", "list", "watch", "create", "update", "patch", "delete"]
    resources = [("", "pods"), ("", "secrets"), ("apps", "deployments"), ("batch", "jobs"), ("", "configmaps")]
    objs: list[dict] = []
    for i in range(rules // 50):
        ns = f"ns{i % 200}"
        objs.append({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": f"r{i}", "namespace": ns},
                     "rules": [{"apiGroups": [resources[(i + j) % 5][0]], "resources": [resources[(i + j) % 5][1]],
                                "verbs": [verbs[(i + j) % 7]], **({"resourceNames": [f"o{j}"]} if j % 3 else {})}
                               for j in range(50)]})
        objs.append({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": f"b{i}", "namespace": ns},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"r{i}"},
                     "subjects": [{"kind": "User", "name": f"u{i % 1000}"}, {"kind": "Group", "name": f"g{i % 100}"}]})
    return Session.of_objects(objs, (1, 30))


def test_questions_are_answered_from_indexes_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 rules; 10,000 questions. Speed itself is measured by bench/commands.py (10,000
    questions a second after loading, docs/performance.md); here: a question adds no rule
    index beyond the first one of each role it reaches, so asking everything again builds none."""
    session = _big_session(100_000)
    spellings = ["po", "pods", "deploy", "deployments.apps", "job", "cm", "secret"]
    lines = [json.dumps({"as": f"u{k % 1000}", "as_groups": [f"g{k % 100}"], "verb": "get" if k % 3 else "bind",
                         "resource": spellings[k % 7], "namespace": f"ns{k % 200}",
                         **({"name": f"o{k % 50}"} if k % 2 else {})}) for k in range(10_000)]
    built = [0]
    original = authorizer.RuleIndex.__init__

    def counted(self: authorizer.RuleIndex) -> None:
        built[0] += 1
        original(self)

    monkeypatch.setattr(authorizer.RuleIndex, "__init__", counted)
    answers = list(batch.run(session, lines))
    assert len(answers) == 10_000 and all('"allowed"' in a for a in answers)
    assert any('"allowed": true' in a for a in answers) and any('"allowed": false' in a for a in answers)
    roles = len(session.model.roles)
    assert built[0] <= roles + 1, f"{built[0]} rule indexes for {roles} roles"
    built[0] = 0
    assert list(batch.run(session, lines)) == answers
    assert built[0] == 0

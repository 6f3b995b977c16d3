"""`check_all_rules` checks a rule clean by its texts and place once (check/rules.py): a faulty rule is
still reported at every place it is written, and the same words are checked again where their place
(namespaced or not, role or grant) changes what is allowed."""

from __future__ import annotations

from helpers import compile_text

POLICY = """
namespace a {}
role urls {
  get /healthz
}
role urls-here in a {
  get /healthz
}
grant get /healthz to user x in cluster
grant get /healthz to user x in a
grant gett pods to user x in a
grant gett pods to user y in a
grant create, get configmaps named c to user x in a
grant create, get configmaps named c to user y in a
grant get pods to user x in a
"""


def _lines(result, code: str) -> list[int]:
    return sorted(d.span.line for d in result.diagnostics if d.code == code)


def test_each_fault_is_reported_where_it_is_written() -> None:
    result = compile_text(POLICY)
    assert _lines(result, "PC140") == [7]  # the URL in the namespaced role, clean in the cluster role
    assert _lines(result, "PC141") == [10]  # the URL granted in a namespace, clean in the cluster
    assert _lines(result, "PC150") == [11, 12]
    assert _lines(result, "PC160") == [13, 14]


GRANTED = """
namespace a {}
namespace b {}
role plain {
  get pods
}
role health {
  get /healthz
}
grant role plain to user x in a, b
grant role health to user x in a, b
grant role plain to user y in a
grant role health to user y in cluster
"""


def test_a_role_with_urls_is_reported_at_every_namespaced_grant() -> None:
    """`_has_urls` keeps its answer per role; PC141 is still reported for each namespace of each grant."""
    result = compile_text(GRANTED)
    assert [(d.span.line, d.message) for d in result.diagnostics if d.code == "PC141"] == [
        (11, "role `health` holds non-resource URLs but is granted in namespace `a`"),
        (11, "role `health` holds non-resource URLs but is granted in namespace `b`"),
    ]
    assert [d.code for d in result.diagnostics if d.is_error] == ["PC141", "PC141"]


def test_kept_rule_texts_are_each_rules_own(tmp_path) -> None:  # noqa: ANN001
    """`rule_text` keeps its answer by the rule's identity: after a build has asked for every rule's
    (rule checks, compilation, lints), each answer is still that rule's own."""
    from conftest import equivalence_folders
    from policyc.check.grants import rule_text
    from policyc.pipeline import compile_path

    checked = 0
    for folder in equivalence_folders(tmp_path, ""):
        result = compile_path(folder, lints=True)
        assert result.program is not None
        policy = result.program.policy  # the checked rules (exclusions expanded) the memo was filled with
        rules = [r for role in policy.roles for r in role.rules] + [g.rule for g in policy.grants if g.rule]
        for r in rules:
            plain = (tuple(w.text for w in r.verbs), tuple(w.text for w in r.resources),
                     tuple(w.text for w in r.names), r.has_exclusion, r.expansion)
            assert rule_text(r) == plain
            checked += 1
    assert checked > 100

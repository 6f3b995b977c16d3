"""Bindings whose grants name the same subjects share one sorted tuple of them (check/grants.py
`_sorted_subjects`), which the emit, the access model and the lints then handle once per tuple; the
subjects are those of the plain expansion, sorted, whatever the sharing."""

from __future__ import annotations

from helpers import compile_text
from policyc.check.grants import _sorted_subjects
from policyc.model.rbac import SUBJECT_ORDER, RbacSubject

POLICY = """
team web {
  members group devs, user ann, user bob, serviceaccount apps/ci
  grant role view in a, b, c
  grant get pods in a, b
  grant role edit in a
}
grant role edit to user ann, group devs in a
grant role edit to user ann, group devs in a
grant role view to user zed, group ops in b
namespace a {}
namespace b {}
namespace c {}
"""


def _team_bindings(result) -> list:  # noqa: ANN001
    return [b for b in result.program.bindings if b.owner == "team:web"]


def test_a_teams_bindings_share_one_sorted_tuple() -> None:
    result = compile_text(POLICY)
    team = _team_bindings(result)
    assert len(team) == 6  # view in a, b, c; the inline rules in a, b; edit in a
    first = team[0].subjects
    assert all(b.subjects is first for b in team)
    assert [(s.kind, s.name, s.namespace) for s in first] == [
        ("Group", "devs", ""), ("ServiceAccount", "ci", "apps"), ("User", "ann", ""), ("User", "bob", "")]


def test_every_binding_holds_its_grants_subjects_sorted_once() -> None:
    result = compile_text(POLICY)
    program = result.program
    for b in program.bindings:
        expected: set[RbacSubject] = set()
        for g in b.grants:
            for s in g.subjects:
                expected.update(program.rbac_subjects(s) if s.kind != "team" else program.team_members[s.name])
        assert b.subjects == tuple(sorted(expected, key=SUBJECT_ORDER)), b.name


def test_sets_of_equal_content_are_joined() -> None:
    ann, devs, zed = RbacSubject("User", "ann"), RbacSubject("Group", "devs"), RbacSubject("User", "zed")
    one, other = frozenset({zed, ann}), frozenset({devs, ann})
    ordered: dict = {}
    shared = _sorted_subjects([one, one], ordered)
    assert shared == (ann, zed)
    assert _sorted_subjects([one], ordered) is shared
    assert _sorted_subjects([one, other], ordered) == (devs, ann, zed)

"""Guards' sixth pass (issue 19): the per-identity shortcuts against the plain algorithms.

- `EscalationGraph.inert` (an identity whose blocks answer no requirement reaches nothing, decided
  without its search) and `walk_targets` against the targets of the plain edges, and a fresh
  search of the rows;
- the guards' verdicts over most of the graph (`_Holders`: each block decided once, the verdicts
  spread backwards over the components) and over a few subjects (`_Breaks`) against one
  breadth-first walk per identity (`first_violation`);
- `_Forbidden.holds` (lists of rules decided once per value) against the guard asked of every
  permission the identity holds;
- `check_guard` (subjects planned once per range, the plan shared by the range's guards) against
  the plain loop over subjects, over each guard's range and a few of its subjects;

on generated organisations of every guard-heavy shape whose guards are broken on purpose (a team
that creates pods where a service account reads secrets, an impersonation grant, escalate/bind),
the golden policy, and the spec's `article` and `org`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import generated_org
from helpers import POLICY_FOLDERS, graph_maker, policy_folder
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.guards import (
    GuardSpec,
    _Breaks,
    _Condensation,
    _Forbidden,
    check_guard,
    cluster_scoped,
    first_violation,
)
from policyc.access.matching import Pattern
from policyc.access.policy import everyone
from policyc.check.access_guards import guard_range

# Names every generated shape has: the support group creates pods in a namespace whose service
# account reads secrets; a lead impersonates users; the support group may escalate and bind.
BREAKS = """
forbid read secrets for everyone except team platform
forbid create pods for everyone except team platform in cluster
forbid impersonate users for everyone except team platform
forbid get configmaps for everyone except team platform
grant create pods to group oidc:t000-logistics-support in t000-logistics-api-prod
grant get, list secrets to serviceaccount t000-logistics-api-prod/app in t000-logistics-api-prod
grant impersonate users to user lead.t000-logistics@example.com in cluster
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t000-logistics-support in t000-logistics-api-dev
"""


SHAPES = ("identity", "all", "guards", "mixed")


def _folder(tmp_path: Path, where: str) -> Path:
    return generated_org(tmp_path, 40, BREAKS, where) if where in SHAPES else policy_folder(where)


def _specs(graph: EscalationGraph, program) -> list[GuardSpec]:  # type: ignore[no-untyped-def]
    scoped = cluster_scoped(program.release)
    first = tuple(graph.namespaces[:1])
    return [GuardSpec.of(g, program.release) for g in program.policy.guards] + [
        GuardSpec((Pattern(("get",), "", "secrets"),), None, False, scoped),
        GuardSpec((Pattern(("get",), "", "secrets"),), first, False, scoped),
        GuardSpec((Pattern(("create",), "", "pods"),), None, True, scoped),
        GuardSpec((Pattern(("delete",), "", "namespaces"),), None, True, scoped),
        GuardSpec((Pattern(("impersonate",), "", "users"),), None, False, scoped),
        GuardSpec((Pattern(("list",), "", "configmaps"),), first, False, scoped),
    ]


@pytest.mark.parametrize("where", [*SHAPES, *POLICY_FOLDERS])
def test_identity_shortcuts_are_the_plain_walks(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(_folder(tmp_path, where))

    fast, plain = make(), make()
    idents = everyone(program) + [Identity.superuser(), Identity.group("system:masters"), Identity.node("n1")]
    reached = list(dict.fromkeys(j for i in idents for j in plain.reach(i)))
    assert any(j.acquired for j in reached) or where in POLICY_FOLDERS

    # Inert identities reach nothing: no step in the plain edges, nothing from a search of the rows.
    searched = make()
    inert = 0
    for j in reached:
        want = {st.target for st in plain.edges(j)}
        assert set(fast.walk_targets(j)) == want, j
        if fast.inert(j):
            inert += 1
            assert not want and not searched._row_steps(j), j
    assert inert > 0
    assert not fast.inert(Identity.superuser()) and not fast.inert(Identity.group("system:masters"))

    # Each guard's verdict per identity: over the whole graph (`_Holders`) and component by
    # component (`_Breaks`), both the plain walk's; `holds` the plain test of every permission.
    cond = _Condensation.of(fast)
    for j in reached:
        cond.component(j)
    verdicts: set[bool] = set()
    for spec in _specs(fast, program):
        forbidden = _Forbidden(fast, spec)
        bad = cond.leading_to(cond.holders().holding(forbidden))
        lazy = _Breaks(fast, _Forbidden(fast, spec))
        for j in reached:
            want = first_violation(plain, j, spec) is not None
            c = cond.comp_of[j]
            assert (c in bad) == want == lazy.component_breaks(c), (spec, j)
            assert forbidden.holds(j) == any(spec.forbids(p) for p in plain.permissions(j)), (spec, j)
            verdicts.add(want)
    # Guards broken and held alike were compared.
    assert verdicts == {True, False}

    # The build's check: every guard over its range, then over a few of its subjects (with
    # one excepted), on a graph that checks them in that order.
    checked = make()
    broken = 0
    for g in program.policy.guards:
        spec, subjects = GuardSpec.of(g, program.release), guard_range(g, program)
        want = [v for s in subjects if (v := first_violation(plain, s, spec)) is not None]
        assert check_guard(checked, spec, subjects) == want, g
        broken += bool(want)
        few, excepted = subjects[:4], frozenset(s.key for s in subjects[1:2])
        want = [v for s in few if s.key not in excepted and (v := first_violation(plain, s, spec)) is not None]
        assert check_guard(checked, spec, few, excepted) == want, g
    assert broken or where in POLICY_FOLDERS


@pytest.mark.parametrize("where", ["identity", "all", "guards", "golden"])
def test_guards_of_equal_specs_share_their_verdicts(tmp_path: Path, where: str) -> None:
    """Seventh pass: a guard's `_Forbidden` and `_Breaks` are kept per spec on the condensation
    (`_Condensation.judge`) and read by every later guard of an equal spec, over other subjects
    that reach components made since; every verdict is still the plain walk's."""
    program, make = graph_maker(_folder(tmp_path, where))

    shared, plain = make(), make()
    subjects = everyone(program)
    specs = _specs(shared, program)
    cond = _Condensation.of(shared)
    broken = 0
    # Each spec asked over ever more subjects, each time as a new (equal) object: a few
    # subjects first (`_Breaks`), then the rest with one excepted, then all (`_Holders`).
    rounds = [(subjects[:3], frozenset()), (subjects[3:], frozenset(s.key for s in subjects[3:4])),
              (subjects, frozenset())]
    for few, excepted in rounds:
        for spec in specs:
            again = GuardSpec(spec.patterns, spec.namespaces, spec.cluster_only, spec.cluster_scoped)
            want = [v for s in few if s.key not in excepted and (v := first_violation(plain, s, spec)) is not None]
            assert check_guard(shared, again, few, excepted) == want, spec
            broken += bool(want)
            assert cond.judge(again) is cond.judge(spec)
    assert len(cond._judges) == len(set(specs))
    assert broken or where == "golden"


@pytest.mark.parametrize("where", ["identity", "all", "guards", "golden"])
def test_condensation_is_the_strongly_connected_components(tmp_path: Path, where: str) -> None:
    """Seventh pass: Tarjan's walk finds each component's successors as it meets the targets
    (no second lookup of every target): the components against mutual reachability over the
    plain edges, each component's successors against its members' targets', numbered after
    them, and `pred` the inverse of `succ`."""
    program, make = graph_maker(_folder(tmp_path, where))

    fast, plain = make(), make()
    cond = _Condensation.of(fast)
    starts = everyone(program) + [Identity.superuser(), Identity.node("n1")]
    for s in starts:  # one walk per start, each growing the condensation
        cond.component(s)
    reach = {j: set(plain.reach(j)) for s in starts for j in plain.reach(s)}
    assert set(cond.comp_of) == set(reach)
    for j, mine in reach.items():
        same = {k for k in mine if j in reach[k]}
        assert set(cond.members[cond.comp_of[j]]) == same, j
    cycles = 0
    for c, group in enumerate(cond.members):
        cycles += len(group) > 1
        want = {cond.comp_of[st.target] for m in group for st in plain.edges(m)} - {c}
        assert set(cond.succ[c]) == want and len(cond.succ[c]) == len(want), c
        assert all(y < c for y in cond.succ[c]), c
        assert sorted(cond.pred[c]) == sorted(x for x, succ in enumerate(cond.succ) if c in succ), c
    assert cycles or where == "golden"

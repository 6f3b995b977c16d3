"""Guard checking and the access diff stay linear in the subjects (issue 19), counted, not timed.

A quadratic path shows as work per subject that grows with the number of subjects: the user
table rebuilt for every identity, the service accounts of a namespace found by scanning all of
them, a guard's permissions re-sorted for every subject that reaches them. These tests count
calls of the real functions on generated organisations of two sizes (bench/gen_org.py,
identity-heavy: guards `for everyone`) and require the counts to grow like the input. Timing
is bench/commands.py's business.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import bench_module, generated_org
from policyc.access import guards as guards_mod
from policyc.access.authorizer import AccessModel
from policyc.access.diff import same_urls
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.matching import breakdown, rule_covers
from policyc.access.policy import everyone, graph_for, model_from_program
from policyc.diagnostics import render_text
from policyc.model.program import Program
from policyc.pipeline import compile_path


def _counted(monkeypatch: pytest.MonkeyPatch, counts: Counter, cls: type, name: str) -> None:
    real = getattr(cls, name)

    def spy(*args: object, **kwargs: object) -> object:
        counts[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(cls, name, spy)


def _work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, namespaces: int) -> tuple[Counter, int]:
    gen = bench_module("gen_org")
    org = tmp_path / f"org-{namespaces}"
    gen.write(org, gen.generate(namespaces, 1, "identity"))
    counts: Counter = Counter()
    with monkeypatch.context() as mp:
        _counted(mp, counts, Program, "user_name")
        _counted(mp, counts, EscalationGraph, "serviceaccounts_in")
        _counted(mp, counts, guards_mod.GuardSpec, "forbids")
        result = compile_path(org)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    assert result.program is not None
    return counts, len(result.program.users)


def test_guard_checking_grows_like_the_organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small, users_small = _work(tmp_path, monkeypatch, 30)
    large, users_large = _work(tmp_path, monkeypatch, 120)
    assert users_large == 4 * users_small
    # The user table is built once per program: one name per declared user (and per subject
    # named in the policy), not one per user per identity.
    assert large["user_name"] <= 2 * users_large + 50
    for name in ("user_name", "serviceaccounts_in", "forbids"):
        assert small[name] > 0, name
        # 4x the organisation: about 4x the calls (quadratic would be 16x).
        assert large[name] <= 5 * small[name], (name, small[name], large[name])


def test_serviceaccounts_in_is_an_index_lookup() -> None:
    sas = [(f"ns{i}", f"sa{j}") for i in range(50) for j in range(3)]
    model = AccessModel({}, [], sas, [])
    assert model.serviceaccounts_in("ns7") == [("ns7", "default"), ("ns7", "sa0"), ("ns7", "sa1"), ("ns7", "sa2")]
    assert model.serviceaccounts_in("elsewhere") == [("elsewhere", "default")]
    # Callers may change the list they get without changing the index.
    model.serviceaccounts_in("ns7").clear()
    assert len(model.serviceaccounts_in("ns7")) == 4


def test_a_rule_covers_each_of_its_pieces() -> None:
    """What the access diff's shortcut relies on: a permission held unchanged on the other side
    covers every piece of itself, so its pieces need not be looked up one by one."""
    from policyc.access.policy import builtin_roles

    rules = [r for role in builtin_roles().values() for r in role.rules]
    assert len(rules) > 50
    for rule in rules:
        rule = same_urls(rule)
        assert all(rule_covers(rule, piece) for piece in breakdown(rule)), rule


# Guards the generated organisation breaks, directly and through escalation, so that shared
# searches must name each member, its steps and its grants; a team that may impersonate users
# (whose search depends on its members' names: never shared) and a user bound on its own.
BREAKS = """
forbid read secrets for everyone except team platform
forbid update deployments.apps/scale for everyone except team platform
forbid create pods for everyone except team platform in cluster
grant impersonate users to team t001-finance in cluster
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
"""


def _searches(tmp_path: Path, namespaces: int) -> tuple[int, EscalationGraph, list[Identity]]:
    result = compile_path(generated_org(tmp_path, namespaces))
    assert result.ok and result.program is not None
    graph = graph_for(model_from_program(result.program, result.manifests), result.program)
    from policyc.access.guards import GuardSpec, check_guard
    from policyc.check.access_guards import guard_range

    for g in result.program.policy.guards:
        check_guard(graph, GuardSpec.of(g, result.program.release), guard_range(g, result.program))
    return graph.searches, graph, everyone(result.program)


def test_members_of_a_team_share_one_escalation_search(tmp_path: Path) -> None:
    small, graph, idents = _searches(tmp_path, 30)
    large, _, _ = _searches(tmp_path, 120)
    assert small > 0 and large <= 5 * small, (small, large)
    # The users of a team are bound by the same RoleBindings: one representative, one search.
    team = [i for i in idents if i.kind == "user" and i.name.endswith(".t000-logistics@example.com")
            and i.name.startswith(("u", "dev"))]
    assert len(team) >= 10, team
    assert {graph.representative(i) for i in team} == {team[0]}
    searched = [i for i in {**graph._edges, **graph._targets} if i.kind == "user" and i.base in {t.base for t in team}]
    assert {i.base for i in searched} == {team[0]}, searched
    # Far fewer searches than users: leads and on-call users have bindings of their own.
    users = [i for i in idents if i.kind == "user"]
    assert len(users) >= 13 * 10 and len({graph.representative(u) for u in users}) <= len(users) // 3


def _unshared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EscalationGraph, "share_key", lambda self, ident: None)


def test_shared_searches_say_what_each_members_own_search_says(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    org = generated_org(tmp_path, 30, BREAKS)
    shared = compile_path(org, lints=True)
    assert shared.program is not None
    codes = {d.code for d in shared.diagnostics}
    assert {"PC301", "PC302"} <= codes, codes
    graph = graph_for(model_from_program(shared.program, shared.manifests), shared.program)
    idents = everyone(shared.program)
    reaches = {i: graph.reach(i) for i in idents}
    assert any(graph.representative(i) not in (None, i) for i in idents)
    # The team that may impersonate users is searched member by member.
    finance = [i for i in idents if i.name.endswith(".t001-finance@example.com") and i.name.startswith(("u", "dev"))]
    assert finance and all(graph.representative(i) is None for i in finance)
    with monkeypatch.context() as mp:
        _unshared(mp)
        alone = compile_path(org, lints=True)
        fresh = graph_for(model_from_program(alone.program, alone.manifests), alone.program)
        for i in idents:
            assert list(fresh.reach(i).items()) == list(reaches[i].items()), i
    assert render_text(alone.diagnostics, alone.sources) == render_text(shared.diagnostics, shared.sources)


def test_the_editor_keeps_searches_while_the_emitted_objects_are_the_same(tmp_path: Path) -> None:
    from policyc.access.policy import reuse_searches

    org = generated_org(tmp_path, 30, BREAKS)
    plain = compile_path(org, lints=True)
    reuse_searches()
    try:
        first = compile_path(org, lints=True)
        again = compile_path(org, lints=True)  # an undo: the same objects as an earlier analysis
        assert first.program is not None and again.program is not None
        g1 = graph_for(model_from_program(first.program, first.manifests), first.program)
        model = model_from_program(again.program, again.manifests)
        g2 = graph_for(model, again.program)
        assert g2.model is model and g2._edges is g1._edges and g2.verdicts is g1.verdicts and g1.verdicts
        (org / "more.policy").write_text("grant role view to user newcomer@example.com in t000-logistics-api-dev\n")
        changed = compile_path(org, lints=True)
        assert changed.program is not None
        g3 = graph_for(model_from_program(changed.program, changed.manifests), changed.program)
        assert g3._edges is not g1._edges
    finally:
        reuse_searches(False)
    texts = {render_text(r.diagnostics, r.sources) for r in (plain, first, again)}
    assert len(texts) == 1

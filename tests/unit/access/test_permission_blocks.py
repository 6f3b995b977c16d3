"""Permissions as shared blocks and searches shared per class (access/permsets.py, issue 19).

The fast paths must say exactly what the plain ones say: every requirement's answer, every
identity's permissions, reach and edges, and the rendered diagnostics (guards broken directly
and through escalation, lints on) are compared with the plain algorithm (a rule index per
identity, a search per identity, no block) on the spec folders and on a generated organisation.
The work is counted, not timed: blocks answered and searches grow like the organisation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import equivalence_folders, generated_org
from policyc.access.authorizer import AccessModel, Permission, Reason
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.guards import GuardSpec, check_guard
from policyc.access.objects import BindingObj, ObjRef, RoleObj
from policyc.access.permsets import Block, pair_blocks
from policyc.access.policy import everyone, graph_for, model_from_program
from policyc.check.access_guards import guard_range
from policyc.diagnostics import render_text
from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import RbacSubject
from policyc.pipeline import compile_path

# Guards broken directly (PC301) and through escalation (PC302) by shared and unshared classes:
# a team that may impersonate users (never shared), a user bound on its own, secrets readers.
BREAKS = """
forbid read secrets for everyone except team platform
forbid update deployments.apps/scale for everyone except team platform
forbid create pods for everyone except team platform in cluster
forbid get configmaps for everyone except team platform
grant impersonate users to team t001-finance in cluster
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant update secrets to group oidc:t003-identity-devs in t003-identity-payments-dev
"""



def _plain(mp: pytest.MonkeyPatch) -> None:
    """The plain algorithm: no blocks (a rule index per identity), no shared search or reach."""
    mp.setattr(EscalationGraph, "blocks", lambda self, ident: None)
    mp.setattr(EscalationGraph, "search_key", lambda self, ident: None)
    mp.setattr(EscalationGraph, "share_key", lambda self, ident: None)


def _folders(tmp_path: Path) -> list[Path]:
    return equivalence_folders(tmp_path, BREAKS)


def _graph(folder: Path) -> tuple[EscalationGraph, list[Identity]]:
    result = compile_path(folder)
    assert result.program is not None and result.manifests
    return graph_for(model_from_program(result.program, result.manifests), result.program), everyone(result.program)


def test_answers_and_reaches_are_the_plain_searchs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in _folders(tmp_path):
        fast, idents = _graph(folder)
        reaches = {i: list(fast.reach(i).items()) for i in idents}
        reached = list(dict.fromkeys(j for i in idents for j in fast.reach(i)))
        assert any(j.acquired for j in reached), folder  # acquired variants are compared too
        edges = {j: fast.edges(j) for j in reached}
        needs = fast.sets.needs
        answers = {(j, k): fast.need(j, n) for j in reached for k, n in enumerate(needs)}
        perms = {j: fast.permissions(j) for j in reached}
        with monkeypatch.context() as mp:
            _plain(mp)
            plain, _ = _graph(folder)
            for i in idents:
                assert list(plain.reach(i).items()) == reaches[i], (folder, i)
            for j in reached:
                assert plain.edges(j) == edges[j], (folder, j)
                assert plain.permissions(j) == perms[j], (folder, j)
                for k, n in enumerate(needs):
                    assert plain.need(j, n) == answers[(j, k)], (folder, j, n)
            assert plain.searches > fast.searches


def test_diagnostics_are_the_plain_searchs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    codes: set[str] = set()
    for folder in _folders(tmp_path):
        fast = compile_path(folder, lints=True)
        codes.update(d.code for d in fast.diagnostics)
        with monkeypatch.context() as mp:
            _plain(mp)
            plain = compile_path(folder, lints=True)
        assert render_text(fast.diagnostics, fast.sources) == render_text(plain.diagnostics, plain.sources), folder
    assert {"PC301", "PC302"} <= codes, codes


def _work(tmp_path: Path, namespaces: int) -> tuple[int, int, int]:
    result = compile_path(generated_org(tmp_path, namespaces))
    assert result.ok and result.program is not None
    graph = graph_for(model_from_program(result.program, result.manifests), result.program)
    for g in result.program.policy.guards:
        check_guard(graph, GuardSpec.of(g, result.program.release), guard_range(g, result.program))
    # Blocks answered, or only summarized (guards' verdicts read the answers' scopes: their
    # searches make no step, so answer no block; access/permsets.py `scopes`).
    summarized = sum(1 for blk in graph.sets._blocks.values() if blk.answers is None and blk.scopes is not None)
    # Identities whose edges were made, or only their targets (guards' verdicts walk targets),
    # or decided to reach nothing without a search (`inert`).
    inert = {i for i, facts in graph._facts.items() if facts.inert}
    return graph.searches, graph.sets.lookups + summarized, len(set(graph._edges) | set(graph._targets) | inert)


def test_searches_and_block_answers_grow_like_the_organisation(tmp_path: Path) -> None:
    searches, lookups, idents = _work(tmp_path, 30)
    searches4, lookups4, idents4 = _work(tmp_path, 120)
    assert idents4 >= 3 * idents
    # 4x the organisation: about 4x the work (quadratic would be 16x).
    assert 0 < searches4 <= 5 * searches and 0 < lookups4 <= 5 * lookups, (searches, searches4, lookups, lookups4)
    # Far fewer searches than identities with edges: a class shares one (identity + acquired
    # variants), and every block answers all requirements once, not once per identity.
    assert searches4 * 4 < idents4 and lookups4 < idents4, (searches4, lookups4, idents4)


def _role(name: str, *rules: PolicyRule) -> RoleObj:
    return RoleObj(ObjRef("ClusterRole", "", name), rules)


def test_blocks_pair_only_when_they_line_up() -> None:
    pods = PolicyRule(("",), ("pods",), (), (), ("create",))
    role = _role("r", pods)

    def held_by(user: str) -> Block:
        reason = Reason(None, role.ref, pods, RbacSubject("User", user))
        return Block(((None, role.rules, (Permission(None, pods, reason),)),))

    mine, theirs = held_by("a"), held_by("b")
    shared = Block(())
    paired = pair_blocks((shared, mine), (shared, theirs))
    assert paired == {id(mine.segments[0][2][0]): theirs.segments[0][2][0]}
    assert pair_blocks((mine,), (theirs, shared)) is None  # not as many blocks
    assert pair_blocks((mine,), (Block(()),)) is None  # not as many segments
    other_scope = Block((("ns", role.rules, theirs.segments[0][2]),))
    assert pair_blocks((mine,), (other_scope,)) is None


def test_a_binding_naming_two_of_an_identitys_subjects_is_in_one_block() -> None:
    """`bindings_for` keeps a binding once, through the first subject that names the identity:
    the blocks follow it, so its rules are not counted twice."""
    secrets = PolicyRule(("",), ("secrets",), (), (), ("get",))
    role = _role("reader", secrets)
    both = BindingObj(ObjRef("ClusterRoleBinding", "", "both"), role.ref,
                      (RbacSubject("Group", "devs"), RbacSubject("User", "alice")))
    model = AccessModel({role.ref: role}, [both], (), ("app",))
    graph = EscalationGraph(model)
    alice = Identity.user("alice", ("devs",))
    blocks = graph.blocks(alice)
    assert blocks is not None and [b.subject for b in blocks] == [RbacSubject("Group", "devs")]
    assert graph.permissions(alice) == model.permissions(alice.user_info)
    read = next(n for n in graph.sets.needs if n.resource == "secrets" and "get" in n.verbs)
    assert [p.reason.subject for p in graph.need(alice, read)] == [RbacSubject("Group", "devs")]

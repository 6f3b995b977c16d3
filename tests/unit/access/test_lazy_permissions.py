"""Guards' fifth pass (issue 19): permissions made when read, and answers from the rules alone.

Each shortcut against the plain computation it replaces:
- `AccessModel.granted` (`Granted`, made place by place) against the permissions made at once,
  object for object whatever order the places are read in;
- `AccessModel.own_ranked` against the user's own entries of `bindings_ranked`;
- `PermissionSets.present` (which requirements a block answers, from its rules) against the
  keys of its answers, and `EscalationGraph._has_all` against `_all_needs`;
- `PermissionSets.answers` placed by a block's content (`_content`) against the block's own
  sorted answers;
- `PermissionSets.user_blocks` made from each group's blocks against a cut of the whole list,
  with a binding that names two groups of a user (the parts overlap);

on a generated organisation whose guards are broken directly and through escalation, the spec
folders and `tests/golden/rbac/policy`; and a guard check reads only a part of the permissions.
"""

from __future__ import annotations

from pathlib import Path

from conftest import equivalence_folders, generated_org
from policyc.access.authorizer import AccessModel, Granted, Permission, Reason
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.guards import GuardSpec, check_guard
from policyc.access.permsets import PermissionSets
from policyc.access.policy import everyone, graph_for, model_from_program
from policyc.check.access_guards import guard_range
from policyc.pipeline import compile_path

BREAKS = """
forbid read secrets for everyone except team platform
forbid create pods for everyone except team platform in cluster
grant impersonate users to team t001-finance in cluster
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t002-data-devs in t002-data-api-dev
"""


def _folders(tmp_path: Path) -> list[Path]:
    return equivalence_folders(tmp_path, BREAKS)


def _graph(folder: Path) -> tuple[EscalationGraph, list[Identity]]:
    result = compile_path(folder)
    assert result.program is not None and result.manifests
    graph = graph_for(model_from_program(result.program, result.manifests), result.program)
    idents = everyone(result.program)
    reached = list(dict.fromkeys(j for i in idents for j in graph.reach(i)))
    return graph, reached


def _eager(model: AccessModel, granted: Granted) -> list[Permission]:
    """The permissions as `granted` made them before they were lazy: one per rule, at once."""
    role = next(r for r in model.roles.values() if r.ref == granted.role)
    sources = role.rule_sources
    return [Permission(granted.scope, rule, Reason(granted.binding, role.ref, rule, granted.subject,
                                                   sources[i] if i < len(sources) else ""))
            for i, rule in enumerate(role.rules)]


def test_granted_permissions_are_made_once_each_and_equal_the_eager_ones(tmp_path: Path) -> None:
    checked = 0
    for folder in _folders(tmp_path):
        graph, _reached = _graph(folder)
        model = graph.model
        for b in model.bindings:
            for s in b.subjects:
                granted = model.granted(b, s)
                if granted is None:
                    assert b.role not in model.roles
                    continue
                assert model.granted(b, s) is granted
                eager = _eager(model, granted)
                assert len(granted) == len(eager)
                # Read from the end (and by negative index) first: each place is made once.
                backwards = [granted[-1 - i] for i in range(len(granted))][::-1]
                assert backwards == eager, (folder, b.ref, s)
                assert list(granted) == eager
                assert all(x is y for x, y in zip(backwards, granted, strict=True))
                assert granted[1:] == tuple(eager[1:])
                checked += 1
    assert checked > 100


def test_own_ranked_is_the_users_part_of_bindings_ranked(tmp_path: Path) -> None:
    for folder in _folders(tmp_path):
        graph, reached = _graph(folder)
        model = graph.model
        for ident in reached:
            user = ident.user_info
            ranked, mine = model.bindings_ranked(user)
            own, own_mine = model.own_ranked(user)
            assert own_mine == mine, (folder, ident)
            assert [own[r] for r in mine] == [e for e in ranked if e[0] in set(mine)], (folder, ident)
            assert all(own[r][2] is e[2] for r, e in zip(mine, (e for e in ranked if e[0] in set(mine)),
                                                         strict=True))


def test_present_requirements_and_has_all_are_the_answers(tmp_path: Path) -> None:
    rows_true = 0
    for folder in _folders(tmp_path):
        graph, reached = _graph(folder)
        fresh = PermissionSets(graph.model, graph.sets.needs)
        for ident in reached:
            blocks = graph.blocks(ident)
            for row in graph.rules:
                has = graph._has_all(ident, row)
                assert has == (graph._all_needs(ident, row) is not None), (folder, ident, row.name)
                rows_true += has
            if blocks is None:
                continue
            for blk in blocks:
                # Asked of a block not answered yet (present first), then answered.
                blk.present, blk.answers = None, None
                present = set(fresh.present(blk))
                assert present == set(fresh.answers(blk)), (folder, ident)
            assert fresh.present_in(blocks) == {k for blk in blocks for k in blk.answers}
    assert rows_true > 0


def test_user_blocks_from_group_blocks_are_the_cut_of_the_whole_list() -> None:
    def binding(name: str, role: str, subjects: list[tuple[str, str]], ns: str = "") -> dict:
        return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding" if ns else "ClusterRoleBinding",
                "metadata": {"name": name, **({"namespace": ns} if ns else {})},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"kind": k, "name": n, "apiGroup": "rbac.authorization.k8s.io"} for k, n in subjects]}

    objs = [
        binding("a-devs", "edit", [("Group", "devs")], "ns1"),
        binding("b-both", "view", [("Group", "ops"), ("Group", "devs")], "ns2"),  # names two groups
        binding("c-ops", "admin", [("Group", "ops")], "ns3"),
        binding("d-alice", "edit", [("User", "alice"), ("Group", "devs")], "ns4"),
        binding("e-everyone", "view", [("Group", "system:authenticated")], "ns5"),
    ]
    model = AccessModel.from_objects(objs)
    graph = EscalationGraph(model)
    users = [Identity.user("alice", ("devs", "ops", "system:authenticated")),
             Identity.user("bob", ("devs", "system:authenticated")),
             Identity.user("carol", ("ops", "devs", "system:authenticated")),
             Identity.user("alice", ("devs", "system:authenticated"))]
    for ident in users:
        user = ident.user_info
        blocks = graph.sets.user_blocks(user)
        plain = PermissionSets(model, graph.sets.needs)._cut(model.bindings_ranked(user)[0])
        assert [(b.subject, b.refs, b.ranks) for b in blocks] == [
            (b.subject, b.refs, b.ranks) for _r, b in plain], ident
        # The same permission objects (blocks group them by subject, the model's list by binding).
        assert sorted(id(p) for b in blocks for p in b.permissions) == sorted(map(id, model.permissions(user)))


def test_a_guard_check_reads_few_permissions(tmp_path: Path) -> None:
    result = compile_path(generated_org(tmp_path, 30))
    assert result.ok and result.program is not None
    graph = graph_for(model_from_program(result.program, result.manifests), result.program)
    for g in result.program.policy.guards:
        check_guard(graph, GuardSpec.of(g, result.program.release), guard_range(g, result.program))
    granted = list(graph.model._granted.values())
    made = sum(p is not None for g in granted for p in g._made)
    total = sum(len(g) for g in granted)
    # Most places are never read: a row or a guard reads only the rules that meet it.
    assert 0 < made < total // 2, (made, total)


def test_answers_placed_by_content_are_the_blocks_own(tmp_path: Path) -> None:
    reused = 0
    for folder in _folders(tmp_path):
        graph, reached = _graph(folder)
        blocks = list({id(b): b for ident in reached for b in graph.blocks(ident) or ()}.values())
        fast = PermissionSets(graph.model, graph.sets.needs)
        plain = PermissionSets(graph.model, graph.sets.needs)
        plain._content = lambda blk: None  # type: ignore[method-assign]
        for blk in blocks:
            blk.answers = None
            placed = fast.answers(blk)
            blk.answers = None
            own = plain.answers(blk)
            assert list(placed) == list(own), folder
            for k, ps in own.items():
                assert [id(p) for p in placed[k]] == [id(p) for p in ps], (folder, blk.subject)
        bound = sum(blk.subject is not None for blk in blocks)
        assert len(fast._placed) <= bound
        reused += bound - len(fast._placed)
    assert reused > 50  # most service accounts' and users' own blocks are alike

"""Guards' fourth pass (issue 19): each shortcut against the plain per-identity algorithm.

- `AccessModel.bindings_ranked` (a tuple of groups' part made once, the user's own bindings
  merged by rank) against the plain fold over every name the user goes by, sorted by reference;
- `PermissionSets.user_blocks` (a group part's blocks cut once) against a cut of the whole list;
- `EscalationGraph.targets` (a class member's targets without renamed grants) against the
  targets of its edges;
- the guards' verdicts per strongly connected component (`_Condensation`, `_Breaks`) against
  one breadth-first walk per identity (`first_violation`), and `check_guard` against the plain
  loop over subjects;

on a generated organisation whose guards are broken directly and through escalation, the spec
folders, and a hand-written model with the tricky cases: impersonating users, escalate and
bind, an aggregated role, a node, `system:masters`, grants to `system:authenticated`, and
bindings that name a user and its group in either order.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from conftest import generated_org
from helpers import POLICY_FOLDERS, graph_maker, policy_folder
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.guards import GuardSpec, _Breaks, _Forbidden, check_guard, cluster_scoped, first_violation
from policyc.access.matching import Pattern
from policyc.access.objects import BindingObj
from policyc.access.policy import everyone
from policyc.access.request import UserInfo, split_sa_username
from policyc.check.access_guards import guard_range
from policyc.model.rbac import RbacSubject

BREAKS = """
forbid read secrets for everyone except team platform
forbid create pods for everyone except team platform in cluster
forbid get configmaps for everyone except team platform
grant impersonate users to team t001-finance in cluster
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant update secrets to group oidc:t003-identity-devs in t003-identity-payments-dev
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t002-data-devs in t002-data-api-dev
"""


def _role(kind: str, name: str, rules: list[dict], ns: str = "", **extra: object) -> dict:
    meta: dict = {"name": name, **({"namespace": ns} if ns else {})}
    meta.update(extra.pop("meta", {}))  # type: ignore[arg-type]
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules, **extra}


def _binding(kind: str, name: str, role: tuple[str, str], subjects: list[tuple[str, str]], ns: str = "") -> dict:
    subs = []
    for k, n in subjects:
        if k == "ServiceAccount":
            sa_ns, sa_name = n.split("/")
            subs.append({"kind": k, "name": sa_name, "namespace": sa_ns})
        else:
            subs.append({"kind": k, "name": n, "apiGroup": "rbac.authorization.k8s.io"})
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": name, **({"namespace": ns} if ns else {})},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role[0], "name": role[1]},
            "subjects": subs}


def _rule(verbs: str, resources: str, group: str = "", names: str = "") -> dict:
    out = {"apiGroups": [group], "resources": resources.split(","), "verbs": verbs.split(",")}
    if names:
        out["resourceNames"] = names.split(",")
    return out


def tricky_model() -> tuple[AccessModel, list[Identity]]:
    """Impersonation of users, escalate/bind, an aggregated role, a node, system:masters,
    `system:authenticated` grants, and bindings naming a user before and after its group."""
    objs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("app", "ops", "data")
    ] + [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": n, "namespace": ns}}
        for ns, n in (("app", "runner"), ("app", "builder"), ("ops", "admin"), ("data", "etl"))
    ] + [
        _role("ClusterRole", "pod-maker", [_rule("create", "pods"), _rule("get", "secrets")]),
        _role("ClusterRole", "impersonator", [_rule("impersonate", "users")]),
        _role("ClusterRole", "binder", [_rule("bind,escalate", "clusterroles", "rbac.authorization.k8s.io"),
                                        _rule("create", "rolebindings", "rbac.authorization.k8s.io")]),
        _role("ClusterRole", "agg", [], aggregationRule={"clusterRoleSelectors": [{"matchLabels": {"agg": "yes"}}]}),
        _role("ClusterRole", "agg-part", [_rule("get", "configmaps")], meta={"labels": {"agg": "yes"}}),
        _role("ClusterRole", "agg-writer", [_rule("escalate,update,create", "clusterroles",
                                                  "rbac.authorization.k8s.io")]),
        _role("ClusterRole", "everyone", [_rule("create", "pods")]),
        _role("ClusterRole", "node-reader", [_rule("get", "nodes"), _rule("create", "pods/eviction")]),
        _role("Role", "secrets", [_rule("get,list", "secrets")], ns="ops"),
        # everyone may create pods in `app` (so reaches its service accounts)
        _binding("RoleBinding", "everyone", ("ClusterRole", "everyone"), [("Group", "system:authenticated")], "app"),
        _binding("RoleBinding", "user-first", ("ClusterRole", "pod-maker"),
                 [("User", "alice"), ("Group", "devs")], "data"),
        _binding("RoleBinding", "group-first", ("ClusterRole", "pod-maker"),
                 [("Group", "devs"), ("User", "alice"), ("User", "bob")], "ops"),
        _binding("ClusterRoleBinding", "imp", ("ClusterRole", "impersonator"), [("User", "imp")]),
        _binding("RoleBinding", "binders", ("ClusterRole", "binder"), [("Group", "binders")], "data"),
        _binding("ClusterRoleBinding", "agg", ("ClusterRole", "agg"), [("User", "aggr")]),
        _binding("ClusterRoleBinding", "agg-writer", ("ClusterRole", "agg-writer"), [("User", "aggr")]),
        _binding("ClusterRoleBinding", "nodes", ("ClusterRole", "node-reader"), [("Group", "system:nodes")]),
        _binding("RoleBinding", "ops-admin", ("Role", "secrets"), [("ServiceAccount", "ops/admin")], "ops"),
        _binding("RoleBinding", "runner", ("ClusterRole", "pod-maker"),
                 [("ServiceAccount", "app/runner"), ("User", "system:serviceaccount:app:runner")], "ops"),
        _binding("ClusterRoleBinding", "masters", ("ClusterRole", "pod-maker"), [("Group", "system:masters")]),
    ]
    model = AccessModel.from_objects(objs, (1, 30))
    idents = [
        Identity.user("alice", ("devs",)), Identity.user("bob", ("devs",)), Identity.user("carol", ("devs",)),
        Identity.user("imp"), Identity.user("aggr"), Identity.user("dave", ("binders",)),
        Identity.group("devs"), Identity.group("binders"), Identity.group("system:authenticated"),
        Identity.group("system:masters"), Identity.superuser(), Identity.node("n1"), Identity.node(),
        Identity.service_account("app", "runner"), Identity.service_account("app", "default"),
        Identity.service_account("ops", "admin"), Identity.service_account("data", "etl"),
        Identity.user("system:serviceaccount:app:runner"),
    ]
    return model, idents


def _plain_bindings_for(model: AccessModel, user: UserInfo) -> list[tuple[BindingObj, RbacSubject]]:
    """The fold `bindings_for` made before issue 19's fourth pass: every name the user goes by,
    the earliest subject of each binding, sorted by reference."""
    found: dict = {}
    hits = [hit for _, named in model.named_by(user) for hit in named]
    for b, s in hits:
        prev = found.get(b.ref)
        if prev is None or b.subjects.index(s) < b.subjects.index(prev[1]):
            found[b.ref] = (b, s)
    return [found[k] for k in sorted(found)]


def _own(user: UserInfo, s: RbacSubject) -> bool:
    if s.kind == "User":
        return s.name == user.name
    sa = split_sa_username(user.name)
    return s.kind == "ServiceAccount" and sa == (s.namespace, s.name)


def _compare_bindings(model: AccessModel, graph: EscalationGraph, idents: Iterable[Identity]) -> int:
    compared = 0
    for ident in idents:
        user = ident.user_info
        plain = _plain_bindings_for(model, user)
        assert model.bindings_for(user) == plain, ident
        # Object for object: the same subject objects as the plain fold kept.
        assert all(a[1] is b[1] for a, b in zip(model.bindings_for(user), plain, strict=True)), ident
        ranked, mine = model.bindings_ranked(user)
        assert [r for r, _b, _s in ranked] == sorted(r for r, _b, _s in ranked)
        assert mine == tuple(r for r, _b, s in ranked if _own(user, s)), ident
        # Blocks: one per subject in order of its first binding, with its bindings in order.
        if graph.blocks(ident) is None or ident.kind == "superuser":
            continue
        by_subject: dict[RbacSubject, list[BindingObj]] = {}
        for b, s in plain:
            by_subject.setdefault(s, []).append(b)
        blocks = graph.sets.user_blocks(user)
        assert [(blk.subject, blk.refs) for blk in blocks] == [
            (s, tuple(b.ref for b in bs)) for s, bs in by_subject.items()], ident
        for blk, (s, bs) in zip(blocks, by_subject.items(), strict=True):
            assert blk.permissions == [p for b in bs for p in model.granted(b, s) or ()], ident
        assert sorted(map(id, (p for blk in blocks for p in blk.permissions))) == sorted(
            map(id, model.permissions(user))), ident
        compared += 1
    return compared


def _reached(graph: EscalationGraph, idents: Iterable[Identity]) -> list[Identity]:
    return list(dict.fromkeys(j for i in idents for j in graph.reach(i)))


def test_bindings_and_blocks_are_the_plain_fold_on_tricky_bindings() -> None:
    model, idents = tricky_model()
    graph = EscalationGraph(model)
    reached = _reached(graph, idents)
    assert _compare_bindings(model, graph, reached) >= len(idents) - 3
    alice = Identity.user("alice", ("devs",))
    subjects = {b.ref.name: s for b, s in model.bindings_for(alice.user_info)}
    # A binding naming the user first keeps the user; one naming its group first, the group.
    assert subjects["user-first"] == RbacSubject("User", "alice")
    assert subjects["group-first"] == RbacSubject("Group", "devs")
    bob = Identity.user("bob", ("devs",))
    # bob and alice share the group's part but not their own bindings.
    assert graph.share_key(alice) != graph.share_key(bob)
    # carol, only in the group, shares with any other member bound only through it.
    assert graph.share_key(Identity.user("carol", ("devs",))) == graph.share_key(Identity.user("erin", ("devs",)))


def test_targets_and_verdicts_are_the_plain_walks_on_tricky_model() -> None:
    model, idents = tricky_model()
    assert _compare_graph(lambda: EscalationGraph(model), idents, _specs(model.release)) > 0


def _specs(release: tuple[int, int] | None) -> list[GuardSpec]:
    scoped = cluster_scoped(release)
    return [
        GuardSpec((Pattern(("get",), "", "secrets"),), None, False, scoped),
        GuardSpec((Pattern(("get",), "", "secrets"),), ("ops",), False, scoped),
        GuardSpec((Pattern(("create",), "", "pods"),), None, True, scoped),
        GuardSpec((Pattern(("impersonate",), "", "users"),), None, False, scoped),
        GuardSpec((Pattern(("get",), "", "configmaps"),), None, False, scoped),
        GuardSpec((Pattern(("delete",), "", "nodes"),), None, False, scoped),
    ]


def _compare_graph(make, idents: list[Identity], specs: list[GuardSpec]) -> int:
    fast = make()
    plain = make()
    reached = _reached(plain, idents)
    # Targets (asked first, so made without the steps) are the targets of the plain edges.
    for j in reached:
        assert set(fast.targets(j)) == {st.target for st in plain.edges(j)}, j
        assert len(fast.targets(j)) == len(set(fast.targets(j)))
    assert any(j.acquired for j in reached)
    # What the editor's carried verdicts read (access/reuse.py `reached`): the reach's identities.
    other = make()
    for j in [*idents, *reached]:
        assert set(other.reachable(j)) == set(plain.reach(j)), j
    cycles = 0
    for spec in specs:
        for order in (1, -1):
            breaks = _Breaks(fast, _Forbidden(fast, spec))
            for j in reached:
                assert breaks.breaks(j) == (first_violation(plain, j, spec) is not None), (spec, j)
            # A component's members are in no meaningful order: every one of them counts.
            cond = fast.condensation
            cond.members = [m[::order] for m in cond.members]
            cycles = sum(len(m) > 1 for m in cond.members)
        # check_guard against the plain loop: every subject walked on its own.
        got = check_guard(fast, spec, idents)
        want = [v for s in idents if (v := first_violation(plain, s, spec)) is not None]
        assert got == want, spec
    return cycles  # components of several identities (service accounts of one namespace)




@pytest.mark.parametrize("where", ["generated", *POLICY_FOLDERS])
def test_targets_verdicts_and_blocks_are_the_plain_ones(tmp_path: Path, where: str) -> None:
    folder = generated_org(tmp_path, 30, BREAKS) if where == "generated" else policy_folder(where)
    program, make = graph_maker(folder)
    idents = everyone(program)
    graph = make()
    _compare_bindings(graph.model, graph, _reached(graph, idents))
    specs = [GuardSpec.of(g, program.release) for g in program.policy.guards] + _specs(program.release)
    _compare_graph(make, idents, specs)
    if where == "generated":
        # Guards of the policy over their ranges, as the build checks them.
        fast, plain = make(), make()
        for g in program.policy.guards:
            spec, subjects = GuardSpec.of(g, program.release), guard_range(g, program)
            want = [v for s in subjects if (v := first_violation(plain, s, spec)) is not None]
            assert check_guard(fast, spec, subjects) == want, g

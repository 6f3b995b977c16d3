"""Guards' ninth pass (issue 19): the identity walk's new shortcuts against the plain algorithms.

- Tarjan's walk makes the component of an identity that reaches no one (`inert`) as it meets it,
  without a frame: the components, their numbering and successors are those of the walk
  without the shortcut (`inert` answering False: every identity walked through its targets);
- an identity holding acquired roles: its blocks (the user's, then one per acquired role, kept
  per tuple of roles) and its requirements (the user's, then the roles') against the plain
  construction, block by block;
- `_gain_of`'s sorted union, kept per pair of sets, against the union sorted anew;
- the ranks and blocks of a tuple of groups without merging their parts (`_group_cut`), and
  with it when a binding names two of them, against the cut of the whole list;
- `Identity`'s own constructor (the hash of acquired roles kept per tuple, `base` and
  `user_info` made once): equality, hashing, ordering, immutability, copies and pickles as a
  frozen dataclass's;

on generated organisations with breaks that make identities acquire roles and reach others, the
golden policy and the spec's `article` and `org`.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pytest

from helpers import folder_with_breaks, graph_maker
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import NODE_ROLE, Acquired, EscalationGraph, Identity, _acq_key
from policyc.access.guards import _Condensation
from policyc.access.permsets import PermissionSets
from policyc.access.policy import everyone
from policyc.access.request import UserInfo, sa_username

# Identities that acquire roles and reach others: a group that escalates in a namespace, a lead
# that impersonates every user, a service account that may bind roles.
BREAKS = """
grant impersonate users to user lead.t000-logistics@example.com in cluster
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t000-logistics-devs in t000-logistics-api-dev
grant bind roles.rbac.authorization.k8s.io to serviceaccount t001-finance-web-dev/default in t001-finance-web-dev
"""


def _folder(tmp_path: Path, where: str) -> Path:
    return folder_with_breaks(tmp_path, where, BREAKS)


WHERE = ["identity", "all", "mixed", "golden", "article", "org"]


def _walked(program, make) -> tuple[EscalationGraph, _Condensation, list[Identity]]:  # type: ignore[no-untyped-def]
    graph = make()
    cond = _Condensation.of(graph)
    starts = everyone(program) + [Identity.superuser(), Identity.node("n1")]
    for s in starts:
        cond.component(s)
    return graph, cond, starts


@pytest.mark.parametrize("where", WHERE)
def test_components_of_inert_identities_are_the_walks(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(_folder(tmp_path, where))
    fast, cond, starts = _walked(program, make)
    plain = make()
    plain.inert = lambda ident: False  # type: ignore[method-assign]  # every identity walked by its targets
    want = _Condensation.of(plain)
    for s in starts:
        want.component(s)
    assert cond.members == want.members
    assert cond.succ == want.succ
    assert cond.pred == want.pred
    assert cond.comp_of == want.comp_of
    # The shortcut was taken: identities that reach no one, some of them met as targets.
    inert = [i for i in cond.comp_of if fast.inert(i)]
    assert inert and all(not plain.targets(i) for i in inert)


@pytest.mark.parametrize("where", WHERE)
def test_blocks_and_requirements_of_acquiring_identities_are_the_plain_ones(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(_folder(tmp_path, where))
    graph, cond, _starts = _walked(program, make)
    fresh = make()
    sets = fresh.sets
    acquiring = [i for i in cond.comp_of if i.acquired and i.kind != "superuser"]
    if where in ("identity", "all", "mixed"):
        assert acquiring
    for ident in acquiring:
        # In `permissions`' order: the user's blocks, the node's, one per acquired role.
        want = list(sets.user_blocks(UserInfo(
            sa_username(ident.namespace, ident.name) if ident.kind == "serviceaccount"
            else ident.name if ident.kind == "user" else "", ident.groups)))
        if ident.is_node and (node := fresh.model.role(NODE_ROLE)) is not None:
            want.append(sets.block(("node",), lambda node=node: (fresh._node_segment(node),)))
        want += [sets.block(("acquired", acq), lambda acq=acq: fresh._acquired_segments(acq))
                 for acq in ident.acquired]
        got = fresh.blocks(ident)
        assert got is not None and list(got) == want, ident
        present: set[int] = set()
        for blk in want:
            present |= sets.present(blk)
        assert fresh._present_of(ident) == present, ident
        # The walked graph's (made in the walk's order) are the same.
        assert graph._present_of(ident) == present, ident
        assert ([[(scope, rules) for scope, rules, _p in blk.segments] for blk in graph.blocks(ident)]
                == [[(scope, rules) for scope, rules, _p in blk.segments] for blk in want]), ident


@pytest.mark.parametrize("where", ["identity", "all", "mixed", "golden"])
def test_gains_are_the_union_sorted_anew(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(_folder(tmp_path, where))
    graph, _cond, _starts = _walked(program, make)
    assert graph._gains
    for (ident, gains), target in graph._gains.items():
        held = set(ident.acquired)
        if target is None or target.kind == "superuser" or any(a.everything for a in held | gains):
            continue
        want = Identity(ident.kind, ident.name, ident.namespace, ident.groups,
                        tuple(sorted(held | gains, key=_acq_key)))
        assert target == want and target.acquired == want.acquired, ident


def test_identity_is_a_frozen_dataclass_hashed_once() -> None:
    mount = Acquired("ns1", None, (), "mounted")
    other = Acquired("ns2", None, (), "mounted")
    a = Identity("serviceaccount", "app", "ns1", ("system:serviceaccounts",), (mount, other))
    # Equal fields, other tuple objects: equal, and hashed alike.
    b = Identity("serviceaccount", "app", "ns1", ("system:serviceaccounts",),
                 tuple([Acquired("ns1", None, (), "mounted"), other]))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Identity("serviceaccount", "app", "ns1", ("system:serviceaccounts",), (other, mount))
    assert Identity("user", "u") == Identity("user", name="u", namespace="", groups=(), acquired=())
    assert hash(Identity("user", "u")) == hash(Identity("user", "u"))
    assert Identity("user", "a") < Identity("user", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "x"  # type: ignore[misc]
    assert dataclasses.replace(a, name="web") == Identity("serviceaccount", "web", "ns1", a.groups, a.acquired)
    assert [f.name for f in dataclasses.fields(Identity)] == ["kind", "name", "namespace", "groups", "acquired"]
    assert repr(a).startswith("Identity(kind='serviceaccount', name='app'")
    # `base` and `user_info`, made once, are what a fresh computation gives.
    assert a.base == Identity("serviceaccount", "app", "ns1", ("system:serviceaccounts",)) and a.base is a.base
    assert a.user_info == UserInfo("system:serviceaccount:ns1:app", ("system:serviceaccounts",))
    assert a.user_info is a.user_info
    assert Identity.service_account("ns1", "app").groups == (
        "system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated")
    for c in (copy.copy(a), copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert c == a and hash(c) == hash(a) and c.base == a.base


def _binding(kind: str, name: str, namespace: str, role: str, groups: list[str]) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups]}


def test_groups_cut_without_their_merged_part_unless_a_binding_names_two() -> None:
    """`_group_cut` takes the groups' ranks as the union of their parts' and cuts each group on
    its own when no binding is in two parts; a binding naming two of the user's groups is cut
    from the merged part (`group_part`): the blocks and ranks of the whole list either way."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    objs = [role, _binding("RoleBinding", "both", "ns1", "r", ["g2", "g1"]),
            _binding("RoleBinding", "two", "ns1", "r", ["g2"]), _binding("ClusterRoleBinding", "one", "", "r", ["g1"]),
            _binding("RoleBinding", "three", "ns2", "r", ["g3"])]
    model = AccessModel.from_objects(objs, bootstrap=False)
    for groups in [("g1", "g2"), ("g2", "g1"), ("g1", "g3"), ("g3", "g2", "g1"), ("g1", "unnamed", "g2"), ()]:
        user = UserInfo("u", groups)
        sets = PermissionSets(model, ())
        got = sets.user_blocks(user)
        plain = PermissionSets(model, ())._cut(model.bindings_ranked(user)[0])
        assert [(b.subject, b.refs, b.ranks) for b in got] == [(b.subject, b.refs, b.ranks) for _r, b in plain], groups
        named = tuple(g for g in groups if model.one_group(g))
        assert sets._group_blocks[named][1] == frozenset(model.group_part(groups)[0]), groups

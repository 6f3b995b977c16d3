"""Guards' eleventh pass (issue 19): the shortcuts against what they stand for, table by table.

- `Identity.user` makes a user's groups without making its `UserInfo` (`authenticated_groups`),
  and `Identity.group` a group member's (`member_groups`): the groups the authenticators give;
- `AccessModel.granted` finds a binding's role by its reference's fields: the role the reference
  names (another ObjRef object, equal fields), none for a missing role, the index made again for
  another `roles` dict;
- `blocks_line_up` counts a segment's rules rather than its permissions (one per rule);
- a guard's plan leaves out exactly the excepted keys (its names tested first): a subject of
  another kind of the same name stays;
- a class's target counts (a plain dict counted in C) are those `Counter` gives, in its order;
- the model's bindings by subject and scope (what `authorize` reads) and by role are made when
  first asked, every binding's subjects in order.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest

from conftest import generated_org
from helpers import graph_maker
from policyc.access.authorizer import AccessModel, group_member, member_groups
from policyc.access.escalation import Identity, _Fan
from policyc.access.guards import _Condensation
from policyc.access.objects import ObjRef
from policyc.access.permsets import Block, blocks_line_up
from policyc.access.policy import everyone
from policyc.access.request import Request, UserInfo
from policyc.k8s.rules import PolicyRule

AUTH, UNAUTH, SAS = "system:authenticated", "system:unauthenticated", "system:serviceaccounts"

# name, groups reported -> (kind, name, namespace, groups) of the identity
USERS = [
    ("alice", (), ("user", "alice", "", (AUTH,))),
    ("alice", ("devs", "devs", "ops"), ("user", "alice", "", ("devs", "ops", AUTH))),
    ("alice", (AUTH, "devs"), ("user", "alice", "", (AUTH, "devs"))),
    ("alice", (UNAUTH,), ("user", "alice", "", (UNAUTH,))),
    ("system:anonymous", (), ("user", "system:anonymous", "", ())),
    ("system:anonymous", ("g", "g"), ("user", "system:anonymous", "", ("g",))),
    # A service account's name: the service account, its fixed groups.
    ("system:serviceaccount:ns1:app", (), ("serviceaccount", "app", "ns1", (SAS, f"{SAS}:ns1", AUTH))),
    # The prefix without a valid account: a user named so.
    ("system:serviceaccount:ns1", (), ("user", "system:serviceaccount:ns1", "", (AUTH,))),
    ("system:serviceaccount:NS:app", ("g",), ("user", "system:serviceaccount:NS:app", "", ("g", AUTH))),
    ("system:serviceaccounts-fan", (), ("user", "system:serviceaccounts-fan", "", (AUTH,))),
]


@pytest.mark.parametrize(("name", "groups", "want"), USERS)
def test_users_have_the_authenticators_groups(name: str, groups: tuple[str, ...],
                                              want: tuple[str, str, str, tuple[str, ...]]) -> None:
    got = Identity.user(name, groups)
    assert (got.kind, got.name, got.namespace, got.groups) == want
    assert got == Identity(*want) and hash(got) == hash(Identity(*want))
    if got.kind == "user":
        assert got.user_info == UserInfo.authenticated(name, groups)


# group -> the groups of a member with no other binding
GROUPS = [
    ("devs", ("devs", AUTH)),
    (AUTH, (AUTH,)),
    (UNAUTH, (UNAUTH,)),
    (SAS, (SAS, AUTH)),
    (f"{SAS}:ns1", (f"{SAS}:ns1", SAS, AUTH)),
    (f"{SAS}-like", (f"{SAS}-like", AUTH)),
]


@pytest.mark.parametrize(("group", "want"), GROUPS)
def test_group_members_have_the_group_and_its_implied_groups(group: str, want: tuple[str, ...]) -> None:
    assert member_groups(group) == want
    assert group_member(group) == UserInfo("", want)
    assert Identity.group(group).groups == want


def _model() -> AccessModel:
    objs = [
        {"kind": "Role", "metadata": {"name": "reader", "namespace": "ns1"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        {"kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "ns1"},
         "roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "User", "name": "alice"}]},
        {"kind": "RoleBinding", "metadata": {"name": "dangling", "namespace": "ns1"},
         "roleRef": {"kind": "Role", "name": "missing"}, "subjects": [{"kind": "User", "name": "alice"}]},
        {"kind": "RoleBinding", "metadata": {"name": "other-ns", "namespace": "ns2"},
         "roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "User", "name": "alice"}]},
    ]
    return AccessModel.from_objects(objs, bootstrap=False)


@pytest.mark.parametrize(("binding", "role"), [
    ("rb", ObjRef("Role", "ns1", "reader")),
    ("dangling", None),  # the role does not exist
    ("other-ns", None),  # a Role of another namespace is not it
])
def test_granted_finds_the_role_its_reference_names(binding: str, role: ObjRef | None) -> None:
    model = _model()
    b = next(b for b in model.bindings if b.ref.name == binding)
    assert b.role is not role  # another object than the key of `roles`
    granted = model.granted(b, b.subjects[0])
    if role is None:
        assert granted is None
    else:
        assert granted is not None and granted.role == role and granted.rules == model.roles[role].rules
        assert model.granted(b, b.subjects[0]) is granted  # made once


def test_granted_reads_the_roles_the_model_holds_now() -> None:
    model = _model()
    b = next(b for b in model.bindings if b.ref.name == "dangling")
    assert model.granted(b, b.subjects[0]) is None
    reader = model.roles[ObjRef("Role", "ns1", "reader")]
    model.roles = {**model.roles, ObjRef("Role", "ns1", "missing"): reader}
    granted = model.granted(b, b.subjects[0])
    assert granted is not None and granted.rules == reader.rules


_PODS = PolicyRule(("",), ("pods",), (), (), ("get",))
_SECRETS = PolicyRule(("",), ("secrets",), (), (), ("get",))


def _blk(*segments: tuple[str | None, tuple[PolicyRule, ...]]) -> Block:
    return Block(tuple((scope, rules, [object() for _ in rules]) for scope, rules in segments))  # type: ignore[misc]


SHARED = _blk(("ns1", (_PODS,)))
LINE_UP = [
    ([SHARED], [SHARED], True),
    ([_blk(("ns1", (_PODS,)))], [_blk(("ns1", (_SECRETS,)))], True),  # places, not rules
    ([_blk(("ns1", (_PODS,)))], [_blk(("ns2", (_PODS,)))], False),  # another scope
    ([_blk(("ns1", (_PODS,)))], [_blk(("ns1", (_PODS, _SECRETS)))], False),  # more permissions
    ([_blk(("ns1", (_PODS,)), (None, (_PODS,)))], [_blk(("ns1", (_PODS,)))], False),  # more segments
    ([SHARED, _blk(("ns1", (_PODS,)))], [SHARED], False),  # more blocks
    ([], [], True),
]


@pytest.mark.parametrize(("mine", "theirs", "want"), LINE_UP)
def test_blocks_line_up_by_place(mine: list[Block], theirs: list[Block], want: bool) -> None:
    assert blocks_line_up(mine, theirs) is want
    assert blocks_line_up(theirs, mine) is want


BREAKS = """
grant create pods to group oidc:t002-data-devs in t003-identity-payments-dev
grant bind roles.rbac.authorization.k8s.io to serviceaccount t001-finance-web-dev/default in t001-finance-web-dev
"""


def test_plans_leave_out_the_excepted_keys_only(tmp_path: Path) -> None:
    program, make = graph_maker(generated_org(tmp_path, 30, BREAKS, shape="identity"))
    graph = make()
    cond = _Condensation.of(graph)
    subjects = everyone(program)
    user = next(s for s in subjects if s.kind == "user")
    sa = next(s for s in subjects if s.kind == "serviceaccount")
    namesake = Identity.group(user.name)  # a group named as the user: another key
    subjects = [*subjects, namesake]
    excepted = {user.key, sa.key, ("user", "", "nobody")}
    plan = cond.plan(subjects, excepted)
    assert [s for s, _c in plan] == [s for s in subjects if s.key not in excepted]
    assert namesake in [s for s, _c in plan]
    # Every subject's component is its representative's, else its own.
    for s, c in plan:
        rep = graph.representative(s)
        assert c == cond.comp_of[rep if rep is not None else s]


def test_class_target_counts_are_counters(tmp_path: Path) -> None:
    _program, make = graph_maker(generated_org(tmp_path, 30, BREAKS, shape="identity"))
    graph = make()
    cond = _Condensation.of(graph)
    for s in everyone(_program):
        cond.component(s)
    assert graph._rows
    for cls in graph._rows.values():
        if cls._counts is None:
            continue
        want: Counter[Identity] = Counter()
        fresh = make()
        items = fresh._row_targets(cls.rep)
        times = Counter(id(item) for item in items if type(item) is tuple)
        for item in dict.fromkeys(i for i in items if type(i) is tuple):  # each fan once, twice when repeated
            want.update(item)
            if times[id(item)] > 1:
                want.update(item)
        for item in items:
            if type(item) is not tuple and not item.acquired:  # type: ignore[union-attr]
                want[item] += 1  # type: ignore[index]
        assert list(cls._counts.items()) == list(want.items()), cls.rep
        assert not any(type(i) is _Fan for i in items)


def test_scoped_tables_made_when_asked_are_every_binding_by_subject_and_scope() -> None:
    objs = [
        {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["pods"],
                                                                      "verbs": ["get"]}]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "crb"}, "roleRef": {"kind": "ClusterRole", "name": "r"},
         "subjects": [{"kind": "Group", "name": "devs"}, {"kind": "User", "name": "alice"}]},
        {"kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "ns1"},
         "roleRef": {"kind": "ClusterRole", "name": "r"},
         "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "app"},
                      {"kind": "User", "name": "alice"}]},
        {"kind": "RoleBinding", "metadata": {"name": "rb2", "namespace": "ns2"},
         "roleRef": {"kind": "ClusterRole", "name": "r"}, "subjects": [{"kind": "Group", "name": "devs"}]},
    ]
    model = AccessModel.from_objects(objs, bootstrap=False)
    assert not model._lazy  # not made by the model itself
    copied = copy.copy(model)  # a reused model's copy (access/policy.py) shares what either makes
    roles: dict = {}
    for b in model.bindings:
        roles.setdefault(b.role, []).append(b)
    assert model._by_role == roles and [b.ref.name for b in model.bindings_of_role(ObjRef("ClusterRole", "", "r"))] \
        == ["crb", "rb", "rb2"]
    assert model.bindings_of_role(ObjRef("ClusterRole", "", "other")) == []
    want: tuple[dict, dict, dict] = ({}, {}, {})
    for b in model.bindings:
        for k, s in enumerate(b.subjects):
            which, key = ((0, s.name) if s.kind == "User" else (1, s.name) if s.kind == "Group"
                          else (2, (s.namespace, s.name)))
            want[which].setdefault(key, {}).setdefault(b.scope, []).append((b, s, k))
    assert (model._scoped_user, model._scoped_group, model._scoped_sa) == want
    assert copied._scoped_user is model._scoped_user and copied._by_role is model._by_role
    assert list(model._scoped_user["alice"]) == [None, "ns1"]
    assert [k for _b, _s, k in model._scoped_user["alice"]["ns1"]] == [0, 2]
    # What `authorize` reads: alice may get pods everywhere (cluster-wide); the account in ns1 only.
    pods = Request("get", "", "pods", "", "", "ns2")
    assert model.authorize(UserInfo("alice", ()), pods).allowed
    assert not model.authorize(UserInfo("system:serviceaccount:ns1:app", ()), pods).allowed

"""`import --verify`'s shortcut in the access diff (policyc/access/diff.py `_holds_same`): a subject whose
own bindings' rules the other side holds as they are is "nothing gained" without listing permissions,
with a group's bindings (`system:authenticated`'s above all) gathered once per side (issue 19).

Table-driven: each case is a cluster before and after, the access lines `verify_objects` must report,
and, for every subject of either side in both directions, the shortcut's answer must be the full
comparison's (`gained_in_full`). Who holds a binding's rules "in its own right" is the subject the RBAC
authorizer matches first (plugin/pkg/auth/authorizer/rbac/rbac.go `appliesTo` over a binding's subjects in
order; pkg/registry/rbac/validation/rule.go `appliesToUser`: a user by name, a group by membership, a
service account by `system:serviceaccount:NS:NAME`, whose groups are `system:serviceaccounts` and
`system:serviceaccounts:NS`, plus `system:authenticated` for every authenticated user).
"""

from __future__ import annotations

import pytest

from policyc.access.authorizer import AccessModel
from policyc.access.diff import AccessSide, gained, gained_in_full
from policyc.access.escalation import EscalationGraph
from policyc.importer.verify import _identity, verify_objects

RB = "rbac.authorization.k8s.io/v1"
RELEASE = (1, 30)
READ_PODS = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
READ_ALL = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}]


def role(name: str, rules: list[dict], ns: str = "") -> dict:
    meta = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": RB, "kind": "Role" if ns else "ClusterRole", "metadata": meta, "rules": rules}


def bind(name: str, role_name: str, *subjects: str, ns: str = "", role_kind: str = "ClusterRole") -> dict:
    """A binding of `role_name` to subjects written `user:NAME`, `group:NAME` or `sa:NS/NAME`."""
    subs = []
    for s in subjects:
        kind, _, rest = s.partition(":")
        if kind == "sa":
            sa_ns, _, sa_name = rest.partition("/")
            subs.append({"kind": "ServiceAccount", "name": sa_name, "namespace": sa_ns})
        else:
            subs.append({"apiGroup": "rbac.authorization.k8s.io", "kind": kind.capitalize(), "name": rest})
    meta = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": RB, "kind": "RoleBinding" if ns else "ClusterRoleBinding", "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
            "subjects": subs}


NS = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
      {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "a"}}]
PODS = role("read-pods", READ_PODS)

# (case, before, after, added, removed): lines as (subject, scope ("": cluster-wide), verbs, targets).
CASES = [
    ("a direct binding lost", [PODS, bind("b", "read-pods", "user:alice", ns="a")], [PODS], [],
     [("user alice", "a", ("get",), ("pods",))]),
    ("a direct binding gained", [PODS], [PODS, bind("b", "read-pods", "user:alice", ns="a")],
     [("user alice", "a", ("get",), ("pods",))], []),
    ("gained through system:authenticated: counted under the group, not under each user",
     [PODS, bind("b", "read-pods", "user:alice", ns="a"), bind("c", "read-pods", "user:bob", ns="x")],
     [PODS, bind("b", "read-pods", "user:alice", ns="a"), bind("c", "read-pods", "user:bob", ns="x"),
      bind("d", "read-pods", "group:system:authenticated", ns="x")],
     [("group system:authenticated", "x", ("get",), ("pods",))], []),
    ("lost through system:authenticated",
     [PODS, bind("everyone", "read-pods", "group:system:authenticated"), bind("b", "read-pods", "user:alice", ns="a")],
     [PODS, bind("b", "read-pods", "user:alice", ns="a")],
     [], [("group system:authenticated", "", ("get",), ("pods",))]),
    ("a user's own grant moved to system:authenticated: the user still holds it, the group gains it",
     [PODS, bind("b", "read-pods", "user:alice", ns="a")],
     [PODS, bind("b", "read-pods", "group:system:authenticated", ns="a")],
     [("group system:authenticated", "a", ("get",), ("pods",))], []),
    ("system:authenticated named before the user: dropping it, the group loses and the user, who held it through "
     "the group, gains nothing",
     [PODS, bind("b", "read-pods", "group:system:authenticated", "user:alice", ns="a")],
     [PODS, bind("b", "read-pods", "user:alice", ns="a")],
     [], [("group system:authenticated", "a", ("get",), ("pods",))]),
    ("a user losing what it held only through system:authenticated's binding is not listed (the group is)",
     [PODS, bind("b", "read-pods", "group:system:authenticated", "user:alice", ns="a")], [PODS],
     [], [("group system:authenticated", "a", ("get",), ("pods",))]),
    ("a group the user is not known to be in, named first: the user holds the binding in its own right",
     [PODS, bind("b", "read-pods", "group:devs", "user:alice", ns="a")],
     [PODS, bind("b", "read-pods", "user:alice", ns="a")],
     [], [("group devs", "a", ("get",), ("pods",))]),
    ("system:authenticated named first, the user second: reordering them changes nothing",
     [PODS, bind("b", "read-pods", "group:system:authenticated", "user:alice", ns="a")],
     [PODS, bind("b", "read-pods", "user:alice", "group:system:authenticated", ns="a")], [], []),
    ("gained only through a group", [PODS], [PODS, bind("b", "read-pods", "group:devs", ns="a")],
     [("group devs", "a", ("get",), ("pods",))], []),
    ("a service account's own grant moved to its namespace's group",
     [*NS, PODS, bind("b", "read-pods", "sa:a/app", ns="a")],
     [*NS, PODS, bind("b", "read-pods", "group:system:serviceaccounts:a", ns="a")],
     [("group system:serviceaccounts:a", "a", ("get",), ("pods",))], []),
    ("a service account loses what only it held",
     [*NS, PODS, bind("b", "read-pods", "sa:a/app", "group:system:serviceaccounts", ns="a")],
     [*NS, PODS, bind("b", "read-pods", "group:system:serviceaccounts", ns="a")],
     [], []),
    ("covered by a wider rule, not the same one (the full comparison decides)",
     [role("narrow", READ_PODS), bind("b", "narrow", "user:alice", ns="a")],
     [role("wide", READ_ALL), bind("b", "wide", "user:alice")],
     [("user alice", "", ("get",), ("*",))], []),
    ("cluster-wide narrowed to one namespace", [PODS, bind("b", "read-pods", "user:alice")],
     [PODS, bind("b", "read-pods", "user:alice", ns="a")], [], [("user alice", "", ("get",), ("pods",))]),
    ("the same rules under other role and binding names", [PODS, bind("b", "read-pods", "user:alice", ns="a")],
     [role("renamed", READ_PODS), bind("other", "renamed", "user:alice", ns="a")], [], []),
    ("a binding to a missing role grants nothing", [bind("b", "missing", "user:alice", ns="a")], [], [], []),
    ("the superuser group (every permission before RBAC)",
     [PODS, bind("b", "read-pods", "group:system:masters", ns="a")], [PODS], [], []),
    ("a node user (the Node authorizer's rules are not a binding's)",
     [PODS, bind("b", "read-pods", "user:system:node:n1", ns="a")], [PODS],
     [], [("user system:node:n1", "a", ("get",), ("pods",))]),
    ("URL `*` and `/*` are the same", [role("u", [{"nonResourceURLs": ["*"], "verbs": ["get"]}]),
                                       bind("b", "u", "group:system:authenticated")],
     [role("u", [{"nonResourceURLs": ["/*"], "verbs": ["get"]}]), bind("b", "u", "group:system:authenticated")],
     [], []),
]


def _lines(lines) -> list[tuple]:
    return sorted((x.subject, x.scope, x.verbs, x.targets) for x in lines)


def _sides(before: list[dict], after: list[dict]) -> tuple[AccessSide, AccessSide, AccessModel, AccessModel]:
    b, a = AccessModel.from_objects(before, RELEASE), AccessModel.from_objects(after, RELEASE)
    return (AccessSide(EscalationGraph(b), _identity, escalation=False),
            AccessSide(EscalationGraph(a), _identity, escalation=False), b, a)


def _key(g) -> tuple:
    return (g.scope, g.piece, g.grant.permission.sort_key)


@pytest.mark.parametrize(("before", "after", "added", "removed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_reported_lines(before: list[dict], after: list[dict], added: list[tuple], removed: list[tuple]) -> None:
    v = verify_objects(before, after, RELEASE)
    assert _lines(v.added) == sorted(added)
    assert _lines(v.removed) == sorted(removed)


@pytest.mark.parametrize(("before", "after"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_the_shortcut_answers_as_the_full_comparison(before: list[dict], after: list[dict]) -> None:
    old, new, mb, ma = _sides(before, after)
    subjects = sorted({s for m in (mb, ma) for b in m.bindings for s in b.subjects})
    assert subjects
    for s in subjects:
        for mine, other in ((old, new), (new, old)):
            assert sorted(map(_key, gained(s, mine, other))) == sorted(map(_key, gained_in_full(s, mine, other))), s


@pytest.mark.parametrize(("before", "after"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_own_bindings_are_those_the_authorizer_matches_through_the_subject(before: list[dict],
                                                                        after: list[dict]) -> None:
    for side, model in ((_sides(before, after)[0], AccessModel.from_objects(before, RELEASE)),
                        (_sides(before, after)[1], AccessModel.from_objects(after, RELEASE))):
        for s in sorted({s for b in model.bindings for s in b.subjects}):
            own = side.own_bindings(s)
            ident = _identity(s)
            if ident.kind == "superuser":
                assert own is None  # every permission, before RBAC: the full comparison lists it
                continue
            expected = [b.ref for b, first in model.bindings_for(ident.user_info) if first == s]
            assert own is not None and sorted(b.ref for b in own) == expected, s


def test_everyone_is_compared_once_through_system_authenticated() -> None:
    """10 users with a grant each and a grant to `system:authenticated`: the group's bindings are gathered
    once per side, and no user's permissions are listed (nothing changed)."""
    objs = [PODS, bind("all", "read-pods", "group:system:authenticated", ns="a"),
            *(bind(f"u{i}", "read-pods", f"user:u{i}", ns=f"n{i}") for i in range(10))]
    old, new, mb, _ma = _sides(objs, list(objs))
    users = sorted({s for b in mb.bindings for s in b.subjects if s.kind == "User" and s.name.startswith("u")})
    assert len(users) == 10
    for s in users:
        assert gained(s, old, new) == [] and gained(s, new, old) == []
    assert old._cache == {} and new._cache == {}  # `effective` (every permission wrapped) was never asked
    assert sum(1 for name in new._held if name == ("Group", "system:authenticated")) == 1

"""`AccessModel.permissions` makes a binding's permissions once per (binding, subject) (issue 19).

`import --verify` lists the permissions of every subject; a group's binding (`system:authenticated`
in every namespace) used to give each member its own copy of every Permission and Reason. The
members now share them, and what each one holds is unchanged: the reason still names the subject
of the binding that matched (the group), and a user's own binding its own name.
"""

from __future__ import annotations

from rbac_fixtures import cr, crb, rb, rule

from policyc.access.authorizer import AccessModel
from policyc.access.request import UserInfo

OBJECTS = [
    cr("reader", rule("get,list", "", "pods"), rule("get", "apps", "deployments")),
    rb("team-a", "everyone-reads", "ClusterRole", "reader", "Group:system:authenticated"),
    crb("alice-reads", "reader", "User:alice"),
]


def _model() -> AccessModel:
    return AccessModel.from_objects(OBJECTS, bootstrap=False)


def test_members_of_a_group_share_its_permissions() -> None:
    model = _model()
    alice = model.permissions(UserInfo("alice", ("system:authenticated",)))
    bob = model.permissions(UserInfo("bob", ("system:authenticated",)))
    shared = [p for p in bob if p.scope == "team-a"]
    assert len(shared) == 2
    assert [p for p in alice if p.scope == "team-a"] == shared
    # The very same objects: made once for the group's binding, not once per member.
    assert all(a is b for a, b in zip([p for p in alice if p.scope == "team-a"], shared, strict=True))
    assert all(p.reason.subject.name == "system:authenticated" for p in shared)


def test_sharing_changes_no_permission() -> None:
    model = _model()
    alice = UserInfo("alice", ("system:authenticated",))
    first = model.permissions(alice)
    fresh = _model().permissions(alice)  # a new model: nothing shared with another user yet
    model.permissions(UserInfo("carol", ("system:authenticated",)))
    assert first == fresh
    assert sorted((p.scope or "", p.reason.subject.name) for p in first) == [
        ("", "alice"), ("", "alice"), ("team-a", "system:authenticated"), ("team-a", "system:authenticated")]

"""The one access diff (policyc/access/diff.py) that `policyc diff` and `import --verify` share."""

from __future__ import annotations

from policyc.access.authorizer import AccessModel
from policyc.access.diff import AccessSide, gained
from policyc.access.escalation import EscalationGraph, Identity
from policyc.importer.verify import verify_objects
from policyc.model.rbac import RbacSubject

ALICE, DEVS = RbacSubject("User", "alice"), RbacSubject("Group", "devs")


def _role(name: str, rule: dict) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
            "rules": [rule]}


def _binding(name: str, role: str, subject: RbacSubject) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": subject.kind, "name": subject.name}]}


def _identity(s: RbacSubject) -> Identity:
    return Identity.group(s.name) if s.kind == "Group" else Identity.user(s.name, ("devs",))


def _side(objs: list[dict], escalation: bool = False) -> AccessSide:
    return AccessSide(EscalationGraph(AccessModel.from_objects(objs, (1, 30))), _identity, escalation)


def _texts(subject: RbacSubject, mine: AccessSide, other: AccessSide) -> list[str]:
    return sorted(f"{g.scope or 'cluster'}: {g.piece.verbs[0]} {(g.piece.resources or g.piece.non_resource_urls)[0]}"
                  for g in gained(subject, mine, other))


def test_pieces_are_single_verbs_compared_by_coverage() -> None:
    base = _side([_role("r", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}),
                  _binding("b", "r", ALICE)])
    head = _side([_role("other-name", {"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}),
                  _binding("renamed", "other-name", ALICE)])
    assert _texts(ALICE, base, head) == ["cluster: list pods"]
    assert _texts(ALICE, head, base) == ["cluster: get *"]


def test_url_star_is_the_same_as_slash_star() -> None:
    """Every request path starts with `/`; the language writes only `/*` (the importer's rewrite)."""
    base = _side([_role("r", {"nonResourceURLs": ["*"], "verbs": ["get"]}), _binding("b", "r", ALICE)])
    head = _side([_role("r", {"nonResourceURLs": ["/*"], "verbs": ["get"]}), _binding("b", "r", ALICE)])
    assert _texts(ALICE, base, head) == [] and _texts(ALICE, head, base) == []


def test_what_a_member_has_through_a_group_counts_under_the_group_only() -> None:
    base = _side([_role("r", {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})])
    head = _side([_role("r", {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}),
                  _binding("b", "r", DEVS)])
    assert _texts(ALICE, head, base) == []  # alice is in `devs`, but the binding names the group
    assert _texts(DEVS, head, base) == ["cluster: get secrets"]


def test_import_verify_and_diff_share_it() -> None:
    """verify_objects reports through the same diff: a grant moved from a user to a group is two changes."""
    role = _role("r", {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]})
    v = verify_objects([role, _binding("b", "r", ALICE)], [role, _binding("b", "r", DEVS)], (1, 30))
    assert [(x.subject, x.verbs, x.targets) for x in v.removed] == [("user alice", ("get",), ("pods",))]
    assert [(x.subject, x.verbs, x.targets) for x in v.added] == [("group devs", ("get",), ("pods",))]
    v = verify_objects([_role("u", {"nonResourceURLs": ["*"], "verbs": ["get"]}), _binding("b", "u", ALICE)],
                       [_role("u", {"nonResourceURLs": ["/*"], "verbs": ["get"]}), _binding("b", "u", ALICE)],
                       (1, 30))
    assert v.unchanged

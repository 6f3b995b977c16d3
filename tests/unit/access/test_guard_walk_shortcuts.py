"""Guards' eighth pass (issue 19): the identity walk's shortcuts against the plain algorithms.

- `_Condensation.can_share` (whether a user's class may share its search, decided from the users
  below each component) against `EscalationGraph._can_share` (a walk of the representative's
  reach) on a fresh graph, and the representatives either way;
- `AccessModel.group_part` and `PermissionSets.user_blocks` for tuples of groups some of which no
  binding names (they share the tuple of the named ones) against the bindings that apply, found
  binding by binding, and the model's permissions;

on generated organisations with breaks that make users reach other users (a service account that
impersonates a user, a lead that impersonates every user, a group that escalates), the golden policy and the spec's
`article` and `org`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import folder_with_breaks, graph_maker
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import Identity
from policyc.access.guards import _Condensation
from policyc.access.policy import everyone
from policyc.access.request import UserInfo, split_sa_username

# Users that reach other users: the pods of t000-logistics-api-dev (where the team's users create
# pods) run as a service account that may impersonate one user, who reaches nothing back; a lead
# may impersonate every user; a group may escalate (everything in a namespace).
BREAKS = """
grant impersonate users named outsider@example.com to serviceaccount t000-logistics-api-dev/default in cluster
grant impersonate users to user lead.t000-logistics@example.com in cluster
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t000-logistics-devs in t000-logistics-api-dev
"""


def _folder(tmp_path: Path, where: str) -> Path:
    return folder_with_breaks(tmp_path, where, BREAKS)


@pytest.mark.parametrize("where", ["identity", "all", "mixed", "golden", "article", "org"])
def test_representatives_decided_from_the_components_are_the_walks(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(_folder(tmp_path, where))
    fast, plain = make(), make()
    cond = _Condensation.of(fast)
    users = [i for i in everyone(program) if i.kind == "user"]
    # Users reached on the way (impersonated ones, users holding more) are asked too.
    reached = list(dict.fromkeys(j for i in users for j in plain.reachable(i) if j.kind == "user"))
    verdicts = set()
    for u in reached:
        want = plain._can_share(u)
        assert cond.can_share(u) == want, u
        verdicts.add(want)
    if where in ("identity", "all", "mixed"):
        assert verdicts == {True, False}
    # The representatives the guards' plan finds are the plain ones.
    planned = make()
    cond = _Condensation.of(planned)
    for u in users:
        assert planned.representative(u, cond.can_share) == plain.representative(u), u


def _applying(model: AccessModel, user: UserInfo) -> list[tuple[object, object]]:
    """`bindings_for`, binding by binding: each binding with a subject that applies to the user,
    and the earliest such subject (bindings in reference order)."""
    sa = split_sa_username(user.name)
    out = []
    for b in model.bindings:
        for s in b.subjects:
            if ((s.kind == "User" and s.name == user.name) or (s.kind == "Group" and s.name in user.groups)
                    or (s.kind == "ServiceAccount" and sa == (s.namespace, s.name))):
                out.append((b, s))
                break
    return out


@pytest.mark.parametrize("where", ["identity", "all", "golden", "article", "org"])
def test_groups_no_binding_names_share_the_named_groups_part(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(_folder(tmp_path, where))
    graph = make()
    model, sets = graph.model, graph.sets
    idents = everyone(program) + [Identity.service_account("nowhere", "default"), Identity.user("nobody")]
    infos = [i.user_info for i in idents if i.kind != "superuser" and "system:masters" not in i.groups]
    # Each again with groups no binding names, first, between and last.
    infos += [UserInfo(u.name, ("unbound:a", *u.groups[:1], "unbound:b", *u.groups[1:], "unbound:c"))
              for u in infos]
    shared = 0
    for user in infos:
        assert model.bindings_for(user) == _applying(model, user), user
        named = tuple(g for g in user.groups if model.one_group(g))
        if named != user.groups:
            shared += 1
            assert model.group_part(user.groups) is model.group_part(named)
        # One block per subject matched, in the order of each subject's first binding: the cut of
        # the whole list (the same blocks: they are kept by subject and bindings), and the
        # model's permissions between them.
        blocks = sets.user_blocks(user)
        assert blocks == tuple(blk for _rank, blk in sets._cut(model.bindings_ranked(user)[0])), user
        assert sorted(id(p) for blk in blocks for p in blk.permissions) == sorted(map(id, model.permissions(user)))
    assert shared > len(infos) // 2

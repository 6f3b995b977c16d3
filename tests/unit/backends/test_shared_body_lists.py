"""The RBAC backend makes one list of subjects per tuple of subjects and one list of rules per tuple
of rules (backends/rbac.py `_shared`): bindings of a team share their subjects' list, roles of equal
rules their rules' list, and every body is the one made without sharing."""

from __future__ import annotations

from helpers import compile_text
from policyc.backends.rbac import binding_manifest, role_manifest

POLICY = """
team web {
  members group devs, user ann, serviceaccount apps/ci
  grant role view in a, b, c
  grant get pods in a, b
}
team api {
  members user bob
  grant get pods in a
}
namespace a {}
namespace b {}
namespace c {}
"""


def test_bodies_share_lists_and_equal_the_unshared_bodies() -> None:
    result = compile_text(POLICY)
    program = result.program
    assert program is not None
    by_name = {(mf.kind, mf.namespace, mf.name): mf for mf in result.manifests}
    lists: dict[int, list] = {}
    for b in program.bindings:
        body = by_name[(b.kind, b.namespace, b.name)].body
        assert body == binding_manifest(b).body
        assert lists.setdefault(id(b.subjects), body["subjects"]) is body["subjects"]
    team = [by_name[(b.kind, b.namespace, b.name)].body for b in program.bindings if b.owner == "team:web"]
    assert len(team) == 5 and all(t["subjects"] is team[0]["subjects"] for t in team)
    roles = [r for r in program.compiled_roles if r.name.startswith("policyc:")]
    bodies = [by_name[(r.kind, r.namespace, r.name)].body for r in roles]
    assert all(body == role_manifest(r).body for r, body in zip(roles, bodies, strict=True))
    # `get pods` of both teams in a and b: one tuple of rules, one list.
    assert len(bodies) == 3 and all(body["rules"] is bodies[0]["rules"] for body in bodies)

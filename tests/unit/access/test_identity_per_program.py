"""One Identity object per identity of a program (access/policy.py `_identity_by`): the guards'
ranges get the objects `everyone` made, each equal to a fresh one."""

from __future__ import annotations

from helpers import compile_text
from policyc.access.policy import _identity, everyone, identity_of, user_groups
from policyc.check.access_guards import guard_range

POLICY = """
user ann auth oidc groups devs
team web {
  members user ann, group ops, serviceaccount apps/ci
  grant role view in a
}
forbid impersonate users for team web
namespace a {}
"""


def test_ranges_share_everyones_identities_and_equal_fresh_ones() -> None:
    result = compile_text(POLICY)
    program = result.program
    assert program is not None
    by_key = {i.key: i for i in everyone(program)}
    members = program.team_members["web"]
    for s in members:
        found = identity_of(s, program)
        groups = user_groups(program).get(s.name, ()) if s.kind == "User" else ()
        assert found == _identity(s.kind, s.name, s.namespace, groups)
        assert by_key[found.key] is found
    guard = program.policy.guards[0]
    assert all(by_key[i.key] is i for i in guard_range(guard, program))
    assert len(guard_range(guard, program)) == len(members)

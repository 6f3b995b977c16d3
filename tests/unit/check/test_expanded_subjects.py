"""`compile_grants` expands each subject once per (kind, name) (check/grants.py `SubjectSets`): every
binding binds what expanding each of its grants' subjects anew gives, and each team's member list
(`Program.team_members`, made of the same sets) is its members' plain expansion, nested teams included."""

from __future__ import annotations

from pathlib import Path

from conftest import equivalence_folders
from policyc.model.rbac import SUBJECT_ORDER, RbacSubject
from policyc.pipeline import compile_path

EXTRA = """
user oncall.x@example.com auth oidc
team nested {
  members team t000-logistics, user oncall.x@example.com, group oidc:t000-logistics-devs, team inner
}
team inner {
  members team t001-finance, user plain@example.com
}
grant role view to team nested, team inner in t000-logistics-api-prod
grant role view to user oncall.x@example.com, user plain@example.com, everyone in t000-logistics-api-prod
grant get pods to team t001-finance, group oidc:t001-finance-devs in t001-finance-api-dev
grant get pods to serviceaccount t000-logistics-api-dev/app, team t001-finance in t001-finance-api-dev
"""


def _expanded(s, program, oidc_users: set[str]) -> set[RbacSubject]:
    """A language subject's RBAC subjects, from scratch (the team's members as `check` records them)."""
    if s.kind == "team":
        return set(program.team_members.get(s.name, ()))
    if s.kind == "user":
        prefix = program.oidc_username_prefix if s.name in oidc_users else ""
        return {RbacSubject("User", prefix + s.name)}
    if s.kind == "group":
        return {RbacSubject("Group", s.name)}
    if s.kind == "serviceaccount":
        return {RbacSubject("ServiceAccount", s.sa_name, s.namespace)}
    assert s.kind == "everyone"
    return {RbacSubject("Group", "system:authenticated")}


def test_bindings_bind_the_plain_expansion(tmp_path: Path) -> None:
    checked = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        result = compile_path(folder)
        program = result.program
        assert program is not None, folder
        oidc_users = {u.name.text for u in program.policy.users if u.auth.text == "oidc"}
        for b in program.bindings:
            plain: set[RbacSubject] = set()
            for g in b.grants:
                for s in g.subjects:
                    plain |= _expanded(s, program, oidc_users)
            assert b.subjects == tuple(sorted(plain, key=SUBJECT_ORDER)), b.name
            checked += 1
    assert checked > 100


def _team_expansion(name: str, program, oidc_users: set[str]) -> set[RbacSubject]:
    """A team's RBAC subjects from its declaration, nested teams walked."""
    out: set[RbacSubject] = set()
    for s in program.teams[name].members:
        if s.kind != "team":
            out |= _expanded(s, program, oidc_users)
        else:
            out |= _team_expansion(s.name, program, oidc_users)
    return out


def test_team_members_are_the_plain_expansion(tmp_path: Path) -> None:
    checked = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        program = compile_path(folder).program
        assert program is not None, folder
        oidc_users = {u.name.text for u in program.policy.users if u.auth.text == "oidc"}
        assert set(program.team_members) == set(program.teams)
        for name, members in program.team_members.items():
            assert members == tuple(sorted(_team_expansion(name, program, oidc_users), key=SUBJECT_ORDER)), name
            checked += 1
    assert checked > 10

"""The checked model: what the check stage hands to backends, the access engine and the tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from policyc.model.admission import AdmissionPlan
from policyc.model.authn import AuthnPlan
from policyc.model.nodes import Namespace, PodSecurityPolicy, Policy, Role, ServiceAccount, Subject, Team, User
from policyc.model.rbac import Binding, CompiledRole, RbacSubject, rbac_subjects, subject_fields


@dataclass(frozen=True)
class Program:
    """A policy that passed the checks, with every reference resolved."""

    policy: Policy
    release: tuple[int, int]
    roles: dict[tuple[str, str], Role]  # (namespace or "", name) -> declaration
    teams: dict[str, Team]
    team_members: dict[str, tuple[RbacSubject, ...]]
    psps: dict[str, PodSecurityPolicy]
    namespaces: dict[str, tuple[Namespace, ...]]  # merged blocks per namespace
    users: dict[str, User]
    serviceaccounts: dict[str, ServiceAccount]  # "ns/name" -> declaration
    compiled_roles: tuple[CompiledRole, ...] = ()
    bindings: tuple[Binding, ...] = ()
    oidc_username_prefix: str = ""
    authn: AuthnPlan = field(default_factory=AuthnPlan)  # cluster authentication, users' credentials
    admission: AdmissionPlan | None = None  # limits, quotas, pod security (check/admission.py)

    # The tables below are built once per program (a Program is frozen, its dictionaries are not
    # changed after the check stage makes it) and looked up after: guards and the access commands
    # ask for one subject at a time, and rebuilding them per question made guard checking
    # quadratic in users x subjects (issue 19).

    def rbac_subjects(self, subject: Subject) -> list[RbacSubject]:
        """The RBAC subjects a language subject of this policy stands for (teams expanded)."""
        return rbac_subjects(subject, self._team_member_map, self._oidc_users, self.oidc_username_prefix)

    def subject_fields(self, kind: str, name: str) -> tuple[str, str, str] | None:
        """`rbac.subject_fields` in this policy: the fields of the one RBAC subject a user, group,
        service account or `everyone` stands for (None for a team)."""
        return subject_fields(kind, name, self._oidc_users, self.oidc_username_prefix)

    def user_name(self, name: str) -> str:
        """The name the API server sees for user `name` (declared OIDC users get the prefix)."""
        # The user's one RBAC subject's name (`rbac_subjects` of the user), without making the subject.
        fields = subject_fields("user", name, self._oidc_users, self.oidc_username_prefix)
        assert fields is not None  # a user stands for one subject
        return fields[1]

    @cached_property
    def user_groups(self) -> dict[str, tuple[str, ...]]:
        """Declared users by the name the API server sees (OIDC prefix applied) -> declared groups."""
        return {self.user_name(name): tuple(g.text for g in u.groups) for name, u in self.users.items()}

    @cached_property
    def _team_member_map(self) -> dict[str, tuple[Subject, ...]]:
        return {n: t.members for n, t in self.teams.items()}

    @cached_property
    def _oidc_users(self) -> frozenset[str]:
        return frozenset(n for n, u in self.users.items() if u.auth.text == "oidc")

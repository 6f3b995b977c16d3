"""The checked model: what the check stage hands to backends, the access engine and the tools."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.model.admission import AdmissionPlan
from policyc.model.authn import AuthnPlan
from policyc.model.nodes import Namespace, PodSecurityPolicy, Policy, Role, ServiceAccount, Subject, Team, User
from policyc.model.rbac import Binding, CompiledRole, RbacSubject, rbac_subjects


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

    def rbac_subjects(self, subject: Subject) -> list[RbacSubject]:
        """The RBAC subjects a language subject of this policy stands for (teams expanded)."""
        members = {n: t.members for n, t in self.teams.items()}
        return rbac_subjects(subject, members, self._oidc_users(), self.oidc_username_prefix)

    def user_name(self, name: str) -> str:
        """The name the API server sees for user `name` (declared OIDC users get the prefix)."""
        return rbac_subjects(Subject("user", name), {}, self._oidc_users(), self.oidc_username_prefix)[0].name

    def _oidc_users(self) -> set[str]:
        return {n for n, u in self.users.items() if u.auth.text == "oidc"}

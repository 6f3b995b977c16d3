"""The checked model: what the check stage hands to backends and the access engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from policyc import model as m
from policyc.check.authn import AuthnPlan
from policyc.k8s.rules import PolicyRule

if TYPE_CHECKING:  # check/admission.py builds on this module
    from policyc.check.admission import AdmissionPlan


@dataclass(frozen=True, order=True)
class RbacSubject:
    """A subject as RBAC bindings name it."""

    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str = ""

    def to_dict(self) -> dict[str, str]:
        """The subject as it appears in a binding."""
        if self.kind == "ServiceAccount":
            return {"kind": "ServiceAccount", "name": self.name, "namespace": self.namespace}
        return {"apiGroup": "rbac.authorization.k8s.io", "kind": self.kind, "name": self.name}

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"serviceaccount {self.namespace}/{self.name}"
        return f"{self.kind.lower()} {self.name}"


@dataclass(frozen=True)
class CompiledRole:
    """A Role or ClusterRole policyc emits: declared, or synthesized for inline grants."""

    kind: str  # Role | ClusterRole
    name: str
    namespace: str | None
    rules: tuple[PolicyRule, ...]
    labels: tuple[tuple[str, str], ...] = ()
    selectors: tuple[tuple[str, str], ...] = ()  # aggregationRule matchLabels, one selector each
    declared: m.Role | None = field(default=None, compare=False)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Binding:
    """A RoleBinding or ClusterRoleBinding: one per role, scope and owner (team or subjects)."""

    kind: str  # RoleBinding | ClusterRoleBinding
    name: str
    namespace: str | None
    role_kind: str  # Role | ClusterRole
    role_name: str
    subjects: tuple[RbacSubject, ...]
    owner: str
    grants: tuple[m.Grant, ...] = field(default=(), compare=False)
    sources: tuple[str, ...] = ()


@dataclass
class Program:
    """A policy that passed the checks, with every reference resolved."""

    policy: m.Policy
    release: tuple[int, int]
    roles: dict[tuple[str, str], m.Role]  # (namespace or "", name) -> declaration
    teams: dict[str, m.Team]
    team_members: dict[str, tuple[RbacSubject, ...]]
    psps: dict[str, m.PodSecurityPolicy]
    namespaces: dict[str, tuple[m.Namespace, ...]]  # merged blocks per namespace
    users: dict[str, m.User]
    serviceaccounts: dict[str, m.ServiceAccount]  # "ns/name" -> declaration
    compiled_roles: list[CompiledRole] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    oidc_username_prefix: str = ""
    authn: AuthnPlan = field(default_factory=AuthnPlan)  # cluster authentication, users' credentials
    csr_requests: dict[str, str] = field(default_factory=dict)  # user -> CSR PEM, set by the build step
    admission: AdmissionPlan | None = None  # limits, quotas, pod security (check/admission.py)

"""The RBAC objects the check stage compiles: subjects, roles, bindings; and the one rule that
turns a language subject into the RBAC subjects the API server sees."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING

from policyc.k8s.rules import PolicyRule
from policyc.slotted import frozen_slots

if TYPE_CHECKING:  # annotations only: the access commands import this module alone (start-up, issue 19)
    from policyc.model.nodes import Grant, Role, Subject


@dataclass(frozen=True, order=True)
class RbacSubject:
    """A subject as RBAC bindings name it."""

    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str = ""

    def __post_init__(self) -> None:
        # Subjects key the lints' indexes, the access model's and `everyone`'s sets (hundreds of
        # thousands of lookups in a build): the dataclass's own hash (of the fields' tuple), computed
        # once, when made, instead of a tuple built and hashed per lookup.
        object.__setattr__(self, "_hash", hash((self.kind, self.name, self.namespace)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    def __reduce__(self) -> tuple:
        # Made again from its fields: a pickled `_hash` would be stale in another interpreter
        # (str hashes are salted per process), and the subject never found in a set there.
        return (RbacSubject, (self.kind, self.name, self.namespace))

    def to_dict(self) -> dict[str, str]:
        """The subject as it appears in a binding."""
        if self.kind == "ServiceAccount":
            return {"kind": "ServiceAccount", "name": self.name, "namespace": self.namespace}
        return {"apiGroup": "rbac.authorization.k8s.io", "kind": self.kind, "name": self.name}

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"serviceaccount {self.namespace}/{self.name}"
        return f"{self.kind.lower()} {self.name}"


# A sort key giving RbacSubject's dataclass order (`order=True`: its fields in order) without a
# Python-level __lt__ per comparison: sorting thousands of subjects is a hot path (issue 19).
SUBJECT_ORDER = attrgetter(*(f.name for f in fields(RbacSubject)))


@frozen_slots
class CompiledRole:
    """A Role or ClusterRole policyc emits: declared, or synthesized for inline grants."""

    kind: str  # Role | ClusterRole
    name: str
    namespace: str | None
    rules: tuple[PolicyRule, ...]
    labels: tuple[tuple[str, str], ...] = ()
    selectors: tuple[tuple[str, str], ...] = ()  # aggregationRule matchLabels, one selector each
    declared: Role | None = field(default=None, compare=False)
    sources: tuple[str, ...] = ()


@frozen_slots
class Binding:
    """A RoleBinding or ClusterRoleBinding: one per role, scope and owner (team or subjects)."""

    kind: str  # RoleBinding | ClusterRoleBinding
    name: str
    namespace: str | None
    role_kind: str  # Role | ClusterRole
    role_name: str
    subjects: tuple[RbacSubject, ...]
    owner: str
    grants: tuple[Grant, ...] = field(default=(), compare=False)
    sources: tuple[str, ...] = ()


def rbac_subjects(
    s: Subject, members: Mapping[str, tuple[Subject, ...]], oidc_users: Collection[str], prefix: str
) -> list[RbacSubject]:
    """The RBAC subjects a language subject stands for (teams expanded, OIDC prefix applied)."""
    found = subject_fields(s.kind, s.name, oidc_users, prefix)
    if found is not None:
        return [RbacSubject(*found)]
    out: list[RbacSubject] = []
    for member in members.get(s.name, ()):
        out.extend(rbac_subjects(member, members, oidc_users, prefix))
    return out


def subject_fields(kind: str, name: str, oidc_users: Collection[str], prefix: str) -> tuple[str, str, str] | None:
    """The fields (`SUBJECT_ORDER`) of the one RBAC subject a language subject of this kind and
    name stands for; None for a team (its members).

    The one place the OIDC username rule lives: the API server names an OIDC user
    `prefix + claim` (`OidcSettings.effective_username_prefix` derives the prefix). A service
    account is written `NS/NAME` (model/nodes.py `Subject.namespace`, `Subject.sa_name`).
    """
    if kind == "user":
        return ("User", prefix + name if name in oidc_users else name, "")
    if kind == "group":
        return ("Group", name, "")
    if kind == "serviceaccount":
        namespace, slash, sa_name = name.partition("/")
        return ("ServiceAccount", sa_name, namespace) if slash else ("ServiceAccount", name, "")
    if kind == "everyone":
        return ("Group", "system:authenticated", "")
    return None

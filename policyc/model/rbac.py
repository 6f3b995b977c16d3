"""The RBAC objects the check stage compiles: subjects, roles, bindings; and the one rule that
turns a language subject into the RBAC subjects the API server sees."""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import FrozenInstanceError, field
from typing import TYPE_CHECKING

from policyc.k8s.rules import PolicyRule
from policyc.slotted import frozen_slots

if TYPE_CHECKING:  # annotations only: the access commands import this module alone (start-up, issue 19)
    from policyc.model.nodes import Grant, Role, Subject


def _compare(op: Callable[[tuple, tuple], bool]) -> Callable[[RbacSubject, object], bool]:
    """A comparison of RbacSubjects as `@dataclass(order=True)` writes it: `op` on the fields'
    tuples when both are of the very same class, NotImplemented otherwise (written out, not through
    a key function: no Python call per comparison beyond the method itself)."""

    def compare(self: RbacSubject, other: object) -> bool:
        if other.__class__ is self.__class__:
            return op((self.kind, self.name, self.namespace), (other.kind, other.name, other.namespace))  # type: ignore[attr-defined]
        return NotImplemented

    return compare


class RbacSubject:
    """A subject as RBAC bindings name it.

    The value `@dataclass(frozen=True, order=True)` made (fields kind, name, namespace; its
    equality, order, hash, repr and frozenness), written out with slots: about 17,000 are made at
    `teams` 3,000 and they key the lints' indexes, the access model's and `everyone`'s sets (issue
    19). No instance dict, and the hash computed once, when made, in a slot (`__post_init__` is
    not possible with `frozen_slots`). tests/unit/model/test_rbac_subject_value.py holds it to the
    dataclass's behaviour.
    """

    __slots__ = ("kind", "name", "namespace", "_hash")
    __match_args__ = ("kind", "name", "namespace")

    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str
    _hash: int  # hash((kind, name, namespace))

    def __init__(self, kind: str, name: str, namespace: str = "") -> None:
        # Stored through the slots' descriptors (bypassing the frozen __setattr__, as
        # `frozen_slots` does); the hash is the dataclass's, of the fields' tuple.
        _set_kind(self, kind)
        _set_name(self, name)
        _set_namespace(self, namespace)
        _set_hash(self, hash((kind, name, namespace)))

    def __hash__(self) -> int:
        return self._hash

    # Equality and order as the dataclass's (`_compare`): the fields' tuples, only with the very
    # same class.
    __eq__ = _compare(operator.eq)
    __lt__ = _compare(operator.lt)
    __le__ = _compare(operator.le)
    __gt__ = _compare(operator.gt)
    __ge__ = _compare(operator.ge)

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(kind={self.kind!r}, name={self.name!r}, namespace={self.namespace!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

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


_set_kind = RbacSubject.kind.__set__  # type: ignore[attr-defined]
_set_name = RbacSubject.name.__set__  # type: ignore[attr-defined]
_set_namespace = RbacSubject.namespace.__set__  # type: ignore[attr-defined]
_set_hash = RbacSubject._hash.__set__  # type: ignore[attr-defined]

# A sort key giving RbacSubject's order (its fields' tuple) without a Python-level __lt__ per
# comparison: sorting thousands of subjects is a hot path (issue 19).
SUBJECT_ORDER = operator.attrgetter("kind", "name", "namespace")


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

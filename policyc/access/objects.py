"""RBAC objects as the access engine reads them, from Kubernetes dicts (YAML or emitted manifests).

Only what authorization depends on is kept: rules, labels and aggregation selectors of roles;
roleRef and subjects of bindings; names of ServiceAccounts and Namespaces. Each object remembers
where it came from (`origin`: a file and document, `bootstrap`, or `policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import Binding, RbacSubject

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")


@dataclass(frozen=True, order=True)
class ObjRef:
    """An object's identity: kind, namespace (`""` for cluster-scoped objects) and name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry of a label selector."""

    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSelector:
    """metav1.LabelSelector: matchLabels AND matchExpressions; empty selects everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """LabelSelectorAsSelector(...).Matches(labels) (apimachinery/pkg/apis/meta/v1/helpers.go).

        NotIn and DoesNotExist hold for objects without the key; an unknown operator makes
        the selector invalid, which selects nothing here (the controller fails the sync).
        """
        if any(labels.get(k) != v for k, v in self.match_labels):
            return False
        for req in self.match_expressions:
            present = req.key in labels
            if req.operator == "In":
                ok = present and labels[req.key] in req.values
            elif req.operator == "NotIn":
                ok = not present or labels[req.key] not in req.values
            elif req.operator == "Exists":
                ok = present
            elif req.operator == "DoesNotExist":
                ok = not present
            else:
                return False
            if not ok:
                return False
        return True

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> LabelSelector:
        """From a `clusterRoleSelectors` entry."""
        d = d or {}
        labels = tuple(sorted((str(k), str(v)) for k, v in (d.get("matchLabels") or {}).items()))
        exprs = tuple(
            Requirement(str(e.get("key", "")), str(e.get("operator", "")), tuple(str(v) for v in e.get("values") or ()))
            for e in d.get("matchExpressions") or ()
            if isinstance(e, Mapping)
        )
        return cls(labels, exprs)


@dataclass(frozen=True)
class RoleObj:
    """A Role or ClusterRole.

    `selectors` is None for a role without aggregationRule. `rule_sources[i]` names the
    ClusterRole rule i was aggregated from (`""` for a role's own rules).
    """

    ref: ObjRef
    rules: tuple[PolicyRule, ...]
    labels: tuple[tuple[str, str], ...] = ()
    selectors: tuple[LabelSelector, ...] | None = None
    origin: str = ""
    rule_sources: tuple[str, ...] = field(default=())

    @property
    def is_aggregated(self) -> bool:
        """Whether the aggregation controller owns this role's rules."""
        return self.selectors is not None

    def source_of(self, index: int) -> str:
        """The member ClusterRole a rule was aggregated from, or `""`."""
        return self.rule_sources[index] if index < len(self.rule_sources) else ""


@dataclass(frozen=True)
class BindingObj:
    """A RoleBinding or ClusterRoleBinding with its role reference resolved to an ObjRef.

    A RoleBinding's `Role` lives in the binding's namespace; a `ClusterRole` is cluster-scoped
    (GetRoleReferenceRules in pkg/registry/rbac/validation/rule.go).
    """

    ref: ObjRef
    role: ObjRef
    subjects: tuple[RbacSubject, ...]
    origin: str = ""

    @property
    def scope(self) -> str | None:
        """The namespace a RoleBinding grants in; None for a ClusterRoleBinding (everywhere)."""
        return self.ref.namespace if self.ref.kind == "RoleBinding" else None


def _meta(obj: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    meta = obj.get("metadata") or {}
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    return str(meta.get("name") or ""), str(meta.get("namespace") or ""), labels


def _rule(d: Any) -> PolicyRule | None:
    return PolicyRule.from_dict(d) if type(d) is dict or isinstance(d, Mapping) else None


def parse_role(obj: Mapping[str, Any], origin: str = "",
               rules_of: dict[int, tuple[Any, tuple[PolicyRule, ...]]] | None = None) -> RoleObj:
    """A Role or ClusterRole from its dict.

    `rules_of` (kept by the caller across calls, while no body changes) holds the rules parsed from
    each `rules` list by the list's identity: synthesized roles of equal rules share one list
    (backends/rbac.py); each entry keeps its list, so its id is not reused."""
    name, namespace, labels = _meta(obj)
    kind = str(obj["kind"])
    written = obj.get("rules") or ()
    entry = rules_of.get(id(written)) if rules_of is not None else None
    if entry is not None and entry[0] is written:
        rules = entry[1]
    else:
        rules = tuple(r for r in (_rule(d) for d in written) if r is not None)
        if rules_of is not None:
            rules_of[id(written)] = (written, rules)
    selectors = None
    agg = obj.get("aggregationRule")
    if kind == "ClusterRole" and isinstance(agg, Mapping):
        selectors = tuple(LabelSelector.from_dict(s) for s in agg.get("clusterRoleSelectors") or ())
    return RoleObj(
        ObjRef(kind, namespace if kind == "Role" else "", name), rules, tuple(sorted(labels.items())), selectors, origin
    )


# Subjects by (kind, name, namespace): a team's members are named by every binding of the team, so
# the same few subjects recur in thousands of bindings; each is made once (RbacSubject is frozen and
# compared by value). Cleared when large, so a long-lived process does not grow it.
_SUBJECTS: dict[tuple[str, str, str], RbacSubject] = {}
_SUBJECTS_LIMIT = 200_000


def _interned(kind: str, name: str, namespace: str) -> RbacSubject:
    key = (kind, name, namespace)
    found = _SUBJECTS.get(key)
    if found is None:
        if len(_SUBJECTS) >= _SUBJECTS_LIMIT:
            _SUBJECTS.clear()
        found = _SUBJECTS[key] = RbacSubject(kind, name, namespace)
    return found


def _subject(d: Any, binding_namespace: str) -> RbacSubject | None:
    """A binding subject; a RoleBinding's service account without namespace is in the binding's."""
    if type(d) is not dict and not isinstance(d, Mapping):  # a dict's test first: the ABC check is slow
        return None
    kind, name = str(d.get("kind") or ""), str(d.get("name") or "")
    if kind == "ServiceAccount":
        ns = str(d.get("namespace") or binding_namespace)
        return _interned(kind, name, ns) if ns else None  # appliesToUser: no namespace, no match
    if kind in ("User", "Group"):
        return _interned(kind, name, "")
    return None


def parse_binding(obj: Mapping[str, Any], origin: str = "") -> BindingObj:
    """A RoleBinding or ClusterRoleBinding from its dict."""
    meta = obj.get("metadata") or {}  # `_meta` without the labels, which a binding does not use
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    kind = str(obj["kind"])
    if kind == "ClusterRoleBinding":
        namespace = ""
    ref = obj.get("roleRef") or {}
    role_kind, role_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    role = ObjRef(role_kind, namespace if role_kind == "Role" else "", role_name)
    subjects = tuple([s for s in [_subject(d, namespace) for d in obj.get("subjects") or ()] if s is not None])
    return BindingObj(ObjRef(kind, namespace, name), role, subjects, origin)


def binding_of(b: Binding, origin: str = "", as_parsed: dict[int, tuple[RbacSubject, ...]] | None = None,
               role_refs: dict[tuple[str, str, str], ObjRef] | None = None) -> BindingObj:
    """`parse_binding` of the body backends/rbac.py `binding_manifest` makes of `b`, without the body.

    The same fields as parsing that body gives: the namespace a RoleBinding's body names (none for
    a ClusterRoleBinding), the role's namespace for a Role, and the subjects `_subject` keeps (a
    service account without namespace takes the binding's, and is dropped without one; kinds other
    than User, Group and ServiceAccount are dropped). tests/unit/access/test_binding_of.py compares
    the two on every binding of the test policies.

    `as_parsed` (kept by the caller across calls) holds, by identity, the subject tuples found to
    be as parsing gives them: a team's bindings share one tuple (check/grants.py). `role_refs` (the
    same) holds the role references made, by their fields: a role is named by the bindings of every
    namespace it is granted in, and one reference each is fewer objects to make and to read.
    """
    namespace = "" if b.kind == "ClusterRoleBinding" else (b.namespace or "")
    subjects = b.subjects
    if as_parsed is None or as_parsed.get(id(subjects)) is not subjects:
        if all(_as_parsed(s) for s in subjects):  # every compiled subject is (check/grants.py)
            if as_parsed is not None:
                as_parsed[id(subjects)] = subjects  # the entry keeps the tuple: its id is not reused
        else:
            subjects = tuple([s for s in [_reparsed(s, namespace) for s in subjects] if s is not None])
    key = (b.role_kind, namespace if b.role_kind == "Role" else "", b.role_name)
    role = role_refs.get(key) if role_refs is not None else None
    if role is None:
        role = ObjRef(*key)
        if role_refs is not None:
            role_refs[key] = role
    return BindingObj(ObjRef(b.kind, namespace, b.name), role, subjects, origin)


def _as_parsed(s: RbacSubject) -> bool:
    """Whether `_subject` gives back a subject equal to `s` from its `to_dict`."""
    kind = s.kind
    return bool(s.namespace) if kind == "ServiceAccount" else (kind in ("User", "Group") and not s.namespace)


def _reparsed(s: RbacSubject, binding_namespace: str) -> RbacSubject | None:
    """`_subject` of `s.to_dict()` (one field at a time)."""
    if s.kind == "ServiceAccount":
        ns = s.namespace or binding_namespace
        return _interned(s.kind, s.name, ns) if ns else None
    if s.kind in ("User", "Group"):
        return _interned(s.kind, s.name, "")
    return None

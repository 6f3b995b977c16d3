"""What `policyc import` turns the objects into, before it is written as policy text.

The plan holds language-level values (role names, rules as the language writes them,
subjects, grants): the translator fills it from Kubernetes objects, the team grouping
rewrites subjects into teams, and the renderer lays it out as files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.k8s.yamlread import Doc


@dataclass(frozen=True, order=True)
class LRule:
    """A rule as the language writes it: verbs (aliases allowed), resources or URLs, names."""

    verbs: tuple[str, ...]
    targets: tuple[str, ...]
    names: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class PSubject:
    """`user NAME`, `group NAME`, `serviceaccount NS/NAME`, `team NAME` or `everyone`."""

    kind: str
    name: str = ""


@dataclass
class PRole:
    """A `role` declaration: rules, or (for aggregated ClusterRoles) the roles it aggregates."""

    name: str
    namespace: str | None
    rules: tuple[LRule, ...] = ()
    aggregates: tuple[str, ...] | None = None  # None: not an aggregated role
    aggregate_to: tuple[str, ...] = ()
    doc: Doc | None = None


@dataclass
class PGrant:
    """`grant role ROLE to SUBJECTS in SCOPE` (scope None: `in cluster`), or inline `rules`.

    A grant with `rules` (and `role` empty) is written `grant RULE ...`, one line per rule.
    """

    role: str
    scope: str | None
    subjects: tuple[PSubject, ...]
    docs: list[Doc] = field(default_factory=list)
    rules: tuple[LRule, ...] = ()
    role_ns: str = ""  # the namespace of a granted Role ("" for a ClusterRole)


@dataclass
class PTeam:
    """A `team`: subjects that always appear together in several bindings."""

    name: str
    members: tuple[PSubject, ...]


@dataclass
class PNamespace:
    """A `namespace` block: labels, pod security, limits and quota (grants are placed later)."""

    name: str
    declared: bool = False  # a Namespace object was imported: policyc creates it
    labels: list[tuple[str, str]] = field(default_factory=list)
    pod_security: list[tuple[str, str, str]] = field(default_factory=list)  # (mode or "", level, "latest" or "")
    limits: list[tuple[str, str, str, str]] = field(default_factory=list)  # type, kind, resource, qty
    quota: list[tuple[str, str]] = field(default_factory=list)
    profile: str = ""  # a `pod-security-policy` its pods must pass
    limit_docs: list[Doc] = field(default_factory=list)
    quota_docs: list[Doc] = field(default_factory=list)


@dataclass
class PPsp:
    """A `pod-security-policy` block: its settings lines as the language writes them."""

    name: str
    settings: list[str] = field(default_factory=list)
    used_by: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Everything the imported policy declares."""

    release: tuple[int, int]
    roles: dict[tuple[str, str], PRole] = field(default_factory=dict)  # (namespace or "", name)
    grants: list[PGrant] = field(default_factory=list)
    teams: list[PTeam] = field(default_factory=list)
    namespaces: dict[str, PNamespace] = field(default_factory=dict)
    serviceaccounts: set[tuple[str, str]] = field(default_factory=set)
    psps: dict[str, PPsp] = field(default_factory=dict)
    psp_admission: bool = False  # PodSecurityPolicy admission is on (PSPs were imported)
    users: dict[str, tuple[str, ...]] = field(default_factory=dict)  # certificate users: name -> groups

    def namespace(self, name: str) -> PNamespace:
        """The namespace entry for `name`, created on first use (not declared)."""
        if name not in self.namespaces:
            self.namespaces[name] = PNamespace(name)
        return self.namespaces[name]


@dataclass(frozen=True)
class Outcome:
    """What became of one input object: imported, skipped (system) or kept (not expressible)."""

    doc: Doc
    status: str  # imported | skipped | kept
    reason: str = ""

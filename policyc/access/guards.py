"""Guards (`forbid ...`) evaluated against effective access.

A guard forbids VERBS on RESOURCES (every resource when none is written; non-resource URLs only
when written) in NAMESPACES (every namespace and the cluster scope when none is written; `in
cluster` means permissions that hold cluster-wide). A subject breaks it when some identity it
can reach (docs/access.md, escalation) holds a permission that allows at least one forbidden
request in a forbidden place. `except` removes subjects from the range; it does not cut paths
through them.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from policyc import model as m
from policyc.access.authorizer import Permission
from policyc.access.escalation import EscalationGraph, Identity, Step
from policyc.access.matching import Pattern, rule_overlaps
from policyc.k8s.rules import PolicyRule, expand_verbs, split_resource


@dataclass(frozen=True)
class GuardSpec:
    """What a guard forbids, where."""

    patterns: tuple[Pattern, ...]
    namespaces: tuple[str, ...] | None = None  # None: every namespace and the cluster
    cluster_only: bool = False

    @classmethod
    def of(cls, guard: m.Guard) -> GuardSpec:
        """The spec of a `forbid` statement."""
        verbs = expand_verbs(v.text for v in guard.verbs)
        if not guard.resources:
            patterns: tuple[Pattern, ...] = (Pattern(verbs),)
        else:
            out = []
            for r in guard.resources:
                if r.text.startswith("/"):
                    out.append(Pattern(verbs, url=r.text))
                else:
                    group, resource = split_resource(r.text)
                    out.append(Pattern(verbs, group, resource))
            patterns = tuple(out)
        namespaces = tuple(n.text for n in guard.namespaces) or None
        return cls(patterns, namespaces, guard.cluster)

    def admits_scope(self, scope: str | None) -> bool:
        """Whether a permission of this scope counts (cluster-wide ones count everywhere)."""
        if scope is None:
            return True
        if self.cluster_only:
            return False
        return self.namespaces is None or scope in self.namespaces

    def forbids(self, p: Permission) -> bool:
        """Whether the permission allows a forbidden request in a forbidden place.

        A namespaced permission on `namespaces` reaches the Namespace object of its own namespace,
        which is cluster-scoped: it counts for `in cluster` too (escalation_rules `namespace-object`).
        """
        if self.admits_scope(p.scope):
            return any(rule_overlaps(p.rule, pat) for pat in self.patterns)
        if self.cluster_only and p.scope is not None:
            return any(rule_overlaps(p.rule, pat) for pat in self._namespace_object_patterns())
        return False

    def _namespace_object_patterns(self) -> list[Pattern]:
        """The forbidden requests on a Namespace object (`namespaces`, its status and finalize)."""
        out = []
        for pat in self.patterns:
            if pat.url or pat.group not in ("*", ""):
                continue
            for r in ("namespaces", "namespaces/status", "namespaces/finalize"):
                if rule_overlaps(PolicyRule(("",), (r,), (), (), ("*",)), Pattern(("*",), "", pat.resource)):
                    out.append(Pattern(pat.verbs, "", r))
        return out


@dataclass(frozen=True)
class Violation:
    """A subject that can do what a guard forbids: the path to the holder and the permission."""

    subject: Identity
    holder: Identity
    path: tuple[Step, ...]
    permission: Permission


def first_violation(graph: EscalationGraph, start: Identity, spec: GuardSpec) -> Violation | None:
    """The first (shortest-path) way `start` breaks the guard, or None.

    This is THE question "can subject S reach what SPEC describes, directly or through escalation
    (access/escalation_rules.py), and how": guards ask it, and so may expectations.
    """
    for ident, path in graph.reach(start).items():
        perms = sorted(graph.permissions(ident), key=lambda p: p.sort_key)
        for p in perms:
            if spec.forbids(p):
                return Violation(start, ident, path, p)
    return None


def check_guard(graph: EscalationGraph, spec: GuardSpec, subjects: list[Identity],
                excepted: Set[tuple[str, str, str]] = frozenset()) -> list[Violation]:
    """Every violation of one guard by the subjects in range (excepted keys skipped)."""
    out = []
    for s in subjects:
        if s.key in excepted:
            continue
        v = first_violation(graph, s, spec)
        if v is not None:
            out.append(v)
    return out


def can_reach(graph: EscalationGraph, subject: Identity, verbs: tuple[str, ...], resources: tuple[str, ...] = (),
              namespaces: tuple[str, ...] | None = None, cluster: bool = False) -> Violation | None:
    """Whether `subject` can make one of the requests (directly or through escalation), with the path.

    `verbs` are RBAC verbs (aliases such as `read` expanded), `resources` the policy language's
    spellings (`secrets`, `deployments.apps`, `pods/exec`, `/metrics`; empty: every resource);
    `namespaces`/`cluster` as a guard's `in`. None when it cannot.
    """
    patterns = []
    for text in resources or ("",):
        if not text:
            patterns.append(Pattern(expand_verbs(verbs)))
        elif text.startswith("/"):
            patterns.append(Pattern(expand_verbs(verbs), url=text))
        else:
            group, resource = split_resource(text)
            patterns.append(Pattern(expand_verbs(verbs), group, resource))
    return first_violation(graph, subject, GuardSpec(tuple(patterns), namespaces, cluster))

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
from policyc.k8s.rules import expand_verbs, split_resource


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
        """Whether the permission allows a forbidden request in a forbidden place."""
        return self.admits_scope(p.scope) and any(rule_overlaps(p.rule, pat) for pat in self.patterns)


@dataclass(frozen=True)
class Violation:
    """A subject that can do what a guard forbids: the path to the holder and the permission."""

    subject: Identity
    holder: Identity
    path: tuple[Step, ...]
    permission: Permission


def first_violation(graph: EscalationGraph, start: Identity, spec: GuardSpec) -> Violation | None:
    """The first (shortest-path) way `start` breaks the guard, or None."""
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

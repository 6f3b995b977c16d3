"""The one access diff: what a subject holds on one side that the other side does not give it.

`policyc diff` (review/access.py) compares two compiled policies, escalation included;
`policyc import --verify` (importer/verify.py) compares the cluster's objects with what the
imported policy compiles to, on the bindings' own permissions. Both ask this module, subject
by subject:

1. what the subject can use on each side (`AccessSide.effective`): its own bindings, its groups'
   (`system:authenticated` for every logged-on subject) and, where asked, escalation;
2. a permission counts for the subject only if it holds it in its own right: a binding names
   the subject itself, or the first escalation step uses such a binding. What a user has
   through a group is counted once, under the group, not again under every member;
3. it is broken down into single verbs on single resources (the RBAC escalation check's
   BreakdownRule), and a piece is gained only when the other side's effective access does not
   cover it (ruleCovers; a cluster-wide grant covers every namespace). Renaming a role, moving
   a grant or splitting a role in two changes nothing.

A non-resource URL `*` is compared as `/*`: every request path starts with `/`, so they match
the same requests (the policy language writes only `/*`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from policyc.access.authorizer import EVERYTHING, Permission, RuleIndex
from policyc.access.escalation import EffectiveGrant, EscalationGraph, Identity
from policyc.access.matching import breakdown, covers, rule_covers
from policyc.access.request import Request
from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import RbacSubject

ALL_URLS = "*"


@dataclass
class AccessSide:
    """One side of a diff: its escalation graph (None: an empty side) and how a subject logs on.

    With `escalation` off, a subject's access is its identity's own permissions (what its
    bindings and its groups' allow); on, everything it reaches through escalation as well.
    """

    graph: EscalationGraph | None
    identity: Callable[[RbacSubject], Identity]
    escalation: bool = True
    _cache: dict[RbacSubject, list[EffectiveGrant]] = field(default_factory=dict)
    _powerful: dict[Identity, bool] = field(default_factory=dict)

    def effective(self, subject: RbacSubject) -> list[EffectiveGrant]:
        """What the subject can use on this side (cached)."""
        if self.graph is None:
            return []
        if subject not in self._cache:
            ident = self.identity(subject)
            own = self.graph.permissions(ident)
            if not self.escalation or covers([p.rule for p in own if p.scope is None], EVERYTHING)[0]:
                # Every verb on everything, cluster-wide (cluster-admin): no escalation can add to it, and
                # the engine's search would enumerate every identity and acquired-role set on the way.
                self._cache[subject] = [EffectiveGrant(p, ident) for p in own]
            else:
                self._cache[subject] = self.graph.effective_access(ident)
        return self._cache[subject]

    def all_powerful(self, ident: Identity) -> bool:
        """Whether the identity holds every permission cluster-wide: `*` on `*` and every URL, as
        `system:masters` does (authorizer.superuser_reason) or a binding of `cluster-admin`, also when
        acquired on the way (`escalate` cluster-wide). Such an identity can do anything another can."""
        if self.graph is None:
            return False
        hit = self._powerful.get(ident)
        if hit is None:
            wide = [p.rule for p in self.graph.permissions(ident) if p.scope is None]
            hit = self._powerful[ident] = covers(wide, EVERYTHING)[0]
        return hit


@dataclass(frozen=True)
class Gain:
    """One piece of access (one verb on one resource or URL) in one scope, and the grant it comes from."""

    scope: str  # a namespace, or "" for cluster-wide
    piece: PolicyRule
    grant: EffectiveGrant

    @property
    def escalation(self) -> bool:
        """Whether the subject reaches the piece only through escalation."""
        return bool(self.grant.path)


def same_urls(rule: PolicyRule) -> PolicyRule:
    """URL `*` as `/*` (module docstring)."""
    if ALL_URLS not in rule.non_resource_urls:
        return rule
    urls = {"/*" if u == ALL_URLS else u for u in rule.non_resource_urls}
    return replace(rule, non_resource_urls=tuple(sorted(urls)))


def own(grant: EffectiveGrant, subject: RbacSubject) -> bool:
    """Whether the subject holds the grant in its own right (rule 2 of the module docstring)."""
    if not grant.path:
        return grant.permission.reason.subject == subject
    return any(p.reason.subject == subject for p in grant.path[0].grants)


def _index(perms: Iterable[Permission]) -> RuleIndex:
    """Permissions indexed by (verb, group, resource) as written, so coverage looks up a few keys."""
    index = RuleIndex()
    for p in perms:
        p = replace(p, rule=same_urls(p.rule))
        index.add(p.rule, p)
    return index


def _covered(piece: PolicyRule, scope: str | None, index: RuleIndex) -> bool:
    """Whether some permission covers the piece in its scope (cluster-wide covers every namespace).

    A piece has one verb and one resource or URL; only permissions indexed under its exact or
    wildcard keys can cover it (ruleCovers needs `*` or the same verb, group and resource).
    """
    if piece.non_resource_urls:
        probe = Request(piece.verbs[0], path=piece.non_resource_urls[0])
    else:
        resource, _, sub = piece.resources[0].partition("/")
        probe = Request(piece.verbs[0], piece.api_groups[0], resource, sub)
    return any((p.scope is None or p.scope == scope) and rule_covers(p.rule, piece) for p in index.candidates(probe))


def gained(subject: RbacSubject, mine: AccessSide, other: AccessSide) -> list[Gain]:
    """Every piece of access the subject holds in its own right on `mine` that `other` does not give it.

    A piece reached through escalation that the subject also holds directly on `mine` is left
    out: the escalation adds nothing there.
    """
    other_effective = other.effective(subject)
    # A permission that `other` holds with the very same rule in the same scope covers every piece
    # of it: skipped without breaking it down. When nothing changed (`import --verify`, most
    # subjects of a diff) that is every permission, and the indexes are never built (issue 19).
    same = {(g.permission.scope, same_urls(g.permission.rule)) for g in other_effective}
    effective = mine.effective(subject)
    others: RuleIndex | None = None
    direct: RuleIndex | None = None
    out: list[Gain] = []
    for grant in effective:
        if not own(grant, subject):
            continue
        perm = grant.permission
        rule = same_urls(perm.rule)
        if (perm.scope, rule) in same:
            continue
        if others is None:
            others = _index(g.permission for g in other_effective)
            direct = _index(g.permission for g in effective if not g.path)
        for piece in breakdown(rule):
            if _covered(piece, perm.scope, others):
                continue
            if grant.path and _covered(piece, perm.scope, direct):
                continue
            out.append(Gain(perm.scope or "", piece, grant))
    return out

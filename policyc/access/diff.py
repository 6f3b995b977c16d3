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

from policyc.access.authorizer import EVERYTHING, Permission, RuleIndex, name_key
from policyc.access.escalation import EffectiveGrant, EscalationGraph, Identity
from policyc.access.matching import breakdown, covers, rule_covers
from policyc.access.objects import BindingObj, ObjRef
from policyc.access.request import MASTERS, Request
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
    # Without escalation (`import --verify`): per subject, its identity and the bindings it holds
    # rules through in its own right; per role, its rules as compared (URL `*` as `/*`); per name a
    # subject goes by (access/authorizer.py `named_by`: a user name, a group, a service account),
    # the rules of every binding naming it, by scope. A group's are gathered once for all its
    # members (`system:authenticated`: every subject), not once per member (issue 19).
    _ident: dict[RbacSubject, Identity] = field(default_factory=dict)
    _own: dict[RbacSubject, list[BindingObj] | None] = field(default_factory=dict)
    _role_rules: dict[ObjRef, frozenset[PolicyRule] | None] = field(default_factory=dict)
    _held: dict[tuple[str, ...], dict[str | None, list[frozenset[PolicyRule]]]] = field(default_factory=dict)

    def _identity_of(self, subject: RbacSubject) -> Identity:
        ident = self._ident.get(subject)
        if ident is None:
            ident = self._ident[subject] = self.identity(subject)
        return ident

    def own_bindings(self, subject: RbacSubject) -> list[BindingObj] | None:
        """The bindings through which the subject holds rules in its own right (rule 2 of the module
        docstring), without escalation: those naming it before any other subject that applies to
        its identity, the subject `AccessModel.bindings_for` chooses for them (cached).

        None when its access is more than its bindings' (escalation on, no graph, or the superuser
        group, which holds every permission before RBAC): ask `effective` then.
        """
        if subject in self._own:
            return self._own[subject]
        out: list[BindingObj] | None = None
        ident = self._identity_of(subject)
        user = ident.user_info
        if not (self.escalation or self.graph is None or ident.kind == "superuser" or ident.acquired
                or MASTERS in user.groups):
            named = dict(self.graph.model.named_by(user))
            out = []
            seen: set[ObjRef] = set()
            for b, s in named.get(name_key(subject), ()):
                if s != subject or b.ref in seen:
                    continue
                seen.add(b.ref)
                first = b.subjects.index(subject)
                if not any(name_key(x) in named for x in b.subjects[:first]):
                    out.append(b)  # no subject before it applies: the binding's rules are held as its
        self._own[subject] = out
        return out

    def role_rules(self, ref: ObjRef) -> frozenset[PolicyRule] | None:
        """A role's rules as compared (URL `*` as `/*`); None when the role does not exist."""
        if ref not in self._role_rules:
            assert self.graph is not None
            role = self.graph.model.role(ref)
            self._role_rules[ref] = None if role is None else frozenset(same_urls(r) for r in role.rules)
        return self._role_rules[ref]

    def held(self, subject: RbacSubject) -> list[dict[str | None, list[frozenset[PolicyRule]]]]:
        """Per name the subject's identity goes by, the rule sets of the bindings naming it, by scope
        (None: cluster-wide only): what `effective` holds, less what is not a binding's (the
        superuser's, the Node authorizer's)."""
        assert self.graph is not None
        out = []
        for name, hits in self.graph.model.named_by(self._identity_of(subject).user_info):
            by_scope = self._held.get(name)
            if by_scope is None:
                by_scope = self._held[name] = {}
                for b, _s in hits:
                    rules = self.role_rules(b.role)
                    if rules:
                        by_scope.setdefault(b.scope, []).append(rules)
            out.append(by_scope)
        return out

    def own_scopes(self, subject: RbacSubject) -> set[str]:
        """The namespaces in which the subject holds a permission in its own right (no escalation)."""
        bindings = self.own_bindings(subject)
        if bindings is None:
            return {g.permission.scope for g in self.effective(subject)
                    if g.permission.scope is not None and g.permission.reason.subject == subject}
        return {b.scope for b in bindings if b.scope is not None and self.role_rules(b.role)}

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
    if _holds_same(subject, mine, other):
        return []
    return gained_in_full(subject, mine, other)


def gained_in_full(subject: RbacSubject, mine: AccessSide, other: AccessSide) -> list[Gain]:
    """`gained` without its shortcut (`_holds_same`): every permission of both sides listed."""
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


def _holds_same(subject: RbacSubject, mine: AccessSide, other: AccessSide) -> bool:
    """Whether, without escalation, every rule the subject holds in its own right on `mine` is held
    on `other` with the very same rule in the same scope by a binding that applies to it: then
    `gained` finds nothing (it skips exactly those) and need not list either side's permissions.

    Looked up per binding and per name the subject goes by: a group's bindings (and
    `system:authenticated`'s, which every subject holds) are gathered once per side, not wrapped
    and compared again for every member (issue 19). False means "compare the full way".
    """
    if other.escalation or other.graph is None:
        return False
    bindings = mine.own_bindings(subject)
    if bindings is None:
        return False
    held: list[dict[str | None, list[frozenset[PolicyRule]]]] | None = None
    for b in bindings:
        rules = mine.role_rules(b.role)
        if not rules:
            continue  # a missing or empty role grants nothing
        if held is None:
            held = other.held(subject)
        there = [h for by_scope in held for h in by_scope.get(b.scope, ())]
        if any(rules <= h for h in there):
            continue
        if not all(any(r in h for h in there) for r in rules):
            return False
    return True

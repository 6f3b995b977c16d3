"""The change in effective access between two compiled policies, per subject and scope.

Both sides go through the access engine (policyc/access/, docs/access.md): the emitted objects
with the built-in roles and default bindings of the release, aggregation computed as the
controller does, and every escalation path (pods, secrets, tokens, impersonate, bind,
escalate, CSR approval, nodes/proxy, webhooks). Then, subject by subject:

1. the subject's EFFECTIVE access on each side is every permission it can use, through its own
   bindings, its groups' (`system:authenticated` for every logged-on subject) and escalation;
2. a permission is reported under the subject only if the subject holds it in its own right: a
   binding names the subject itself, or the first escalation step uses such a binding. What a
   user has through a group is reported once, under the group (`everyone` is the group
   `system:authenticated`), not again under every member;
3. it is broken down into single verbs on single resources (the RBAC escalation check's
   BreakdownRule), and a piece counts as added only when the other side's effective access
   does not cover it (ruleCovers; a cluster-wide grant covers every namespace). So renaming a
   role, moving a grant to another file, or splitting a role in two changes nothing, and
   granting `get pods` to someone who already has `get *` there is no access change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from policyc.access.authorizer import EVERYTHING, Permission, RuleIndex
from policyc.access.describe import resource_text
from policyc.access.escalation import EffectiveGrant, EscalationGraph
from policyc.access.matching import breakdown, covers, rule_covers
from policyc.access.policy import everyone, graph_for, identity_of, model_from_program
from policyc.access.request import AUTHENTICATED, Request
from policyc.k8s.bootstrap import builtin_cluster_roles
from policyc.k8s.rules import PolicyRule, expand_verbs
from policyc.model.program import Program
from policyc.model.rbac import RbacSubject
from policyc.pipeline import Result
from policyc.review.report import AccessLine, Origin, location, source_order

_KINDS = {"user": "User", "group": "Group", "serviceaccount": "ServiceAccount"}


@dataclass
class _Side:
    """One compiled side: its program and escalation graph (None for an empty side)."""

    program: Program | None
    graph: EscalationGraph | None
    _cache: dict[RbacSubject, list[EffectiveGrant]] = field(default_factory=dict)

    @classmethod
    def of(cls, result: Result | None) -> _Side:
        if result is None or result.program is None:
            return cls(None, None)
        model = model_from_program(result.program, result.manifests)
        return cls(result.program, graph_for(model, result.program))

    def subjects(self) -> set[RbacSubject]:
        """Every subject the policy names (bindings, team members, declarations, guards, their groups)."""
        if self.program is None:
            return set()
        out = set()
        for ident in everyone(self.program):
            kind = _KINDS.get(ident.kind)
            if kind is not None:
                out.add(RbacSubject(kind, ident.name, ident.namespace if kind == "ServiceAccount" else ""))
        return out

    def effective(self, subject: RbacSubject) -> list[EffectiveGrant]:
        """What the subject can use on this side, directly or through escalation."""
        if self.graph is None:
            return []
        if subject not in self._cache:
            ident = identity_of(subject, self.program)
            own = self.graph.permissions(ident)
            if covers([p.rule for p in own if p.scope is None], EVERYTHING)[0]:
                # Every verb on everything, cluster-wide (cluster-admin): no escalation can add to it, and
                # the engine's search would enumerate every identity and acquired-role set on the way.
                self._cache[subject] = [EffectiveGrant(p, ident) for p in own]
            else:
                self._cache[subject] = self.graph.effective_access(ident)
        return self._cache[subject]


def _own(grant: EffectiveGrant, subject: RbacSubject) -> bool:
    """Whether the subject holds the grant in its own right (rule 2 of the module docstring)."""
    if not grant.path:
        return grant.permission.reason.subject == subject
    return any(p.reason.subject == subject for p in grant.path[0].grants)


def _index(perms: Iterable[Permission]) -> RuleIndex:
    """Permissions indexed by (verb, group, resource) as written, so coverage looks up a few keys."""
    index = RuleIndex()
    for p in perms:
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


def _sources(side: _Side, perm: Permission) -> tuple[list[str], str]:
    """The grant lines behind a permission and the team that wrote them."""
    provenance = side.graph.model.provenance if side.graph is not None else None
    if provenance is None or perm.reason.binding is None:
        return [], ""
    grants = provenance.grants_for(perm.reason)
    return [location(g.span) for g in grants], next((g.team for g in grants if g.team), "")


def _origin(side: _Side, grant: EffectiveGrant) -> Origin:
    perm = grant.permission
    reason = perm.reason
    sources, team = _sources(side, perm)
    for step in grant.path[:1]:
        for p in step.grants:
            more, t = _sources(side, p)
            sources += more
            team = team or t
    role = reason.role.name if reason.role is not None else ""
    declared = {r.name for r in side.program.compiled_roles} if side.program is not None else set()
    if grant.path:
        via = "escalation"
    elif reason.via_role and reason.via_role in declared:
        via = "aggregated"
    elif role in builtin_cluster_roles() and role not in declared:
        via = "builtin"
    else:
        via = "direct"
    from_role = reason.via_role if via == "aggregated" else ""
    if via == "aggregated" and side.graph is not None and side.graph.model.provenance is not None:
        # The member role's rule lines: the aggregated rule may be written three files away.
        sources += [location(s) for s in side.graph.model.provenance.role_spans(reason)]
    path = tuple(str(s) for s in grant.path)
    return Origin(tuple(sorted(set(sources), key=source_order)), team, role, via, from_role, path)



def _url_text(url: str) -> str:
    """A non-resource URL as the language writes it: `*` (every path) is `/*`, since every path starts with `/`."""
    return "/*" if url == "*" else url


def _subject_text(s: RbacSubject) -> str:
    text = str(s)
    return f"{text} (everyone)" if s.kind == "Group" and s.name == AUTHENTICATED else text


Piece = tuple[str, str, str, tuple[str, ...], str]  # (scope, verb, target, names, url)


def _gained(subject: RbacSubject, mine: _Side, other: _Side) -> dict[tuple[bool, Piece], set[Origin]]:
    """Pieces of access the subject holds on `mine` that `other` does not give it, with origins."""
    others = _index(g.permission for g in other.effective(subject))
    effective = mine.effective(subject)
    direct = _index(g.permission for g in effective if not g.path)
    out: dict[tuple[bool, Piece], set[Origin]] = defaultdict(set)
    for grant in effective:
        if not _own(grant, subject):
            continue
        perm = grant.permission
        for piece in breakdown(perm.rule):
            if _covered(piece, perm.scope, others):
                continue
            if grant.path and _covered(piece, perm.scope, direct):
                continue  # held directly as well: the escalation adds nothing here
            key = (
                perm.scope or "",
                piece.verbs[0],
                resource_text(piece.api_groups[0], piece.resources[0]) if piece.resources else "",
                piece.resource_names,
                _url_text(piece.non_resource_urls[0]) if piece.non_resource_urls else "",
            )
            out[(bool(grant.path), key)].add(_origin(mine, grant))
    return out


def _merge(subject: RbacSubject, pieces: dict[tuple[bool, Piece], set[Origin]]) -> list[AccessLine]:
    """Readable lines: pieces with the same scope, names and origins merged, verbs grouped per target."""
    groups: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (escalation, (scope, verb, target, names, url)), origins in pieces.items():
        key = (escalation, scope, names, tuple(sorted(origins)))
        groups[key][url or target].add(verb)
    lines = []
    for (escalation, scope, names, origins), verbs_of in groups.items():
        by_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for target, verbs in verbs_of.items():
            by_verbs[expand_verbs(verbs)].append(target)
        for verbs, targets in by_verbs.items():
            lines.append(AccessLine(escalation, _subject_text(subject), scope, verbs, tuple(sorted(targets)),
                                    names, origins))
    return lines


def access_changes(
    base: Result | None, head: Result | None
) -> tuple[list[AccessLine], list[AccessLine]]:
    """(added, removed): effective access from `base` to `head`, each sorted, escalations first."""
    before, after = _Side.of(base), _Side.of(head)
    added: list[AccessLine] = []
    removed: list[AccessLine] = []
    for subject in sorted(before.subjects() | after.subjects()):
        added += _merge(subject, _gained(subject, after, before))
        removed += _merge(subject, _gained(subject, before, after))
    return sorted(added, key=_line_order), sorted(removed, key=_line_order)


def _line_order(line: AccessLine) -> tuple:
    return (not line.escalation, line.subject, line.scope != "", line.scope, line.targets, line.verbs,
            line.names, line.origins)

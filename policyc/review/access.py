"""The change in effective access between two compiled policies, per subject and scope, with origins.

Both sides go through the access engine (policyc/access/, docs/access.md): the emitted objects
with the built-in roles and default bindings of the release, aggregation computed as the
controller does, and every escalation path (pods, secrets, tokens, impersonate, bind,
escalate, CSR approval, nodes/proxy, webhooks). What changed for each subject is the one
access diff's answer (policyc/access/diff.py: effective access, escalation included, in the
subject's own right, broken down into single verbs and compared by coverage), so renaming a
role, moving a grant to another file, or splitting a role in two changes nothing, and granting
`get pods` to someone who already has `get *` there is no access change. This module adds
where each piece comes from (policy lines, team, role, escalation path) and merges the pieces
into lines a reviewer reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from policyc.access.authorizer import EVERYTHING, Permission, RuleIndex
from policyc.access.describe import resource_text
from policyc.access.diff import AccessSide, Gain, gained, own, same_urls
from policyc.access.escalation import EffectiveGrant, EscalationGraph
from policyc.access.matching import covers, rule_covers
from policyc.access.policy import everyone, graph_for, identity_of, model_from_program
from policyc.access.request import AUTHENTICATED, Request
from policyc.k8s.bootstrap import builtin_cluster_roles
from policyc.k8s.rules import PolicyRule, expand_verbs
from policyc.model.program import Program
from policyc.model.rbac import RbacSubject
from policyc.pipeline import Result
from policyc.review.report import AccessLine, Origin, location, source_order
from policyc.source import SourceFile, Span

_KINDS = {"user": "User", "group": "Group", "serviceaccount": "ServiceAccount"}


@dataclass
class _Side:
    """One compiled side: its program and the access diff's view of it (an empty side grants nothing)."""

    program: Program | None
    access: AccessSide
    sources: Mapping[str, SourceFile] = field(default_factory=dict)

    @classmethod
    def of(cls, result: Result | None) -> _Side:
        if result is None or result.program is None:
            return cls(None, AccessSide(None, lambda s: identity_of(s, None)))
        program = result.program
        model = model_from_program(program, result.manifests)
        return cls(program, AccessSide(graph_for(model, program), lambda s: identity_of(s, program)), result.sources)

    def text(self, span: Span) -> str:
        """What a span says, blanks collapsed (so re-indenting a line changes nothing)."""
        src = self.sources.get(span.file)
        return " ".join(src.text[span.start:span.end].split()) if src is not None else ""

    @cached_property
    def written(self) -> frozenset[tuple[str, str]]:
        """Every rule of the declared roles of this side, as written: (role, text); empty for an empty side."""
        if self.program is None:
            return frozenset()
        return frozenset((r.name.text, self.text(rule.span)) for r in self.program.policy.roles for rule in r.rules)

    @property
    def graph(self) -> EscalationGraph | None:
        """The side's escalation graph."""
        return self.access.graph

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


def _sources(side: _Side, perm: Permission) -> tuple[list[str], str]:
    """The grant lines behind a permission and the team that wrote them."""
    provenance = side.graph.model.provenance if side.graph is not None else None
    if provenance is None or perm.reason.binding is None:
        return [], ""
    grants = provenance.grants_for(perm.reason)
    return [location(g.span) for g in grants], next((g.team for g in grants if g.team), "")


def _origin(side: _Side, grant: EffectiveGrant, other: _Side) -> Origin:
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
    provenance = side.graph.model.provenance if side.graph is not None else None
    if via == "aggregated" and provenance is not None:
        # The member role's rule lines: the aggregated rule may be written three files away.
        sources += [location(s) for s in provenance.role_spans(reason)]
    elif via == "direct" and provenance is not None:
        # A `role` edit changes access without touching a grant line: name the rule lines of the
        # granted role that the other side does not have (none when only the grant is new).
        sources += [location(s) for s in provenance.role_spans(reason) if (role, side.text(s)) not in other.written]
    path = tuple(str(s) for s in grant.path)
    return Origin(tuple(sorted(set(sources), key=source_order)), team, role, via, from_role, path)



def _subject_text(s: RbacSubject) -> str:
    text = str(s)
    return f"{text} (everyone)" if s.kind == "Group" and s.name == AUTHENTICATED else text


Piece = tuple[str, str, str, tuple[str, ...], str]  # (scope, verb, target, names, url)


def _gained(
    subject: RbacSubject, mine: _Side, other: _Side, verbose: bool = False
) -> tuple[dict[tuple[bool, Piece], set[Origin]], tuple[Origin, ...]]:
    """Pieces of access the subject holds on `mine` that `other` does not give it (access/diff.py), with
    origins; and, unless `verbose`, the origins of its full control: the grants that give it every
    permission directly (`_held_in_full`: then no piece is listed), or a superuser escalation
    (`_full_control`: then its pieces through escalation are left out). One line says it all."""
    out: dict[tuple[bool, Piece], set[Origin]] = defaultdict(set)
    rules: dict[tuple[bool, Piece], tuple[str, PolicyRule]] = {}
    gains = gained(subject, mine.access, other.access)
    if not verbose and (held := _held_in_full(subject, gains, mine)):
        return out, tuple(sorted({_origin(mine, g, other) for g in held}))
    top = None if verbose else _full_control(gains, mine)
    for gain in gains:
        if top is not None and gain.escalation:
            continue
        piece = gain.piece
        key = (
            gain.scope,
            piece.verbs[0],
            resource_text(piece.api_groups[0], piece.resources[0]) if piece.resources else "",
            piece.resource_names,
            piece.non_resource_urls[0] if piece.non_resource_urls else "",
        )
        out[(gain.escalation, key)].add(_origin(mine, gain.grant, other))
        rules[(gain.escalation, key)] = (gain.scope, piece)
    for k in _repeated(out, rules):
        del out[k]
    return out, ((_origin(mine, top, other),) if top is not None else ())


def _repeated(out: dict[tuple[bool, Piece], set[Origin]],
              rules: dict[tuple[bool, Piece], tuple[str, PolicyRule]]) -> list[tuple[bool, Piece]]:
    """The pieces that say nothing new: another, broader piece of the subject covers it (ruleCovers,
    cluster-wide covering every namespace: the diff's own coverage, access/diff.py) and is reached
    in every way it is (_within). `get pods/log` through the namespace controller's token beside
    `get *` through the same token, or `patch deployments.apps/scale` beside `patch */scale` of the
    same role, is the same news twice; a piece reached another way (another path, grant, team,
    role, or a rule line the broader line does not name) stays."""
    index = RuleIndex()
    for k, (_scope, piece) in rules.items():
        index.add(piece, k)
    repeated = []
    for k, (scope, piece) in rules.items():
        for other in index.candidates(_probe(piece)):
            wide, broad = rules[other]
            if (other != k and wide in ("", scope) and rule_covers(broad, piece)
                    and not (wide == scope and rule_covers(piece, broad)) and _within(out[k], out[other])):
                repeated.append(k)
                break
    return repeated


def _within(narrow: set[Origin], broad: set[Origin]) -> bool:
    """Whether every origin of `narrow` is one of `broad`'s, its lines included: the same path, team,
    role and way, with no policy line the broad one does not name."""
    return all(any((o.team, o.role, o.via, o.from_role, o.path) == (b.team, b.role, b.via, b.from_role, b.path)
                   and set(o.sources) <= set(b.sources) for b in broad) for o in narrow)


def _probe(piece: PolicyRule) -> Request:
    """A request with the piece's verb, group and resource (or URL): RuleIndex.candidates of it are
    every indexed piece that may cover it (the exact and wildcard keys)."""
    if piece.non_resource_urls:
        return Request(piece.verbs[0], path=piece.non_resource_urls[0])
    resource, _, sub = piece.resources[0].partition("/")
    return Request(piece.verbs[0], piece.api_groups[0], resource, sub)


def _held_in_full(subject: RbacSubject, gains: list[Gain], side: _Side) -> list[EffectiveGrant]:
    """The grants by which the subject, in its own right and without escalation, holds every
    permission cluster-wide on this side (a `cluster-admin` binding: `*` on `*` and every URL), when
    it gains something there (so the other side did not give it all); else []. Every line of such
    a subject is implied by it, and the one line says so: as `* *, /*` it read like any other."""
    if not gains:
        return []
    wide = [g for g in side.access.effective(subject)
            if not g.path and own(g, subject) and g.permission.scope is None]
    # URL `/*` allows every request path as `*` does (every path starts with `/`): same_urls.
    if not covers([same_urls(g.permission.rule) for g in wide], [same_urls(r) for r in EVERYTHING])[0]:
        return []
    # The origins: the grants of a wildcard verb on every resource or every URL.
    return [g for g in wide if "*" in g.permission.rule.verbs
            and ({"*", "/*"} & set(g.permission.rule.non_resource_urls)
                 or ("*" in g.permission.rule.resources and "*" in g.permission.rule.api_groups))]


def _full_control(gains: list[Gain], side: _Side) -> EffectiveGrant | None:
    """The grant of the shortest escalation path among the gains to an identity holding every permission
    cluster-wide (the superuser, `system:masters`, or one bound to or acquiring `*` on `*` and every URL,
    AccessSide.all_powerful), or None. Gained through it means everything else gained through
    escalation is implied; ties go to the path that reads first, so the line is deterministic."""
    best: tuple[tuple, EffectiveGrant] | None = None
    for gain in gains:
        grant = gain.grant
        if grant.path and side.access.all_powerful(grant.holder):
            key = (len(grant.path), tuple(str(s) for s in grant.path))
            if best is None or key < best[0]:
                best = (key, grant)
    return best[1] if best is not None else None


def _full_control_line(subject: RbacSubject, origins: tuple[Origin, ...]) -> AccessLine:
    """One line for a subject that gains the superuser: every verb on every resource and URL,
    cluster-wide (through escalation when its origin has a path)."""
    escalation = any(o.via == "escalation" for o in origins)
    return AccessLine(escalation, _subject_text(subject), "", ("*",), ("*", "/*"), (), origins, superuser=True)


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
    base: Result | None, head: Result | None, verbose: bool = False
) -> tuple[list[AccessLine], list[AccessLine]]:
    """(added, removed): effective access from `base` to `head`, each sorted, escalations first.

    A subject that gains (loses) the superuser through escalation gets one line saying so, with the
    shortest path, instead of every permission it implies; its direct lines stay. `verbose` lists all.
    """
    before, after = _Side.of(base), _Side.of(head)
    added: list[AccessLine] = []
    removed: list[AccessLine] = []
    for subject in sorted(before.subjects() | after.subjects()):
        for mine, other, out in ((after, before, added), (before, after, removed)):
            pieces, top = _gained(subject, mine, other, verbose)
            out += _merge(subject, pieces)
            if top:
                out.append(_full_control_line(subject, top))
    return sorted(added, key=_line_order), sorted(removed, key=_line_order)


def _line_order(line: AccessLine) -> tuple:
    return (not line.escalation, not line.superuser, line.subject, line.scope != "", line.scope, line.targets,
            line.verbs, line.names, line.origins)

"""Guards (`forbid ...`) evaluated against effective access.

A guard forbids VERBS on RESOURCES (every resource when none is written; non-resource URLs only
when written) in NAMESPACES (every namespace and the cluster scope when none is written; `in
cluster` means permissions that hold cluster-wide). A subject breaks it when some identity it
can reach (docs/access.md, escalation) holds a permission that allows at least one forbidden
request in a forbidden place. `except` removes subjects from the range; it does not cut paths
through them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from typing import Any

from policyc import model as m
from policyc.access.authorizer import Permission
from policyc.access.escalation import EscalationGraph, Identity, Step
from policyc.access.matching import Pattern, rule_overlaps
from policyc.access.permsets import Block, Segment
from policyc.k8s import releases
from policyc.k8s.rules import PolicyRule, expand_verbs, split_resource


@functools.cache
def cluster_scoped(release: tuple[int, int] | None) -> frozenset[tuple[str, str]]:
    """The (group, resource) pairs a release serves at cluster scope (empty for an unknown release)."""
    if release is None or release not in releases.SUPPORTED:
        return frozenset()
    table = releases.load_release(release)
    return frozenset((info.group, info.name) for group in table.groups() for info in table.resources(group)
                     if not info.namespaced)


@dataclass(frozen=True)
class GuardSpec:
    """What a guard forbids, where."""

    patterns: tuple[Pattern, ...]
    namespaces: tuple[str, ...] | None = None  # None: every namespace and the cluster
    cluster_only: bool = False
    # (group, resource) pairs the release serves cluster-scoped: a RoleBinding never reaches them
    # (but `namespaces`, its own Namespace object). Empty: release unknown, every resource counts.
    cluster_scoped: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, guard: m.Guard, release: tuple[int, int] | None = None) -> GuardSpec:
        """The spec of a `forbid` statement (`release`: what is cluster-scoped)."""
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
        return cls(patterns, namespaces, guard.cluster, cluster_scoped(release))

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
            if p.scope is None:
                return any(rule_overlaps(p.rule, pat) for pat in self.patterns)
            rule = self._in_namespace(p.rule)
            return rule is not None and any(rule_overlaps(rule, pat) for pat in self.patterns
                                            if not self._is_cluster_scoped(pat.group, pat.resource))
        if self.cluster_only and p.scope is not None:
            return any(rule_overlaps(p.rule, pat) for pat in self._namespace_object_patterns())
        return False

    def _is_cluster_scoped(self, group: str, resource: str) -> bool:
        base = resource.split("/", 1)[0]
        return base != "namespaces" and (group, base) in self.cluster_scoped

    def _in_namespace(self, rule: PolicyRule) -> PolicyRule | None:
        """What a rule held through a RoleBinding can reach: no URLs, no cluster-scoped resources
        but the namespace's own Namespace object (pkg/registry/rbac/validation/rule.go VisitRulesFor:
        a RoleBinding applies only to requests in its namespace)."""
        if not self.cluster_scoped:
            return rule if rule.resources else None
        kept = tuple(r for r in rule.resources
                     if any(g == "*" or not self._is_cluster_scoped(g, r) for g in rule.api_groups))
        if not kept:
            return None
        return PolicyRule(rule.api_groups, kept, rule.resource_names, (), rule.verbs)

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


_UNSET = object()
_MANY_USERS = object()  # `_users_below`: users of two bases or more


@dataclass(frozen=True)
class Violation:
    """A subject that can do what a guard forbids: the path to the holder and the permission."""

    subject: Identity
    holder: Identity
    path: tuple[Step, ...]
    permission: Permission


class _Forbidden:
    """One guard's first forbidden permission per identity, each computed once.

    Subjects of a guard reach the same identities (their groups, the service accounts of their
    namespaces), so a check of every subject looked at the same permissions again and again:
    the lookups here keep a guard's check linear in the subjects (issue 19). `sort_key` is a
    total order, so the minimum is the first permission of the sorted list, as before.
    """

    def __init__(self, graph: EscalationGraph, spec: GuardSpec) -> None:
        self.graph, self.spec = graph, spec
        self._first: dict[Identity, Permission | None] = {}
        # Keys this guard's entries in the blocks' caches (a new object per check: never reused
        # while the entries live, as the blocks keep it).
        self._token = object()
        # By the rule object (shared by every permission of a role; hashing a rule is the cost);
        # the entry keeps the rule alive, so its id is not reused.
        self._rule: dict[tuple[str | None, int], tuple[PolicyRule, bool]] = {}
        self._segments: dict[tuple[str | None, int], tuple[tuple[PolicyRule, ...], list[int]]] = {}
        self._alike: dict[tuple[str | None, tuple[PolicyRule, ...]], list[int]] = {}

    def _scope_key(self, scope: str | None) -> str | None:
        # GuardSpec.forbids reads of a namespace only whether the guard names it: without
        # namespaces every namespace is alike (`""` stands for them), the cluster scope is None.
        return scope if scope is None or self.spec.namespaces is not None else ""

    def forbids(self, p: Permission) -> bool:
        key = (self._scope_key(p.scope), id(p.rule))
        entry = self._rule.get(key)
        if entry is not None and entry[0] is p.rule:
            return entry[1]
        hit = self.spec.forbids(p)
        self._rule[key] = (p.rule, hit)
        return hit

    def _forbidden(self, scope: str | None, rules: tuple[PolicyRule, ...], perms: tuple[Permission, ...],
                   ) -> list[int]:
        """Which of a segment's permissions the guard forbids (`forbids` reads only the scope and
        the rule): once per role and scope, not once per block that binds it."""
        key = (self._scope_key(scope), id(rules))
        entry = self._segments.get(key)
        if entry is None or entry[0] is not rules:
            # Roles made per namespace or per grant repeat a few lists of rules (142 values
            # for 12,172 tuples in the generated identity organisation at 3,000 namespaces):
            # what a list holds is decided once per value.
            alike = (key[0], rules)
            found = self._alike.get(alike)
            if found is None:
                found = self._alike[alike] = [i for i, p in enumerate(perms) if self.forbids(p)]
            entry = self._segments[key] = (rules, found)
        return entry[1]

    def first(self, ident: Identity) -> Permission | None:
        done = self._first.get(ident, _UNSET)
        if done is not _UNSET:
            return done  # type: ignore[return-value]
        blocks = self.graph.blocks(ident)
        if blocks is None:
            found = [p for p in self.graph.permissions(ident) if self.forbids(p)]
        else:
            # The identity's permissions are its blocks' (shared with other identities): the
            # first of each block is found once per guard, the identity's is the least of those.
            found = [p for blk in blocks if (p := self._block_first(blk)) is not None]
        key = self.graph.sets.sort_key
        first = self._first[ident] = min(found, key=key) if found else None
        return first

    def holds(self, ident: Identity) -> bool:
        """`first(ident) is not None`: whether one of its blocks holds a forbidden permission,
        without ordering what the blocks found (the verdicts of `_Breaks` need no more)."""
        done = self._first.get(ident, _UNSET)
        if done is not _UNSET:
            return done is not None
        blocks = self.graph.blocks(ident)
        if blocks is None:
            return self.first(ident) is not None
        token = self._token
        for blk in blocks:
            entry = blk.extra.get(token)  # `_block_first`'s entry, read in place (called per member per guard)
            if (entry[0] if entry is not None else self._block_first(blk)) is not None:
                return True
        return False

    def block_holds(self, blk: Block) -> bool:
        """`_block_first(blk) is not None`, without ordering what the block holds: whether one of
        its segments holds a permission the guard forbids (`_forbidden`, once per role and scope)."""
        entry = blk.extra.get(self._token)
        if entry is not None:
            return entry[0] is not None
        forbidden = self._forbidden
        return any(forbidden(scope, rules, perms) for scope, rules, perms in blk.segments)

    def _block_first(self, blk: Block) -> Permission | None:
        entry = blk.extra.get(self._token)
        if entry is None:
            found = [perms[i] for scope, rules, perms in blk.segments for i in self._forbidden(scope, rules, perms)]
            entry = blk.extra[self._token] = (min(found, key=self.graph.sets.sort_key) if found else None,)
        return entry[0]


def first_violation(graph: EscalationGraph, start: Identity, spec: GuardSpec,
                    forbidden: _Forbidden | None = None) -> Violation | None:
    """The first (shortest-path) way `start` breaks the guard, or None.

    This is THE question "can subject S reach what SPEC describes, directly or through escalation
    (access/escalation_rules.py), and how": guards ask it, and so may expectations.
    """
    forbidden = forbidden if forbidden is not None else _Forbidden(graph, spec)
    for ident, path in graph.reach(start).items():
        p = forbidden.first(ident)
        if p is not None:
            return Violation(start, ident, path, p)
    return None


class Subjects(tuple):  # type: ignore[type-arg]
    """A guard's range kept as a tuple that hashes once (`check.access_guards` keeps one per
    range): the verdicts and the plans of a range are kept by its subjects, and an identity
    hashes in Python, so a plain tuple of an organisation's 28,000 subjects would be hashed,
    each subject read again, twice per guard (issue 19). Equal to, and hashed as, the plain
    tuple of the same subjects: either finds what the other keeps."""

    _hash: int

    def __new__(cls, subjects: Iterable[Identity]) -> Subjects:
        self = super().__new__(cls, subjects)
        self._hash = tuple.__hash__(self)
        return self

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple:
        # Made again from its subjects, its hash with them (`RbacSubject.__reduce__`): a pickled
        # `_hash` would be stale in an interpreter with another string-hash seed.
        return (Subjects, (tuple(self),))


def _subjects_key(subjects: Sequence[Identity]) -> tuple[Identity, ...]:
    """The subjects as a key: a `Subjects` as it is (hashed once), others as a new tuple."""
    return subjects if type(subjects) is Subjects else tuple(subjects)  # type: ignore[return-value]


def check_guard(graph: EscalationGraph, spec: GuardSpec, subjects: Sequence[Identity],
                excepted: Set[tuple[str, str, str]] = frozenset()) -> list[Violation]:
    """Every violation of one guard by the subjects in range (excepted keys skipped)."""
    key = (spec, _subjects_key(subjects), frozenset(excepted))
    done = graph.verdicts.get(key)
    if done is None:
        # The editor's next model may carry an earlier model's verdicts (policyc/access/reuse.py).
        carried = getattr(graph, "carried", None)
        done = graph.verdicts[key] = (carried.check(spec, subjects, excepted, _check_guard) if carried is not None
                                      else _check_guard(graph, spec, subjects, excepted))
    return list(done)


class _Condensation:
    """The escalation graph's strongly connected components, found once per graph (the edges do
    not depend on the guard), each with the components its members' edges lead to.

    Identities on a cycle (the service accounts of a namespace reach each other) reach the same
    identities; Tarjan's algorithm (iterative, over `graph.targets`: the targets of the same
    `graph.edges` that `reach` walks) numbers each component after every component it leads to,
    so the components form a DAG (issue 19).
    """

    def __init__(self, graph: EscalationGraph) -> None:
        self.graph = graph
        self.comp_of: dict[Identity, int] = {}
        self.members: list[list[Identity]] = []
        self.succ: list[tuple[int, ...]] = []
        self.pred: list[list[int]] = []  # the components whose members' edges lead to each
        # Per subjects and exceptions: each subject in range with the component its verdict is
        # read from (`plan`); the guards of a policy mostly share one range.
        self._plans: dict[tuple, list[tuple[Identity, int]]] = {}
        self._holders: _Holders | None = None
        # Per guard spec: what its verdicts need (`judge`); equal guards share them.
        self._judges: dict[GuardSpec, tuple[_Forbidden, _Breaks]] = {}
        self._users: dict[int, Any] = {}  # per component (`_users_below`)

    @staticmethod
    def of(graph: EscalationGraph) -> _Condensation:
        """The graph's condensation (made on the first guard)."""
        cond = graph.condensation
        if cond is None:
            cond = graph.condensation = _Condensation(graph)
        return cond  # type: ignore[no-any-return]

    def component(self, start: Identity) -> int:
        done = self.comp_of.get(start)
        if done is not None:
            return done
        # `walk_targets`: `targets`, with identities that answer no requirement not searched. In
        # the walk below, in line: `known` (`_targets`) read once per identity, and `targets`
        # asked of an identity found not inert (not `_targets` and `inert` looked up again).
        walk_targets, targets = self.graph.walk_targets, self.graph.targets
        comp_of, members, pred = self.comp_of, self.members, self.pred
        inert, succs, known = self.graph.inert, self.succ, self.graph._targets
        if start not in known and inert(start):
            # Reaches no one (a subject holding only `view`, most groups of `everyone`): its own
            # component, as the walk below would make it, without the walk's frames.
            c = comp_of[start] = len(members)
            members.append([start])
            succs.append(())
            pred.append([])
            return c
        index: dict[Identity, int] = {start: 0}
        # By index (identities are hashed in Python: each target is looked up once or twice):
        low = [0]
        on_stack = [True]
        made = [-1]  # the component made of it
        # The components made before that its targets lead to, found as the targets are met:
        # a target in a component already is one; a target on the stack is in this one; a
        # target walked from here is in the one made of it, or still on the stack (this one).
        leads: list[dict[int, None]] = [{}]
        stack: list[tuple[Identity, int]] = [(start, 0)]
        # Frames: the identity's index and the targets still to look at.
        work: list[tuple[int, Iterator[Identity]]] = [(0, iter(walk_targets(start)))]
        while work:
            i, ts = work[-1]
            for t in ts:
                y = comp_of.get(t)
                if y is not None:
                    leads[i][y] = None
                    continue
                j = index.get(t)
                if j is None:
                    found = known.get(t)
                    if found is None and inert(t):
                        # Reaches no one (`inert`: half the identities of an organisation): its own
                        # component, numbered now, as walking it would (pushed, then made at once).
                        y = comp_of[t] = len(members)
                        members.append([t])
                        succs.append(())
                        pred.append([])
                        leads[i][y] = None
                        continue
                    # Walked next; this frame resumes after it.
                    j = index[t] = len(low)
                    low.append(j)
                    on_stack.append(True)
                    made.append(-1)
                    leads.append({})
                    stack.append((t, j))
                    work.append((j, iter(targets(t) if found is None else found)))
                    break
                if j < low[i]:  # on the stack: every identity met and not in a component is
                    low[i] = j
                continue
            else:
                work.pop()
                if low[i] == i:
                    c = len(members)
                    group: list[Identity] = []
                    out: dict[int, None] = {}
                    while True:
                        m, mj = stack.pop()
                        on_stack[mj] = False
                        made[mj] = comp_of[m] = c
                        group.append(m)
                        out.update(leads[mj])
                        if mj == i:
                            break
                    members.append(group)
                    succ = tuple(out)
                    self.succ.append(succ)
                    pred.append([])
                    for y in succ:
                        pred[y].append(c)
                if work:
                    p = work[-1][0]
                    if on_stack[i]:
                        if low[i] < low[p]:
                            low[p] = low[i]
                    else:
                        leads[p][made[i]] = None
        return comp_of[start]

    def plan(self, subjects: Sequence[Identity], excepted: Set[tuple[str, str, str]]) -> list[tuple[Identity, int]]:
        """The subjects not excepted, in order, each with the component whose verdict is its own:
        its representative's (`EscalationGraph.representative`: users that share a search reach
        the same rules in the same places, so when the representative holds a guard so does
        every member), else its own. Made once per subjects and exceptions: the guards of a
        range ask the same (issue 19)."""
        key = (_subjects_key(subjects), frozenset(excepted))
        out = self._plans.get(key)
        if out is None:
            graph, comp_of = self.graph, self.comp_of
            out = []
            can_share = self.can_share
            names = {key[2] for key in excepted}  # `s.key` (a new tuple) made only for these names
            for s in subjects:
                if s.name in names and s.key in excepted:
                    continue
                rep = graph.representative(s, can_share)
                probe = s if rep is None else rep
                c = comp_of.get(probe)
                out.append((s, c if c is not None else self.component(probe)))
            if len(self._plans) >= 8:  # the editor's carried checks ask for ever other subsets
                self._plans.clear()
            self._plans[key] = out
        return out

    def can_share(self, rep: Identity) -> bool:
        """`EscalationGraph._can_share(rep)` from the components: `shares_past` of every identity
        `rep` reaches, which fails at any user but `rep` (and it holding more). The users below
        each component are summarized once per component (`_users_below`), not walked again per
        representative (issue 19)."""
        c = self.comp_of.get(rep)
        below = self._users_below(c if c is not None else self.component(rep))
        if below is None:
            return True
        if below is _MANY_USERS or below[0] != rep.base:
            return False
        shares_past = self.graph.shares_past
        return all(shares_past(rep, u) for u in below[1])

    def _users_below(self, c: int) -> tuple[Identity, frozenset[Identity]] | object | None:
        """The users among the members of component `c` and of every component it leads to:
        None for none, else their one base identity (`Identity.base`) and themselves, or
        `_MANY_USERS` when they are of two bases or more (no representative shares past them)."""
        memo, succ, members = self._users, self.succ, self.members
        todo = [c]
        while todo:
            x = todo[-1]
            if x in memo:
                todo.pop()
                continue
            pending = [y for y in succ[x] if y not in memo]
            if pending:
                todo += pending
                continue
            todo.pop()
            below = [u for y in succ[x] if (u := memo[y]) is not None]
            users = [m for m in members[x] if m.kind == "user"]
            if not users and len(below) <= 1:
                memo[x] = below[0] if below else None
            elif any(u is _MANY_USERS for u in below):
                memo[x] = _MANY_USERS
            else:
                found = set(users)
                for _base, more in below:  # type: ignore[misc]
                    found |= more
                bases = {u.base for u in found}
                memo[x] = (bases.pop(), frozenset(found)) if len(bases) == 1 else _MANY_USERS
        return memo[c]

    def judge(self, spec: GuardSpec) -> tuple[_Forbidden, _Breaks]:
        """The guard's forbidden permissions per identity and block (`_Forbidden`) and its verdicts
        per component (`_Breaks`), kept per spec: both depend on the graph and the spec alone (a
        component, once made, never changes), and the guards of a policy repeat a few specs
        team after team (`forbid impersonate users, groups for team T`: 300 teams, one spec).
        Each later guard of an equal spec reads the blocks and components decided before."""
        out = self._judges.get(spec)
        if out is None:
            forbidden = _Forbidden(self.graph, spec)
            out = self._judges[spec] = (forbidden, _Breaks(self.graph, forbidden))
        return out

    def holders(self) -> _Holders:
        """Every identity of the condensation by the blocks it holds (grown to the components made)."""
        if self._holders is None:
            self._holders = _Holders(self)
        self._holders.update()
        return self._holders

    def leading_to(self, seeds: set[int]) -> set[int]:
        """The components that are or lead to one of `seeds` (over `pred`)."""
        out = set(seeds)
        todo = list(seeds)
        pred = self.pred
        while todo:
            for p in pred[todo.pop()]:
                if p not in out:
                    out.add(p)
                    todo.append(p)
        return out


class _Holders:
    """The components of a condensation by the blocks their members hold (`EscalationGraph.blocks`),
    and the members whose permissions are listed whole (the superuser, `system:masters`).

    A guard over most of the graph (`for everyone`) marks the components whose members hold a
    block holding a forbidden permission, then every component leading to them: a pass over
    the blocks' segments, not one over each member's blocks per guard (issue 19). A member holds
    a forbidden permission exactly when one of its blocks does (`_Forbidden.holds`), and a block
    when one of its segments does (`_Forbidden.block_holds`). What a guard forbids of a segment
    depends on its rules' value and its scope alone (`_Forbidden._forbidden`), and on the scope
    only as the cluster or a namespace when the guard names no namespace: the blocks are
    indexed by segment value (45,438 segments, 143 values in the generated identity organisation
    at 3,000 namespaces), so such a guard decides each value once.
    """

    def __init__(self, cond: _Condensation) -> None:
        self.cond = cond
        self.by_block: dict[Block, list[int]] = {}
        self.whole: list[tuple[Identity, int]] = []
        self._done = 0  # components indexed
        self._order: list[Block] = []  # the blocks of `by_block`, in the order met
        # A number per value of a segment's rules (by the tuple object first: shared by roles).
        self._value_of: dict[int, tuple[tuple[PolicyRule, ...], int]] = {}
        self._values: dict[tuple[PolicyRule, ...], int] = {}
        # The blocks by their segments, each key with one of its segments: by (cluster-wide?,
        # value) for guards that name no namespace, by (scope, value) for the others (made when
        # a guard asks, with how many of `_order` they index).
        self._by_value: dict[tuple[bool, int], tuple[Segment, list[Block]]] = {}
        self._by_scoped: dict[tuple[str | None, int], tuple[Segment, list[Block]]] = {}
        self._indexed = {False: 0, True: 0}

    def update(self) -> None:
        cond, blocks_of, by_block = self.cond, self.cond.graph.blocks, self.by_block
        for c in range(self._done, len(cond.members)):
            for ident in cond.members[c]:
                blocks = blocks_of(ident)
                if blocks is None:
                    self.whole.append((ident, c))
                    continue
                for blk in blocks:
                    comps = by_block.get(blk)
                    if comps is None:
                        by_block[blk] = [c]
                        self._order.append(blk)
                    elif comps[-1] != c:  # components are indexed in order
                        comps.append(c)
        self._done = len(cond.members)

    def _index(self, scoped: bool) -> dict[Any, tuple[Segment, list[Block]]]:
        """The blocks by their segments' keys (`scoped`: by scope, else by cluster-wide or not),
        grown to the blocks met."""
        index: dict[Any, tuple[Segment, list[Block]]] = self._by_scoped if scoped else self._by_value  # type: ignore[assignment]
        value_of, values = self._value_of, self._values
        for blk in self._order[self._indexed[scoped]:]:
            for seg in blk.segments:
                scope, rules, _perms = seg
                entry = value_of.get(id(rules))
                if entry is None or entry[0] is not rules:
                    entry = value_of[id(rules)] = (rules, values.setdefault(rules, len(values)))
                key = (scope, entry[1]) if scoped else (scope is None, entry[1])
                held = index.get(key)
                if held is None:
                    index[key] = (seg, [blk])
                elif held[1][-1] is not blk:
                    held[1].append(blk)
        self._indexed[scoped] = len(self._order)
        return index

    def holding(self, forbidden: _Forbidden) -> set[int]:
        """The components with a member that holds a permission the guard forbids."""
        decide = forbidden._forbidden
        bad: set[Block] = set()
        for (scope, rules, perms), blocks in self._index(forbidden.spec.namespaces is not None).values():
            if decide(scope, rules, perms):
                bad.update(blocks)
        out: set[int] = set()
        by_block = self.by_block
        for blk in bad:
            out.update(by_block[blk])
        for ident, c in self.whole:
            if c not in out and forbidden.first(ident) is not None:
                out.add(c)
        return out


class _Breaks:
    """Which identities reach one that holds a forbidden permission, for one guard.

    `first_violation(start)` walks `graph.reach(start)` (breadth-first over `graph.edges`) and
    returns None exactly when no identity it reaches holds a forbidden permission. The subjects
    of a guard reach the same identities (a team's service accounts, each one holding what its
    pods mount), so instead of one walk per subject each component of the graph
    (`_Condensation`) is decided once: it breaks the guard when a member holds a forbidden
    permission or a component it leads to breaks it. `breaks(start)` is False exactly when
    `first_violation(start)` is None; the path of a violation is still `first_violation`'s.
    """

    def __init__(self, graph: EscalationGraph, forbidden: _Forbidden) -> None:
        self.cond, self.forbidden = _Condensation.of(graph), forbidden
        self._bad: dict[int, bool] = {}

    def breaks(self, start: Identity) -> bool:
        c = self.cond.comp_of.get(start)
        return self.component_breaks(c if c is not None else self.cond.component(start))

    def component_breaks(self, c: int) -> bool:
        """Whether a member of component `c`, or of one it leads to, holds a forbidden permission."""
        cond, bad, holds = self.cond, self._bad, self.forbidden.holds
        done = bad.get(c)
        if done is not None:  # decided for an earlier subject (most subjects of a guard are)
            return done
        todo = [c]
        while todo:
            x = todo[-1]
            if x in bad:
                todo.pop()
                continue
            if any(holds(m) for m in cond.members[x]):
                bad[x] = True
                todo.pop()
                continue
            pending = [y for y in cond.succ[x] if y not in bad]
            if pending:
                todo += pending
                continue
            bad[x] = any(bad[y] for y in cond.succ[x])
            todo.pop()
        return bad[c]


def _check_guard(graph: EscalationGraph, spec: GuardSpec, subjects: Sequence[Identity],
                 excepted: Set[tuple[str, str, str]]) -> list[Violation]:
    out = []
    cond = _Condensation.of(graph)
    plan = cond.plan(subjects, excepted)
    if not plan:
        return out
    forbidden, breaks = cond.judge(spec)
    if 2 * len(plan) >= len(cond.comp_of):
        # Over most of the graph: the blocks decided once each, the verdicts spread over `pred`.
        bad = cond.leading_to(cond.holders().holding(forbidden))
        breaking: Callable[[int], bool] = bad.__contains__
    else:
        # Over a few subjects: only the components they lead to decided (see _Breaks).
        breaking = breaks.component_breaks
    for s, c in plan:
        # A subject that breaks the guard is walked on its own for the path (`first_violation`).
        if breaking(c):
            v = first_violation(graph, s, spec, forbidden)
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
    spec = GuardSpec(tuple(patterns), namespaces, cluster, cluster_scoped(graph.model.release))
    return first_violation(graph, subject, spec)

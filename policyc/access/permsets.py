"""An identity's permissions as blocks shared between identities, and requirements answered per block.

Every identity's permissions repeat the same bindings: those of `system:authenticated` (`view`
for everyone in a few namespaces, the built-in discovery roles), those of its groups, its
team's. `AccessModel.permissions` lists them per identity; the escalation search asks some 50
requirements (`Need`) of each identity, and the guards each identity's first forbidden
permission. Here the permissions are cut into blocks, one per subject a binding matched (with
the bindings that matched it), one per acquired role and one for a node's Node-authorizer role;
a block is made once per graph and shared by every identity it belongs to, so a requirement is
answered once per block (per role and scope: a role's rules are looked up in an index of the
role, once per requirement), and an identity's answer is the answers of its few blocks, in
`Permission.sort_key` order: the same permissions as a rule index built over the identity's
whole list (EscalationGraph.find), since whether a rule answers a requirement depends on the
rule alone (issue 19).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from policyc.access import matching
from policyc.access.authorizer import AccessModel, Granted, Permission, Ranked
from policyc.access.escalation_rules import Need
from policyc.access.objects import BindingObj
from policyc.access.request import Request, UserInfo
from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import RbacSubject

ALL = "*"

# A run of permissions sharing one scope, aligned with the rules they hold (perms[i].rule is rules[i]);
# a binding's are made as they are read (authorizer.Granted).
Segment = tuple[str | None, tuple[PolicyRule, ...], Sequence[Permission]]


def signer_allowed(rule: PolicyRule, names: tuple[str, ...]) -> bool:
    """A rule on signers allows one of `names`, directly or as `DOMAIN/*`
    (plugin/pkg/admission/certificates/util.go IsAuthorizedForSignerName)."""
    if not rule.resource_names:
        return True
    wild = {n.split("/", 1)[0] + "/*" for n in names}
    return bool(set(rule.resource_names) & (set(names) | wild))


# An entry's rank (`entry[0]`), as a sort key called in C: blocks are sorted per user (issue 19).
_first_rank = itemgetter(0)


class Block:
    """Permissions shared by identities: segments, and the answers computed for them."""

    __slots__ = ("segments", "subject", "refs", "ranks", "answers", "present", "extra", "scopes", "answer_rules")

    def __init__(self, segments: tuple[Segment, ...], subject: RbacSubject | None = None,
                 refs: tuple[Any, ...] = (), ranks: tuple[int, ...] = ()) -> None:
        self.segments = segments
        # A bound block's: the subject, and the bindings' references and ranks
        # (AccessModel.bindings_ranked: one number per reference, cheaper to hash).
        self.subject, self.refs, self.ranks = subject, refs, ranks
        # id(need) -> the block's permissions that satisfy it, sorted (non-empty answers only);
        # None until asked (PermissionSets.answers)
        self.answers: dict[int, list[Permission]] | None = None
        # The ids of the requirements with a non-empty answer, found from the rules alone (no
        # permission read); None until asked (PermissionSets.present)
        self.present: set[int] | None = None
        self.extra: dict[Any, Any] = {}  # per-block caches of other users (guards)
        # id(need) -> the scopes of its answer's permissions, each with the resourceNames they
        # allow there (None: every name); None until asked (PermissionSets.scopes)
        self.scopes: dict[int, dict[str | None, frozenset[str] | None]] | None = None
        # id(need) -> (scope, rule) of each permission of its answer, per requirement asked;
        # None until one is (PermissionSets.answer_rules)
        self.answer_rules: dict[int, list[tuple[str | None, PolicyRule]]] | None = None

    @property
    def permissions(self) -> list[Permission]:
        """Every permission of the block, in order."""
        return [p for _scope, _rules, perms in self.segments for p in perms]


# What a tuple of groups gives: its blocks, each with its first binding's rank; their ranks; the blocks.
_GroupCut = tuple[list[tuple[int, Block]], frozenset[int], tuple[Block, ...]]


class PermissionSets:
    """Blocks and per-block answers over one AccessModel (see the module's docstring).

    `needs` are every requirement that will be asked (the table's): each block answers all of
    them at once, each rule tested only against the requirements on one of its resources.
    """

    def __init__(self, model: AccessModel, needs: tuple[Need, ...]) -> None:
        self.model = model
        self.needs = tuple({id(n): n for n in needs}.values())
        self._need_ids = frozenset(id(n) for n in self.needs)  # the tuple keeps them alive
        self._ranked: dict[UserInfo, tuple[list[Ranked], tuple[int, ...]]] = {}
        self._bound: dict[UserInfo, list[tuple[BindingObj, RbacSubject]]] = {}
        # Per tuple of groups: their blocks with each first rank, the ranks, the blocks alone.
        self._group_blocks: dict[tuple[str, ...], _GroupCut] = {}
        # By the user's (name, groups): UserInfo's fields, hashed in C.
        self._user_blocks: dict[tuple[str, tuple[str, ...]], tuple[Block, ...]] = {}
        self._own: dict[tuple[str, tuple[str, ...]], tuple[dict[int, Ranked], tuple[int, ...]]] = {}
        self._one_group_cut: dict[str, list[tuple[int, Block]]] = {}
        self._blocks: dict[Any, Block] = {}
        # Requirements by the resources a rule must name to satisfy them: `*`, the resource (with
        # its subresource), `*/SUB` (matching.resource_matches).
        self._by_resource: dict[str, list[Need]] = {}
        for n in self.needs:
            wanted = {ALL, Request(n.verbs[0], n.group, n.resource, n.sub, "").combined_resource}
            if n.sub:
                wanted.add(f"*/{n.sub}")
            for w in wanted:
                self._by_resource.setdefault(w, []).append(n)
        self._hits: dict[int, tuple[tuple[PolicyRule, ...], list[tuple[Need, tuple[int, ...]]]]] = {}
        # The same by the rules' value: roles made per namespace or per grant repeat a few lists.
        self._hits_alike: dict[tuple[PolicyRule, ...], list[tuple[Need, tuple[int, ...]]]] = {}
        self._keys: dict[int, tuple[Permission, tuple]] = {}
        # Answers' places by a bound block's content (`_content`): key -> (objects, places).
        self._placed: dict[tuple, tuple[tuple, dict[int, list[tuple[int, int]]]]] = {}
        self._present_in: dict[int, tuple[tuple[Block, ...], set[int]]] = {}
        self._present_cache: dict[tuple[int, bool], tuple[tuple[PolicyRule, ...], frozenset[int]]] = {}
        self.lookups = 0  # blocks answered (tests count them)

    def ranked(self, user: UserInfo) -> tuple[list[Ranked], tuple[int, ...]]:
        """`AccessModel.bindings_ranked`, once per user (do not change what is returned)."""
        out = self._ranked.get(user)
        if out is None:
            out = self._ranked[user] = self.model.bindings_ranked(user)
        return out

    def own(self, user: UserInfo) -> tuple[dict[int, Ranked], tuple[int, ...]]:
        """`AccessModel.own_ranked`, once per user (do not change what is returned): the ranks
        are `ranked(user)[1]`, without merging the user's bindings with its groups'."""
        return self._own_of(user, (user.name, user.groups))

    def own_ranks(self, name: str, groups: tuple[str, ...]) -> tuple[int, ...]:
        """`own(UserInfo(name, groups))[1]`: from what `own` keeps, else made without the entries
        and not kept (`AccessModel.own_ranks`): most users of an organisation are asked only
        this (`EscalationGraph.share_key`, once per user), and only their class's representative
        its blocks."""
        out = self._own.get((name, groups))
        if out is not None:
            return out[1]
        return self.model.own_ranks(name, groups)

    def _own_of(self, user: UserInfo, key: tuple[str, tuple[str, ...]]) -> tuple[dict[int, Ranked], tuple[int, ...]]:
        # By the user's fields (what UserInfo's equality compares), hashed in C: a UserInfo hashes
        # in Python, and every identity's user is looked up here and in `user_blocks`.
        out = self._own.get(key)
        if out is None:
            out = self._own[key] = self.model.own_ranked(user)
        return out

    def bound(self, user: UserInfo) -> list[tuple[BindingObj, RbacSubject]]:
        """`AccessModel.bindings_for`, once per user (do not change the list returned)."""
        out = self._bound.get(user)
        if out is None:
            out = self._bound[user] = [(b, s) for _r, b, s in self.ranked(user)[0]]
        return out

    def user_blocks(self, user: UserInfo) -> tuple[Block, ...]:
        """The blocks of what the user's bindings grant: one per subject a binding matched, with
        the bindings (in `bindings_for` order) that matched the user through it, in the order of
        each subject's first binding.

        What its groups give is cut into blocks once per tuple of groups (from each group's
        blocks, cut once per group, when no binding names two of them); the user's own bindings
        (by its name or service account) are cut apart and put in place by their first
        binding's rank, unless one of them took a binding from a group (a binding that names
        both, the user first): then the whole list is cut again (issue 19).
        """
        key = (user.name, user.groups)  # the user's fields (`_own_of`)
        out = self._user_blocks.get(key)
        if out is not None:
            return out
        own, mine = self._own_of(user, key)
        group = self._group_blocks.get(user.groups)
        if group is None:
            group = self._group_blocks[user.groups] = self._group_cut(user.groups)
        if not mine:  # its groups' blocks alone: one tuple for every such user of the groups
            out = self._user_blocks[key] = group[2]
            return out
        if group[1].isdisjoint(mine):
            cut = sorted([*group[0], *self._cut([own[r] for r in mine])], key=_first_rank)
        else:
            cut = self._cut(self.ranked(user)[0])
        out = self._user_blocks[key] = tuple([blk for _rank, blk in cut])
        return out

    def _group_cut(self, groups: tuple[str, ...]) -> _GroupCut:
        """`_cut` of what a tuple of groups gives (`AccessModel.group_part`), its ranks and its blocks. A
        block holds one subject's bindings and a group's entries all name the group, so when no
        binding is in two groups' parts the tuple's blocks are its groups' own, each cut once
        (`system:authenticated`'s is in every tuple): the same keys, so the same blocks."""
        # Groups no binding names add no block (`AccessModel.group_part` leaves them out too):
        # the tuples alike but for those share one cut, and its tuple of blocks.
        named = tuple([g for g in groups if self.model.one_group(g)])
        if named != groups:
            out = self._group_blocks.get(named)
            if out is None:
                out = self._group_blocks[named] = self._group_cut(named)
            return out
        parts = [self.model.one_group(g) for g in groups]
        # The ranks the groups give (`group_part`'s keys): their parts' keys, unioned in C; the
        # parts are merged (`group_part`) only when a binding is in two of them.
        ranks = frozenset().union(*parts)
        if sum(map(len, parts)) == len(ranks):
            cut = []
            for g, part in zip(groups, parts, strict=True):
                one = self._one_group_cut.get(g)
                if one is None:
                    one = self._one_group_cut[g] = self._cut(sorted(part.values(), key=_first_rank))
                cut += one
            cut.sort(key=_first_rank)
        else:
            cut = self._cut(self.model.group_part(groups)[1])
        return cut, ranks, tuple([blk for _rank, blk in cut])

    def _cut(self, entries: list[Ranked]) -> list[tuple[int, Block]]:
        """Blocks of ranked bindings, one per subject, each with the rank of its first binding."""
        if not entries:
            return []
        first = entries[0][2]
        runs: Any
        if all(e[2] is first for e in entries):  # one subject (a user's own bindings, mostly)
            runs = ((first, entries),)  # as the dict below would give, without hashing the subject
        else:
            by_subject: dict[RbacSubject, list[Ranked]] = {}
            for e in entries:
                by_subject.setdefault(e[2], []).append(e)
            runs = by_subject.items()
        out = []
        granted_of = self.model.granted
        for s, es in runs:
            key = ("bound", s, tuple([e[0] for e in es]))
            blk = self._blocks.get(key)
            if blk is None:
                segments = []
                for _rank, b, _s in es:
                    granted = granted_of(b, s)
                    # Not empty (`Granted.rules`, without a Python-level `len`): the role's own
                    # tuple of rules, whose hits are shared; `Granted.scope` is the binding's.
                    if granted is not None and granted.rules:
                        segments.append((granted.scope, granted.rules, granted))
                blk = self._blocks[key] = Block(tuple(segments), s, tuple([e[1].ref for e in es]), key[2])
            out.append((es[0][0], blk))
        return out

    def block(self, key: Any, make: Callable[[], tuple[Segment, ...]]) -> Block:
        """The block named `key`, made by `make` the first time."""
        blk = self._blocks.get(key)
        if blk is None:
            blk = self._blocks[key] = Block(make())
        return blk

    def sort_key(self, p: Permission) -> tuple:
        """`p.sort_key`, computed once per permission object."""
        entry = self._keys.get(id(p))
        if entry is None or entry[0] is not p:
            entry = self._keys[id(p)] = (p, p.sort_key)
        return entry[1]

    def need(self, blocks: tuple[Block, ...] | list[Block], need: Need) -> list[Permission] | None:
        """The permissions of `blocks` that satisfy a requirement, in `sort_key` order (a new
        list); None for a requirement not among `needs`."""
        key = id(need)
        if key not in self.present_in(blocks):
            return [] if key in self._need_ids else None
        parts = []
        for blk in blocks:
            answers = blk.answers if blk.answers is not None else self.answers(blk)
            a = answers.get(key)
            if a:
                parts.append(a)
        if not parts:
            return [] if key in self._need_ids else None
        if len(parts) == 1:
            return list(parts[0])
        return sorted((p for a in parts for p in a), key=self.sort_key)

    def has(self, blocks: tuple[Block, ...] | list[Block], need: Need) -> bool | None:
        """Whether `need(blocks, need)` is non-empty, without making the list; None for a
        requirement not among `needs`."""
        key = id(need)
        if key not in self._need_ids:
            return None
        return any(key in (blk.present if blk.present is not None else self.present(blk)) for blk in blocks)

    def asks(self, need: Need) -> bool:
        """Whether the requirement is among `needs` (answered per block)."""
        return id(need) in self._need_ids

    def present_in(self, blocks: tuple[Block, ...] | list[Block]) -> set[int]:
        """The ids of the requirements `need(blocks, ...)` answers non-empty (do not change the
        set returned; kept per tuple of blocks: an identity's are one tuple, asked per row)."""
        entry = self._present_in.get(id(blocks))
        if entry is not None and entry[0] is blocks:
            return entry[1]
        out: set[int] = set()
        for blk in blocks:
            out |= blk.present if blk.present is not None else self.present(blk)
        if isinstance(blocks, tuple):
            self._present_in[id(blocks)] = (blocks, out)
        return out

    def relevant(self, blk: Block) -> bool:
        """Whether a permission of the block satisfies a requirement (a block that does not is
        in no answer, so no step's grants)."""
        return bool(blk.present if blk.present is not None else self.present(blk))

    def present(self, blk: Block) -> set[int]:
        """The ids of the requirements `answers(blk)` answers (its keys), from the segments'
        scopes and rules alone: no permission is made or read (authorizer.Granted)."""
        if blk.present is None:
            if blk.answers is not None:
                blk.present = set(blk.answers)
            else:
                found: set[int] = set()
                for scope, rules, _perms in blk.segments:
                    found |= self._present_rules(rules, scope is None)
                blk.present = found
        return blk.present

    def _present_rules(self, rules: tuple[PolicyRule, ...], cluster: bool) -> frozenset[int]:
        """The ids of the requirements some of `rules` satisfy in a segment cluster-wide or not
        (a cluster requirement only cluster-wide), cached per rules tuple."""
        key = (id(rules), cluster)
        entry = self._present_cache.get(key)
        if entry is None or entry[0] is not rules:
            entry = self._present_cache[key] = (rules, frozenset(
                id(need) for need, _places in self.hits(rules) if cluster or not need.cluster))
        return entry[1]

    def scopes(self, blk: Block) -> dict[int, dict[str | None, frozenset[str] | None]]:
        """Per requirement answered: the scopes of the permissions of `answers(blk)`, each with
        the union of their rules' resourceNames (None when one allows every name), from the
        segments' scopes and rules alone (no permission made or read), once per block. What a
        search that asks only who is reached needs of an answer (EscalationGraph._row_targets).
        Equal summaries are one object (shared by requirements and blocks alike), so callers
        may key what they derive from them by id."""
        out = blk.scopes
        if out is None:
            # Interned: a summary of one scope (most) by its pair, hashed in C; others by their items.
            single: dict[tuple[str | None, frozenset[str] | None], dict[str | None, frozenset[str] | None]] = (
                self.__dict__.setdefault("_scope_singles", {}))
            interned = self.__dict__.setdefault("_scope_summaries", {})
            segments = blk.segments
            out = {}
            if len(segments) == 1:
                # One scope: every summary is a single (the dict made only for a pair not met yet).
                scope, rules, _perms = segments[0]
                for k, names in self._rule_names(rules, scope is None).items():
                    found = single.get((scope, names))
                    if found is None:
                        found = single[scope, names] = {scope: names}
                    out[k] = found
                blk.scopes = out
                return out
            acc: dict[int, dict[str | None, frozenset[str] | None]] = {}
            for scope, rules, _perms in segments:
                for need_id, names in self._rule_names(rules, scope is None).items():
                    where = acc.get(need_id)
                    if where is None:
                        acc[need_id] = {scope: names}
                    elif scope in where:
                        was = where[scope]
                        where[scope] = None if was is None or names is None else was | names
                    else:
                        where[scope] = names
            for k, where in acc.items():
                if len(where) == 1:
                    pair = next(iter(where.items()))
                    out[k] = single.setdefault(pair, where)
                else:
                    out[k] = interned.setdefault(frozenset(where.items()), where)
            blk.scopes = out
        return out

    def _rule_names(self, rules: tuple[PolicyRule, ...], cluster: bool) -> dict[int, frozenset[str] | None]:
        """Per requirement some of `rules` satisfy in a segment cluster-wide or not (`answers`'
        test), the union of those rules' resourceNames (None: one allows every name); cached
        per rules tuple, as `_present_rules`."""
        cache = self.__dict__.setdefault("_rule_names_cache", {})
        key = (id(rules), cluster)
        entry = cache.get(key)
        if entry is None or entry[0] is not rules:
            out: dict[int, frozenset[str] | None] = {}
            for need, found in self.hits(rules):
                if need.cluster and not cluster:
                    continue
                names: set[str] | None = set()
                for i in found:
                    if not rules[i].resource_names:
                        names = None
                        break
                    names.update(rules[i].resource_names)  # type: ignore[union-attr]
                out[id(need)] = None if names is None else frozenset(names)
            entry = cache[key] = (rules, out)
        return entry[1]  # type: ignore[no-any-return]

    def answer_rules(self, blk: Block, need: Need) -> list[tuple[str | None, PolicyRule]]:
        """The scope and rule of each permission of `answers(blk)[id(need)]` (in segment order,
        not sorted), from the segments alone (no permission made), once per block and requirement."""
        out = blk.answer_rules
        if out is None:
            out = blk.answer_rules = {}
        found = out.get(id(need))
        if found is None:
            found = out[id(need)] = []
            for scope, rules, _perms in blk.segments:
                if need.cluster and scope is not None:
                    continue
                for hit, places in self.hits(rules):
                    if hit is need:
                        found += [(scope, rules[i]) for i in places]
        return found

    def answers(self, blk: Block) -> dict[int, list[Permission]]:
        """Every requirement's non-empty answer in the block, computed once.

        A bound block's answers are placed (segment, rule) by its content (`_content`): blocks
        alike but for their subject, namespaces and bindings (a namespace's service accounts,
        each team's users) take their permissions at the places the first one's sort put them,
        without sorting again."""
        if blk.answers is None:
            self.lookups += 1
            content = self._content(blk)
            if content is not None:
                entry = self._placed.get(content[0])
                if entry is not None and all(a is b for a, b in zip(entry[0], content[1], strict=True)):
                    segs = blk.segments
                    blk.answers = {k: [segs[si][2][ri] for si, ri in places] for k, places in entry[1].items()}
                    return blk.answers
            acc: dict[int, list[Permission]] = {}
            for scope, rules, perms in blk.segments:
                for need, found in self.hits(rules):
                    if need.cluster and scope is not None:
                        continue
                    acc.setdefault(id(need), []).extend(perms[i] for i in found)
            for ps in acc.values():
                if len(ps) > 1:
                    ps.sort(key=self.sort_key)
            blk.answers = acc
            if content is not None:
                # Every permission of an answer was read, so made (the others are not made here).
                where = {id(perms[ri]): (si, ri) for si, (_s, _r, perms) in enumerate(blk.segments)
                         for ri in range(len(perms)) if perms.made(ri)}  # type: ignore[attr-defined]
                self._placed[content[0]] = (content[1], {k: [where[id(p)] for p in ps] for k, ps in acc.items()})
        return blk.answers

    @staticmethod
    def _content(blk: Block) -> tuple[tuple, tuple] | None:
        """What a bound block's answers and their order depend on, bar which permissions sit at
        the places: per segment, whether it is cluster-wide and its namespace's place among the
        block's (`Permission.sort_key` compares scopes first), its role's rules and their
        sources (the rule, then the reason's `via_role`); the subject is the block's, and its
        bindings, in reference order, are the segments' order (equal rules in equal scopes are
        ordered by binding, then place). With the objects whose ids it holds (kept and compared,
        so an id is not reused); None for a block that is not a binding's."""
        if blk.subject is None:
            return None
        scopes = sorted({scope for scope, _r, _p in blk.segments if scope is not None})
        rank = {scope: i for i, scope in enumerate(scopes)}
        key, held = [], []
        for scope, rules, perms in blk.segments:
            if not isinstance(perms, Granted) or perms.rules is not rules:
                return None
            key.append((None if scope is None else rank[scope], id(rules), id(perms.sources)))
            held += (rules, perms.sources)
        return tuple(key), tuple(held)

    def hits(self, rules: tuple[PolicyRule, ...]) -> list[tuple[Need, tuple[int, ...]]]:
        """Which of `rules` satisfy each requirement, in any scope (EscalationGraph.find's test:
        a rule the index would not offer fails its resource test), cached per rules tuple and
        computed once per value of the tuple (`_hits_of` reads the rules' values alone)."""
        entry = self._hits.get(id(rules))
        if entry is not None and entry[0] is rules:
            return entry[1]
        result = self._hits_alike.get(rules)
        if result is None:
            result = self._hits_alike[rules] = self._hits_of(rules)
        self._hits[id(rules)] = (rules, result)
        return result

    def _hits_of(self, rules: tuple[PolicyRule, ...]) -> list[tuple[Need, tuple[int, ...]]]:
        """`hits`, computed: each rule tested against the requirements on one of its resources."""
        found: dict[int, list[int]] = {}
        for i, rule in enumerate(rules):
            candidates: dict[int, Need] = {}
            for r in rule.resources:
                for n in self._by_resource.get(r, ()):
                    candidates[id(n)] = n
            for n in candidates.values():
                if rule_satisfies(rule, n):
                    found.setdefault(id(n), []).append(i)
        return [(n, tuple(found[id(n)])) for n in self.needs if id(n) in found]


def rule_meets(rule: PolicyRule, need: Need) -> bool:
    """Whether a rule allows one of the requirement's verbs on its resource, in any scope: with
    every name, or (`named`, `names`) limited to names (which names is the caller's business)."""
    verbs = need.verbs if ALL not in need.verbs else ("*",)
    any_name = need.named or bool(need.names)
    for verb in verbs:
        req = Request(verb, need.group, need.resource, need.sub, "")
        if any_name:
            ok = (matching.verb_matches(rule, verb) and matching.group_matches(rule, need.group)
                  and matching.resource_matches(rule, req.combined_resource, need.sub))
        else:
            ok = matching.rule_allows(rule, req)
        if ok:
            return True
    return False


def rule_satisfies(rule: PolicyRule, need: Need) -> bool:
    """`rule_meets`, with the signer's name among the rule's names when the requirement names signers."""
    return rule_meets(rule, need) and (not need.names or signer_allowed(rule, need.names))


def pair_blocks(mine: tuple[Block, ...] | list[Block], theirs: tuple[Block, ...] | list[Block],
                ) -> dict[int, Permission] | None:
    """Two identities whose bindings line up (the same bindings through the same subjects, bar
    their own): each permission of `mine` that is not also `theirs` (by id), mapped to theirs at
    the same place of the corresponding block; None when the blocks do not line up."""
    if len(mine) != len(theirs):
        return None
    out: dict[int, Permission] = {}
    for a, b in zip(mine, theirs, strict=True):
        if a is b:
            continue
        if len(a.segments) != len(b.segments):
            return None
        for (sa, _ra, pa), (sb, _rb, pb) in zip(a.segments, b.segments, strict=True):
            if sa != sb or len(pa) != len(pb):
                return None
            out.update(zip(map(id, pa), pb, strict=True))
    return out


def blocks_line_up(mine: tuple[Block, ...] | list[Block], theirs: tuple[Block, ...] | list[Block]) -> bool:
    """Whether `pair_blocks(mine, theirs)` is not None, without pairing the permissions."""
    if len(mine) != len(theirs):
        return False
    for a, b in zip(mine, theirs, strict=True):
        if a is b:
            continue
        if len(a.segments) != len(b.segments):
            return False
        # A segment holds one permission per rule (`Segment`): the rules' tuples are counted, in
        # C, rather than the permissions (a binding's `Granted` counts in Python).
        for (sa, ra, _pa), (sb, rb, _pb) in zip(a.segments, b.segments, strict=True):
            if sa != sb or len(ra) != len(rb):
                return False
    return True

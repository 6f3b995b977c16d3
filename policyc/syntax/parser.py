"""The cached LALR parser over grammar/policy.lark, and a fast driver for its parse table.

`parser()` is the Lark object (our lexer, positions propagated); interactive tools and the
error path use it. `parse_text` runs the same LALR table with a lean loop of our own: it reads
the token list of the one scanner (`lexer.tokenize`) and decides keywords against its live
state stack in line, `name: WORD` is reduced as the word is shifted (`_units`), trees are shaped
as Lark's own tree-builder callbacks shape them (read once from them, `_build`; `_rule` nodes are
plain lists until their parent inlines them), and positions are carried on a side stack instead
of Lark's position-propagation wrappers (which cost as much as the rest of the parse). The tree
is lighter than Lark's (`Node`): a node's positions are one plain tuple, a token is the scanner's
own tuple, and a `name` node is its token, so a word costs no allocation at all. It is the tree
Lark builds, every position included, read through `to_lark`; tests/unit/syntax/test_fast_parser.py
compares the two. On any syntax error the text is handed to Lark's parser, so errors are exactly Lark's.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from itertools import chain
from typing import Any

from lark import Lark, Token, Tree
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ParseTreeBuilder

from policyc.syntax.lexer import Place, PolicyLexer, RawToken, compact_table, shift_reach, tokenize


@functools.cache
def parser() -> Lark:
    """The Lark LALR parser, built once per process (the grammar ships inside the package).

    Lark's analysis of the grammar (about 0.12 s of CPU, in every `policyc build`, `fmt` and LSP
    start) is kept in policyc's cache folder (k8s/datacache.py; off with POLICYC_NO_CACHE). Lark
    reads the file back only when its first line is the SHA-256 of this grammar, these options,
    Lark's and Python's versions, and carries on without it if it is damaged (lark/lark.py).
    """
    grammar = resources.files("policyc").joinpath("grammar/policy.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=PolicyLexer, propagate_positions=True, maybe_placeholders=False,
                cache=_cache_file(grammar))


def _cache_file(grammar: str) -> str | bool:
    """Where Lark keeps its analysis of `grammar` (False: nowhere). Not Lark's default, a
    predictable name in the shared temporary folder whose pickle another user could plant."""
    from policyc.k8s.datacache import cache_dir

    folder = cache_dir()
    if folder is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    return str(folder / f"lark-policy-{digest}.pickle")


# How the driver builds the node of a reduced rule: the tree's name (None for a rule whose name
# starts with `_`, which every parent inlines: its node is the plain list of its children, never
# a Tree) and which children it keeps, as Lark's ChildFilterLALR_NoPlaceholders has them
# ((index, inline that child's children), or None for all of them).
Build = tuple[str | None, tuple[tuple[int, bool], ...] | None]


@dataclass(frozen=True)
class _Tables:
    """What the fast driver needs from the Lark parser, computed once."""

    # {state: {symbol: action}}. A reduction: (None, symbols popped, rule name, how to build the
    # node). A shift: `_shift` (the state to push, what becomes of the token, a unit's tree name).
    states: dict[Any, dict[str, tuple[Any, int, str, Any]]]
    gotos: dict[Any, dict[str, Any]]  # {state: {rule name: state after reducing to it}}
    start: Any
    end: Any
    keywords: dict[str, str]
    punct: dict[str, str]
    shifts_memo: dict[tuple[Any, ...], bool] = field(default_factory=dict)  # `_keyword_shifts`' answers


# The end-of-input token fed after the last one (never shifted, so its position is unused).
_END = (("$END", "", (0, 0, 0, 0, 0, 0), None),)


class _SyntaxError(Exception):
    """The fast driver met input it cannot parse: Lark's parser reports it."""


class Node:
    """A node of `parse_text`'s tree: what Lark's `Tree` holds, without its methods or `Meta` object.

    `data` is the rule's name, `children` the kept children, `meta` the node's positions in
    `Place` order (line, column, end line, end column, start offset, end offset: `Span`'s fields
    after the file name), or None for a node without tokens (an empty file's `start`). A token
    in the tree is a `RawToken` tuple (terminal, text, place; the keyword candidate is not read);
    a `name` node (`name: WORD | STRING`) is its one token, the scanner's tuple itself. `to_lark`
    gives Lark's tree.
    """

    __slots__ = ("data", "children", "meta")

    def __init__(self, data: str, children: list[Any], meta: Place | None = None) -> None:
        self.data = data
        self.children = children
        self.meta = meta


# The rule whose node is its one token (`name: WORD | STRING`): nearly half of all nodes, made by no
# allocation at all. `_tables` checks the grammar still says so.
NAME = "name"
NAME_TERMINALS = frozenset({"WORD", "STRING"})


def to_lark(node: Node | RawToken) -> Tree | Token:
    """The Lark tree `parser()` builds for the same text, positions included (Lark's `Meta`
    fields; `propagate_positions` sets a one-token node's from its token)."""
    if type(node) is tuple:
        kind, value, (line, col, end_line, end_col, start, end), _ = node
        tok = Token(kind, value, start, line, col, end_line, end_col, end)
        if kind not in NAME_TERMINALS:
            return tok
        tree = Tree(NAME, [tok])
        node_meta: Place | None = node[2]
    else:
        tree = Tree(node.data, [to_lark(child) for child in node.children])
        node_meta = node.meta
    if node_meta is not None:
        meta = tree.meta
        meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos = node_meta
        meta.empty = False
    return tree


@functools.cache
def _tables() -> _Tables:
    lark = parser()
    table = lark.parser.parser.parser.parse_table
    _check_name_rule(lark)
    # The same tree shaping as `lark` (child filtering, `_rule` inlining), minus positions.
    builder = ParseTreeBuilder(lark.rules, Tree, propagate_positions=False, maybe_placeholders=False)
    builds = {rule: _build(str(rule.origin.name), cb) for rule, cb in builder.create_callback(None).items()}
    reductions = {
        state: {
            sym: (target, size, origin, None if rule is None else builds[rule])
            for sym, (target, size, origin, rule) in row.items()
        }
        for state, row in compact_table(table).items()
    }
    gotos = {state: {sym: target for sym, (target, *_) in row.items() if target is not None}
             for state, row in reductions.items()}
    kept = frozenset(
        str(sym.name) for rule in lark.rules for sym in rule.expansion if sym.is_term and not sym.filter_out
    )
    units = _units(reductions)
    states = {
        state: {sym: act if act[0] is None else _shift(act[0], sym in kept, units, gotos[state])
                for sym, act in row.items()}
        for state, row in reductions.items()
    }
    lexer = PolicyLexer(lark.lexer_conf)
    return _Tables(
        states,
        gotos,
        table.start_states["start"],
        table.end_states["start"],
        {k: str(v) for k, v in lexer.keywords.items()},
        {k: str(v) for k, v in lexer.punct.items()},
    )


def _check_name_rule(lark: Lark) -> None:
    """The tree makes a `name` node of its token alone: true while `name: WORD | STRING` is the
    only rule those terminals appear in (a grammar change breaks here, not in the tree)."""
    uses = {(str(rule.origin.name), tuple(str(sym.name) for sym in rule.expansion))
            for rule in lark.rules if any(str(sym.name) in NAME_TERMINALS for sym in rule.expansion)}
    if uses != {(NAME, (term,)) for term in NAME_TERMINALS}:
        raise TypeError(f"the grammar uses WORD or STRING outside `name: WORD | STRING`: {sorted(uses)}")


# What a shift does with its token (the `size` place of a shift action).
DROP, KEEP, NAME_UNIT, UNIT = 0, 1, 2, 3


def _shift(target: Any, keep: bool, units: dict[Any, tuple[str, str]], gotos: dict[str, Any]
           ) -> tuple[Any, int, str | None, Any]:
    """A shift action of `_Tables.states`: (state, what to do with the token (DROP, KEEP, or one
    of the units, made at once: NAME_UNIT's node is the token, UNIT's a node of it), the unit's
    tree name, None). For a unit the state is the goto after its reduction (from the state that
    shifts), so the unit's own state is never pushed."""
    unit = units.get(target) if keep else None
    if unit is None:
        return target, KEEP if keep else DROP, None, None
    tree, origin = unit
    return gotos[origin], NAME_UNIT if tree == NAME else UNIT, tree, None


def _units(states: dict[Any, dict[str, tuple[Any, int, str, Build | None]]]) -> dict[Any, tuple[str, str]]:
    """The states that reduce one symbol to a tree whatever comes next (`name: WORD`, a quarter of
    all reductions), with that tree's name and the rule's.

    The driver makes the reduction when it shifts the token, before reading the next one (a
    "default reduction"). The next token is what this reduction's lookahead set admits, or the
    text has a syntax error: the other actions of the state it goes to see it then, and parse_text
    hands the text to Lark's parser. The keyword test of the next word gives the same answer on
    both stacks: what `can_shift` finds after the goto is in the reduction's LALR lookahead set
    (DeRemer and Pennello's lookaheads are what the LR(0) moves can shift after it), so the
    reduction it simulates first on the other stack is the one made here.
    """
    units: dict[Any, tuple[str, str]] = {}
    for state, row in states.items():
        actions = set(row.values())
        if len(actions) != 1:
            continue
        target, size, origin, build = actions.pop()
        if target is None and size == 1 and build is not None and build[0] is not None and build[1] is None \
                and origin != "start":
            units[state] = (build[0], origin)
    return units


def _build(origin: str, callback: Any) -> Build:
    """What Lark's tree callback for a rule does, as data: `partial(Tree, name)` keeps every
    child; `ChildFilterLALR_NoPlaceholders` keeps some and inlines `_rule` children. The name is
    a plain str (a Token's Python-level `__eq__` made every `tree.data == "..."` a call).

    Any other shape (an option or a grammar feature this grammar does not use today) is an
    error here, at the first parse, rather than a tree that differs from Lark's.
    """
    include = None
    if isinstance(callback, ChildFilterLALR_NoPlaceholders):
        include = tuple((i, bool(expand)) for i, expand in callback.to_include)
        callback = callback.node_builder
    if not (isinstance(callback, functools.partial) and callback.func is Tree and len(callback.args) == 1
            and not callback.keywords):
        raise TypeError(f"unexpected Lark tree callback for rule {origin}: {callback!r}")
    # A `_rule` is always inlined by its parent (lark/parse_tree_builder.py `_should_expand`).
    return (None if origin.startswith("_") else str(callback.args[0])), include


_REACH = 6  # `_keyword_shifts` remembers answers that read at most this many states
_MEMO_SIZE = 4096  # and never more of them than this (a pathological text only simulates each time)


def _keyword_shifts(memo: dict[tuple[Any, ...], bool], states: dict[Any, dict[str, Any]], stack: list[Any],
                    keyword: str) -> bool:
    """`lexer.can_shift` (the keyword test when the keyword's action reduces), remembered in `memo`
    by the keyword and the top states the answer read: a few dozen keys in a whole organisation,
    for tens of thousands of questions (a simulation costs about 0.5 us, a lookup a fifth of that)."""
    key = (keyword, *stack[-_REACH:])
    known = memo.get(key)
    if known is None:
        known, reach = shift_reach(states, stack, keyword)
        if reach <= _REACH and len(memo) < _MEMO_SIZE:
            memo[key] = known
    return known


def _fast_parse(text: str) -> Node:
    """Parse `text` (ending in a newline) with the LALR table; _SyntaxError on bad input."""
    t = _tables()
    states, gotos, end_state, shifts_memo = t.states, t.gotos, t.end, t.shifts_memo
    new_node = object.__new__
    stack: list[Any] = [t.start]
    values: list[Any] = []
    # One entry per stack value: its positions (`Place`), or None for an empty node.
    spans: list[tuple | None] = []

    cut = tokenize(text, t.keywords, t.punct)
    # After a character no token starts with, no end of input: Lark's parser reports the error.
    for tok in chain(cut.tokens, _END if cut.error is None else ()):
        kind, value, place, keyword = tok
        row = states[stack[-1]]
        # lexer.scan's keyword test, its first step in line (most words decide there); a keyword's
        # action is the one looked up to decide it
        if keyword is not None and (action := row.get(keyword)) is not None and (
                action[0] is not None or _keyword_shifts(shifts_memo, states, stack, keyword)):
            kind = keyword
        else:
            action = row.get(kind)
        while True:
            if action is None:
                raise _SyntaxError
            target, size, origin, build = action
            if target is not None:  # a shift: `size` says what becomes of the token (DROP, KEEP, a unit)
                if size == NAME_UNIT:  # `name: WORD`, reduced now: the node is the token
                    values.append(tok)
                elif size == DROP:
                    values.append(None)
                elif size == KEEP:
                    values.append((kind, value, place, None))
                else:  # another unit (`subject: EVERYONE`): a node of the token
                    node = new_node(Node)
                    node.data, node.children, node.meta = origin, [(kind, value, place, None)], place
                    values.append(node)
                stack.append(target)
                spans.append(place)
                break
            name, include = build
            if size == 1:  # a one-child node spans its child
                node_span = spans[-1]
                children = values[-1:]
                del stack[-1]
            elif size:
                children = values[-size:]
                first, last = spans[-size], spans[-1]
                if first is None or last is None:  # an empty child at an end: the nearest with tokens
                    child_spans = spans[-size:]
                    first = next((s for s in child_spans if s is not None), None)
                    last = next((s for s in reversed(child_spans) if s is not None), None)
                del stack[-size:], values[-size + 1:], spans[-size + 1:]
                # From the node's first token to its last, filtered tokens included (as Lark does).
                node_span = None if first is None else (first[0], first[1], last[2], last[3], first[4], last[5])
            else:
                children = []
                node_span = None
                values.append(None)  # the node's place, filled below as for the other sizes
                spans.append(None)
            if include is not None:
                kids: list[Any] = []
                for i, inline in include:
                    if not inline:
                        kids.append(children[i])
                    elif kids:
                        kids += children[i]
                    else:  # reuse the inlined list: left-recursive lists stay linear (as Lark does)
                        kids = children[i]
                children = kids
            if name is None:
                node = children
            else:
                node = new_node(Node)  # Node.__init__ would be a Python call per node
                node.data, node.children, node.meta = name, children, node_span
            new_state = gotos[stack[-1]][origin]
            if new_state == end_state and kind == "$END":
                return node
            stack.append(new_state)
            values[-1] = node
            spans[-1] = node_span
            action = states[new_state].get(kind)
    raise _SyntaxError


def parse_text(text: str) -> Node:
    """Parse one file's text into a syntax tree (`Node`); raises lark's exceptions on bad input."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _fast_parse(text)
    except _SyntaxError:
        pass
    parser().parse(text)  # raises Lark's own error for the text
    raise AssertionError("the fast parser rejected a text Lark's parser accepts")  # test_fast_parser.py

"""The cached LALR parser over grammar/policy.lark, and a fast driver for its parse table.

`parser()` is the Lark object (our lexer, positions propagated); interactive tools and the
error path use it. `parse_text` runs the same LALR table with a lean loop of our own: it reads
the token list of the one scanner (`lexer.tokenize`) and decides keywords against its live
state stack in line, `name: WORD` is reduced as the word is shifted (`_units`), only the tokens
the tree keeps become Token objects, trees are shaped as Lark's own tree-builder callbacks shape
them (read once from them, `_build`; `_rule` nodes are plain lists until their parent inlines
them), and positions are carried on a side stack instead of Lark's position-propagation wrappers
(which cost as much as the rest of the parse); a node's `meta` is a `SpanMeta` tuple. The tree,
including every node's `meta` positions, is the one Lark builds; tests/unit/syntax/test_fast_parser.py
compares the two. On any syntax error the text is handed to Lark's parser, so errors are exactly Lark's.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from itertools import chain
from operator import itemgetter
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ParseTreeBuilder

from policyc.syntax.lexer import PolicyLexer, can_shift, compact_table, tokenize


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
    # node). A shift: (state to shift to, whether the token is kept in the tree (the others are
    # filtered out), "", and for a kept token the reduction made at once (`_units`) or None).
    states: dict[Any, dict[str, tuple[Any, int, str, Any]]]
    gotos: dict[Any, dict[str, Any]]  # {state: {rule name: state after reducing to it}}
    start: Any
    end: Any
    keywords: dict[str, str]
    punct: dict[str, str]


# The end-of-input token fed after the last one (never shifted, so its position is unused).
_END = (("$END", "", (0, 0, 0, 0, 0, 0), None),)


class _SyntaxError(Exception):
    """The fast driver met input it cannot parse: Lark's parser reports it."""


class SpanMeta(tuple):
    """A node's positions, read as Lark's `Meta` has them: one tuple made in C instead of a Meta
    object and seven attribute stores per node. The order is `Span`'s after the file name
    (line, column, end line, end column, start offset, end offset)."""

    __slots__ = ()
    empty = False
    line = property(itemgetter(0))
    column = property(itemgetter(1))
    end_line = property(itemgetter(2))
    end_column = property(itemgetter(3))
    start_pos = property(itemgetter(4))
    end_pos = property(itemgetter(5))


@functools.cache
def _tables() -> _Tables:
    lark = parser()
    table = lark.parser.parser.parser.parse_table
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
        state: {sym: act if act[0] is None else _shift(act[0], sym in kept, units) for sym, act in row.items()}
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


def _shift(target: Any, keep: bool, units: dict[Any, tuple[str, str]]) -> tuple[Any, bool, str, Any]:
    """A shift action of `_Tables.states` (the driver reads these from the action, not from two more
    lookups per token)."""
    return target, keep, "", units.get(target) if keep else None


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


def _fast_parse(text: str) -> Tree:
    """Parse `text` (ending in a newline) with the LALR table; _SyntaxError on bad input."""
    t = _tables()
    states, gotos, end_state = t.states, t.gotos, t.end
    new_tree = object.__new__
    new_token = str.__new__
    stack: list[Any] = [t.start]
    values: list[Any] = []
    # One entry per stack value: SpanMeta order (line, col, end_line, end_col, start, end), or None
    # for an empty node.
    spans: list[tuple | None] = []

    cut = tokenize(text, t.keywords, t.punct)
    # After a character no token starts with, no end of input: Lark's parser reports the error.
    for kind, value, place, keyword in chain(cut.tokens, _END if cut.error is None else ()):
        if keyword is not None:  # lexer.scan's keyword test, its first step in line (most words decide there)
            action = states[stack[-1]].get(keyword)
            if action is not None and (action[0] is not None or can_shift(states, stack, keyword)):
                kind = keyword
        while True:
            action = states[stack[-1]].get(kind)
            if action is None:
                raise _SyntaxError
            target, size, origin, build = action
            if target is not None:  # a shift: `size` says whether the token is kept, `build` is its unit
                if size:
                    tok = new_token(Token, value)  # Token's own __new__ is two Python calls
                    tok.type = kind
                    tok.value = value
                    tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos = place
                    if build is not None:  # `name: WORD`, reduced now (`_units`): its node instead of the token
                        node = new_tree(Tree)
                        node_span = SpanMeta(place)  # a one-child node spans its child
                        node.data, node.children, node._meta = build[0], [tok], node_span
                        stack.append(gotos[stack[-1]][build[1]])
                        values.append(node)
                        spans.append(node_span)
                        break
                    values.append(tok)
                else:
                    values.append(None)
                stack.append(target)
                spans.append(place)
                break
            name, include = build
            if size == 1:  # the commonest reduction (`name: WORD`): the node replaces its child in place
                node_span = spans[-1]
                if name is not None and node_span is not None and type(node_span) is not SpanMeta:
                    node_span = SpanMeta(node_span)  # a one-child node spans its child
                children = values[-1:]
                del stack[-1]
            elif size:
                children = values[-size:]
                child_spans = spans[-size:]
                del stack[-size:], values[-size + 1:], spans[-size + 1:]
                first, last = child_spans[0], child_spans[-1]
                if first is None or last is None:
                    first = next((s for s in child_spans if s is not None), None)
                    last = next((s for s in reversed(child_spans) if s is not None), None)
                # From the node's first token to its last, filtered tokens included (as Lark does).
                node_span = None if first is None else SpanMeta(
                    (first[0], first[1], last[2], last[3], first[4], last[5]))
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
                node = new_tree(Tree)  # Tree.__init__ would be a Python call per node
                node.data, node.children, node._meta = name, children, node_span
            new_state = gotos[stack[-1]][origin]
            if new_state == end_state and kind == "$END":
                return node
            stack.append(new_state)
            values[-1] = node
            spans[-1] = node_span
    raise _SyntaxError


def parse_text(text: str) -> Tree:
    """Parse one file's text into a syntax tree; raises lark's exceptions on bad input."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _fast_parse(text)
    except (_SyntaxError, UnexpectedCharacters):
        return parser().parse(text)

"""The cached LALR parser over grammar/policy.lark, and a fast driver for its parse table.

`parser()` is the Lark object (our lexer, positions propagated); interactive tools and the
error path use it. `parse_text` runs the same LALR table with a lean loop of our own: the
lexer is fed the live state stack directly, only the tokens the tree keeps become Token
objects, trees are shaped by Lark's own tree-builder callbacks, and positions are carried on
a side stack instead of Lark's position-propagation wrappers (which cost as much as the rest
of the parse). The tree, including every node's `meta` positions, is the one Lark builds;
tests/unit/syntax/test_fast_parser.py compares the two. On any syntax error the text is handed to
Lark's parser, so errors are exactly Lark's.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from itertools import chain
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters
from lark.parse_tree_builder import ParseTreeBuilder
from lark.tree import Meta

from policyc.syntax.lexer import PolicyLexer, can_shift, compact_table, scan


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


@dataclass(frozen=True)
class _Tables:
    """What the fast driver needs from the Lark parser, computed once."""

    # {state: {symbol: (state to shift to or None, symbols popped, rule name, tree callback)}}
    states: dict[Any, dict[str, tuple[Any, int, str, Any]]]
    start: Any
    end: Any
    kept: frozenset[str]  # terminals that appear in trees (the others are filtered out)
    keywords: dict[str, str]
    punct: dict[str, str]


# The end-of-input token fed after the last one (never shifted, so its position is unused).
_END = ("$END", "", 0, 0, 0, 0, 0, 0)


class _SyntaxError(Exception):
    """The fast driver met input it cannot parse: Lark's parser reports it."""


@functools.cache
def _tables() -> _Tables:
    lark = parser()
    table = lark.parser.parser.parser.parse_table
    # The same tree shaping as `lark` (child filtering, `_rule` inlining), minus positions.
    builder = ParseTreeBuilder(lark.rules, Tree, propagate_positions=False, maybe_placeholders=False)
    callbacks = {rule: _plain_name(cb) for rule, cb in builder.create_callback(None).items()}
    states = {
        state: {
            sym: (target, size, origin, None if rule is None else callbacks[rule])
            for sym, (target, size, origin, rule) in row.items()
        }
        for state, row in compact_table(table).items()
    }
    kept = frozenset(
        str(sym.name) for rule in lark.rules for sym in rule.expansion if sym.is_term and not sym.filter_out
    )
    lexer = PolicyLexer(lark.lexer_conf)
    return _Tables(
        states,
        table.start_states["start"],
        table.end_states["start"],
        kept,
        {k: str(v) for k, v in lexer.keywords.items()},
        {k: str(v) for k, v in lexer.punct.items()},
    )


def _plain_name(callback: Any) -> Any:
    """`callback` naming its trees with a plain str instead of Lark's Token rule name.

    The name is the same text; a str compares in C, where a Token's Python-level `__eq__`
    made every `tree.data == "..."` of the lowering a function call. Callbacks of another
    shape are returned as they are.
    """
    if isinstance(callback, functools.partial) and callback.func is Tree and callback.args:
        return functools.partial(Tree, str(callback.args[0]), *callback.args[1:])
    inner = getattr(callback, "node_builder", None)
    if inner is not None and _plain_name(inner) is not inner:
        callback = copy.copy(callback)
        callback.node_builder = _plain_name(inner)
    return callback


def _fast_parse(text: str) -> Tree:
    """Parse `text` (ending in a newline) with the LALR table; _SyntaxError on bad input."""
    t = _tables()
    states, kept, end_state = t.states, t.kept, t.end
    new_meta = object.__new__
    stack: list[Any] = [t.start]
    values: list[Any] = []
    # One entry per stack value: (start, end, line, col, end_line, end_col), or None for an empty node.
    spans: list[tuple | None] = []

    def is_keyword(term: str) -> bool:
        return can_shift(states, stack, term)

    tokens = scan(text, t.keywords, t.punct, is_keyword)
    for kind, value, start, end, line, col, end_line, end_col in chain(tokens, [_END]):
        while True:
            action = states[stack[-1]].get(kind)
            if action is None:
                raise _SyntaxError
            target, size, origin, callback = action
            if target is not None:
                stack.append(target)
                values.append(Token(kind, value, start, line, col, end_line, end_col, end) if kind in kept else None)
                spans.append((start, end, line, col, end_line, end_col))
                break
            node_span = None
            if size:
                children = values[-size:]
                child_spans = spans[-size:]
                del stack[-size:], values[-size:], spans[-size:]
                for first in child_spans:
                    if first is not None:
                        for last in reversed(child_spans):
                            if last is not None:
                                break
                        # From the node's first token to its last, filtered tokens included (as Lark does).
                        node_span = (first[0], last[1], first[2], first[3], last[4], last[5])
                        break
            else:
                children = []
            node = callback(children)
            if node_span is not None and type(node) is Tree:
                meta = node._meta = new_meta(Meta)  # every attribute is set here: no __init__ needed
                meta.empty = False
                meta.start_pos, meta.end_pos, meta.line, meta.column, meta.end_line, meta.end_column = node_span
            new_state = states[stack[-1]][origin][0]
            if new_state == end_state and kind == "$END":
                return node
            stack.append(new_state)
            values.append(node)
            spans.append(node_span)
    raise _SyntaxError


def parse_text(text: str) -> Tree:
    """Parse one file's text into a syntax tree; raises lark's exceptions on bad input."""
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _fast_parse(text)
    except (_SyntaxError, UnexpectedCharacters):
        return parser().parse(text)

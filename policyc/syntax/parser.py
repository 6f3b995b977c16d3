"""The cached LALR parser over grammar/policy.lark."""

from __future__ import annotations

import functools
from importlib import resources

from lark import Lark, Tree

from policyc.syntax.lexer import PolicyLexer


@functools.cache
def parser() -> Lark:
    """The Lark LALR parser, built once per process (the grammar ships inside the package)."""
    grammar = resources.files("policyc").joinpath("grammar/policy.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=PolicyLexer, propagate_positions=True, maybe_placeholders=False)


def parse_text(text: str) -> Tree:
    """Parse one file's text into a syntax tree; raises lark's exceptions on bad input."""
    if not text.endswith("\n"):
        text += "\n"
    return parser().parse(text)

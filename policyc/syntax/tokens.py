"""The compiler's token stream, for tools: the formatter and the language server's completion.

The tokens are those `PolicyLexer` produces while the cached LALR parser drives it
(`parser().parse_interactive`), so every keyword-or-name decision is the compiler's own. Tools
get plain `Tok` values and `PolicySyntaxError`, never lark's types: lark stays inside
`policyc/syntax/` (issue 12, "thin tools").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lark.exceptions import UnexpectedInput

from policyc.diagnostics import Diagnostic
from policyc.source import SourceFile
from policyc.syntax.errors import syntax_diagnostic
from policyc.syntax.lexer import PolicyLexer, tokenize
from policyc.syntax.parser import parser

__all__ = ["PolicySyntaxError", "Tok", "accepts", "keyword_terminals", "lex", "split"]


@dataclass(frozen=True)
class Tok:
    """One token: its terminal (`WORD`, `STRING`, `LBRACE`, `_NL`, `ROLE`, ...), text and offsets."""

    type: str
    value: str
    start: int
    end: int


class PolicySyntaxError(Exception):
    """The text does not parse; `diagnostic(src)` is the compiler's PC0xx diagnostic for it."""

    def __init__(self, cause: UnexpectedInput) -> None:
        super().__init__(str(cause))
        self._cause = cause

    def diagnostic(self, src: SourceFile) -> Diagnostic:
        """The syntax error as the compiler reports it, positioned in `src`."""
        return syntax_diagnostic(self._cause, src)


def _tok(t) -> Tok:  # noqa: ANN001  (a lark Token)
    start = t.start_pos or 0
    return Tok(t.type, str(t.value), start, t.end_pos if t.end_pos is not None else start + len(t.value))


def with_newline(text: str) -> str:
    """`text` ending in a newline, as `parse_text` reads it (every statement ends with one)."""
    return text if text.endswith("\n") else text + "\n"


def lex(text: str) -> list[Tok]:
    """Every token of `text` (`_NL` included) as the parser consumes them, to the end of the file.

    Raises PolicySyntaxError where `parse_text` would fail.
    """
    try:
        ip = parser().parse_interactive(with_newline(text))
        tokens = list(ip.iter_parse())
        ip.feed_eof(tokens[-1] if tokens else None)
    except UnexpectedInput as exc:
        raise PolicySyntaxError(exc) from None
    return [_tok(t) for t in tokens]


def split(text: str) -> list[Tok]:
    """The tokens `lex` cuts `text` into, values and offsets, without running the parser: where `lex`
    reads a bare word as a keyword (the parser's state decides) it stays `WORD` here, and nothing but
    the characters is checked. Raises PolicySyntaxError where a character starts no token.

    Where tokens start and end does not depend on the parser (it decides only keyword or name), so
    for a text that parses this is `lex` but for the kinds of keywords (`lexer.tokenize`'s tokens):
    enough for what reads the layout of a text and not its words, at a tenth of the cost (importer/render.py, issue 19).
    """
    lexer = _lexer()
    cut = tokenize(with_newline(text), lexer.keywords, lexer.punct)
    if cut.error is not None:
        raise PolicySyntaxError(cut.error)
    return [Tok(kind, value, place[4], place[5]) for kind, value, place, _ in cut.tokens]


@functools.cache
def _lexer() -> PolicyLexer:
    return PolicyLexer(parser().lexer_conf)


def accepts(before: str) -> tuple[list[Tok], frozenset[str]] | None:
    """The tokens of an unfinished text and the terminals the parser accepts next; None if it
    already has a syntax error. Completion asks this of the text up to the cursor."""
    try:
        ip = parser().parse_interactive(before)
        tokens = list(ip.iter_parse())
        return [_tok(t) for t in tokens], frozenset(ip.accepts())
    except UnexpectedInput:
        return None


@functools.cache
def keyword_terminals() -> dict[str, str]:
    """Keyword terminal name -> its text (`__ANON_0` -> `aggregate-to`), from the grammar."""
    return {term: text for text, term in _lexer().keywords.items()}

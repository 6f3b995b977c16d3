"""The compiler's own token stream of a file, with the comments the lexer skips recovered.

No second lexer: the tokens come from `PolicyLexer` driven by the cached LALR parser
(`policyc.syntax.tokens.lex`), so every keyword/name decision is the compiler's. The
lexer keeps full-line comments inside `_NL` token values and skips end-of-line comments;
between two consecutive tokens only blanks and at most one such comment can have been
skipped, so the text between them gives the comment back by position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from policyc.syntax.tokens import Tok, lex, with_newline


@dataclass(frozen=True)
class Piece:
    """One token of the file as the lexer produced it, or a skipped end-of-line comment."""

    kind: str  # a terminal name (`WORD`, `LBRACE`, `_NL`, `ROLE`, ...) or `COMMENT`
    text: str
    start: int


def pieces(text: str, tokens: Callable[[str], Iterable[Tok]] = lex) -> Iterator[Piece]:
    """The tokens of `text` in order, with skipped end-of-line comments put back in place.

    A line break after a comma that continues the statement (syntax/lexer.py) comes back as a
    `WRAP` piece, so the layout keeps it. `tokens` is `lex`, or `split` (no parser, so no syntax
    check and no keywords; the layout reads neither).
    """
    text = with_newline(text)
    pos = 0
    previous = ""
    for tok in tokens(text):
        start = tok.start
        gap = text[pos:start]
        hash_at = gap.find("#")
        if hash_at >= 0:
            yield Piece("COMMENT", gap[hash_at:].rstrip(), pos + hash_at)
        elif previous == "COMMA" and "\n" in gap:
            yield Piece("WRAP", "", pos)  # a line break the lexer read as a continuation
        yield Piece(tok.type, tok.value, start)
        previous = tok.type
        pos = tok.end


def signature(text: str) -> list[tuple[str, str]]:
    """What the parser sees of `text` apart from line breaks: (terminal, value) of every token.

    Two texts with the same signature, both parsing, lower to the same model: the formatter
    only moves line breaks where the grammar allows an optional `_NL`.
    """
    return [(t.type, t.value) for t in lex(text) if t.type != "_NL"]

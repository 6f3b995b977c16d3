"""The tokenizer fed to Lark's LALR parser.

Two reasons for a lexer of our own. Keywords: LALR merges the lookaheads of states that look
alike, so Lark's contextual lexer would read `groups` in `get groups` as the keyword of
`user ... groups`. Here a bare word becomes a keyword only when the parser, after the
reductions it would make, can actually shift that keyword; otherwise it stays a name.
Speed: one compiled regex and a tight loop, instead of Lark's general-purpose lexer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState, Token

WORD_RE = r"[A-Za-z0-9/*][A-Za-z0-9._@:/=+*\-]*"
_TOKEN = re.compile(
    r"(?P<_NL>(?:\r?\n[\t \f]*(?:#[^\n]*)?)+)"
    r"|(?P<WS>[\t \f]+)"
    r"|(?P<COMMENT>#[^\n]*)"
    rf"|(?P<WORD>{WORD_RE})"
    r'|(?P<STRING>"(?:[^"\\\n]|\\[^\n])*")'
    r"|(?P<PUNCT>[{},])"
)
_WORD_FULL = re.compile(WORD_RE + r"\Z")


def _can_shift(parser_state: Any, term: str) -> bool:
    """Whether the LALR parser, from its current stack, would shift `term` (after reductions)."""
    states = parser_state.parse_conf.parse_table.states
    stack = list(parser_state.state_stack)
    while True:
        action = states[stack[-1]].get(term)
        if action is None:
            return False
        kind, arg = action
        if kind.name == "Shift":
            return True
        size = len(arg.expansion)
        if size:
            del stack[-size:]
        goto = states[stack[-1]].get(arg.origin.name)
        if goto is None:
            return False
        stack.append(goto[1])


class PolicyLexer(Lexer):
    """Lark lexer interface 2: `lex(lexer_state, parser_state)` yields tokens."""

    __future_interface__ = 2

    def __init__(self, lexer_conf: Any) -> None:
        self.keywords: dict[str, str] = {}
        self.punct: dict[str, str] = {}
        for term in lexer_conf.terminals:
            if term.pattern.type != "str":
                continue
            if _WORD_FULL.match(term.pattern.value):
                self.keywords[term.pattern.value] = term.name
            else:
                self.punct[term.pattern.value] = term.name

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        """Tokenize the whole text, deciding keywords against the live parser state."""
        text: str = lexer_state.text.text
        pos, line, line_start = 0, 1, 0
        end = len(text)
        match = _TOKEN.match
        keywords, punct = self.keywords, self.punct
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(text, pos, line, pos - line_start + 1, allowed={"WORD", "STRING"})
            kind = m.lastgroup
            value = m.group()
            new_pos = m.end()
            if kind == "WS" or kind == "COMMENT":
                pos = new_pos
                continue
            col = pos - line_start + 1
            if kind == "_NL":
                newlines = value.count("\n")
                tok = Token("_NL", value, pos, line, col, line + newlines, 1, new_pos)
                line += newlines
                line_start = pos + value.rfind("\n") + 1
                pos = new_pos
                yield tok
                continue
            if kind == "PUNCT":
                kind = punct[value]
            elif kind == "WORD" and value in keywords and _can_shift(parser_state, keywords[value]):
                kind = keywords[value]
            yield Token(kind, value, pos, line, col, line, col + len(value), new_pos)
            pos = new_pos

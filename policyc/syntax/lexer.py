"""The tokenizer fed to Lark's LALR parser.

Two reasons for a lexer of our own. Keywords: LALR merges the lookaheads of states that look
alike, so Lark's contextual lexer would read `groups` in `get groups` as the keyword of
`user ... groups`. Here a bare word becomes a keyword only when the parser, after the
reductions it would make, can actually shift that keyword; otherwise it stays a name.
Speed: one compiled regex and a tight loop, instead of Lark's general-purpose lexer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState, Token
from lark.parsers.lalr_analysis import Shift

WORD_RE = r"[A-Za-z0-9/*][A-Za-z0-9._@:/=+*\-]*"
# Blanks before a token are part of its match (one match per token, not two); `WS` is the blank
# at the end of the text.
_BLANKS = re.compile(r"[\t \f]*")
_TOKEN = re.compile(
    r"[\t \f]*(?:"
    r"(?P<_NL>(?:\r?\n[\t \f]*(?:#[^\n]*)?)+)"
    r"|(?P<COMMENT>#[^\n]*)"
    rf"|(?P<WORD>{WORD_RE})"
    r'|(?P<STRING>"(?:[^"\\\n]|\\[^\n])*")'
    r"|(?P<PUNCT>!=|[{},!])"
    r"|(?P<WS>\Z))"
)
_WORD_FULL = re.compile(WORD_RE + r"\Z")


# One action of a compact parse table: (state to shift to, or None to reduce; for a reduction,
# the number of symbols popped, the rule's nonterminal and the rule itself).
Action = tuple[Any, int, str, Any]


@functools.cache
def compact_table(parse_table: Any) -> dict[Any, dict[str, Action]]:
    """Lark's LALR parse table as {state: {symbol: Action}}, keyed by plain strings.

    Lark's keys are Token objects whose Python-level `__eq__` slows every lookup by a str.
    """
    out: dict[Any, dict[str, Action]] = {}
    for state, actions in parse_table.states.items():
        row: dict[str, Action] = {}
        for symbol, (kind, arg) in actions.items():
            if kind is Shift:
                row[str(symbol)] = (arg, 0, "", None)
            else:
                row[str(symbol)] = (None, len(arg.expansion), str(arg.origin.name), arg)
        out[state] = row
    return out


def can_shift(table: dict[Any, dict[str, Action]], stack: list[Any], term: str) -> bool:
    """Whether an LALR parser with `stack` would shift `term` after the reductions it makes.

    `table` is a `compact_table`. The reductions are simulated on a small overlay, so the
    stack itself is neither copied nor changed.
    """
    depth = len(stack)  # the simulated stack is stack[:depth] + pushed
    pushed: list[Any] = []
    state = stack[-1]
    while True:
        action = table[state].get(term)
        if action is None:
            return False
        target, size, origin, _ = action
        if target is not None:
            return True
        if size >= len(pushed):
            depth -= size - len(pushed)
            pushed.clear()
        elif size:
            del pushed[-size:]
        top = pushed[-1] if pushed else stack[depth - 1]
        goto = table[top].get(origin)
        if goto is None:
            return False
        state = goto[0]
        pushed.append(state)


# A raw token: (terminal, text, start offset, end offset, line, column, end line, end column).
RawToken = tuple[str, str, int, int, int, int, int, int]


def scan(
    text: str, keywords: dict[str, str], punct: dict[str, str], is_keyword: Callable[[str], bool]
) -> Iterator[RawToken]:
    """Tokenize `text`, blanks and end-of-line comments skipped.

    A bare word in `keywords` becomes that keyword's terminal when `is_keyword(terminal)` says
    the parser can shift it now; otherwise it stays a WORD. Raises UnexpectedCharacters.
    """
    pos, line, line_start = 0, 1, 0
    end = len(text)
    match = _TOKEN.match
    continues = False  # the last token was a `,`: a line break here may continue the statement
    line_indent, at_line_start = 0, True  # indentation of the statement's first line
    while pos < end:
        m = match(text, pos)
        if m is None:
            pos = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]  (always matches)
            raise UnexpectedCharacters(text, pos, line, pos - line_start + 1, allowed={"WORD", "STRING"})
        kind = m.lastgroup
        new_pos = m.end()
        if kind == "WS":
            break
        value = m.group(kind)  # type: ignore[arg-type]
        pos = new_pos - len(value)
        if kind == "COMMENT":
            continues = False  # no comment inside a wrapped list: fmt keeps them
            pos = new_pos
            continue
        col = pos - line_start + 1
        if kind == "_NL":
            newlines = value.count("\n")
            line_start = pos + value.rfind("\n") + 1
            tok = ("_NL", value, pos, new_pos, line, col, line + newlines, new_pos - line_start + 1)
            line += newlines
            pos = new_pos
            # A line that ends with a comma goes on when the next line is indented deeper than
            # the statement's first line (a long list, wrapped), with no comment or blank line
            # in the break; otherwise the line ends there, as before.
            if not (continues and newlines == 1 and "#" not in value and new_pos - line_start > line_indent):
                at_line_start = True
                yield tok
            continues = False
            continue
        if kind == "PUNCT":
            kind = punct[value]
        elif kind == "WORD" and value in keywords and is_keyword(keywords[value]):
            kind = keywords[value]
        continues = kind == "COMMA"
        if at_line_start:
            line_indent, at_line_start = col - 1, False
        yield (kind, value, pos, new_pos, line, col, line, col + new_pos - pos)
        pos = new_pos


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
        table = compact_table(parser_state.parse_conf.parse_table)

        def is_keyword(term: str) -> bool:
            return can_shift(table, parser_state.state_stack, term)

        for kind, value, start, end, line, col, end_line, end_col in scan(
            lexer_state.text.text, self.keywords, self.punct, is_keyword
        ):
            yield Token(kind, value, start, line, col, end_line, end_col, end)

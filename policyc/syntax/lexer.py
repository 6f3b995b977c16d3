"""The tokenizer fed to Lark's LALR parser.

Two reasons for a lexer of our own. Keywords: LALR merges the lookaheads of states that look
alike, so Lark's contextual lexer would read `groups` in `get groups` as the keyword of
`user ... groups`. Here a bare word becomes a keyword only when the parser, after the
reductions it would make, can actually shift that keyword; otherwise it stays a name.
Speed: one regex call cuts the whole text (`tokenize`), instead of Lark's general-purpose lexer;
the parser reads the token list, with the keyword test in line.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState, Token
from lark.parsers.lalr_analysis import Shift

WORD_RE = r"[A-Za-z0-9/*][A-Za-z0-9._@:/=+*\-]*"
# One match per token, the blanks before it included (group 1). Exactly one of the other groups
# is non-empty: a word, a line break (with the blank and comment lines after it), a punctuation
# mark or a string (a mark is in `punct`, a string never), or the rest: an end-of-line comment
# (from `#`) or any other character, where no token starts (an error, reported only when the
# parser reaches it). Blanks at the end of the text match nothing. Fewer groups, fewer strings
# per match. The alternatives start with different characters, so their order is only the
# commonest first; nothing follows a repetition that could make it give characters back, so all
# are possessive.
_TOKENS = re.compile(
    r"([\t \f]*+)(?:"
    rf"({WORD_RE}+)"
    r"|((?:\r?\n[\t \f]*+(?:#[^\n]*+)?)++)"
    r'|(!=|[{},!]|"(?:[^"\\\n]|\\[^\n])*+")'
    r"|(#[^\n]*+|[^\t \f]))"
)
_WORD_FULL = re.compile(WORD_RE + r"\Z")
_BLANKS = re.compile(r"[\t \f]*+")


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
    return shift_reach(table, stack, term)[0]


def shift_reach(table: dict[Any, dict[str, Action]], stack: list[Any], term: str) -> tuple[bool, int]:
    """`can_shift`, and how many states from the top of `stack` its answer read (the answer is
    the same for any stack that ends with those states)."""
    depth = len(stack)  # the simulated stack is stack[:depth] + pushed
    reach = 1  # the top state is read first
    pushed: list[Any] = []
    state = stack[-1]
    while True:
        action = table[state].get(term)
        if action is None:
            return False, reach
        target, size, origin, _ = action
        if target is not None:
            return True, reach
        if size >= len(pushed):
            depth -= size - len(pushed)
            pushed.clear()
        elif size:
            del pushed[-size:]
        if pushed:
            top = pushed[-1]
        else:
            top = stack[depth - 1]
            reach = max(reach, len(stack) - depth + 1)
        goto = table[top].get(origin)
        if goto is None:
            return False, reach
        state = goto[0]
        pushed.append(state)


# A token's positions, in the order of parser.SpanMeta and source.Span after the file name:
# (line, column, end line, end column, start offset, end offset); lines and columns 1-based.
Place = tuple[int, int, int, int, int, int]
# A token: (terminal, text, place, the keyword terminal a bare word may be read as, or None).
RawToken = tuple[str, str, Place, str | None]


def tokenize(text: str, keywords: dict[str, str], punct: dict[str, str]) -> Tokens:
    """Cut `text` into tokens in one pass (one regex call for the whole text), blanks and
    end-of-line comments skipped; every bare word is a WORD, its keyword terminal beside it.

    A character where no token starts ends the list: the error is `Tokens.error`, to be raised
    when a consumer reaches it (a syntax error before it is reported first, as Lark would).
    """
    out: list[RawToken] = []
    append = out.append
    pos, line, base = 0, 1, -1  # `base`: the offset before the line's first character (a column is offset - base)
    continues = False  # the last token was a `,`: a line break here may continue the statement
    # The indentation of the statement's first line: the blanks the text starts with, then the
    # blanks a line break token ends with (the next token starts right after it).
    line_indent = _BLANKS.match(text).end()  # type: ignore[union-attr]  (it matches the empty string)
    get_keyword = keywords.get
    intern = sys.intern
    for blanks, word, newline, mark, rest in _TOKENS.findall(text):
        start = pos + len(blanks) if blanks else pos
        if word:
            end = start + len(word)
            # One string object per distinct word across every file (`team`, a namespace's name
            # in each grant): its hash, computed for the keyword test below, is kept, and the
            # checks that read names touch one object per name (2-4 % of a build at 3,000
            # namespaces; about 9 MB less at the peak). Interned strings are freed with their
            # last reference (the editor's server does not keep them).
            word = intern(word)
            append(("WORD", word, (line, start - base, line, end - base, start, end), get_keyword(word)))
            continues = False
        elif newline:
            end = start + len(newline)
            newlines = newline.count("\n")
            col = start - base
            base = start + newline.rfind("\n")
            place = (line, col, line + newlines, end - base, start, end)
            line += newlines
            # A line that ends with a comma goes on when the next line is indented deeper than
            # the statement's first line (a long list, wrapped), with no comment or blank line
            # in the break; otherwise the line ends there, as before.
            if not (continues and newlines == 1 and "#" not in newline and end - base > line_indent + 1):
                line_indent = end - base - 1
                append(("_NL", newline, place, None))
            continues = False
        elif mark:
            end = start + len(mark)
            kind = punct.get(mark, "STRING")
            append((kind, mark, (line, start - base, line, end - base, start, end), None))
            continues = kind == "COMMA"
        elif rest[0] == "#":  # an end-of-line comment
            end = start + len(rest)
            continues = False  # no comment inside a wrapped list: fmt keeps them
        else:
            return Tokens(out, UnexpectedCharacters(text, start, line, start - base,
                                                    allowed={"WORD", "STRING"}))
        pos = end
    return Tokens(out, None)


@dataclass(frozen=True)
class Tokens:
    """What `tokenize` cut: the tokens, and the error after the last of them (None: none)."""

    tokens: list[RawToken]
    error: UnexpectedCharacters | None


def scan(
    text: str, keywords: dict[str, str], punct: dict[str, str], is_keyword: Callable[[str], bool]
) -> Iterator[tuple[str, str, Place]]:
    """The tokens of `text` (`tokenize`), each bare word in `keywords` read as that keyword's
    terminal when `is_keyword(terminal)` says the parser can shift it now; otherwise it stays a
    WORD. Raises UnexpectedCharacters where the text has a character no token starts with.
    """
    cut = tokenize(text, keywords, punct)
    for kind, value, place, keyword in cut.tokens:
        if keyword is not None and is_keyword(keyword):
            kind = keyword
        yield kind, value, place
    if cut.error is not None:
        raise cut.error


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

        for kind, value, (line, col, end_line, end_col, start, end) in scan(
            lexer_state.text.text, self.keywords, self.punct, is_keyword
        ):
            yield Token(kind, value, start, line, col, end_line, end_col, end)

"""The one scanner (`syntax/lexer.py` `tokenize`): tokens, their positions, and where its errors surface.

`tokenize` cuts a whole text with one regex call; the parser, Lark's path (`scan`) and the tools
(`tokens.split`) all read its list. A character no token starts with ends the list, and the error
is raised only when a consumer reaches it, so a syntax error before it is still the one reported.
"""

from __future__ import annotations

import pytest
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from policyc.source import SourceFile
from policyc.syntax.lexer import scan, tokenize
from policyc.syntax.lower import lower
from policyc.syntax.parser import _tables, parse_text
from policyc.syntax.tokens import PolicySyntaxError, split

# Indented first line, CRLF, a list wrapped after a comma, an end-of-line comment, an escaped
# string, `!=` and `!` against words that may hold `=`.
TEXT = '  role r {\r\n  get, list,\n      watch pods  # c\n}\nlabels "a\\"b" x!=y !z\n'
EXPECTED = [
    ("WORD", "role", (1, 3, 1, 7, 2, 6), "ROLE"),
    ("WORD", "r", (1, 8, 1, 9, 7, 8), None),
    ("LBRACE", "{", (1, 10, 1, 11, 9, 10), None),
    ("_NL", "\r\n  ", (1, 11, 2, 3, 10, 14), None),
    ("WORD", "get", (2, 3, 2, 6, 14, 17), None),
    ("COMMA", ",", (2, 6, 2, 7, 17, 18), None),
    ("WORD", "list", (2, 8, 2, 12, 19, 23), None),
    ("COMMA", ",", (2, 12, 2, 13, 23, 24), None),
    # no _NL: the line goes on, indented deeper than the statement's first line
    ("WORD", "watch", (3, 7, 3, 12, 31, 36), None),
    ("WORD", "pods", (3, 13, 3, 17, 37, 41), None),
    ("_NL", "\n", (3, 22, 4, 1, 46, 47), None),
    ("RBRACE", "}", (4, 1, 4, 2, 47, 48), None),
    ("_NL", "\n", (4, 2, 5, 1, 48, 49), None),
    ("WORD", "labels", (5, 1, 5, 7, 49, 55), "LABELS"),
    ("STRING", '"a\\"b"', (5, 8, 5, 14, 56, 62), None),
    ("WORD", "x", (5, 15, 5, 16, 63, 64), None),
    ("__ANON_4", "!=", (5, 16, 5, 18, 64, 66), None),
    ("WORD", "y", (5, 18, 5, 19, 66, 67), None),
    ("BANG", "!", (5, 20, 5, 21, 68, 69), None),
    ("WORD", "z", (5, 21, 5, 22, 69, 70), None),
    ("_NL", "\n", (5, 22, 6, 1, 70, 71), None),
]


def _tokenize(text: str):  # noqa: ANN202
    t = _tables()
    return tokenize(text, t.keywords, t.punct)


def test_tokens_and_positions() -> None:
    cut = _tokenize(TEXT)
    assert cut.error is None
    assert cut.tokens == EXPECTED


def test_scan_reads_keywords_where_the_parser_says() -> None:
    t = _tables()
    asked: list[str] = []

    def only_labels(term: str) -> bool:
        asked.append(term)
        return term == "LABELS"

    kinds = [kind for kind, _, _ in scan(TEXT, t.keywords, t.punct, only_labels)]
    assert asked == ["ROLE", "LABELS"]  # only words that are keywords somewhere are asked about
    assert kinds[0] == "WORD" and kinds[13] == "LABELS"


def test_trailing_blanks_without_a_newline() -> None:
    # What completion parses: the text up to the cursor, not ended by a newline.
    assert _tokenize("a  \t").tokens == [("WORD", "a", (1, 1, 1, 2, 0, 1), None)]


def test_bad_character_ends_the_list_and_is_raised_last() -> None:
    cut = _tokenize("a\n  b § c\n")
    assert [tok[1] for tok in cut.tokens] == ["a", "\n  ", "b"]
    assert isinstance(cut.error, UnexpectedCharacters)
    assert (cut.error.line, cut.error.column, cut.error.pos_in_stream) == (2, 5, 6)
    t = _tables()
    seen = []
    with pytest.raises(UnexpectedCharacters):
        for tok in scan("a\n  b § c\n", t.keywords, t.punct, lambda _term: False):
            seen.append(tok[1])
    assert seen == ["a", "\n  ", "b"]


def test_syntax_error_before_a_bad_character_is_the_one_reported() -> None:
    with pytest.raises(UnexpectedToken) as info:
        parse_text("grant grant\n§\n")
    assert (info.value.line, info.value.column) == (1, 12)


def test_bad_character_after_a_complete_file_is_an_error() -> None:
    # The tokens before it make a whole program: the parser must not be given an end of input.
    with pytest.raises(UnexpectedCharacters) as info:
        parse_text("user a auth b\n§\n")
    assert (info.value.line, info.value.column) == (2, 1)
    _, diags = lower([SourceFile("x.policy", "user a auth b\n§\n")])
    assert [str(d.span) for d in diags] == ["x.policy:2:1"]


def test_split_reports_a_bad_character() -> None:
    with pytest.raises(PolicySyntaxError):
        split("role r {\n  get ~\n}\n")
    assert [tok.value for tok in split("a, b")] == ["a", ",", "b", "\n"]


@pytest.mark.parametrize("text", ['role r {\n  get "open\n}\n', "role r\r{\n}\n", "a\x0bb\n"])
def test_characters_no_token_starts_with(text: str) -> None:
    with pytest.raises(UnexpectedInput):
        parse_text(text)

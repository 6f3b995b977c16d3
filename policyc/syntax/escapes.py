"""A quoted word that keeps its text as written, so a column in its value maps back to the file.

A policy string's value is decoded (`\\"`, `\\\\`, `\\n`, `\\t`; any other `\\X` is `X`:
lower.py `unquote`), so a position in the value is not a position in the source once an escape
precedes it. Words whose token has an escape carry the raw token beside the value; the rest need
nothing (the value is the source, after the opening quote for a STRING).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc import model as m


@dataclass(frozen=True, eq=False, slots=True)
class EscapedWord(m.Word):
    """A STRING word whose token has a backslash escape: `raw` is the token as written, quotes included.

    Equality and hash are Word's (text and span): a span is one token, so `raw` adds nothing to them.
    """

    raw: str = field(default="", compare=False)


def source_offset(word: m.Word, offset: int) -> int:
    """The offset, from the word's span start, of the character `offset` places into its value.

    An escaped word walks its raw token (an escape is two source characters for one of the
    value); a quoted word without escapes is one quote further; a bare word is the value itself.
    """
    if isinstance(word, EscapedWord) and word.raw:
        raw, i = word.raw, 1
        for _ in range(offset):
            if i >= len(raw) - 1:
                break
            i += 2 if raw[i] == "\\" else 1
        return i
    s = word.span
    quoted = (s.end - s.start) != len(word.text) and s.end_line == s.line
    return offset + (1 if quoted else 0)

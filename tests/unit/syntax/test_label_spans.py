"""A label's key and value point at their own text in the source, quoted or not (`lower._label`).

A quoted label's key was placed one column early (on the opening quote) and its value ran over
the closing quote: PC123's caret underlined `"-ba` for the key `-bad`. With an escape in the
string a column of the value is not a column of the source, so both words point at the whole
quoted label.
"""

from __future__ import annotations

import pytest

from policyc.source import SourceFile
from policyc.syntax.lower import lower

# (the labels as written, then for each label: the source text its key's span covers, and its value's)
CASES = [
    ("team=web", [("team", "web")]),
    ('"team=web"', [("team", "web")]),
    ('"-bad=v", ok=-worse', [("-bad", "v"), ("ok", "-worse")]),
    ('"k=v w"', [("k", "v w")]),
    ('"k="', [("k", "")]),
    ('"ok=-v\\"x"', [('"ok=-v\\"x"', '"ok=-v\\"x"')]),  # an escape: the whole string
    ('a=1,\n      "b=2"', [("a", "1"), ("b", "2")]),  # a wrapped list: the second on its own line
]


@pytest.mark.parametrize(("written", "expected"), CASES)
def test_label_words_cover_their_text(written: str, expected: list[tuple[str, str]]) -> None:
    text = f"namespace web {{\n  labels {written}\n}}\n"
    policy, diags = lower([SourceFile("p.policy", text)])
    assert not [d for d in diags if d.is_error], diags
    lines = text.split("\n")
    got = []
    for key, value in policy.namespaces[0].labels:
        pair = []
        for word in (key, value):
            span = word.span
            by_offset = text[span.start:span.end]
            assert span.line == span.end_line
            assert lines[span.line - 1][span.col - 1:span.end_col - 1] == by_offset  # columns agree with offsets
            pair.append(by_offset)
        got.append(tuple(pair))
    assert got == expected

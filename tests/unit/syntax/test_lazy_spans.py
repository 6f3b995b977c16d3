"""Lazy positions (issue 19, eleventh pass): the lowering's spans and words fill their positions
when first read (`source.span_at`, `model.nodes.placed_word`), and must be the spans the eager
constructors make, from the scanner's positions and from offsets (`SourceFile.span`) alike."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from policyc import model as m
from policyc.model.nodes import placed_word
from policyc.source import SourceFile, Span, span_at
from policyc.syntax.escapes import EscapedWord
from policyc.syntax.lower import lower

# Tabs, CRLF, non-ASCII words and strings, an escaped string, a wrapped list, a comment line,
# a label (columns inside a word), and last lines without a newline.
TEXTS = [
    "namespace \"é-ns\" {\n\tlabels team=web, app=x\n\tgrant role view to user \"ünï\"\n}\n",
    "role r {\r\n  get, list,\r\n      watch pods  # c\r\n}\r\ngrant role r to group g in a, b",
    "# only a comment\n\n  team t {\n\tmembers user a, group \"b\\\"c\"\n  grant get pods in cluster\n}",
    "user u auth oidc groups g1, g2\nserviceaccount ns/sa automount no\n"
    "forbid delete secrets for everyone except user \"ü\" in namespaces matching k=v, !z, w!=q",
    "namespace n class c\nnamespace-class c {\n  quota cpu 1, memory 2Gi\n  limits {\n"
    "    container max memory 1Gi\n  }\n  pod-security enforce baseline\n}",
]


def _walk(obj: object, out: list[object]) -> None:
    """Every model node, word and span under `obj`."""
    if isinstance(obj, tuple):
        for item in obj:
            _walk(item, out)
    elif dataclasses.is_dataclass(obj):
        out.append(obj)
        if not isinstance(obj, Span):
            for f in dataclasses.fields(obj):
                _walk(getattr(obj, f.name), out)


@pytest.mark.parametrize("text", TEXTS)
def test_every_lazy_span_is_the_span_of_its_offsets(text: str) -> None:
    src = SourceFile("f.policy", text)
    policy, diags = lower([src])
    assert not [d for d in diags if d.is_error], diags
    found: list[object] = []
    _walk(policy, found)
    spans = [o for o in found if isinstance(o, Span)]
    words = [o for o in found if isinstance(o, m.Word)]
    assert words and len(spans) > len(words)
    for span in spans:
        # Lines and columns from offsets (bisect over the line starts): what the scanner counted.
        assert span == src.span(span.start, span.end), span
        eager = Span(span.file, span.line, span.col, span.end_line, span.end_col, span.start, span.end)
        assert span == eager and hash(span) == hash(eager) and repr(span) == repr(eager)
    tokens = 0
    for word in words:  # a word's span is its token (a grant's default namespace words take the grant's)
        shown = src.text[word.span.start:word.span.end]
        if not isinstance(word, EscapedWord) and " " not in shown:
            assert shown in (word.text, f'"{word.text}"'), (shown, word)
            tokens += 1
    assert tokens


def test_a_lazy_span_is_the_value_the_constructor_makes() -> None:
    place = (2, 3, 4, 5, 60, 70)
    eager = Span("a.policy", *place)
    lazy = span_at("a.policy", place)
    assert lazy.file == "a.policy"
    assert lazy == eager and hash(lazy) == hash(eager) and len({lazy, eager}) == 1
    assert [getattr(lazy, f.name) for f in dataclasses.fields(Span)] == ["a.policy", *place]
    assert repr(lazy) == repr(eager) and str(lazy) == "a.policy:2:3" and lazy.sort_key == ("a.policy", 2, 3)
    assert span_at("a.policy", (2, 3, 4, 5, 60, 71)) != eager
    with pytest.raises(dataclasses.FrozenInstanceError):
        span_at("a.policy", place).line = 9  # type: ignore[misc]
    for made in (span_at("a.policy", place), eager):  # unread, then read
        assert pickle.loads(pickle.dumps(made)) == eager == copy.deepcopy(made)
        assert dataclasses.replace(made, file="b.policy") == Span("b.policy", *place)
    with pytest.raises(AttributeError):
        lazy.nothing  # type: ignore[attr-defined]  # noqa: B018


def test_a_placed_word_makes_its_span_once_when_read() -> None:
    place = (1, 5, 1, 9, 4, 8)
    word = placed_word("abcd", "f.policy", place)
    assert word == m.Word("abcd") and hash(word) == hash(m.Word("abcd", Span("g", 1, 1, 1, 1)))
    assert repr(word) == "Word(text='abcd')" and str(word) == "abcd"
    assert word.span == Span("f.policy", *place)
    assert word.span is word.span  # made once
    assert dataclasses.replace(word, text="x") == m.Word("x") and dataclasses.replace(word).span == word.span
    unread = placed_word("abcd", "f.policy", place)
    assert pickle.loads(pickle.dumps(unread)).span == Span("f.policy", *place)
    assert copy.deepcopy(placed_word("abcd", "f.policy", place)).span == Span("f.policy", *place)
    with pytest.raises(dataclasses.FrozenInstanceError):
        word.text = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        word.nothing  # type: ignore[attr-defined]  # noqa: B018
    # A word made by its constructor has its span at once; an escaped word keeps its raw token.
    assert m.Word("a").span.file == "<none>"
    escaped = EscapedWord('a"b', Span("f", 1, 1, 1, 7, 0, 6), raw='"a\\"b"')
    assert escaped.raw == '"a\\"b"' and escaped.span.end == 6 and escaped != m.Word('a"b')

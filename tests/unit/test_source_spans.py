"""Spans inside a word (policyc/source.py `Span.inner`): where a CEL error inside a quoted
expression points, and what the caret underlines."""

from __future__ import annotations

from helpers import compile_text, underlined
from policyc.source import SourceFile


def test_inner_is_a_part_of_a_one_line_span() -> None:
    src = SourceFile("f.policy", 'x "abc def"\n')
    word = src.span(2, 11)  # the quoted string
    part = word.inner(5, 3)  # `def`: one for the quote, four into the value
    assert (part.line, part.col, part.end_col, part.start, part.end) == (1, 8, 11, 7, 10)
    assert src.text[part.start:part.end] == "def"
    # Never past the word, and at least one column wide (a caret shows).
    assert word.inner(8, 9).end_col == word.end_col
    assert word.inner(4, 0).end_col == word.inner(4, 0).col + 1


def test_a_cel_name_is_underlined_inside_the_quoted_expression() -> None:
    text = ('kubernetes 1.32\ncluster {\n  authorization Node, RBAC, webhook opa\n  webhook opa {\n'
            '    kubeconfig /etc/opa/authz.kubeconfig\n    match "req.resourceAttributes.namespace == \'prod\'"\n'
            '    failure-policy Deny\n    timeout 3s\n  }\n}\n')
    result = compile_text(text)
    (d,) = [d for d in result.diagnostics if d.code == "PC271"]
    assert underlined(result, d) == "req" and (d.span.line, d.span.col) == (6, 12)


def test_a_span_is_a_frozen_value_whatever_its_constructor() -> None:
    """Span writes its fields itself (a fast __init__): it must stay the value the generated one
    made: every field set, defaults for the offsets, equal and hashed by value, immutable,
    copied by `replace`, pickled and deep-copied whole."""
    import copy
    import dataclasses
    import pickle

    import pytest

    from policyc.source import Span

    span = Span("a.policy", 1, 2, 3, 4, 5, 6)
    assert [getattr(span, f.name) for f in dataclasses.fields(Span)] == ["a.policy", 1, 2, 3, 4, 5, 6]
    assert (Span("a.policy", 1, 2, 1, 3).start, Span("a.policy", 1, 2, 1, 3).end) == (0, 0)
    assert Span(file="a.policy", line=1, col=2, end_line=3, end_col=4, start=5, end=6) == span
    assert span != Span("a.policy", 1, 2, 3, 4, 5, 7)
    twin = Span("a.policy", 1, 2, 3, 4, 5, 6)
    assert hash(span) == hash(twin) and len({span, twin}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.line = 9  # type: ignore[misc]
    assert dataclasses.replace(span, file="b.policy") == Span("b.policy", 1, 2, 3, 4, 5, 6)
    assert pickle.loads(pickle.dumps(span)) == span == copy.deepcopy(span)
    assert repr(span) == "Span(file='a.policy', line=1, col=2, end_line=3, end_col=4, start=5, end=6)"
    with pytest.raises(TypeError):
        Span("a.policy", 1, 2, 3)  # type: ignore[call-arg]

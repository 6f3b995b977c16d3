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

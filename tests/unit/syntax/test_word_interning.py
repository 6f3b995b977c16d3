"""The lexer gives one string object per distinct word across files (policyc/syntax/lexer.py):
the model's names of one text are one object, and nothing else about a word changes."""

from __future__ import annotations

from policyc.source import SourceFile
from policyc.syntax.lexer import tokenize
from policyc.syntax.lower import lower
from policyc.syntax.parser import _tables

TEAM = """\
team payments {
  members user alice@example.com
  grant role view in payments-dev
}
"""
NAMESPACE = """\
namespace payments-dev {
  grant role edit to team payments
}
"""


def _words(text: str) -> list[str]:
    t = _tables()
    return [value for kind, value, _place, _kw in tokenize(text, t.keywords, t.punct).tokens if kind == "WORD"]


def test_equal_words_of_two_texts_are_one_object() -> None:
    first, second = _words(TEAM), _words(NAMESPACE)
    # Cut from two texts (two slices, two objects before the lexer shares them).
    shared = {w for w in first if w in second}
    assert {"payments", "payments-dev", "role", "grant"} <= shared
    by_text = {w: w for w in first}
    for w in second:
        if w in by_text:
            assert w is by_text[w], w


def test_the_lowered_model_names_a_team_with_one_string() -> None:
    policy, diags = lower([SourceFile("teams/payments.policy", TEAM), SourceFile("namespaces.policy", NAMESPACE)])
    assert not [d for d in diags if d.is_error]
    team = policy.teams[0]
    subject = next(s for g in policy.grants for s in g.subjects if s.kind == "team")
    assert team.name.text == subject.name == "payments"
    assert team.name.text is subject.name
    # Positions are the words' own.
    assert team.name.span.file == "teams/payments.policy" and team.name.span.line == 1

"""policyc/k8s/yamlread.py `documents` (the reader with positions: `import`, `apiserver patch`): a stream
without anchors is built by `_plain` (issue 19), and gives the values, and the errors, of the loader's own
constructors."""

from __future__ import annotations

import pytest
import yaml
from test_plain_read import TRICKY

from policyc.k8s import yamlread

ANCHORED = [
    "a: &x {b: 1}\nc: *x\n",
    "base: &b {x: 1}\nm: {<<: *b, z: 3}\n",
    "list: &l [1, 2]\nagain: *l\n---\nkind: X\n",
]


@pytest.mark.parametrize("text", TRICKY + ANCHORED)
def test_values_are_the_safe_loaders(text: str) -> None:
    try:
        expected = [v for v in yaml.load_all(text, Loader=yamlread._Loader) if v is not None]
    except yaml.YAMLError:
        expected = None
    diags: list = []
    got = [value for _i, _node, value in yamlread.documents("t.yaml", text, diags)]
    if expected is None:
        assert diags and diags[0].code == "PC601"
    else:
        assert not diags
        assert got == expected
        assert repr(got) == repr(expected)  # nan and types too (1 == 1.0 == True)


def test_the_error_is_the_constructors_for_the_node_they_fail_on() -> None:
    """The constructors fill a nested mapping after the scalars beside it (PyYAML's deferred
    generators), so of two over-long integers the one on line 3 is reported, not the deeper one
    on line 2 that a depth-first walk meets first."""
    text = "a:\n  b: " + "1" * 2000 + "\nc: " + "2" * 1500 + "\n"
    diags: list = []
    assert list(yamlread.documents("t.yaml", text, diags)) == []
    assert [(d.code, d.span.line) for d in diags] == [("PC601", 3)]
    assert "an integer of 1,500 characters" in diags[0].message


def test_positions_are_kept() -> None:
    docs, diags = yamlread.parse_stream("t.yaml", "kind: Role\nmetadata:\n  name: r\n  namespace: a\nrules: []\n")
    assert not diags
    assert docs[0].span("metadata", "namespace").line == 4 and docs[0].span("metadata", "namespace").col == 3


PROBLEMS = [
    "a: " + "[" * 250 + "]" * 250 + "\n",  # deeper than MAX_DEPTH
    "kind: A\n---\nb: {c: " + "[" * 201 + "]" * 201 + "}\n",
    "a:\n  b: " + "1" * 2000 + "\nc: " + "2" * 1500 + "\n",
    "a: !!python/object:os.system x\n",
    "a: *undefined\n",
    "a: b: c\n",
    "? [a, b]\n: complex\n---\nkind: B\n",
]


@pytest.mark.parametrize("text", TRICKY + PROBLEMS)
def test_the_plain_path_answers_as_the_full_one(text: str) -> None:
    """The same stream with an `&` in a trailing comment takes the full path (`_measure`, the constructors):
    the values and every diagnostic, with its position, are the same."""
    def read(t: str) -> tuple[list, list]:
        diags: list = []
        values = [(i, v) for i, _node, v in yamlread.documents("t.yaml", t, diags)]
        return repr(values), [(d.code, d.message, d.span.line, d.span.col) for d in diags]

    assert read(text) == read(text + "# & a comment\n")


def test_a_budget_spent_by_an_earlier_file_refuses_the_next_one_as_before() -> None:
    budget = yamlread.AliasBudget(left=-1)
    diags: list = []
    assert list(yamlread.documents("t.yaml", "kind: A\n", diags, budget=budget)) == []
    assert [d.code for d in diags] == ["PC601"] and "aliases in the documents read" in diags[0].message

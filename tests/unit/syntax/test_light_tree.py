"""`parse_text`'s light tree (syntax/parser.py `Node`): what the lowering reads, and its guards.

A `name` node is the scanner's token tuple itself, a kept keyword token a tuple of the same
shape, every other node a `Node` whose `meta` is a plain positions tuple (Span's order after the
file name). test_fast_parser.py compares the whole tree with Lark's through `to_lark`.
"""

from __future__ import annotations

import pytest
from lark import Lark, Token, Tree

from policyc.syntax import parser as parser_module
from policyc.syntax.parser import Node, _check_name_rule, _fast_parse, _SyntaxError, parse_text, parser, to_lark


def test_names_are_tokens_and_nodes_carry_plain_positions() -> None:
    tree = parse_text('grant role "r x" to user a, everyone\n')
    assert type(tree) is Node and tree.data == "start" and tree.meta == (1, 1, 2, 1, 0, 37)
    [grant] = tree.children
    assert (grant.data, grant.meta) == ("grant", (1, 1, 1, 37, 0, 36))
    role, to = grant.children
    assert role.children == [("STRING", '"r x"', (1, 12, 1, 17, 11, 16), None)]
    subjects = to.children[0].children
    assert [s.data for s in subjects] == ["subject", "subject"]
    assert subjects[0].children == [("USER", "user", (1, 21, 1, 25, 20, 24), None),
                                    ("WORD", "a", (1, 26, 1, 27, 25, 26), None)]
    assert subjects[1].children == [("EVERYONE", "everyone", (1, 29, 1, 37, 28, 36), None)]
    assert subjects[1].meta == (1, 29, 1, 37, 28, 36)


def test_to_lark_gives_name_trees_and_tokens() -> None:
    lark_tree = to_lark(parse_text("user u auth oidc\n"))
    decl = lark_tree.children[0]
    name = decl.children[0]
    assert isinstance(name, Tree) and name.data == "name"
    assert isinstance(name.children[0], Token) and name.children[0].type == "WORD"
    assert (name.meta.line, name.meta.column, name.meta.start_pos, name.meta.end_pos) == (1, 6, 5, 6)
    empty = _fast_parse("")  # no token at all (parse_text adds a newline): a node without positions
    assert empty.meta is None and to_lark(empty).meta.empty and parser().parse("").meta.empty


def test_a_grammar_with_words_outside_name_is_refused() -> None:
    grammar = 'start: name WORD\nname: WORD | STRING\nWORD: /[a-z]+/\nSTRING: /"[^"]*"/\n%ignore " "\n'
    with pytest.raises(TypeError, match="outside `name"):
        _check_name_rule(Lark(grammar, parser="lalr"))
    _check_name_rule(Lark('start: name+\nname: WORD | STRING\nWORD: /[a-z]+/\nSTRING: /"[^"]*"/\n',
                          parser="lalr"))


def test_a_text_only_the_fast_driver_refuses_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never a Lark tree the lowering cannot read: a disagreement between the two parsers is loud."""

    def refuse(_text: str) -> Node:
        raise _SyntaxError

    monkeypatch.setattr(parser_module, "_fast_parse", refuse)
    with pytest.raises(AssertionError, match="rejected a text Lark's parser accepts"):
        parse_text("user u auth oidc\n")

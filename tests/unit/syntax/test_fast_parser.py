"""The fast LALR driver (`parse_text`) builds exactly the tree Lark's parser builds (read as
Lark's by `to_lark`: the driver's nodes are lighter, a `name` node is its token).

Same node names, same children, same tokens (type, text and every position) and the same
`meta` positions on every node (what Lark's `propagate_positions` computes and the lowering
turns into spans). Inputs: the spec and golden folders, a generated organisation, and
hypothesis mutations of them, which also cover syntax errors: there both must fail, and
`parse_text` must raise Lark's own exception (errors come from Lark's parser).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from conftest import REPO, bench_module, shared_path
from policyc.syntax.parser import _fast_parse, _SyntaxError, parse_text, parser, to_lark

_META = ("empty", "line", "column", "start_pos", "end_line", "end_column", "end_pos")
_TOKEN_POS = ("start_pos", "end_pos", "line", "column", "end_line", "end_column")

GOLDEN = sorted((REPO / "tests" / "golden").glob("*/policy/*.policy"))
SEEDS = [p.read_text(encoding="utf-8") for p in GOLDEN + sorted((REPO / "policies").glob("*.policy"))]
KEYWORDS = [
    "role", "team", "grant", "in", "to", "user", "group", "everyone", "cluster", "named", "members", "labels",
    "aggregates", "aggregate-to", "forbid", "for", "except", "kubernetes", "limits", "quota", "pod-security",
    "serviceaccount", "auth", "groups", "namespace", "{", "}", ",", "\n", '"q s"', "# note\n", "x",
]  # fmt: skip


def _generated_org() -> dict[str, str]:
    return bench_module("gen_org").generate(40, seed=3)


def assert_same_tree(expected: Tree | Token, actual: Tree | Token, path: str = "start") -> None:
    """Structural equality plus every position Lark records."""
    if isinstance(expected, Tree):
        assert isinstance(actual, Tree), path
        assert actual.data == expected.data, path
        assert len(actual.children) == len(expected.children), path
        for attr in _META:
            assert getattr(actual.meta, attr, None) == getattr(expected.meta, attr, None), (path, attr)
        for i, (e, a) in enumerate(zip(expected.children, actual.children, strict=True)):
            assert_same_tree(e, a, f"{path}/{expected.data}[{i}]")
    else:
        assert isinstance(actual, Token), path
        assert (actual.type, str(actual)) == (expected.type, str(expected)), path
        for attr in _TOKEN_POS:
            assert getattr(actual, attr) == getattr(expected, attr), (path, attr)


def _lark_parse(text: str) -> Tree | None:
    try:
        return parser().parse(text)
    except UnexpectedInput:
        return None


def check_equivalent(text: str) -> None:
    """Both parse to the same tree, or both reject the text with Lark's exception."""
    if not text.endswith("\n"):
        text += "\n"
    expected = _lark_parse(text)
    if expected is None:
        with pytest.raises((_SyntaxError, UnexpectedInput)):
            _fast_parse(text)
        with pytest.raises(UnexpectedInput) as info:
            parse_text(text)
        with pytest.raises(UnexpectedInput) as again:
            parser().parse(text)
        assert type(info.value) is type(again.value)
        assert str(info.value) == str(again.value)
        return
    assert_same_tree(expected, to_lark(_fast_parse(text)))


def test_seed_files_exist() -> None:
    assert len(GOLDEN) >= 4, "the golden folders hold the spec programs"


@pytest.mark.parametrize("text", SEEDS, ids=[p.name for p in GOLDEN] + ["policies"] * (len(SEEDS) - len(GOLDEN)))
def test_repository_programs(text: str) -> None:
    check_equivalent(text)


@pytest.mark.parametrize("folder", ["article", "org"])
def test_spec_folders(folder: str) -> None:
    for path in sorted(shared_path("spec", folder).glob("*.policy")):
        check_equivalent(path.read_text(encoding="utf-8"))


def test_generated_organisation() -> None:
    for text in _generated_org().values():
        check_equivalent(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# only a comment",
        "role r {\n}\n",
        'role "quoted name" {\n  get pods\n}',
        "team t {\n  members user a\n  grant role view in ns\n}\n",
        "namespace ns {\r\n  labels a=b\r\n}\r\n",
        "role r {\n  get groups\n}\n",  # `groups` is a keyword elsewhere: here a resource
        "user u auth oidc groups g1, g2",
        "role r {",  # unterminated block
        "role r { get pods }",  # block on one line
        'role r {\n  get "unterminated\n}\n',
        "grant role view to everyone in\n",
        "role r {\n  get pods\n}\n$\n",  # unexpected character
    ],
)
def test_edge_cases(text: str) -> None:
    check_equivalent(text)


_WORDS = re.compile(r"\S+|\s+")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    ops=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.sampled_from(KEYWORDS)), min_size=1, max_size=5
    ),
)
def test_mutations(seed: str, ops: list[tuple[int, int, str]]) -> None:
    toks = _WORDS.findall(seed)
    for op, i, word in ops:
        if not toks:
            break
        i %= len(toks)
        if op == 0:
            del toks[i]
        elif op == 1:
            toks.insert(i, word)
        elif op == 2:
            toks[i] = word
        else:
            toks[i], toks[-1 - i] = toks[-1 - i], toks[i]
    check_equivalent("".join(toks))

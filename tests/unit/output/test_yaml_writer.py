"""The one YAML writer: exact output for Kubernetes shapes, and a lossless round trip through
both a YAML 1.1 reader (PyYAML) and a YAML 1.2 reader (ruamel.yaml)."""

from __future__ import annotations

import io
import math
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.output.yaml import dump, dump_all

# Strings that some YAML 1.1 or 1.2 reader (PyYAML, ruamel, go-yaml behind kubectl, a
# spec-exact 1.1 reader) takes for something other than the string.
TRICKY = [
    "", " ", "  lead", "trail ", "~", "=", "<<", "*", "&a", "*a", "!tag", "!!str", "%YAML", "@x", "`x",
    "|", ">", "'", '"', "#", "# c", "a #b", "a: b", "key:", "-", "- a", "--", "---", "...", "...x",
    "?", "? a", ":", "::1", ",", "[", "]", "{", "}", "{}", "[]", "[a, b]",
    "y", "Y", "n", "N", "yes", "Yes", "YES", "yEs", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    "true", "True", "TRUE", "tRuE", "false", "False", "FALSE", "null", "Null", "NULL", "nuLL", "none", "None",
    "0", "1", "-1", "+1", "00", "010", "0o17", "0O17", "0x1F", "0X1f", "0b1010", "-0x1F", "+0o7", "1_000",
    "1__0", "+_", "-_", "1,000", "1e3", "1E3", "1e+3", "1.0e-3", "1.5", ".5", "5.", "-.5", "+.5", "1.2.3", "1:20",
    "190:20:30.15", "-1:20", "1:2:3", ".inf", ".Inf", ".INF", "-.inf", "+.inf", "inf", "-inf", "+Infinity",
    "Infinity", ".nan", ".NaN", ".NAN", "nan", "NaN", "0x1p-2", "0x1.8p3", "1e", "1_0e1_0",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14T00:00:00Z",
    "2024-1-2", "12:30:45", "a\nb", "a\n", "\n", "\na", "a\n\n", "a \nb", " a\nb", "a\tb", "\t", "\r\n",
    "a\rb", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\ud800", "\udfff",
    "é", "日本", "\U0001f600", "\\", "\\n", 'say "hi"', "it's", "a\\", "%", "@", "!",
    "http://example.com/a#b", "a:b", "system:serviceaccounts", "10Gi", "500m", "1password",
]  # fmt: skip


def _ruamel_load(text: str):
    ruamel_yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml (test extra) is the YAML 1.2 reader")
    loader = ruamel_yaml.YAML(typ="safe", pure=True)  # YAML 1.2 core schema
    return loader.load(io.StringIO(text))


# --- golden examples -------------------------------------------------------------------------


def test_cluster_role_is_written_as_kubectl_writes_it() -> None:
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "pod-reader", "labels": {"app.kubernetes.io/managed-by": "policyc"}},
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["*"]},
        ],
    }
    assert dump(obj) == (
        "apiVersion: rbac.authorization.k8s.io/v1\n"
        "kind: ClusterRole\n"
        "metadata:\n"
        "  name: pod-reader\n"
        "  labels:\n"
        "    app.kubernetes.io/managed-by: policyc\n"
        "rules:\n"
        "- apiGroups:\n"
        '  - ""\n'
        "  resources:\n"
        "  - pods\n"
        "  - pods/log\n"
        "  verbs:\n"
        "  - get\n"
        "  - list\n"
        "- nonResourceURLs:\n"
        "  - /healthz\n"
        "  verbs:\n"
        '  - "*"\n'
    )


def test_keys_keep_the_given_order() -> None:
    assert dump({"b": 1, "a": 2, "c": {"z": 1, "x": 2}}) == "b: 1\na: 2\nc:\n  z: 1\n  x: 2\n"


def test_limit_range_quantities_and_numbers() -> None:
    obj = {"spec": {"hard": {"pods": "10", "requests.cpu": "4", "requests.memory": "8Gi", "cpu": "500m"}}}
    assert dump(obj) == (
        'spec:\n  hard:\n    pods: "10"\n    requests.cpu: "4"\n    requests.memory: 8Gi\n    cpu: 500m\n'
    )


def test_empty_collections_and_scalars() -> None:
    obj = {"a": {}, "b": [], "c": None, "d": True, "e": False, "f": 0, "g": -7, "h": "", "i": [{}, [], None]}
    assert dump(obj) == ('a: {}\nb: []\nc: null\nd: true\ne: false\nf: 0\ng: -7\nh: ""\ni:\n- {}\n- []\n- null\n')


def test_nested_lists_and_dicts_in_lists() -> None:
    obj = [[1, [2, 3]], {"a": {"b": [{"c": 1, "d": [4]}]}, "e": 5}]
    assert dump(obj) == ("- - 1\n  - - 2\n    - 3\n- a:\n    b:\n    - c: 1\n      d:\n      - 4\n  e: 5\n")


def test_top_level_values() -> None:
    assert dump({}) == "{}\n"
    assert dump([]) == "[]\n"
    assert dump("x") == "x\n"
    assert dump("yes") == '"yes"\n'
    assert dump(None) == "null\n"
    assert dump(3) == "3\n"
    assert dump("...") == '"..."\n'


# Entries of TRICKY that every reader takes as the string, so they stay plain.
PLAIN_ON_PURPOSE = {
    "a:b", "system:serviceaccounts", "10Gi", "500m", "1password", "http://example.com/a#b", "it's",
    "\\", "\\n", 'say "hi"', "a\\",
}  # fmt: skip
MUST_QUOTE = [s for s in TRICKY if s.isascii() and s.isprintable() and s not in PLAIN_ON_PURPOSE]


@pytest.mark.parametrize("text", MUST_QUOTE)
def test_tricky_single_line_strings_are_double_quoted(text: str) -> None:
    expected = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert dump({"v": text}) == f"v: {expected}\n"
    assert dump({text: 1}) == f"{expected}: 1\n"


@pytest.mark.parametrize(
    "text",
    [
        "get", "pods/log", "/healthz", "a:b", "http://example.com/a#b", "system:serviceaccounts:dev",
        "app.kubernetes.io/name", "10Gi", "500m", "1password", "v1", "rbac.authorization.k8s.io/v1",
        "foo bar", "it's", 'say "hi"', "C:\\dir", "a-b", "a?", "a,b", "a[0]", "x=y", ".dockerconfigjson",
        "~user", "1.2.3-beta",
    ],
)  # fmt: skip
def test_ordinary_strings_stay_plain(text: str) -> None:
    assert dump({"v": text}) == f"v: {text}\n"


def test_escapes_in_double_quotes() -> None:
    assert dump("a\tb\x00\x1b\x7f") == '"a\\tb\\0\\x1B\\x7F"\n'
    assert dump("é日\U0001f600\ud800") == '"\\xE9\\u65E5\\U0001F600\\uD800"\n'
    assert dump('q"\\') == 'q"\\\n'  # plain scalars take quotes and backslashes as they are
    assert dump('-q"\\') == '"-q\\"\\\\"\n'
    assert dump("a\r\nb") == '"a\\r\\nb"\n'
    assert dump(" x\ny") == '" x\\ny"\n'  # a leading space needs an indentation indicator: quoted
    assert dump("x\n\n") == '"x\\n\\n"\n'  # keep chomping is never used
    assert dump("x \ny") == '"x \\ny"\n'  # trailing spaces on a line are not trusted to a block


def test_multi_line_text_uses_a_literal_block() -> None:
    obj = {"data": {"config.yaml": "a: 1\n\nb: '#x'\n", "script": "echo hi\n  indented"}, "l": ["x\ny"]}
    assert dump(obj) == (
        "data:\n"
        "  config.yaml: |\n"
        "    a: 1\n"
        "\n"
        "    b: '#x'\n"
        "  script: |-\n"
        "    echo hi\n"
        "      indented\n"
        "l:\n"
        "- |-\n"
        "  x\n"
        "  y\n"
    )
    assert yaml.safe_load(dump(obj)) == obj


def test_floats() -> None:
    assert dump([1.5, 1e20, -2.5e-7, math.inf, -math.inf, 0.0]) == (
        "- 1.5\n- 1.0e+20\n- -2.5e-07\n- .inf\n- -.inf\n- 0.0\n"
    )
    assert dump(math.nan) == ".nan\n"


def test_long_keys_use_the_explicit_form() -> None:
    key = "k" * 1500
    obj = {key: [1, 2], "short": {key: "v"}}
    text = dump(obj)
    assert text.startswith("? " + key + "\n:\n- 1\n")
    assert yaml.safe_load(text) == obj
    assert _ruamel_load(text) == obj


def test_dump_all_separates_documents() -> None:
    assert dump_all([{"a": 1}, {"b": [2]}, "x"]) == "a: 1\n---\nb:\n- 2\n---\nx\n"
    assert dump_all([]) == ""
    assert dump_all(iter([{"a": 1}])) == "a: 1\n"


def test_tuples_and_mappings_are_accepted() -> None:
    from types import MappingProxyType

    assert dump({"a": (1, 2), "m": MappingProxyType({"k": "v"})}) == "a:\n- 1\n- 2\nm:\n  k: v\n"


def test_unsupported_values_raise_type_error() -> None:
    with pytest.raises(TypeError, match="set"):
        dump({"a": {1, 2}})
    with pytest.raises(TypeError, match="mapping key"):
        dump({(1, 2): "x"})


def test_output_is_ascii() -> None:
    assert dump({"é": ["日本", "\u2028"]}).isascii()


# --- every plain scalar is a string to every reader ------------------------------------------

# YAML 1.1 spec (yaml.org/type) resolvers, exactly as published, which PyYAML only partly
# implements (it has no y/n booleans and a narrower float).
_YAML11 = re.compile(
    r"""y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|=|<<
    |[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
    |[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)
    |[0-9]{4}-[0-9]{2}-[0-9]{2}
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
        (([ \t]*)Z|[-+][0-9]{1,2}(:[0-9]{2})?)?""",
    re.VERBOSE,
)


def _assert_plain_is_a_string_everywhere(text: str) -> None:
    rendered = dump({"k": text})[3:-1]
    if rendered.startswith(('"', "|")):
        return
    assert rendered == text
    assert not _YAML11.fullmatch(text), f"{text!r} is not a string in YAML 1.1"
    # Go's strconv (behind go-yaml and so kubectl) and Python agree on what a number is.
    for parse in (float, lambda s: int(s, 0)):
        with pytest.raises(ValueError):
            parse(text)


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_plain_only_when_safe(text: str) -> None:
    _assert_plain_is_a_string_everywhere(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=12))
def test_plain_ascii_strings_are_strings_everywhere(text: str) -> None:
    _assert_plain_is_a_string_everywhere(text)


# --- round trip ------------------------------------------------------------------------------

_texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="ascii"), max_size=10),
    st.sampled_from(TRICKY),
    st.builds(lambda a, b: a + b, st.sampled_from(TRICKY), st.sampled_from(TRICKY)),
    st.builds(lambda a, b: a + "\n" + b, st.text(max_size=8), st.text(max_size=8)),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    _texts,
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_texts, children, max_size=4),
    ),
    max_leaves=25,
)
_docs = st.one_of(st.dictionaries(_texts, _values, max_size=5), _values)

_settings = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(_docs)
def test_round_trip_yaml_1_1(value) -> None:
    text = dump(value)
    assert yaml.safe_load(text) == value
    assert text.isascii() and text.endswith("\n")


@_settings
@given(_docs)
def test_round_trip_yaml_1_2(value) -> None:
    assert _ruamel_load(dump(value)) == value


@_settings
@given(st.lists(_docs, max_size=4))
def test_dump_all_round_trip(values) -> None:
    assert list(yaml.safe_load_all(dump_all(values))) == values

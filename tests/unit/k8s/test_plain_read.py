"""policyc/k8s/yamlread.py `positions=False` (`--from`): the plain-data reader gives the objects the
full reader gives, and leaves every file with a problem to the full reader's diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policyc.access.authorizer import ACCESS_KINDS
from policyc.k8s import yamlread

ROOT = Path(__file__).resolve().parents[3]

# Scalars and collections whose YAML 1.1 meaning the safe constructors decide (bools, octal, sexagesimal,
# infinities, timestamps kept as strings, binary, sets, ordered maps, merge keys, `=` keys, complex keys).
TRICKY = [
    "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: ~\ng: null\nh: ''\n",
    "i: 0o17\nj: 017\nk: 0x1F\nl: 1_000\nm: -0b101\nn: 190:20:30\no: +12\np: '12'\n",
    "q: 1.5\nr: .inf\ns: -.Inf\nt: .nan\nu: 1e3\nv: 6.8523015e+5\nw: 685_230.15\nx: 190:20:30.15\n",
    "ts: 2001-12-14t21:59:43.10-05:00\nday: 2002-12-14\n",
    "bin: !!binary aGVsbG8=\nset: !!set {a, b}\nomap: !!omap [{a: 1}, {b: 2}]\npairs: !!pairs [{a: 1}, {a: 2}]\n",
    "base: {x: 1}\nm: {<<: {y: 2}, z: 3}\n'=': v\n",
    "? [a, b]\n: complex\n",
    "s: !!str 12\ni: !!int '12'\nf: !!float '1'\nn: !!null ''\nb: !!bool 'true'\nm: !!map {a: 1}\nq: !!seq [1]\n",
    "multi: |\n  line one\n  line two\nfolded: >\n  a\n  b\nquoted: \"tab\\there \\u00e9\"\n",
    "---\n---\nkind: X\n...\n---\n# only a comment\n",
    "dup: 1\ndup: 2\n1: int key\n2.5: float key\ntrue: bool key\n~: null key\n",
    "deep: " + "[" * 150 + "]" * 150 + "\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_plain_values_are_the_safe_loaders(text: str) -> None:
    try:
        expected = list(yaml.load_all(text, Loader=yamlread._Loader))
    except yaml.YAMLError:
        expected = None  # refused: the full reader reports it
    got = yamlread._plain_values(text)
    assert got == expected
    assert repr(got) == repr(expected)  # nan and types too (1 == 1.0 == True)


def test_too_deep_and_bad_yaml_are_left_to_the_full_reader() -> None:
    assert yamlread._plain_values("a: " + "[" * 250 + "]" * 250 + "\n") is None
    assert yamlread._plain_values("a: [\n") is None
    assert yamlread._plain_values("a: !!python/object:os.system x\n") is None
    assert yamlread._plain_values("a: " + "1" * 2000 + "\n") is None


def _files() -> list[Path]:
    found = sorted((ROOT / "tests").rglob("*.yaml")) + sorted((ROOT / "tests").rglob("*.yml"))
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        found += sorted(shared.rglob("*.yaml"))[:300]
    return found


def _same(a: list[yamlread.Doc], b: list[yamlread.Doc]) -> bool:
    return [(d.obj, d.file, d.index, d.item) for d in a] == [(d.obj, d.file, d.index, d.item) for d in b]


def test_every_yaml_file_of_the_repository_reads_the_same_both_ways() -> None:
    files = _files()
    assert len(files) > 100
    plain_used = 0
    for path in files:
        full = yamlread.read_paths([str(path)], strict="PC310", kinds=ACCESS_KINDS)
        fast = yamlread.read_paths([str(path)], strict="PC310", kinds=ACCESS_KINDS, positions=False)
        assert _same(fast[0], full[0]), path
        assert fast[2] == full[2], path
        if not fast[1]:
            plain_used += 1  # no sources kept: read without positions
    assert plain_used > 50


@pytest.mark.parametrize(
    "text",
    [
        "kind: Role\nmetadata: {name: r, namespace: n}\nrules: [{verbs: [[get]]}]\n",  # a shape problem
        "kind: Role\nmetadata: {name: r}\nrules: []\n",  # no namespace
        "just: data\n",  # not an object
        "kind: List\nitems: [{kind: Namespace, metadata: {name: a}}]\n",  # a List: items are numbered
        "a: &x [1]\nkind: Namespace\nmetadata: {name: n}\nb: *x\n",  # an anchor
        "kind: Namespace\nmetadata: {name: [\n",  # YAML syntax
    ],
)
def test_a_file_with_a_problem_gets_the_full_readers_answer(text: str, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, "utf-8")
    assert yamlread._read_plain(str(path), text, ACCESS_KINDS) is None
    full = yamlread.read_paths([str(path)], strict="PC310", kinds=ACCESS_KINDS)
    fast = yamlread.read_paths([str(path)], strict="PC310", kinds=ACCESS_KINDS, positions=False)
    assert _same(fast[0], full[0])
    assert fast[2] == full[2] and list(fast[1]) == list(full[1])

"""Reading Kubernetes YAML: streams, `List`s, folders, positions, and bad input as diagnostics."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from policyc.diagnostics import render_text
from policyc.k8s import yamlread
from policyc.k8s.yamlread import (
    MAX_DEPTH,
    ReadError,
    allowed_alias_ratio,
    document_at,
    load_all,
    parse_stream,
    read_paths,
)
from policyc.source import SourceFile

STREAM = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: a, namespace: x}
---
# a comment-only document is skipped
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: b, namespace: x}
- apiVersion: v1
  kind: ServiceAccountList
  items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: c
      namespace: y
"""


def test_streams_and_nested_lists_are_flattened_with_their_origin() -> None:
    docs, diags = parse_stream("dump.yaml", STREAM)
    assert not diags
    assert [(d.name, d.index, d.item) for d in docs] == [("a", 1, None), ("b", 3, 0), ("c", 3, 0)]
    assert docs[2].where == "document 3, item 0"
    # Field positions survive the flattening: `name: c` is on line 19, column 7.
    span = docs[2].span("metadata", "name")
    assert (span.file, span.line, span.col) == ("dump.yaml", 19, 7)
    # A missing field falls back to the closest enclosing one.
    assert docs[2].span("metadata", "labels", "x").line == 18


def test_a_yaml_error_is_a_diagnostic_with_its_position() -> None:
    docs, diags = parse_stream("bad.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: n}\n"
                               "---\nmetadata: {name: [\n")
    assert [d.code for d in diags] == ["PC601"]
    assert diags[0].is_error and diags[0].span.line >= 4
    assert "document 2" in diags[0].message
    # The documents before the error are still read.
    assert [(d.kind, d.index) for d in docs] == [("ServiceAccount", 1)]


def test_documents_that_are_not_objects_are_reported() -> None:
    docs, diags = parse_stream("x.yaml", "- 1\n- 2\n---\njust: a map\n")
    assert docs == []
    assert [(d.code, d.span.line) for d in diags] == [("PC602", 1), ("PC602", 4)]


def test_folders_are_read_in_sorted_order_and_only_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: two}\n")
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: one}\n")
    (tmp_path / "three.json").write_text('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "three"}}')
    (tmp_path / "notes.txt").write_text("kind: Namespace\n")
    docs, sources, diags = read_paths([str(tmp_path)])
    assert [d.name for d in docs] == ["one", "two", "three"]
    assert len(sources) == 3 and not diags


def test_standard_input_and_bad_paths(tmp_path: Path) -> None:
    docs, _s, _d = read_paths(["-"], "apiVersion: v1\nkind: Namespace\nmetadata: {name: piped}\n")
    assert [(d.name, d.file) for d in docs] == [("piped", "<stdin>")]
    with pytest.raises(ReadError, match="no such file"):
        read_paths([str(tmp_path / "missing.yaml")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReadError, match="no .yaml"):
        read_paths([str(tmp_path / "empty")])
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Namespace\nmetadata: {name: caf\xe9}\n")
    _docs, _s, diags = read_paths([str(tmp_path / "latin1.yaml")])
    assert [d.code for d in diags] == ["PC601"]


# -- issue 11, "Reading YAML": bounded cost, located refusals, right document numbers -----------------------

def billion_laughs(levels: int = 9) -> str:
    """A ~1 KB ClusterRole whose aliases expand to 9**levels strings (490 million for 9 levels)."""
    lines = ["apiVersion: rbac.authorization.k8s.io/v1", "kind: ClusterRole", "metadata: {name: bomb}",
             'l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_and_located() -> None:
    text = billion_laughs()
    assert len(text) < 1200
    tracemalloc.start()
    began = time.process_time()  # CPU: what the reading costs, whatever else the machine runs
    docs, diags = parse_stream("bomb.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" + text)
    elapsed = time.process_time() - began
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2 and peak < 20 * 1024 * 1024, (elapsed, peak)
    assert [(d.code, d.is_error) for d in diags] == [("PC601", True)]
    assert diags[0].message.startswith("cannot read document 2: aliases expand the document to 490,329,072 nodes")
    assert "excessive aliasing" in diags[0].message
    # At the anchor the expansion comes from (`&l7`, the largest one that aliases use), on line 4 + 4 + 7.
    assert (diags[0].span.line, diags[0].span.col) == (15, 5)
    assert [d.name for d in docs] == ["a"]


def test_a_few_aliases_are_read_as_kubectl_reads_them() -> None:
    text = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
            "rules:\n- &rule {apiGroups: [''], resources: [pods], verbs: &verbs [get, list]}\n"
            "- {apiGroups: [apps], resources: [deployments], verbs: *verbs}\n- *rule\n")
    docs, diags = parse_stream("ok.yaml", text)
    assert not diags
    assert docs[0].obj["rules"][1]["verbs"] == ["get", "list"] and len(docs[0].obj["rules"]) == 3


def test_go_yaml_alias_ratio() -> None:
    # gopkg.in/yaml.v2 v2.4.0 decode.go: 99% up to 400,000 decodes, 10% from 4,000,000, linear between.
    assert [allowed_alias_ratio(n) for n in (1_000, 400_000, 4_000_000, 9_000_000)] == [0.99, 0.99, 0.10, 0.10]
    assert abs(allowed_alias_ratio(2_200_000) - 0.545) < 1e-9


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: &a [1, *a]\n", 1, 4, "an alias refers to the node that contains it"),
        ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", 1, 4 + MAX_DEPTH, "nests deeper than"),
        ("kind: ConfigMap\nmetadata:\n  name: !!python/object/apply:os.system [echo]\n", 3, 9,
         "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
        ("kind: ConfigMap\nmetadata: {name: c}\ndata:\n  n: " + "9" * 100_000 + "\n", 4, 6,
         "an integer of 100,000 characters is longer than any Kubernetes field holds"),
        ("kind: ConfigMap\nmetadata: {name: c}\ndata: !!binary notbase64!\n", 3, 7, "failed to decode base64"),
    ],
)
def test_what_costs_more_than_it_says_or_is_not_yaml_data_is_a_located_error(text: str, line: int, col: int,
                                                                            words: str) -> None:
    # Each follows an empty document and a good one: the number is the document's own (3).
    began = time.process_time()
    docs, diags = parse_stream("x.yaml", "---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" + text)
    assert time.process_time() - began < 2
    assert [(d.code, d.is_error) for d in diags] == [("PC601", True)], diags
    assert diags[0].message.startswith("cannot read document 3: ") and words in diags[0].message, diags[0].message
    assert (diags[0].span.line, diags[0].span.col) == (line + 6, col)
    assert [d.name for d in docs] == ["a"]


def test_timestamps_are_strings_as_go_yaml_gives_them() -> None:
    # Before: `2024-13-01` matched YAML 1.1's timestamp and raised ValueError (month 13) out of the reader.
    docs, diags = parse_stream("t.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n"
                               "  labels: {since: 2024-13-01, at: 2024-01-01T10:00:00Z}\n")
    assert not diags
    assert docs[0].meta["labels"] == {"since": "2024-13-01", "at": "2024-01-01T10:00:00Z"}


def test_a_syntax_error_in_a_later_document_names_that_document() -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# nothing\n---\nkind: [\n"
    _docs, diags = parse_stream("x.yaml", text)
    assert [(d.code, d.span.line) for d in diags] == [("PC601", 8)]
    assert diags[0].message.startswith("cannot read document 3: ")
    assert document_at(text, 0) == 1 and document_at(text, 4) == 2 and document_at(text, 6) == 3
    assert document_at("# c\n\n%YAML 1.1\n---\na: 1\n...\nb: 2\n", 6) == 2


@pytest.mark.parametrize(
    ("text", "field", "line", "col"),
    [
        ("kind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n"
         "  verbs: [[get]]\n", "rules[0].verbs[0]", 6, 11),
        ("kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef:\n  kind: ClusterRole\n  name: [view]\n",
         "roleRef.name", 5, 3),
        ("kind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: Role, name: r}\nsubjects:\n"
         "- {kind: User, name: a}\n- {kind: User, name: {b: c}}\n", "subjects[1].name", 6, 16),
        ("kind: Namespace\nmetadata:\n  name: n\n  labels:\n    team: [a]\n", "metadata.labels.team", 5, 5),
    ],
)
def test_wrong_shapes_point_at_the_field(text: str, field: str, line: int, col: int) -> None:
    docs, diags = parse_stream("bad.yaml", "apiVersion: v1\n" + text)
    assert docs == [] and [d.code for d in diags] == ["PC602"]
    assert f"(at `{field}`)" in diags[0].message and diags[0].message.startswith("document 1 is not a valid")
    assert (diags[0].span.line, diags[0].span.col) == (line + 1, col)
    strict_docs, strict = parse_stream("bad.yaml", "apiVersion: v1\n" + text, strict="PC310")
    assert [(d.code, d.is_error) for d in strict] == [("PC310", True)] and "skipped" not in strict[0].message


def test_a_stream_over_the_size_bound_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setattr(yamlread, "MAX_STREAM_CHARS", 100)
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + "a" * 100 + "}\n"
    _docs, diags = parse_stream("big.yaml", text)
    assert [d.code for d in diags] == ["PC601"] and "policyc reads at most 100" in diags[0].message
    (tmp_path / "big.yaml").write_text(text)
    _docs, _s, diags = read_paths([str(tmp_path / "big.yaml")])
    assert [d.code for d in diags] == ["PC601"] and "bytes; policyc reads at most 100" in diags[0].message
    assert load_all("big.yaml", text)[0] == []


def test_a_very_long_line_is_shown_around_the_caret() -> None:
    text = "kind: ConfigMap\nmetadata: {name: c}\ndata: {a: " + "x" * 300 + ", n: " + "7" * 5000 + "}\n"
    _docs, diags = parse_stream("long.yaml", text)
    rendered = render_text(diags, {"long.yaml": SourceFile("long.yaml", text)}).splitlines()
    assert rendered[0].startswith("long.yaml:3:316: error[PC601]: cannot read document 1: an integer of 5,000")
    source, caret = rendered[2], rendered[3]
    assert len(source) < 180 and source.startswith("3 | ...") and source.endswith("...")
    assert source[caret.index("^") :].startswith("7777")
    assert source[caret.index("^") - 4 : caret.index("^")] == " n: "


def test_many_documents_each_under_go_yamls_allowance_share_one_budget() -> None:
    """go-yaml's ratio is per document: 40 documents of ~600 nodes that aliases take to ~50,000 each."""
    doc = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: &a [" + ",".join(["x"] * 500) + "]\n"
           "  b: [" + ",".join(["*a"] * 100) + "]\n")
    one, diags = parse_stream("one.yaml", doc)
    assert not diags and len(one) == 1  # within go-yaml's 99%
    began = time.process_time()
    docs, diags = parse_stream("many.yaml", "---\n".join([doc] * 40))
    assert time.process_time() - began < 2
    # 100 aliases of a 501-node list (50,100 nodes) per document: the 8th goes over 400,000, at its first line.
    assert [(d.code, d.span.line) for d in diags] == [("PC601", 1 + 7 * 7)]
    assert diags[0].message.startswith("cannot read document 8: aliases in the documents read up to this one expand")
    assert len(docs) == 7


def test_the_files_of_one_read_share_the_alias_budget(tmp_path: Path) -> None:
    doc = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: &a [" + ",".join(["x"] * 500) + "]\n"
           "  b: [" + ",".join(["*a"] * 100) + "]\n")
    for i in range(10):
        (tmp_path / f"{i}.yaml").write_text(doc)
    docs, _sources, diags = read_paths([str(tmp_path)])
    assert len(docs) == 7
    assert [(d.code, d.span.file.rsplit("/", 1)[-1]) for d in diags] == [("PC601", f"{i}.yaml") for i in (7, 8, 9)]

"""Reading Kubernetes YAML: streams, `List`s, folders, positions, and bad input as diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.importer.reader import ReadError, parse_stream, read_paths

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

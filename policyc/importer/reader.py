"""Reading Kubernetes YAML for `policyc import`: files, folders, streams and `List` kinds.

Every object keeps where it came from (file, document index, item index within a `List`)
and the line and column of each of its fields, so that a diagnostic can point at the YAML
that the policy language cannot express.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from policyc.diagnostics import Diagnostic, error, warning
from policyc.source import SourceFile, Span

YAML_SUFFIXES = (".yaml", ".yml", ".json")
Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Doc:
    """One Kubernetes object read from YAML, with its origin and the position of every field."""

    obj: dict[str, Any]
    file: str
    index: int  # 1-based document number in the file
    item: int | None = None  # 0-based position in a `List`'s items, if it came from one
    marks: Mapping[Path_, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        """The object's kind (empty when missing)."""
        return str(self.obj.get("kind") or "")

    @property
    def meta(self) -> dict[str, Any]:
        """The object's metadata (empty when missing or malformed)."""
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        """metadata.name."""
        return str(self.meta.get("name") or "")

    @property
    def namespace(self) -> str:
        """metadata.namespace (empty for cluster-scoped objects)."""
        return str(self.meta.get("namespace") or "")

    @property
    def where(self) -> str:
        """`document N` (or `document N, item I`) for messages."""
        item = f", item {self.item}" if self.item is not None else ""
        return f"document {self.index}{item}"

    @property
    def ref(self) -> str:
        """`Kind namespace/name` as kubectl names objects."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def span(self, *path: Any) -> Span:
        """The span of the field at `path` (or of the closest enclosing field that has one)."""
        p: Path_ = tuple(path)
        while True:
            if p in self.marks:
                line, col = self.marks[p]
                return Span(self.file, line, col, line, col + 1)
            if not p:
                return Span(self.file, 1, 1, 1, 2)
            p = p[:-1]


def _marks(node: yaml.Node, path: Path_, out: dict[Path_, tuple[int, int]]) -> None:
    """Record the 1-based line and column of every key and item below `node`."""
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                sub = (*path, key.value)
                out[sub] = (key.start_mark.line + 1, key.start_mark.column + 1)
                _marks(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _marks(item, (*path, i), out)


def _split_list(doc: Doc) -> list[Doc]:
    """A `List` (kubectl's `-o yaml` of several objects) as its items; other objects as themselves."""
    kind = doc.obj.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and isinstance(doc.obj.get("items"), list)):
        return [doc]
    out: list[Doc] = []
    for i, item in enumerate(doc.obj["items"]):
        prefix: Path_ = ("items", i)
        marks = {p[2:]: v for p, v in doc.marks.items() if p[:2] == prefix}
        sub = Doc(item if isinstance(item, dict) else {"": item}, doc.file, doc.index, i, marks)
        out.extend(_split_list(sub))
    return out


def parse_stream(name: str, text: str) -> tuple[list[Doc], list[Diagnostic]]:
    """Every object of one YAML stream (`---`-separated documents, `List`s flattened)."""
    docs: list[Doc] = []
    diags: list[Diagnostic] = []
    loader = yaml.SafeLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if node is None:
                continue
            marks: dict[Path_, tuple[int, int]] = {}
            _marks(node, (), marks)
            obj = loader.construct_document(node)
            if obj is None:
                continue
            doc = Doc(obj if isinstance(obj, dict) else {}, name, index, None, marks)
            if not isinstance(obj, dict) or "kind" not in obj:
                diags.append(
                    warning(
                        "PC602",
                        f"document {index} is not a Kubernetes object and is skipped",
                        doc.span(),
                        "give every document `apiVersion`, `kind` and `metadata`",
                    )
                )
                continue
            docs.extend(_split_list(doc))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        diags.append(
            error(
                "PC601",
                f"cannot read document {index + 1}: {problem}",
                Span(name, line, col, line, col + 1),
                "fix the YAML (as `kubectl get ... -o yaml` writes it) and import again",
            )
        )
    finally:
        loader.dispose()
    return docs, diags


class ReadError(Exception):
    """A path that cannot be read at all (missing, unreadable, no YAML inside): exit code 2."""


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise ReadError(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
    if not found:
        raise ReadError(f"no .yaml, .yml or .json files in {path}")
    return found


def read_paths(paths: Iterable[str], stdin_text: str | None = None) -> tuple[list[Doc], dict[str, SourceFile],
                                                                             list[Diagnostic]]:
    """Read every object of the given files and folders (`-` is standard input, given as text).

    Returns the objects in input order, the sources (for diagnostic snippets) and the
    diagnostics. Raises ReadError for a path that does not exist or cannot be read.
    """
    docs: list[Doc] = []
    sources: dict[str, SourceFile] = {}
    diags: list[Diagnostic] = []
    for raw in paths:
        if raw == "-":
            texts = [("<stdin>", stdin_text or "")]
        else:
            texts = []
            for p in _files(Path(raw)):
                try:
                    data = p.read_bytes()
                except OSError as exc:
                    raise ReadError(f"cannot read {p}: {exc.strerror or exc}") from None
                name = p.as_posix()
                try:
                    texts.append((name, data.decode("utf-8").removeprefix("\ufeff")))
                except UnicodeDecodeError as exc:
                    diags.append(error("PC601", f"file is not valid UTF-8 (offset {exc.start})",
                                       Span(name, 1, 1, 1, 2), "save the file as UTF-8"))
        for name, text in texts:
            sources[name] = SourceFile(name, text)
            ds, more = parse_stream(name, text)
            docs += ds
            diags += more
    return docs, sources, diags

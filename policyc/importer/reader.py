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
# libyaml's loader when PyYAML was built with it (same nodes and marks, ten times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
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


NAMESPACED = ("Role", "RoleBinding", "ServiceAccount", "LimitRange", "ResourceQuota")


def _str_list(v: Any) -> bool:
    return v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v))


def _scalar(x: Any) -> bool:
    return isinstance(x, str | int | float) and not isinstance(x, bool)


def _str_map(v: Any) -> bool:
    """None, or a mapping of string keys to scalars (labels, annotations, quantities)."""
    return v is None or (isinstance(v, dict) and all(isinstance(k, str) and _scalar(x) for k, x in v.items()))


def _selector_ok(s: Any) -> bool:
    if not isinstance(s, dict) or not _str_map(s.get("matchLabels")):
        return False
    exprs = s.get("matchExpressions")
    return exprs is None or (isinstance(exprs, list) and all(
        isinstance(e, dict) and isinstance(e.get("key"), str) and isinstance(e.get("operator"), str)
        and _str_list(e.get("values")) for e in exprs))


def shape_problem(obj: dict[str, Any]) -> str:
    """Why an object cannot be a Kubernetes object of its kind (the API server would refuse it), or `""`.

    Only the fields the importer and the access engine read are checked, so that malformed
    input gives a diagnostic and never a crash further on.
    """
    if not isinstance(obj.get("kind"), str):
        return "`kind` is not a string"
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        return "`metadata` is not a mapping"
    for key in ("name", "namespace"):
        if meta.get(key) is not None and not isinstance(meta.get(key), str):
            return f"`metadata.{key}` is not a string"
    for key in ("labels", "annotations"):
        if not _str_map(meta.get(key)):
            return f"`metadata.{key}` is not a mapping of strings"
    kind = obj["kind"]
    if not meta.get("name"):
        return "it has no `metadata.name`"
    if kind in NAMESPACED and not meta.get("namespace"):
        return f"a {kind} needs `metadata.namespace`"
    if kind in ("Role", "ClusterRole"):
        rules = obj.get("rules")
        if rules is not None and not (isinstance(rules, list) and all(
                isinstance(r, dict) and all(_str_list(r.get(k)) for k in
                                            ("apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs"))
                for r in rules)):
            return "`rules` is not a list of rules with lists of strings"
        agg = obj.get("aggregationRule")
        if agg is not None and not (isinstance(agg, dict) and isinstance(agg.get("clusterRoleSelectors") or [], list)
                                    and all(_selector_ok(x) for x in agg.get("clusterRoleSelectors") or [])):
            return "`aggregationRule` is not a list of label selectors"
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        ref = obj.get("roleRef")
        if not isinstance(ref, dict) or not all(isinstance(ref.get(k), str) for k in ("kind", "name")):
            return "`roleRef` needs a `kind` and a `name`"
        subjects = obj.get("subjects")
        if subjects is not None and not (isinstance(subjects, list) and all(
                isinstance(x, dict) and all(isinstance(x.get(k), str | None) for k in ("kind", "name", "namespace"))
                for x in subjects)):
            return "`subjects` is not a list of subjects"
    for key in ("spec", "status"):
        if key in obj and obj[key] is not None and not isinstance(obj[key], dict):
            return f"`{key}` is not a mapping"
    spec = obj.get("spec") or {}
    if kind == "LimitRange" and "limits" in spec and not (isinstance(spec["limits"], list) and all(
            isinstance(i, dict) and all(isinstance(v, dict) and _str_map(v) for k, v in i.items() if k != "type")
            for i in spec["limits"])):
        return "`spec.limits` is not a list of limits"
    if kind == "ResourceQuota" and not _str_map(spec.get("hard")):
        return "`spec.hard` is not a mapping of quantities"
    return ""


def _split_list(doc: Doc) -> list[Doc]:
    """A `List` (kubectl's `-o yaml` of several objects) as its items; other objects as themselves."""
    kind = doc.obj.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and isinstance(doc.obj.get("items"), list)):
        return [doc]
    out: list[Doc] = []
    by_item: dict[int, dict[Path_, tuple[int, int]]] = {}
    for p, v in doc.marks.items():  # one pass over the marks, not one per item
        if len(p) >= 2 and p[0] == "items" and isinstance(p[1], int):
            by_item.setdefault(p[1], {})[p[2:]] = v
    for i, item in enumerate(doc.obj["items"]):
        sub = Doc(item if isinstance(item, dict) else {"": item}, doc.file, doc.index, i, by_item.get(i, {}))
        out.extend(_split_list(sub))
    return out


def parse_stream(name: str, text: str) -> tuple[list[Doc], list[Diagnostic]]:
    """Every object of one YAML stream (`---`-separated documents, `List`s flattened)."""
    docs: list[Doc] = []
    diags: list[Diagnostic] = []
    loader = _LOADER(text)
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
            for d in _split_list(doc):
                problem = shape_problem(d.obj)
                if problem:
                    diags.append(warning("PC602", f"{d.where} is not a valid Kubernetes object and is skipped: "
                                         f"{problem}", d.span(), "fix the object; the API server would refuse it"))
                else:
                    docs.append(d)
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

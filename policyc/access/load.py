"""Reading Kubernetes YAML for the access engine (`--from PATH`).

Files (`.yaml`, `.yml`, `.json`) or folders of them (recursively, in sorted order); multi-document
streams; `List` kinds (`kind: List` or `RoleList`, ... as `kubectl get -o yaml` writes them)
flattened. Each object remembers its origin (`file.yaml#2` is the second document). A document
that is not valid YAML is a diagnostic with its file, line and column, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from policyc.diagnostics import Diagnostic, error
from policyc.loader import UsageError
from policyc.source import Span

SUFFIXES = (".yaml", ".yml", ".json")


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise UsageError(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    if not found:
        raise UsageError(f"no YAML or JSON files in {path}")
    return found


def _flatten(obj: Any) -> Iterable[Mapping[str, Any]]:
    if not isinstance(obj, Mapping):
        return
    kind = str(obj.get("kind") or "")
    if kind.endswith("List") and isinstance(obj.get("items"), list):
        for item in obj["items"]:
            yield from _flatten(item)
    else:
        yield obj


def read_objects(paths: Iterable[Path]) -> tuple[list[tuple[Mapping[str, Any], str]], list[Diagnostic]]:
    """(object, origin) pairs of every document of every path, and diagnostics for bad YAML.

    Raises UsageError for a missing path, an unreadable file, or a folder without YAML files.
    """
    objs: list[tuple[Mapping[str, Any], str]] = []
    diags: list[Diagnostic] = []
    for root in paths:
        for f in _files(root):
            try:
                text = f.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read {f}: {exc}") from exc
            name = f.as_posix()
            try:
                for i, doc in enumerate(yaml.safe_load_all(text), 1):
                    objs += [(o, f"{name}#{i}") for o in _flatten(doc)]
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                problem = getattr(exc, "problem", None) or str(exc)
                diags.append(error("PC310", f"invalid YAML: {problem}", Span(name, line, col, line, col + 1),
                                   "fix the document; `kubectl get ... -o yaml` output reads as is"))
    return objs, diags

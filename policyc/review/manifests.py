"""`policyc diff --manifests`: a unified diff of the generated trees, file by file."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from policyc.output.tree import layout
from policyc.pipeline import Result


def tree_of(result: Result | None) -> dict[str, str]:
    """The output tree (`{relative path: text}`) a compiled side would write; empty for none."""
    if result is None or not result.ok:
        return {}
    return layout(result.manifests, result.files)


def unified_tree_diff(base: Mapping[str, str], head: Mapping[str, str]) -> str:
    """A git-style unified diff (`a/PATH`, `b/PATH`, 3 lines of context) of two trees, sorted by path."""
    chunks: list[str] = []
    for path in sorted(set(base) | set(head)):
        old, new = base.get(path), head.get(path)
        if old == new:
            continue
        lines = difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"a/{path}" if old is not None else "/dev/null",
            tofile=f"b/{path}" if new is not None else "/dev/null",
        )
        for line in lines:
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)

"""Metadata every emitted object carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MANAGED_BY = {"app.kubernetes.io/managed-by": "policyc"}
SOURCE_ANNOTATION = "policyc.dev/source"


def metadata(
    name: str,
    namespace: str | None,
    sources: Iterable[str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`metadata` with name, namespace, sorted labels (managed-by included) and the source files.

    Source files, not lines: line numbers would change the output on every unrelated edit.
    """
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(sorted({**labels, **MANAGED_BY}.items()))
    else:  # most objects: managed-by alone (a new dict each: bodies are plain, unshared data)
        meta["labels"] = dict(MANAGED_BY)
    if type(sources) is tuple and len(sources) == 1:  # one file (most objects): sorted already
        files: list[str] | tuple[str, ...] = sources
    else:
        files = sorted(set(sources))
    if files:
        meta["annotations"] = {SOURCE_ANNOTATION: ", ".join(files)}
    return meta

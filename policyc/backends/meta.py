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
    all_labels = {**(labels or {}), **MANAGED_BY}
    meta["labels"] = dict(sorted(all_labels.items()))
    files = sorted(set(sources))
    if files:
        meta["annotations"] = {SOURCE_ANNOTATION: ", ".join(files)}
    return meta

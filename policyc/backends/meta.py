"""Metadata every emitted object carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MANAGED_BY = {"app.kubernetes.io/managed-by": "policyc"}
SOURCE_ANNOTATION = "policyc.dev/source"
((_MANAGED_BY_KEY, _MANAGED_BY_VALUE),) = MANAGED_BY.items()


def metadata(
    name: str,
    namespace: str | None,
    sources: Iterable[str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`metadata` with name, namespace, sorted labels (managed-by included) and the source files.

    Source files, not lines: line numbers would change the output on every unrelated edit.
    """
    if namespace and not labels and type(sources) is tuple and len(sources) == 1:
        # Most objects (every binding, most roles): one dict display, no dict grown key by key
        # nor copied, for the build's every object (issue 19).
        return {
            "name": name,
            "namespace": namespace,
            "labels": {_MANAGED_BY_KEY: _MANAGED_BY_VALUE},
            "annotations": {SOURCE_ANNOTATION: sources[0]},
        }
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

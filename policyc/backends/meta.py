"""Metadata every emitted object carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MANAGED_BY = {"app.kubernetes.io/managed-by": "policyc"}
SOURCE_ANNOTATION = "policyc.dev/source"

# The common object's labels (managed-by alone) and its annotations (one per text of its source
# files) are shared by the bodies that have them, as the subjects and rules lists are
# (backends/rbac.py): bodies are never changed after they are emitted (model/manifest.py). A new
# dict each was two of the six dicts of a binding's body: at 3,000 namespaces some 12 MB of fresh
# memory (page faults) for `emit` to make and cold objects for the YAML writer to read (issue 19).
_MANAGED_ONLY: dict[str, str] = dict(MANAGED_BY)
_ANNOTATIONS: dict[str, dict[str, str]] = {}
# Bounded, as the YAML writer's caches are: a long-lived process (the language server) sees many.
_ANNOTATIONS_LIMIT = 100_000


def _annotations(files: str) -> dict[str, str]:
    """The `{SOURCE_ANNOTATION: files}` dict of this text, one per text."""
    found = _ANNOTATIONS.get(files)
    if found is None:
        if len(_ANNOTATIONS) >= _ANNOTATIONS_LIMIT:
            _ANNOTATIONS.clear()
        found = _ANNOTATIONS[files] = {SOURCE_ANNOTATION: files}
    return found


def metadata(
    name: str,
    namespace: str | None,
    sources: Iterable[str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`metadata` with name, namespace, sorted labels (managed-by included) and the source files.

    Source files, not lines: line numbers would change the output on every unrelated edit. The
    labels and annotations dicts may be shared with other bodies: read them, never change them.
    """
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(sorted({**labels, **MANAGED_BY}.items()))
    else:  # most objects: managed-by alone
        meta["labels"] = _MANAGED_ONLY
    if type(sources) is tuple and len(sources) == 1:  # one file (most objects): sorted already
        files: list[str] | tuple[str, ...] = sources
    else:
        files = sorted(set(sources))
    if files:
        meta["annotations"] = _annotations(", ".join(files))
    return meta

"""`metadata` (backends/meta.py) skips sorting for the common object (no labels of its own, one
source file): the result is the plain computation's, key order included (which dicts are shared:
test_metadata_shared_dicts.py)."""

from __future__ import annotations

from typing import Any

import pytest

from policyc.backends.meta import MANAGED_BY, SOURCE_ANNOTATION, metadata


def _plain(name: str, namespace: str | None, sources: Any, labels: dict[str, str] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = dict(sorted({**(labels or {}), **MANAGED_BY}.items()))
    files = sorted(set(sources))
    if files:
        meta["annotations"] = {SOURCE_ANNOTATION: ", ".join(files)}
    return meta


@pytest.mark.parametrize("sources", [("a.policy",), ("b.policy", "a.policy", "b.policy"), ["a.policy"], (), []])
@pytest.mark.parametrize("labels", [None, {}, {"team": "x", "app": "y"}, {"app.kubernetes.io/managed-by": "me"}])
@pytest.mark.parametrize("namespace", [None, "", "ns"])
def test_same_as_plain(sources: Any, labels: dict[str, str] | None, namespace: str | None) -> None:
    made = metadata("n", namespace, sources, labels)
    plain = _plain("n", namespace, sources, labels)
    assert made == plain
    assert list(made) == list(plain) and list(made["labels"]) == list(plain["labels"])

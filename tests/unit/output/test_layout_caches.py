"""The layout's caches (output/tree.py): a kind's plural is `_plural`'s, and a kind checked once
still lets a bad kind through nowhere."""

from __future__ import annotations

import pytest

from policyc.model.manifest import Manifest
from policyc.output import tree


@pytest.mark.parametrize("kind", ["ClusterRole", "Endpoints", "NetworkPolicy", "Ingress", "Namespace", "Policy",
                                  "Gateway", "Mesh", "Box", "Match", "Wish", "Quiz"])
def test_cached_plural_is_the_plain_one(kind: str) -> None:
    first, again = tree.kind_plural(kind), tree.kind_plural(kind)
    assert first == again == tree._plural(kind)


def _manifest(kind: str, name: str) -> Manifest:
    body = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns"}}
    return Manifest("v1", kind, name, "ns", body)


def test_a_bad_kind_is_refused_after_good_ones_were_checked() -> None:
    tree._check_manifest(_manifest("ConfigMap", "a"))
    assert "ConfigMap" in tree._VALID_KINDS
    tree._check_manifest(_manifest("ConfigMap", "b"))  # from the cache
    with pytest.raises(ValueError, match="invalid kind"):
        tree._check_manifest(_manifest("Config Map", "c"))
    assert "Config Map" not in tree._VALID_KINDS

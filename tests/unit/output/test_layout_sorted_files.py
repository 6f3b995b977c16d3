"""`layout` returns its files in path order (output/tree.py `_sorted_files`): the objects' files are
sorted once, for the kustomization, and the kustomization and the extra files are merged into that
order; the result is what sorting every (path, text) pair gives, on hand-made and generated inputs."""

from __future__ import annotations

import random

import pytest

from policyc.model.manifest import Manifest
from policyc.output.tree import KUSTOMIZATION, _sorted_files, layout


def _m(kind: str, name: str, namespace: str | None) -> Manifest:
    meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    return Manifest("v1", kind, name, namespace, {"apiVersion": "v1", "kind": kind, "metadata": meta})


# Extra files that sort before, between and after the generated ones ("kustomization.yaml" included).
EXTRAS = {"apiserver/authn.yaml": "a\n", "kz.yaml": "k\n", "namespaces-x/z.yaml": "z\n", "zz/last.txt": "l\n",
          "clusters.yaml": "c\n", "a": "first\n"}


@pytest.mark.parametrize("extra", [None, {}, {"zz/only.yaml": "x\n"}, {"a.yaml": "x\n"}, EXTRAS])
def test_files_in_path_order(extra: dict[str, str] | None) -> None:
    manifests = [_m(kind, f"n{i}", ns) for i, (kind, ns) in enumerate(
        [("ConfigMap", "b"), ("Namespace", None), ("Secret", "a"), ("ConfigMap", "a"), ("Service", "c-d"),
         ("ServiceAccount", "c"), ("Endpoints", "b")])]
    files = layout(manifests, extra)
    assert list(files) == sorted(files)
    assert KUSTOMIZATION in files and all(path in files for path in extra or {})


@pytest.mark.parametrize("seed", range(20))
def test_same_as_sorting_every_pair(seed: int) -> None:
    rng = random.Random(seed)
    words = ["a", "b", "cluster", "namespaces", "kustomization.yaml", "x-y", "x", "z.yaml", "A", "0", "é"]

    def path() -> str:
        return "/".join(rng.choice(words) + rng.choice(["", ".yaml", "-1"]) for _ in range(rng.randint(1, 3)))

    paths = list(dict.fromkeys(path() for _ in range(rng.randint(0, 60))))
    cut = rng.randint(0, len(paths))
    ordered, others = sorted(paths[:cut]), paths[cut:]
    rng.shuffle(others)
    files = {p: f"text of {p}\n" for p in rng.sample(paths, len(paths))}
    made = _sorted_files(files, ordered, others)
    assert list(made.items()) == sorted(files.items())

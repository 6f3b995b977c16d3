"""`layout` checks every body against its manifest (output/tree.py): in the per-file loop, just
before the writer reads the body, wherever the object sits in a run of one kind and namespace,
whichever field disagrees; bodies that agree are laid out."""

from __future__ import annotations

import pytest

from policyc.model.manifest import Manifest
from policyc.output.tree import layout

RBAC = "rbac.authorization.k8s.io/v1"


def _m(kind: str, name: str, namespace: str | None = "dev", api_version: str = RBAC, **rest) -> Manifest:
    meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    return Manifest(api_version, kind, name, namespace, {"apiVersion": api_version, "kind": kind, "metadata": meta,
                                                       **rest})


def _off(m: Manifest, field: str) -> Manifest:
    """`m` with a body whose `field` disagrees with the manifest."""
    body = {**m.body, "metadata": dict(m.body["metadata"])}
    if field in ("apiVersion", "kind"):
        body[field] = "Other"
    elif field == "namespace" and m.namespace is None:
        body["metadata"]["namespace"] = "dev"
    elif field == "namespace":
        del body["metadata"]["namespace"]
    else:
        body["metadata"][field] = "other"
    return Manifest(m.api_version, m.kind, m.name, m.namespace, body, m.sources)


RUN = [_m("Role", "a"), _m("Role", "b"), _m("Role", "c")]


@pytest.mark.parametrize("field", ["apiVersion", "kind", "name", "namespace"])
@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_disagreeing_body_is_refused_anywhere_in_a_run(field: str, where: int) -> None:
    manifests = [_off(m, field) if i == where else m for i, m in enumerate(RUN)]
    with pytest.raises(ValueError, match="does not match the manifest"):
        layout([_m("ServiceAccount", "x", api_version="v1"), *manifests, _m("ClusterRole", "y", None)])


@pytest.mark.parametrize("field", ["apiVersion", "kind", "name", "namespace"])
@pytest.mark.parametrize("manifest", [_m("ClusterRole", "y", None),
                                      _m("Secret", "t", api_version="v1", type="kubernetes.io/service-account-token"),
                                      _m("Secret", "s", api_version="v1")])
def test_a_disagreeing_body_is_refused_in_every_kind_of_file(field: str, manifest: Manifest) -> None:
    with pytest.raises(ValueError, match="does not match the manifest"):
        layout([*RUN, _off(manifest, field)])


def test_agreeing_bodies_are_laid_out() -> None:
    files = layout([*RUN, _m("ClusterRole", "y", None), _m("Secret", "s", api_version="v1")])
    assert sorted(files) == ["cluster/clusterroles.yaml", "kustomization.yaml", "namespaces/dev/roles.yaml",
                             "namespaces/dev/secrets.yaml"]

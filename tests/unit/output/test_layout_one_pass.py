"""The layout's single pass (output/tree.py, issue 19): duplicates are found in the sorted files,
not in a table of every object, so every way two objects can share an identity is tried here;
and the sort keys it makes start no collection."""

from __future__ import annotations

import gc

import pytest

from policyc.model.manifest import Manifest
from policyc.output.tree import layout

RBAC = "rbac.authorization.k8s.io/v1"
RBAC_BETA = "rbac.authorization.k8s.io/v1beta1"


def _m(api_version: str, kind: str, name: str, namespace: str | None = "dev", **rest) -> Manifest:
    meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    body = {"apiVersion": api_version, "kind": kind, "metadata": meta, **rest}
    return Manifest(api_version, kind, name, namespace, body)


def _token(name: str) -> Manifest:
    return _m("v1", "Secret", name, type="kubernetes.io/service-account-token")


@pytest.mark.parametrize(
    "manifests",
    [
        # one identity, adjacent and apart in the input
        [_m(RBAC, "Role", "a"), _m(RBAC, "Role", "a")],
        [_m(RBAC, "Role", "a"), _m(RBAC, "Role", "b"), _m(RBAC, "Role", "a")],
        # one group in two versions: the same object for the API server
        [_m(RBAC, "Role", "a"), _m(RBAC_BETA, "Role", "a")],
        # another kind of the same file and name sorted between the two
        [_m("v1", "Endpoints", "a"), _m("v1", "Endpoint", "a"), _m("v1", "Endpoints", "a")],
        # a run of one name longer than two, the duplicates at its ends
        [_m("v1", "Endpoints", "a"), _m("v1", "Endpoint", "a"), _m("v2", "Endpoint", "b"),
         _m("v1", "Endpoints", "a")],
        # a Secret in the ServiceAccounts' file and one of the same name in secrets.yaml
        [_token("t"), _m("v1", "Secret", "t")],
        [_m("v1", "Secret", "t"), _m(RBAC, "Role", "x"), _token("t")],
        # cluster-scoped
        [_m(RBAC, "ClusterRole", "c", None), _m(RBAC, "ClusterRole", "c", None)],
    ],
)
def test_two_objects_of_one_identity_are_refused(manifests: list[Manifest]) -> None:
    with pytest.raises(ValueError, match="same identity"):
        layout(manifests)


@pytest.mark.parametrize(
    "manifests",
    [
        [_m(RBAC, "Role", "a"), _m(RBAC, "RoleBinding", "a")],  # other kind, other file
        [_m(RBAC, "Role", "a", "dev"), _m(RBAC, "Role", "a", "prod")],  # other namespace
        [_m("v1", "Endpoints", "a"), _m("v1", "Endpoint", "a")],  # other kind, one file
        [_m("v1", "ServiceAccount", "t"), _token("t")],  # the account and its token
        [_m(RBAC, "Role", "a"), _m("example.com/v1", "Role", "a")],  # other group
    ],
)
def test_objects_of_distinct_identities_are_laid_out(manifests: list[Manifest]) -> None:
    assert layout(manifests)


def test_objects_are_sorted_as_before_runs_or_not() -> None:
    """ServiceAccounts first, then name, apiVersion, kind, whatever the input order."""
    manifests = [_m("v1", "Secret", "b", type="kubernetes.io/service-account-token"),
                 _m("v1", "ServiceAccount", "z"), _m("v1", "Endpoints", "a"), _m("v1", "Endpoint", "a"),
                 _m("v1", "ServiceAccount", "a"), _m("v2", "Endpoints", "b")]
    files = layout(manifests)
    accounts = files["namespaces/dev/serviceaccounts.yaml"]
    assert accounts.index("name: a") < accounts.index("name: z") < accounts.index("name: b")
    endpoints = files["namespaces/dev/endpoints.yaml"]
    assert endpoints.index("kind: Endpoint\n") < endpoints.index("kind: Endpoints\n") < endpoints.index("v2")


def test_layout_starts_no_collection() -> None:
    """Its sort keys (a tuple or two an object) would otherwise count toward a full collection."""
    manifests = [_m(RBAC, "Role", f"r{i}") for i in range(20_000)]
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        layout(manifests)
    finally:
        gc.callbacks.remove(count)
    assert collections == []

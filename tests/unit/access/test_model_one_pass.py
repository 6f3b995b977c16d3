"""The access model of a build is made in one pass over the manifests (access/policy.py `_model`:
the parsed defaults reused, bindings deduplicated and sorted by their reference's fields, role
references shared, the service accounts per namespace and the indexed roles made when asked). It
is the model `AccessModel.from_objects` makes of the same objects, field for field and in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import equivalence_folders, generated_org
from policyc.access.authorizer import AccessModel
from policyc.access.objects import BindingObj, ObjRef, binding_of
from policyc.access.policy import _model
from policyc.model.manifest import Manifest
from policyc.model.rbac import Binding, RbacSubject
from policyc.pipeline import compile_path

RELEASE = (1, 30)


def _plain(manifests: list[Manifest], release: tuple[int, int] | None) -> AccessModel:
    """The generic path: every body parsed (the bindings too), bootstrap parsed again."""
    return AccessModel.from_objects([(mf.body, "policy") for mf in manifests], release, namespaced_bootstrap=False)


def _same(a: AccessModel, b: AccessModel) -> None:
    assert a.bindings == b.bindings
    assert [x.origin for x in a.bindings] == [x.origin for x in b.bindings]
    assert list(a.roles.items()) == list(b.roles.items())  # the same roles, in the same order
    assert list(a._roles) == list(b._roles)
    assert (a._by_user, a._by_group, a._by_sa, a._by_role) == (b._by_user, b._by_group, b._by_sa, b._by_role)
    assert (a._scoped_user, a._scoped_group, a._scoped_sa) == (b._scoped_user, b._scoped_group, b._scoped_sa)
    assert (a.serviceaccounts, a.namespaces) == (b.serviceaccounts, b.namespaces)
    for ns in sorted(a.namespaces | {"nowhere"}):
        assert a.serviceaccounts_in(ns) == b.serviceaccounts_in(ns), ns


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("one-pass")
    return [*equivalence_folders(tmp, ""), generated_org(tmp, 30, shape="teams"),
            generated_org(tmp, 30, shape="members")]


def test_the_model_of_a_build_is_the_one_of_its_parsed_objects(folders: list[Path]) -> None:
    for folder in folders:
        result = compile_path(folder)
        assert result.program is not None, folder
        release = result.program.release
        _same(_model(result.manifests, release), _plain(result.manifests, release))


def _binding_manifest(b: Binding, attach: bool = True) -> Manifest:
    body: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": b.kind,
        "metadata": {"name": b.name, **({"namespace": b.namespace} if b.namespace else {})},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": b.role_kind, "name": b.role_name},
        "subjects": [s.to_dict() for s in b.subjects],
    }
    return Manifest("rbac.authorization.k8s.io/v1", b.kind, b.name, b.namespace, body,
                    binding=b if attach else None)


def _body(kind: str, name: str, namespace: str | None = None, **more: Any) -> Manifest:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return Manifest("v1", kind, name, namespace, {"apiVersion": "v1", "kind": kind, "metadata": meta, **more})


def test_hand_made_objects_replace_and_sort_as_the_generic_path() -> None:
    alice, ops = RbacSubject("User", "alice"), RbacSubject("Group", "ops")
    sa = RbacSubject("ServiceAccount", "app", "b")
    manifests = [
        _body("Namespace", "b"), _body("Namespace", ""), _body("ServiceAccount", "app", "b"),
        _body("ServiceAccount", "orphan"), Manifest("v1", "ConfigMap", "x", "a", ["not", "a", "mapping"]),  # type: ignore[arg-type]
        # A ClusterRole replacing a built-in one, and a namespaced Role.
        _body("ClusterRole", "view", rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
        _body("Role", "r", "b", rules=[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]),
        # Out of order, one replaced by a later one of the same reference, one replacing a default
        # ClusterRoleBinding, one without its compiled binding (parsed from its body).
        _binding_manifest(Binding("RoleBinding", "z", "b", "Role", "r", (alice, sa), "")),
        _binding_manifest(Binding("RoleBinding", "a", "b", "ClusterRole", "view", (ops,), "")),
        _binding_manifest(Binding("ClusterRoleBinding", "system:basic-user", None, "ClusterRole", "view",
                                  (alice,), "")),
        _binding_manifest(Binding("RoleBinding", "z", "b", "ClusterRole", "edit", (ops, alice), "")),
        _binding_manifest(Binding("RoleBinding", "m", "a", "ClusterRole", "view", (sa,), ""), attach=False),
        _binding_manifest(Binding("ClusterRoleBinding", "c", None, "ClusterRole", "view", (sa, ops), "")),
    ]
    one, plain = _model(manifests, RELEASE), _plain(manifests, RELEASE)
    _same(one, plain)
    z = next(b for b in one.bindings if b.ref == ObjRef("RoleBinding", "b", "z"))
    assert z.role == ObjRef("ClusterRole", "", "edit")  # the later one
    assert next(b for b in one.bindings if b.ref.name == "system:basic-user").origin == "policy"
    # A BindingObj given in a body is taken as it is (as `from_objects` takes one).
    given = BindingObj(ObjRef("RoleBinding", "b", "given"), ObjRef("Role", "b", "r"), (alice,), "yaml")
    with_obj = [*manifests, Manifest("rbac.authorization.k8s.io/v1", "RoleBinding", "given", "b", given)]  # type: ignore[arg-type]
    _same(_model(with_obj, RELEASE), AccessModel.from_objects(
        [(mf.body, "policy") for mf in manifests] + [given], RELEASE, namespaced_bootstrap=False))


def test_namespaces_and_service_accounts_keep_what_they_are_given() -> None:
    """`""` is no namespace of a binding or role, but stays where the caller gives it."""
    sas = [("", "odd"), ("b", "y"), ("b", "x"), ("a", "z")]
    model = AccessModel({}, [BindingObj(ObjRef("ClusterRoleBinding", "", "c"), ObjRef("ClusterRole", "", "v"), ())],
                        sas, ["", "n"])
    assert model.namespaces == frozenset({"", "n", "a", "b"})
    assert model.serviceaccounts_in("b") == [("b", "default"), ("b", "x"), ("b", "y")]
    assert AccessModel({}, [], [("b", "x")], []).namespaces == frozenset({"b"})


def test_binding_of_shares_one_reference_per_role() -> None:
    refs: dict[tuple[str, str, str], ObjRef] = {}
    a = binding_of(Binding("RoleBinding", "x", "n1", "ClusterRole", "view", (), ""), "policy", None, refs)
    b = binding_of(Binding("RoleBinding", "y", "n2", "ClusterRole", "view", (), ""), "policy", None, refs)
    c = binding_of(Binding("RoleBinding", "y", "n2", "Role", "view", (), ""), "policy", None, refs)
    assert a.role is b.role and a.role == ObjRef("ClusterRole", "", "view")
    assert c.role == ObjRef("Role", "n2", "view") and c.role is not a.role
    assert b == binding_of(Binding("RoleBinding", "y", "n2", "ClusterRole", "view", (), ""), "policy")

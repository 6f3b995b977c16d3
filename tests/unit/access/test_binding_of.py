"""The access model of a build reads each RoleBinding and ClusterRoleBinding from the compiled binding
the RBAC backend made it of (access/objects.py `binding_of`, `Manifest.binding`) instead of parsing
its body back: the objects and the model are the ones parsing gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import equivalence_folders
from policyc.access.authorizer import AccessModel
from policyc.access.objects import BINDING_KINDS, binding_of, parse_binding
from policyc.access.policy import _model
from policyc.backends.rbac import binding_manifest
from policyc.model.rbac import Binding, RbacSubject
from policyc.pipeline import compile_path

# A binding of a team, one of a user beside the team's, and a service account of the policy.
EXTRA = """
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant get pods to serviceaccount t000-logistics-api-dev/app in t001-finance-api-dev
"""


def _plain(manifests: list, release: tuple[int, int] | None) -> AccessModel:
    """The model with every binding parsed from its body (no compiled binding attached)."""
    return _model([dataclasses.replace(mf, binding=None) for mf in manifests], release)


def _same_models(a: AccessModel, b: AccessModel) -> None:
    assert a.bindings == b.bindings
    assert a.roles == b.roles
    assert (a._by_user, a._by_group, a._by_sa, a._by_role) == (b._by_user, b._by_group, b._by_sa, b._by_role)
    assert (a._scoped_user, a._scoped_group, a._scoped_sa) == (b._scoped_user, b._scoped_group, b._scoped_sa)
    assert (a.serviceaccounts, a.namespaces) == (b.serviceaccounts, b.namespaces)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return equivalence_folders(tmp_path_factory.mktemp("binding-of"), EXTRA)


def test_every_emitted_binding_is_what_its_body_parses_to(folders: list[Path]) -> None:
    seen = 0
    for folder in folders:
        result = compile_path(folder)
        assert result.program is not None, folder
        for mf in result.manifests:
            if mf.kind in BINDING_KINDS:
                assert mf.binding is not None, mf.name
                assert binding_of(mf.binding, "policy") == parse_binding(mf.body, "policy"), mf.name
                seen += 1
        _same_models(_model(result.manifests, result.program.release), _plain(result.manifests,
                                                                              result.program.release))
    assert seen > 100


@pytest.mark.parametrize("kind", ["RoleBinding", "ClusterRoleBinding"])
def test_subjects_parsing_would_change_or_drop(kind: str) -> None:
    """Subjects no compiled binding has today, handled as parsing the body handles them."""
    subjects = (
        RbacSubject("ServiceAccount", "ci", ""),  # no namespace: the RoleBinding's, or dropped
        RbacSubject("ServiceAccount", "app", "apps"),
        RbacSubject("User", "ann", "stray"),  # a namespace the body does not carry
        RbacSubject("Group", "devs"),
        RbacSubject("Robot", "r2"),  # not a subject kind: dropped
    )
    namespace = "web" if kind == "RoleBinding" else None
    b = Binding(kind, "b", namespace, "Role" if namespace else "ClusterRole", "r", subjects, "x")
    mf = binding_manifest(b)
    assert mf.binding is b
    parsed = parse_binding(mf.body, "policy")
    assert binding_of(b, "policy") == parsed
    expected_sa = ("ServiceAccount", "ci", "web") if namespace else None
    assert [(s.kind, s.name, s.namespace) for s in parsed.subjects if s.name == "ci"] == (
        [expected_sa] if expected_sa else [])
    model = _model([mf], None)
    _same_models(model, _plain([mf], None))


def test_interned_subjects_are_the_plain_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """`parse_binding` makes each subject once (objects._SUBJECTS); bounded, and equal to the plain ones."""
    from policyc.access import objects

    monkeypatch.setattr(objects, "_SUBJECTS_LIMIT", 3)
    monkeypatch.setattr(objects, "_SUBJECTS", {})
    dicts = [{"kind": "User", "name": f"u{i % 5}"} for i in range(12)]
    dicts += [{"kind": "ServiceAccount", "name": "ci"}, {"kind": "ServiceAccount", "name": "ci", "namespace": "a"},
              {"kind": "Group", "name": "g"}, {"kind": "Other", "name": "x"}, "not a dict"]
    body = {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "web"},
            "roleRef": {"kind": "Role", "name": "r"}, "subjects": dicts}
    parsed = parse_binding(body)
    plain = [RbacSubject("User", f"u{i % 5}") for i in range(12)]
    plain += [RbacSubject("ServiceAccount", "ci", "web"), RbacSubject("ServiceAccount", "ci", "a"),
              RbacSubject("Group", "g")]
    assert list(parsed.subjects) == plain
    assert len(objects._SUBJECTS) <= 3

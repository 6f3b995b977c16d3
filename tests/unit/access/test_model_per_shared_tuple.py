"""The access model handles what bindings and roles share once: `parse_role` parses a `rules` list
once per list object (roles of equal rules share one, backends/rbac.py), `binding_of` tests a tuple
of subjects once, `_index_bindings` finds each subject's place once per tuple. The model is the
one made of unshared objects (every body copied, every binding parsed from its body)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from conftest import equivalence_folders
from policyc.access.authorizer import AccessModel
from policyc.access.objects import ROLE_KINDS, ObjRef
from policyc.access.policy import _model
from policyc.pipeline import compile_path


def _same(a: AccessModel, b: AccessModel) -> None:
    assert a.bindings == b.bindings
    assert a.roles == b.roles
    assert (a._by_user, a._by_group, a._by_sa, a._by_role) == (b._by_user, b._by_group, b._by_sa, b._by_role)
    assert (a._scoped_user, a._scoped_group, a._scoped_sa) == (b._scoped_user, b._scoped_group, b._scoped_sa)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return equivalence_folders(tmp_path_factory.mktemp("shared-tuples"), "")


def test_the_model_of_shared_objects_is_the_model_of_copies(folders: list[Path]) -> None:
    shared_rules = 0
    for folder in folders:
        result = compile_path(folder)
        assert result.program is not None, folder
        release = result.program.release
        model = _model(result.manifests, release)
        copies = [copy.deepcopy(mf.body) for mf in result.manifests]
        _same(model, AccessModel.from_objects([(c, "policy") for c in copies], release, namespaced_bootstrap=False))
        # Roles whose bodies share a rules list share the parsed tuple.
        first: dict[int, object] = {}
        for mf in result.manifests:
            if mf.kind in ROLE_KINDS and mf.body.get("rules") and mf.body.get("aggregationRule") is None:
                rules = model.roles[ObjRef(mf.kind, mf.namespace or "", mf.name)].rules
                key = id(mf.body["rules"])
                if key in first:
                    assert first[key] is rules, mf.name
                    shared_rules += 1
                else:
                    first[key] = rules
    assert len(folders) >= 2 and shared_rules > 10

"""The access model of a build ranks its bindings by their place in the sorted list when the guards
first ask (access/authorizer.py `_rank_ids`), without reading or hashing any binding's reference
(two passes over 15,000 bindings that have left the cache, issue 19): its bindings are promised
sorted and unique. The ranks, and the answers made of them, equal those of the reference ranks, on
generated and hand-made input; bindings not promised so keep the old way (a reference twice ranks
at its first place)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import equivalence_folders, generated_org
from helpers import compile_text
from policyc.access.authorizer import AccessModel
from policyc.access.policy import _model
from policyc.access.request import UserInfo
from policyc.model.manifest import Manifest
from policyc.model.program import Program
from policyc.pipeline import compile_path

POLICY = """
role unused {
  get pods
}
role member {
  list secrets
}
role parent {
  aggregates member
}
role everything {
  * *
}
team web {
  members group devs, user ann, serviceaccount apps/default
  grant role parent in a, b
  grant role everything in a
  grant get, list secrets in a
}
grant role view to user ann in a
grant role view to user ann in b
namespace a {}
namespace b {}
namespace apps {}
"""


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Program, list[Manifest]]]:
    tmp = tmp_path_factory.mktemp("ranks")
    out = []
    for folder in [*equivalence_folders(tmp, ""), generated_org(tmp, 30, shape="teams"),
                   generated_org(tmp, 30, shape="members")]:
        result = compile_path(Path(folder))
        assert result.program is not None, folder
        out.append((result.program, result.manifests))
    result = compile_text(POLICY)
    assert result.program is not None
    out.append((result.program, result.manifests))
    return out


def _plain_ranks(model: AccessModel) -> dict[int, tuple]:
    """`_rank_ids` as it is made when asked: each binding's first place by reference."""
    ranks: dict = {}
    for i, b in enumerate(model.bindings):
        ranks.setdefault(b.ref, i)
    return {id(b): (b, ranks[b.ref]) for b in model.bindings}


def test_ranks_by_place_are_the_ranks_by_reference(builds: list) -> None:
    for program, manifests in builds:
        model = _model(manifests, program.release)
        assert model._unique_refs and model._ranks is None
        assert model._rank_ids() == _plain_ranks(model)
        assert model._ranks is None  # no binding's reference read
        plain = AccessModel(model.roles, list(model.bindings), model.serviceaccounts, model.namespaces,
                            model.release)  # not promised sorted and unique: ranked by reference
        assert not plain._unique_refs
        assert [(r, b.ref) for b, r in plain._rank_ids().values()] == \
            [(r, b.ref) for b, r in model._rank_ids().values()]
        users = {UserInfo(s.name, ("system:authenticated",)) for b in model.bindings for s in b.subjects
                 if s.kind == "User"}
        groups = {(s.name,) for b in model.bindings for s in b.subjects if s.kind == "Group"}
        users |= {UserInfo("someone", g) for g in groups}
        for user in sorted(users, key=lambda u: (u.name, u.groups))[:200]:
            got, plain_got = model.bindings_ranked(user), plain.bindings_ranked(user)
            assert [(r, b.ref, s) for r, b, s in got[0]] == [(r, b.ref, s) for r, b, s in plain_got[0]]
            assert got[1] == plain_got[1]


def test_duplicate_references_keep_the_first_place_as_rank() -> None:
    result = compile_text(POLICY)
    assert result.program is not None
    model = _model(result.manifests, result.program.release)
    twice = [*model.bindings, model.bindings[0]]  # not promised unique: ranks as before
    dup = AccessModel(model.roles, twice, model.serviceaccounts, model.namespaces, model.release)
    first = model.bindings[0]
    assert dup._rank_ids()[id(first)] == (first, 0) == (first, dup._rank()[first.ref])
    assert dup._rank_ids() == _plain_ranks(dup)

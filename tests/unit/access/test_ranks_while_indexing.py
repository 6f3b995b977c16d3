"""The access model of a build records each binding's rank (its place in the sorted bindings) in the
pass that indexes the bindings by subject (access/authorizer.py `_index_bindings`), instead of two
more passes when the guards first ask (issue 19). The ranks, and the answers made of them, equal
those made when asked, on generated and hand-made input; bindings not promised sorted and unique
keep the old way (a reference twice ranks at its first place)."""

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


def test_ranks_recorded_while_indexing_are_the_ones_made_when_asked(builds: list) -> None:
    for program, manifests in builds:
        model = _model(manifests, program.release)
        assert "_rank_by_id" in model.__dict__  # recorded by the constructor's pass
        assert model._rank_ids() == _plain_ranks(model)
        plain = AccessModel(model.roles, list(model.bindings), model.serviceaccounts, model.namespaces,
                            model.release)  # not promised sorted: made when asked
        assert "_rank_by_id" not in plain.__dict__
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
    assert dup._rank_ids()[id(model.bindings[0])][1] == dup._rank()[model.bindings[0].ref]

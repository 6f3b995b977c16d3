"""`grant_uses` (check/access_lints.py) reads a granted role's rules once per role and shares equal
rule tuples by identity: each use is what the plain computation gives, and equal rules are one tuple."""

from __future__ import annotations

from pathlib import Path

from conftest import equivalence_folders
from policyc.access.policy import model_from_program
from policyc.check.access_lints import _grant_rules, grant_uses
from policyc.pipeline import compile_path

EXTRA = """
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant get pods to group oidc:t001-finance-devs in t001-finance-api-dev, t000-logistics-api-prod
grant role view to team t001-finance in t001-finance-api-dev
role dup in t000-logistics-api-dev {
  get pods
}
role dup in t001-finance-api-dev {
  get configmaps
}
grant role dup to user a@example.com in t000-logistics-api-dev
grant role dup to user a@example.com in t001-finance-api-dev
"""


def test_uses_are_the_plain_ones(tmp_path: Path) -> None:
    checked = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        result = compile_path(folder)
        program = result.program
        assert program is not None, folder
        model = model_from_program(program, result.manifests)
        uses = {id(u.grant): u for u in grant_uses(program, model)}
        canonical: dict[tuple, tuple] = {}
        scopes: dict[int, list] = {}
        for b in program.bindings:
            for g in b.grants:
                use = uses[id(g)]
                if id(g) not in scopes:  # the first binding of the grant gives its rules
                    assert use.rules == _grant_rules(b, g, model)
                    assert canonical.setdefault(use.rules, use.rules) is use.rules  # equal rules: one tuple
                    checked += 1
                scopes.setdefault(id(g), []).append(b.namespace)
                assert set(b.subjects) <= use.subjects
        for gid, found in scopes.items():
            assert uses[gid].scopes == found
    assert checked > 100

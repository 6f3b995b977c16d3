"""`_Flagger._companions` tries each distinct list of other grants once: subjects bound by the same
grants (a team's members) give the answer the first of them gave. Compared with the plain search
over every subject on the equivalence inputs."""

from __future__ import annotations

from pathlib import Path

from conftest import equivalence_folders
from policyc.access.policy import model_from_program
from policyc.check.access_lints import _LINTS, _Flagger, _GrantUse, grant_uses
from policyc.pipeline import compile_path

EXTRA = """
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant create pods, secrets to team t001-finance in t001-finance-api-dev
grant get secrets to group oidc:t001-finance-devs in t001-finance-api-dev
"""


def _plain(flag: _Flagger, use: _GrantUse, missing: list) -> list[_GrantUse] | None:
    """The search before the shortcut: every subject of the grant, in order."""
    for subject in sorted(use.subjects):
        others = [o for o in flag.by_subject[subject] if o is not use]
        where: list[dict] = []
        for need in missing:
            by_scope: dict = {}
            for o in others:
                if flag.met(o, need):
                    for scope in o.scopes:
                        by_scope.setdefault(scope, o)
            where.append(by_scope)
        scopes = set(use.scopes)
        if None in use.scopes:
            scopes |= {scope for by_scope in where for scope in by_scope}
        for scope in sorted(scopes, key=lambda s: s or ""):
            found = [by_scope.get(scope) or by_scope.get(None) for by_scope in where]
            if all(o is not None for o in found):
                return found
    return None


def test_companions_are_those_of_the_plain_search(tmp_path: Path) -> None:
    asked = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        result = compile_path(folder)
        assert result.program is not None, folder
        model = model_from_program(result.program, result.manifests)
        uses = grant_uses(result.program, model)
        flag = _Flagger(uses, result.program.release)
        for use in uses:
            for lint in _LINTS:
                for _mine, missing in flag._plan(use)[lint.code][1]:
                    if missing:
                        assert flag._companions(use, missing) == _plain(flag, use, missing)
                        asked += 1
    assert asked > 0

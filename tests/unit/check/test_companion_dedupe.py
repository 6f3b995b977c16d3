"""`_Flagger._companions` tries each distinct list of other grants once: subjects bound by the same
grants (a team's members) give the answer the first of them gave, so their list is not searched again.

Every search is checked two ways: its answer is the plain search's (every subject, in order), and
it asks `_Flagger.met` (once per other grant and missing need of a list it searches) no more often
than the distinct lists up to the answer need. On the equivalence inputs (whose searches answer at
their first subject) and on a team whose members share their grants, so that a search meets the
same list again: with or without an answer after it.
"""

from __future__ import annotations

from pathlib import Path

from conftest import equivalence_folders
from helpers import compile_text
from policyc.access.policy import model_from_program
from policyc.check.access_lints import _LINTS, _Flagger, _GrantUse, grant_uses
from policyc.model.rbac import SUBJECT_ORDER
from policyc.pipeline import Result, compile_path
from policyc.source import Span

EXTRA = """
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant create pods, secrets to team t001-finance in t001-finance-api-dev
grant get secrets to group oidc:t001-finance-devs in t001-finance-api-dev
"""

# Reading and creating secrets in one namespace is PC502's row. ann, bob, cid and dee hold only the
# team's grants: one list of other grants, four subjects. zed also reads secrets in `app` himself.
TEAM = """
kubernetes 1.28

team writers {
  members user ann, user bob, user cid, user dee, user zed
  grant create secrets in app
  grant get secrets in other
}

grant get secrets to user zed in app
"""

Answer = list[_GrantUse] | None


def _answer(flag: _Flagger, use: _GrantUse, others: list[_GrantUse], missing: list) -> Answer:
    """The plain search of one subject's other grants: per missing need the first grant meeting it
    in each of its scopes, then the first scope (sorted) where every need is met."""
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


def _plain(flag: _Flagger, use: _GrantUse, missing: list) -> tuple[Answer, int, int]:
    """The search without the shortcut (every subject of the grant, in order): its answer, the
    `met` questions of the distinct lists it searched up to the answer (all the shortcut may ask),
    and those of every subject's list up to it (what it asks without the shortcut)."""
    seen: set[tuple[int, ...]] = set()
    distinct = every = 0
    for subject in sorted(use.subjects, key=SUBJECT_ORDER):
        others = [o for o in flag.by_subject[subject] if o is not use]
        every += len(others) * len(missing)
        if (key := tuple(map(id, others))) not in seen:
            seen.add(key)
            distinct += len(others) * len(missing)
        found = _answer(flag, use, others, missing)
        if found is not None:
            return found, distinct, every
    return None, distinct, every


def _asked(flag: _Flagger, use: _GrantUse, missing: list) -> tuple[Answer, int]:
    """`_companions`'s answer and how often it asked `met`."""
    calls = 0
    met = flag.met

    def counted(*args):  # noqa: ANN002, ANN202
        nonlocal calls
        calls += 1
        return met(*args)

    flag.met = counted  # type: ignore[method-assign]
    try:
        return flag._companions(use, missing), calls
    finally:
        del flag.met


def _grants(answer: Answer) -> list[Span] | None:
    """The companions by their grants' places (one `_GrantUse` per grant)."""
    return None if answer is None else [o.grant.span for o in answer]


def _check(result: Result) -> dict[tuple[Span, tuple], tuple[Answer, int]]:
    """Every search of the result's lints checked against the plain one; per grant and missing
    needs, the answer and how many `met` questions the shortcut saved (subjects whose list was
    searched already, before the answer)."""
    assert result.program is not None, result.diagnostics
    uses = grant_uses(result.program, model_from_program(result.program, result.manifests))
    flag = _Flagger(uses, result.program.release)
    out = {}
    for use in uses:
        for lint in _LINTS:
            for _mine, missing in flag._plan(use)[lint.code][1]:
                if missing:
                    got, asked = _asked(flag, use, missing)
                    want, distinct, every = _plain(flag, use, missing)
                    where = (use.grant.span, tuple(missing))
                    assert _grants(got) == _grants(want), where
                    assert asked <= distinct, (where, asked, distinct)
                    out[where] = (got, every - distinct)
    return out


def test_companions_are_those_of_the_plain_search(tmp_path: Path) -> None:
    searches = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        searches += len(_check(compile_path(folder)))
    assert searches > 0


def test_a_list_of_other_grants_shared_by_subjects_is_searched_once() -> None:
    searches = {span.line: found for (span, _missing), found in _check(compile_text(TEAM)).items()}
    assert sorted(searches) == [6, 7, 10]
    # Creating secrets in `app` (line 6): bob, cid and dee repeat ann's list; zed's own grant (line 10)
    # answers after them.
    answer, saved = searches[6]
    assert [o.grant.span.line for o in answer or []] == [10] and saved > 0
    # Reading secrets in `other` (line 7): no subject creates secrets there; ann's list is searched once.
    answer, saved = searches[7]
    assert answer is None and saved > 0
    assert searches[10][1] == 0  # zed alone: nothing to save

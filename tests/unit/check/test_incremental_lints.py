"""The grant lints kept per class of grants (the language server) give exactly the lints computed
over every grant, in the same order, and recompute only the classes an edit touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, SHARED, case_folders
from policyc.access.policy import model_from_program
from policyc.check import access_lints
from policyc.check.access_lints import (
    _classes,
    cis_lints,
    grant_lints,
    grant_uses,
    keep_lint_results,
    redundancy_lints,
)
from policyc.loader import read_sources
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

FOLDERS = [REPO / "policies", REPO / "docs" / "examples" / "org", *sorted((REPO / "tests" / "golden").glob("*/policy"))]
FOLDERS += case_folders(SHARED / "spec")


@pytest.fixture
def kept() -> Iterator[None]:
    keep_lint_results()
    try:
        yield
    finally:
        keep_lint_results(False)


def _uses(sources: list[SourceFile]):
    result = compile_sources(sources)
    assert result.program is not None and result.emitted, [str(d) for d in result.diagnostics]
    return result.program, grant_uses(result.program, model_from_program(result.program, result.manifests))


def _computed(program, uses) -> tuple[list, int]:
    before = access_lints._KEPT.computed
    out = grant_lints(uses, program.release)
    return out, access_lints._KEPT.computed - before


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name if p.name != "policy" else p.parent.name)
def test_kept_lints_equal_the_lints_over_every_grant(folder: Path, kept: None) -> None:
    sources, _ = read_sources(folder)
    result = compile_sources(sources)
    if result.program is None or not result.emitted:
        pytest.skip("the example does not emit")
    program, uses = _uses(sources)
    expected = cis_lints(uses, program.release) + redundancy_lints(uses)
    first, computed = _computed(program, uses)
    assert first == expected
    assert computed == len(_classes(uses))
    again, computed = _computed(*_uses(sources))  # a new analysis of the same text: every class kept
    assert again == expected and computed == 0


TEAMS = """\
team a {
  members user ann, group a-devs
  grant role edit in app
  grant read pods/log, events in app
}
team b {
  members user bob
  grant create deployments.apps in web
}
"""
SOLO = """\
grant create serviceaccounts/token to group tokens in app
grant role view to serviceaccount app/default in app
"""


def test_grants_sharing_a_subject_form_one_class() -> None:
    program, uses = _uses([SourceFile("teams.policy", TEAMS), SourceFile("solo.policy", SOLO)])
    names = [[(u.grant.role.text if u.grant.role else u.grant.span.line) for u in (uses[i] for i in c)]
             for c in _classes(uses)]
    # In source order (solo.policy first): the two top-level grants bind different subjects; team a's
    # two grants share ann and a-devs; team b's one.
    assert names == [[1], ["view"], ["edit", 4], [8]]


def test_an_edit_recomputes_only_its_class(kept: None) -> None:
    program, uses = _uses([SourceFile("teams.policy", TEAMS), SourceFile("solo.policy", SOLO)])
    _computed(program, uses)
    edited = TEAMS.replace("grant create deployments.apps in web", "grant create deployments.apps, pods in web")
    sources = [SourceFile("teams.policy", edited), SourceFile("solo.policy", SOLO)]
    program, uses = _uses(sources)
    out, computed = _computed(program, uses)
    assert computed == 1
    assert out == cis_lints(uses, program.release) + redundancy_lints(uses)
    assert any(d.code == "PC504" and d.span.line == 8 and "creating pods" in d.message for d in out)
    # A change of what a companion grant allows changes the other grant's lint (same class); team b's
    # grant is recomputed too: its offsets moved, and diagnostics carry them.
    moved = TEAMS.replace("grant read pods/log, events in app", "grant read pods/log, events, secrets in app")
    program, uses = _uses([SourceFile("teams.policy", moved), SourceFile("solo.policy", SOLO)])
    out, computed = _computed(program, uses)
    assert computed == 2 and out == cis_lints(uses, program.release) + redundancy_lints(uses)

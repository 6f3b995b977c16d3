"""The editor's analyses share the access model of emitted objects seen in one of the last two
analyses (access/policy.py `reuse_searches`): the same indexes, this analysis's provenance, and the
same answers as a model built anew."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, SHARED, bench_module, case_folders
from policyc.access.policy import model_from_manifests, model_from_program, reuse_searches
from policyc.access.request import UserInfo
from policyc.loader import read_sources
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

POLICY = """\
role reader {
  get, list pods, services
}
team dev {
  members user ann, group devs
  grant role reader in app
  grant create deployments.apps in app
}
"""


@pytest.fixture
def reusing() -> Iterator[None]:
    reuse_searches()
    try:
        yield
    finally:
        reuse_searches(False)


def _compiled(text: str):
    result = compile_sources([SourceFile("a.policy", text)])
    assert result.ok and result.program is not None
    return result


def test_same_objects_share_the_model_with_their_own_provenance(reusing: None) -> None:
    first, again = _compiled(POLICY), _compiled("# moved\n" + POLICY)
    m1 = model_from_program(first.program, first.manifests)
    m2 = model_from_program(again.program, again.manifests)
    assert m2 is not m1 and m2._roles is m1._roles and m2.bindings is m1.bindings
    assert m1.provenance is not m2.provenance
    assert [b.grants[0].span.line for b in m2.provenance.bindings.values()] == [
        b.grants[0].span.line + 1 for b in m1.provenance.bindings.values()]
    changed = _compiled(POLICY.replace("get, list pods, services", "get, list pods"))
    m3 = model_from_program(changed.program, changed.manifests)
    assert m3._roles is not m1._roles
    # Only the last two kinds of objects are kept.
    assert model_from_program(first.program, first.manifests)._roles is m1._roles
    third = _compiled(POLICY.replace("in app", "in web"))
    model_from_program(third.program, third.manifests)
    model_from_program(changed.program, changed.manifests)
    assert model_from_program(first.program, first.manifests)._roles is not m1._roles


def test_a_shared_model_answers_as_a_new_one(reusing: None) -> None:
    result = _compiled(POLICY)
    shared = model_from_program(result.program, result.manifests)
    shared = model_from_program(result.program, result.manifests)
    reuse_searches(False)
    fresh = model_from_manifests(result.manifests, result.program.release)
    assert fresh.permissions(UserInfo("ann", ()))
    for user in (UserInfo("ann", ()), UserInfo("bob", ("devs",)), UserInfo("eve", ())):
        assert shared.permissions(user) == fresh.permissions(user)


_FOLDERS = [REPO / "policies", REPO / "docs" / "examples" / "org",
            *sorted((REPO / "tests" / "golden").glob("*/policy"))]
_FOLDERS += case_folders(SHARED / "spec")


def _objects(model) -> tuple:
    return (model.roles, model.bindings, model.serviceaccounts, model.namespaces, model.release)


def _kept_after(earlier: list, result):
    """The model of `result`'s objects as the editor makes it: right after a model of `earlier`."""
    reuse_searches()
    try:
        model_from_manifests(earlier, result.program.release)
        return model_from_manifests(result.manifests, result.program.release)
    finally:
        reuse_searches(False)


@pytest.mark.parametrize("folder", _FOLDERS, ids=lambda p: p.name if p.name != "policy" else p.parent.name)
def test_a_model_parsed_from_kept_objects_equals_one_built_anew(folder: Path) -> None:
    # The editor parses each role and binding once while its body is the same (`_parsed_model`):
    # after another model whose objects partly differ, the model equals the one-shot command's.
    sources, _ = read_sources(folder)
    result = compile_sources(sources)
    if not result.manifests:
        pytest.skip("nothing emitted")
    anew = model_from_manifests(result.manifests, result.program.release)
    other = [mf for i, mf in enumerate(result.manifests) if i % 3]  # some kept, some not
    kept = _kept_after(other, result)
    assert _objects(kept) == _objects(anew)
    assert [b.ref for b in kept.bindings] == [b.ref for b in anew.bindings]


def test_a_generated_identity_organisation_parses_to_the_same_model() -> None:
    gen = bench_module("gen_org")
    files = gen.generate(30, 1, "identity")
    result = compile_sources([SourceFile(n, t) for n, t in sorted(files.items())])
    anew = model_from_manifests(result.manifests, result.program.release)
    changed = [mf for mf in result.manifests if mf.body.get("kind") != "ClusterRoleBinding"]
    assert _objects(_kept_after(changed, result)) == _objects(anew)

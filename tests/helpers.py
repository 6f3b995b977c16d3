"""Small helpers for compiling policy text in tests."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, generated_org, shared_path
from policyc.diagnostics import Diagnostic, render_text
from policyc.pipeline import Options, Result, compile_sources, run
from policyc.source import SourceFile


def compile_text(text: str, name: str = "test.policy", kubernetes: str | None = None, **more: str) -> Result:
    """Compile one file (plus `more` files by name) in memory."""
    sources = [SourceFile(name, text)] + [SourceFile(n.replace("__", "/"), t) for n, t in more.items()]
    return compile_sources(sources, kubernetes)


def build_credentials(result: Result, secrets: Path, write: bool = True, out: Path | None = None):
    """The stages `policyc build --secrets` runs after checking, on a compiled result: issue the
    credentials, emit (with the CSRs) and, when `write`, commit the secrets (no tree is written).

    With `write=False` (`build --check`) nothing is made and CSRs committed in `out` stand in.
    The result's manifests are replaced; returns the IssueReport.
    """
    options = Options(secrets=secrets, write_secrets=write, out=None if write else out)
    staged = Result(sources=result.sources, policy=result.policy, program=result.program)
    run(options, staged, start="issue credentials", until="check emitted")
    if staged.issue_error is not None:
        raise staged.issue_error
    if write:
        run(options, staged, start="write")
    result.manifests = staged.manifests
    return staged.issued


def underlined(result: Result, d: Diagnostic) -> str:
    """The source text a diagnostic's caret underlines (its first line)."""
    src = result.sources[d.span.file]
    line = src.line_text(d.span.line)
    end = d.span.end_col if d.span.end_line == d.span.line else len(line) + 1
    return line[d.span.col - 1 : end - 1]


def codes(result: Result) -> list[str]:
    """The codes of a result's diagnostics, in order."""
    return [d.code for d in result.diagnostics]


def schema_problems(result: Result) -> list[str]:
    """Every schema error of a result's objects against its target release (skips without schemas)."""
    import k8s_schemas as schemas
    import pytest

    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    assert result.program is not None
    problems = []
    for m in result.manifests:
        try:
            errors = schemas.validate(m.body, result.program.release)
        except schemas.SchemaUnavailable as exc:
            pytest.skip(str(exc))
        problems += [f"{m.kind}/{m.name}: {e}" for e in errors]
    return problems


def same_as_fresh(program, what: str) -> set[str]:  # noqa: ANN001  (a policyc.lsp.workspace.PolicyFolder)
    """Analyse `program` as the language server does and assert the result equals a fresh compile of
    the same texts (diagnostics, their rendering, emitted bodies); the codes found."""
    analysis = program.analyse()
    texts = {**program.disk, **program.overlays}
    fresh = compile_sources([SourceFile(n, texts[n]) for n in sorted(texts)], lints=True)
    assert analysis.result.diagnostics == fresh.diagnostics, what
    assert render_text(analysis.result.diagnostics, analysis.result.sources) == render_text(
        fresh.diagnostics, fresh.sources), what
    assert [m.body for m in analysis.result.manifests] == [m.body for m in fresh.manifests], what
    return {d.code for d in fresh.diagnostics}


def graph_maker(folder: Path):  # noqa: ANN201  (the compiled program and a maker of fresh graphs)
    """The program of a policy folder and a function making a new escalation graph of it each call:
    equivalence tests compare a fast path on one graph with the plain walk on another, so no cache
    is shared between them."""
    from policyc.access.policy import graph_for, model_from_program
    from policyc.pipeline import compile_path

    result = compile_path(folder)
    assert result.program is not None and result.manifests, result.diagnostics
    program = result.program

    def make():  # noqa: ANN202
        return graph_for(model_from_program(program, result.manifests), program)

    return program, make


# The written policy folders the equivalence tests compile besides generated organisations, by
# their test ids: the golden policy, then the spec's cases (../shared/spec; compiled in memory only,
# so read in place: `shared_untouched` in tests/conftest.py fails the run if anything writes there).
GOLDEN_POLICY = REPO / "tests" / "golden" / "rbac" / "policy"
POLICY_FOLDERS = ("golden", "article", "org")


def policy_folder(where: str) -> Path:
    """The folder of `POLICY_FOLDERS` named `where`: the golden policy, or ../shared/spec/WHERE
    (the test skips, with the reason, when ../shared is absent)."""
    return GOLDEN_POLICY if where == "golden" else shared_path("spec", where)


GENERATED_SHAPES = ("identity", "all", "mixed")


def folder_with_breaks(tmp_path: Path, where: str, breaks: str) -> Path:
    """A generated organisation of 30 namespaces in one of `GENERATED_SHAPES` with the policy
    lines `breaks` added, or the folder of `POLICY_FOLDERS` named `where` (`policy_folder`)."""
    if where in GENERATED_SHAPES:
        return generated_org(tmp_path, 30, breaks, where)
    return policy_folder(where)

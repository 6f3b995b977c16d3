"""The commands name policy files from the working directory (policyc/cli/paths.py `Relocator`).

`Relocator` prints a plain name below the policy folder as the folder's printed name plus the
file's, instead of asking `shown_path` once per file; these tables pin that the two agree
wherever the policy folder is, and that a relocated diagnostic differs from the original only
in its file names.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from policyc.cli.paths import Relocator, shown_path
from policyc.diagnostics import Diagnostic, Label, Severity
from policyc.source import Span, span_at

NAMES = [
    "main.policy",
    "teams/payments.policy",
    "a/b/c/deep.policy",
    "./dotted.policy",  # not plain: renamed by shown_path, as before
    "teams/../up.policy",
    "teams//double.policy",
    "ünïcode/naïve.policy",
    "with space/x.policy",
]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "repo" / "policies" / "teams").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path


@pytest.mark.parametrize(
    "folder",
    [
        "policies",  # below the working directory, relative
        ".",  # the working directory itself
        "./policies/",  # with a dot and a trailing slash
        "policies/teams/..",  # through a parent reference
        "ABS:repo/policies",  # below, given absolute
        "ABS:elsewhere",  # outside the working directory: absolute names
        "../elsewhere",  # outside, relative
        "/",  # the root
    ],
)
def test_names_agree_with_shown_path(tree: Path, folder: str) -> None:
    policy = tree / folder[4:] if folder.startswith("ABS:") else Path(folder)
    where = Relocator(policy, NAMES)
    base = policy if policy.is_dir() else policy.parent
    for name in NAMES:
        assert where.file(name) == shown_path(base / name), (folder, name)


def test_a_policy_file_names_from_its_folder(tree: Path) -> None:
    policy = tree / "repo" / "policies" / "main.policy"
    policy.write_text("", encoding="utf-8")
    assert Relocator(policy, ["main.policy"]).file("main.policy") == "policies/main.policy"


def test_other_names_are_unchanged(tree: Path) -> None:
    where = Relocator(Path("policies"), ["main.policy"])
    assert where.file("<stdin>") == "<stdin>"
    span = Span("<stdin>", 1, 2, 1, 3)
    assert where.span(span) is span


@pytest.mark.parametrize("lazy", [False, True])
def test_a_diagnostic_changes_only_its_file_names(tree: Path, lazy: bool) -> None:
    span = span_at("teams/payments.policy", (3, 5, 3, 9, 40, 44)) if lazy else Span(
        "teams/payments.policy", 3, 5, 3, 9, 40, 44)
    other = Span("main.policy", 1, 1, 1, 4, 0, 3)
    d = Diagnostic("PC101", Severity.ERROR, "undefined role `x`", span, "declare it", (Label(other, "here"),),
                   cis="5.1.1", benchmark="cis-1.24")
    moved = Relocator(Path("policies"), ["teams/payments.policy", "main.policy"]).diagnostic(d)
    expected = replace(
        d,
        span=Span("policies/teams/payments.policy", 3, 5, 3, 9, 40, 44),
        labels=(Label(Span("policies/main.policy", 1, 1, 1, 4, 0, 3), "here"),),
    )
    assert moved == expected
    assert type(moved) is Diagnostic and moved is not d
    assert d.span.file == "teams/payments.policy"  # the original is untouched
    assert str(moved.span) == f"policies{os.sep}teams/payments.policy:3:5"


def test_a_diagnostic_without_labels_keeps_them_empty(tree: Path) -> None:
    d = Diagnostic("PC501", Severity.WARNING, "m", Span("main.policy", 1, 1, 1, 2))
    moved = Relocator(Path("policies"), ["main.policy"]).diagnostic(d)
    assert moved.labels == () and moved.span.file == "policies/main.policy"


def test_the_text_report_names_files_as_the_relocated_diagnostics_do(tree: Path) -> None:
    """`report` prints the text format through `Relocator.file`, without renamed copies; the text
    is the one of the renamed diagnostics with the sources keyed by the printed names."""
    import io

    from policyc.cli.common import report
    from policyc.diagnostics import render_text
    from policyc.pipeline import Result
    from policyc.source import SourceFile

    text = "team payments {\n  members: user alice\n}\n"
    sources = {"teams/payments.policy": SourceFile("teams/payments.policy", text),
               "main.policy": SourceFile("main.policy", "cluster {}\n")}
    diags = [
        Diagnostic("PC101", Severity.ERROR, "undefined role `x`", Span("teams/payments.policy", 2, 3, 2, 10, 18, 25),
                   "declare it", (Label(Span("main.policy", 1, 1, 1, 8, 0, 7), "declared here"),)),
        Diagnostic("PC501", Severity.WARNING, "cluster-admin is granted", Span("main.policy", 1, 1, 1, 8, 0, 7)),
    ]
    result = Result(sources=sources, diagnostics=diags)
    out = io.StringIO()
    report(result, stream=out, base=Path("policies"))
    where = Relocator(Path("policies"), sources)
    moved = {where.file(k): v for k, v in sources.items()}
    assert out.getvalue() == render_text(where.diagnostics(diags), moved) + "\n" + "1 error, 1 warning\n"
    assert "policies/teams/payments.policy:2:3: error[PC101]" in out.getvalue()
    assert "at policies/main.policy:1:1" in out.getvalue()
    assert "2 |   members: user alice" in out.getvalue()

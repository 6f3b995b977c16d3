"""The commands name policy files from the working directory (policyc/cli/paths.py `Relocator`).

`Relocator` prints a plain name below the policy folder as the folder's printed name plus the
file's, instead of asking `shown_path` once per file; these tables pin that the two agree
wherever the policy folder is, and that a relocated diagnostic differs from the original only
in its file names.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from policyc.cli.paths import Relocator, shown_path
from policyc.diagnostics import Diagnostic, Label, Severity
from policyc.source import Span

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


def _renamed(d: Diagnostic, where: Relocator) -> Diagnostic:
    """The diagnostic as the commands printed it before every format named files as it prints them:
    a copy with its span's and its labels' files renamed."""
    return replace(d, span=where.span(d.span), labels=tuple(Label(where.span(lb.span), lb.message) for lb in d.labels))


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
    assert out.getvalue() == render_text([_renamed(d, where) for d in diags], moved) + "\n" + "1 error, 1 warning\n"
    assert "policies/teams/payments.policy:2:3: error[PC101]" in out.getvalue()
    assert "at policies/main.policy:1:1" in out.getvalue()
    assert "2 |   members: user alice" in out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_the_machine_formats_name_files_as_renamed_copies_did(tree: Path, fmt: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """JSON, SARIF and GitHub annotations name each file through `Relocator.file` as they print it;
    the output is the one of renamed copies of the diagnostics (the mechanism before), labels and
    suppressed warnings included, and SARIF orders its results by the printed names: a name that is
    not plain (`teams/../a.policy`, printed `policies/a.policy`) sorts first once printed, last before."""
    from policyc.cli.common import Format, report
    from policyc.diagnostics import render_json
    from policyc.output.sarif import render_github, render_sarif
    from policyc.pipeline import Result
    from policyc.source import SourceFile

    sources = {n: SourceFile(n, "cluster {}\n") for n in ("main.policy", "teams/payments.policy", "teams/../a.policy")}
    diags = [
        Diagnostic("PC101", Severity.ERROR, "undefined role `x`", Span("teams/payments.policy", 2, 3, 2, 10, 18, 25),
                   "declare it", (Label(Span("main.policy", 1, 1, 1, 8, 0, 7), "declared here"),)),
        Diagnostic("PC501", Severity.WARNING, "cluster-admin is granted", Span("main.policy", 1, 1, 1, 8, 0, 7)),
        Diagnostic("PC502", Severity.WARNING, "not plain", Span("teams/../a.policy", 1, 1, 1, 2, 0, 1)),
        Diagnostic("PC503", Severity.WARNING, "stdin", Span("<stdin>", 1, 1, 1, 2, 0, 1)),
    ]
    suppressed = [Diagnostic("PC504", Severity.WARNING, "allowed", Span("main.policy", 1, 2, 1, 3, 1, 2),
                             "# policyc: allow PC504 reviewed")]
    report(Result(sources=sources, diagnostics=diags, suppressed=suppressed), Format(fmt), base=Path("policies"))
    where = Relocator(Path("policies"), sources)
    moved, moved_suppressed = [_renamed(d, where) for d in diags], [_renamed(d, where) for d in suppressed]
    expected = {"json": lambda: render_json(moved), "sarif": lambda: render_sarif(moved, moved_suppressed),
                "github": lambda: render_github(moved)}[fmt]()
    printed = capsys.readouterr().out
    assert printed == expected
    assert "policies/teams/payments.policy" in printed and "teams/payments.policy" not in printed.replace(
        "policies/teams/payments.policy", "")

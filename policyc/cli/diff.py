"""`policyc diff [BASE] [HEAD]`: the change in effective access and settings, for review."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import typer

from policyc.cli.build import KUBERNETES_OPT
from policyc.cli.common import EXIT_ERRORS, EXIT_USAGE, fail_usage, report
from policyc.cli.paths import shown_path
from policyc.loader import UsageError
from policyc.review import compare, compile_side
from policyc.review.render import render_json, render_markdown, render_text
from policyc.review.report import AccessLine, DiffReport
from policyc.review.sources import resolve


class DiffFormat(StrEnum):
    """Report formats: text for a terminal, markdown for a pull-request comment, json for tools."""

    text = "text"
    markdown = "markdown"
    json = "json"


def diff(
    base: str = typer.Argument(
        "HEAD", help="Policy folder, or git revision whose committed --policy folder is read (default HEAD)."
    ),
    head: str = typer.Argument(
        "", show_default=False, help="Policy folder or git revision (default: the --policy folder in the work tree)."
    ),
    policy: Path = typer.Option(Path("policies"), "--policy", help="Policy folder, in the work tree and in revisions."),
    kubernetes: str | None = KUBERNETES_OPT,
    base_kubernetes: str | None = typer.Option(
        None, "--base-kubernetes", help="Target release of BASE only (default: as --kubernetes); with the same "
        "folder on both sides, shows what an upgrade changes, e.g. what an `except` exclusion gains."),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", help="Report format."),
    manifests: bool = typer.Option(False, "--manifests", help="Add a unified diff of the generated YAML."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="List every permission a subject gains through a superuser escalation, "
        "not one `full control of the cluster` line."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when effective access changed, else 0."),
) -> None:
    """Compare the effective access (and limits, quotas, pod security, guards, cluster settings) of BASE and HEAD."""
    cwd = Path.cwd()
    compiled = []
    try:
        for spec, release in ((base, base_kubernetes or kubernetes), (head, kubernetes)):
            compiled.append(compile_side(resolve(spec, policy, cwd), release))
    except UsageError as exc:
        raise fail_usage(str(exc)) from None
    # Where each side's files are, to name them from the working directory: a folder as given, or
    # for a revision (and the work tree) the --policy folder, where those files are checked out.
    folders = [Path(spec) if c.side.kind == "folder" and spec else policy
               for spec, c in zip((base, head), compiled, strict=True)]
    for name, side, folder in zip(("BASE", "HEAD"), compiled, folders, strict=True):
        if not side.ok:
            assert side.result is not None
            typer.echo(f"error: {name} ({side.side.label}) does not compile; fix it to compare", err=True)
            report(side.result, base=folder)
            raise typer.Exit(EXIT_USAGE)
    if all(c.result is None for c in compiled):
        raise fail_usage(f"neither side has policy files under {policy}")
    result = _shown_from_here(compare(compiled[0], compiled[1], manifests=manifests, verbose=verbose), *folders)
    render = {DiffFormat.text: render_text, DiffFormat.markdown: render_markdown, DiffFormat.json: render_json}[fmt]
    sys.stdout.write(render(result))
    if exit_code and result.access_changed:
        raise typer.Exit(EXIT_ERRORS)


def _shown_from_here(report: DiffReport, base: Path, head: Path) -> DiffReport:
    """The report with `file:line` sources named from the working directory (added: HEAD, removed: BASE)."""
    def moved(folder: Path) -> Callable[[str], str]:
        def where(source: str) -> str:
            file, _, line = source.rpartition(":")
            return f"{shown_path(folder / file if folder.is_dir() else folder)}:{line}" if file else source
        return where

    def lines(items: tuple[AccessLine, ...], where: Callable[[str], str]) -> tuple[AccessLine, ...]:
        return tuple(replace(a, origins=tuple(replace(o, sources=tuple(map(where, o.sources))) for o in a.origins))
                     for a in items)

    in_base, in_head = moved(base), moved(head)
    settings = tuple(replace(c, source=(in_base if c.sign == "-" else in_head)(c.source)) if c.source else c
                     for c in report.settings)
    return replace(report, added=lines(report.added, in_head), removed=lines(report.removed, in_base),
                   settings=settings)

"""`policyc diff [BASE] [HEAD]`: the change in effective access and settings, for review."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from policyc.cli.build import KUBERNETES_OPT
from policyc.cli.common import EXIT_ERRORS, EXIT_USAGE, fail_usage, report
from policyc.loader import UsageError
from policyc.review import compare, compile_side
from policyc.review.render import render_json, render_markdown, render_text
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
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", help="Report format."),
    manifests: bool = typer.Option(False, "--manifests", help="Add a unified diff of the generated YAML."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when effective access changed, else 0."),
) -> None:
    """Compare the effective access (and limits, quotas, pod security, guards, cluster settings) of BASE and HEAD."""
    cwd = Path.cwd()
    compiled = []
    try:
        for spec in (base, head):
            compiled.append(compile_side(resolve(spec, policy, cwd), kubernetes))
    except UsageError as exc:
        raise fail_usage(str(exc)) from None
    for name, side in zip(("BASE", "HEAD"), compiled, strict=True):
        if not side.ok:
            assert side.result is not None
            typer.echo(f"error: {name} ({side.side.label}) does not compile; fix it to compare", err=True)
            report(side.result)
            raise typer.Exit(EXIT_USAGE)
    if all(c.result is None for c in compiled):
        raise fail_usage(f"neither side has policy files under {policy}")
    result = compare(compiled[0], compiled[1], manifests=manifests)
    render = {DiffFormat.text: render_text, DiffFormat.markdown: render_markdown, DiffFormat.json: render_json}[fmt]
    sys.stdout.write(render(result))
    if exit_code and result.access_changed:
        raise typer.Exit(EXIT_ERRORS)

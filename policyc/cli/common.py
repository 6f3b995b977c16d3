"""Helpers shared by the commands: reporting diagnostics and exiting with the right code."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from policyc.cli.paths import Relocator
from policyc.diagnostics import printable, render_json, render_text, summary
from policyc.loader import UsageError
from policyc.source import Span

if TYPE_CHECKING:
    from policyc.pipeline import Options, Result

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class Format(StrEnum):
    """Diagnostic output formats."""

    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def fail_usage(message: str) -> typer.Exit:
    """Print a usage or I/O error and return the exit to raise (code 2)."""
    shown = "\n".join(printable(line) for line in message.split("\n"))  # paths may hold escapes
    typer.echo(f"error: {shown}", err=True)
    return typer.Exit(EXIT_USAGE)


def compile_or_exit(policy: Path, kubernetes: str | None, lints: bool = True) -> Result:
    """Compile a policy folder (access lints on by default); usage errors (missing path, no files) exit 2."""
    from policyc.pipeline import compile_path  # imported when used: the compiler is most of start-up

    try:
        return compile_path(policy, kubernetes, lints=lints)
    except UsageError as exc:
        raise fail_usage(str(exc)) from None


def run_or_exit(options: Options, **stages: str) -> Result:
    """Run the pipeline (or the stages named by `start=`/`until=`); usage errors exit 2."""
    from policyc.pipeline import run

    try:
        return run(options, **stages)
    except UsageError as exc:
        raise fail_usage(str(exc)) from None


def report(result: Result, fmt: Format = Format.text, stream=None, base: Path | None = None) -> None:
    """Print the diagnostics of a result in the chosen format (text goes to stderr).

    `base` is the policy folder (or file) that was compiled: files are then named relative to
    the working directory in every format, so a terminal click, a CI annotation or a SARIF
    upload from the repository root lands on the file (policyc/cli/paths.py).
    """
    diagnostics, suppressed, sources = result.diagnostics, result.suppressed, result.sources
    # Every format names each file as it prints it: no renamed copy of every diagnostic (0.1 s of
    # a build's report at 11,000 warnings, issue 19).
    name = Relocator(base, sources).file if base is not None else None
    if fmt is Format.json:
        sys.stdout.write(render_json(diagnostics, name))
        return
    if fmt is Format.sarif:
        from policyc.output.sarif import render_sarif

        sys.stdout.write(render_sarif(diagnostics, suppressed, name=name))
        return
    if fmt is Format.github:
        from policyc.output.sarif import render_github

        sys.stdout.write(render_github(diagnostics, name=name))
        return
    out = stream or sys.stderr
    text = render_text(diagnostics, sources, name)
    if text:
        out.write(text + "\n")
    if diagnostics or suppressed:
        quiet = f" ({len(suppressed)} suppressed)" if suppressed else ""
        out.write(summary(diagnostics) + quiet + "\n")


def _inside(span: Span, region: Span) -> bool:
    return span.file == region.file and region.start <= span.start and span.end <= region.end


def report_for(result: Result, base: Path, concerns: Iterable[Span]) -> None:
    """Diagnostics for a command that uses part of a policy (`kubeconfig USER`, `apiserver patch`).

    Errors are all printed (they stop the command); warnings only when they point inside one of
    the `concerns` spans (the user's declaration, the cluster block); the others are counted,
    with the command that lists them, so the line that matters is not buried.
    """
    regions = list(concerns)
    shown = [d for d in result.diagnostics if d.is_error or any(_inside(d.span, r) for r in regions)]
    others = len(result.diagnostics) - len(shown)  # not `d not in shown`: quadratic, by dataclass equality
    from policyc.pipeline import Result

    report(Result(sources=result.sources, diagnostics=shown), base=base)
    if others:
        s = "s" if others != 1 else ""
        sys.stderr.write(f"note: {others} other warning{s} of the policy do{'es' if others == 1 else ''} not concern "
                         f"this command; `policyc check {shlex.quote(str(base))}` lists them\n")

"""`policyc test [DIR]`: evaluate the guards and expectations and report like a test runner.

One line per assertion (`PASS`/`FAIL`, the assertion as written, where), the reason under a
failure, then a summary; exit 1 when any fails, as `kyverno test` does. The evaluation is
check/expectations.py's (the engine `can-i` and guards use); this module only prints.
"""

from __future__ import annotations

from pathlib import Path

import typer

from policyc.check.expectations import assertions_of
from policyc.cli.common import EXIT_ERRORS, EXIT_OK, compile_or_exit, report

# Diagnostics that are assertion outcomes: `test` prints them as FAIL lines, not as errors.
_ASSERTION_CODES = frozenset({"PC301", "PC302", "PC320", "PC321", "PC322"})


def test(
    policy: Path = typer.Argument(Path("policies"), help="The policy folder (or one .policy file)."),
    kubernetes: str | None = typer.Option(None, "--kubernetes", help="Target release (overrides the policy)."),
) -> None:
    """Evaluate only guards and expectations: one line per assertion; exit 1 when any fails."""
    result = compile_or_exit(policy, kubernetes, lints=False)
    blocking = [d for d in result.diagnostics if d.is_error and d.code not in _ASSERTION_CODES]
    if blocking or result.program is None or not result.emitted:
        report(type(result)(sources=result.sources, diagnostics=blocking or result.diagnostics), base=policy)
        typer.echo("policyc test: the policy does not compile; no assertion was evaluated", err=True)
        raise typer.Exit(EXIT_ERRORS)
    found = assertions_of(result.program, result.manifests)
    failed = 0
    for a in found:
        typer.echo(f"{'PASS' if a.passed else 'FAIL'}  {a.text}  ({a.where})")
        if not a.passed:
            failed += 1
            typer.echo(f"      {a.detail}")
    passed = len(found) - failed
    typer.echo(f"{passed} passed, {failed} failed" if found else "no guards or expectations to test")
    raise typer.Exit(EXIT_ERRORS if failed else EXIT_OK)

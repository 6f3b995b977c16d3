"""`policyc build` and `policyc check`."""

from __future__ import annotations

from pathlib import Path

import typer

from policyc.cli.common import EXIT_ERRORS, Format, compile_or_exit, fail_usage, promote_warnings, report
from policyc.output.tree import ForeignFilesError, layout, write_tree

POLICY_ARG = typer.Argument(Path("policies"), help="Policy folder (or one .policy file).")
KUBERNETES_OPT = typer.Option(None, "--kubernetes", help="Target release, e.g. 1.30 (overrides the policy).")
DENY_OPT = typer.Option(False, "--deny-warnings", help="Treat warnings as errors.")


def build(
    policy: Path = POLICY_ARG,
    out: Path = typer.Option(Path("out"), "-o", "--out", help="Output folder, replaced atomically."),
    kubernetes: str | None = KUBERNETES_OPT,
    deny_warnings: bool = DENY_OPT,
) -> None:
    """Check the policy and write the manifest tree (a failed build leaves OUT untouched)."""
    result = compile_or_exit(policy, kubernetes)
    if deny_warnings:
        result.diagnostics = promote_warnings(result.diagnostics)
    report(result)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    files = layout(result.manifests, result.files)
    try:
        write_tree(out, files)
    except ForeignFilesError as exc:
        listed = "\n".join(f"  {p}" for p in exc.paths)
        raise fail_usage(
            f"{out} holds files policyc did not write; move them away or choose another --out:\n{listed}"
        ) from None
    except OSError as exc:
        raise fail_usage(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {len(result.manifests)} objects in {len(files)} files to {out}")


def check(
    policy: Path = POLICY_ARG,
    kubernetes: str | None = KUBERNETES_OPT,
    fmt: Format = typer.Option(Format.text, "--format", help="Diagnostic format."),
    deny_warnings: bool = DENY_OPT,
) -> None:
    """Run every check without writing anything."""
    result = compile_or_exit(policy, kubernetes)
    if deny_warnings:
        result.diagnostics = promote_warnings(result.diagnostics)
    report(result, fmt)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    if fmt is Format.text:
        typer.echo(f"ok: {len(result.manifests)} objects")

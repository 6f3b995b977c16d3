"""`policyc apiserver patch`: apply the policy's kube-apiserver change to a static-pod manifest in place."""

from __future__ import annotations

from pathlib import Path

import typer

from policyc.backends.apiserver import ApiserverChange, apiserver_change
from policyc.cli.common import EXIT_ERRORS, compile_or_exit, fail_usage, report_for
from policyc.diagnostics import render_text
from policyc.output.static_pod import ManifestError, load_patch_file, patch_text, write_patched
from policyc.source import SourceFile

app = typer.Typer(help="Change the kube-apiserver of a node to match the policy.", no_args_is_help=True)


def _change_from_policy(policy: Path, kubernetes: str | None) -> ApiserverChange:
    result = compile_or_exit(policy, kubernetes)
    clusters = [c.span for c in result.policy.clusters] if result.policy is not None else []
    report_for(result, policy, clusters)  # errors, and the warnings about the cluster block only
    if not result.ok or result.program is None:
        raise typer.Exit(EXIT_ERRORS)
    change = apiserver_change(result.program)
    if change is None:
        raise fail_usage(f"the policy in {policy} has no `cluster` block: there is nothing to change")
    return change


def _refuse(path: Path, text: str, exc: ManifestError, then: str = "") -> typer.Exit:
    """A ManifestError as a usage error; one of reading the YAML is shown at its line, with a caret."""
    if exc.diagnostic is None:
        return fail_usage(f"{path}: {exc}{then}")
    typer.echo(render_text([exc.diagnostic], {str(path): SourceFile(str(path), text)}), err=True, nl=False)
    return fail_usage(f"{path}: {exc.diagnostic.message}{then}")


def _change_from_file(path: Path) -> ApiserverChange:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail_usage(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return load_patch_file(text, str(path))
    except ManifestError as exc:
        raise _refuse(path, text, exc) from None


@app.command("patch")
def patch(
    manifest: Path = typer.Argument(..., help="The static pod, e.g. /etc/kubernetes/manifests/kube-apiserver.yaml."),
    policy: Path = typer.Option(Path("policies"), "--policy", help="Policy folder whose cluster block to apply."),
    patch_file: Path | None = typer.Option(
        None, "--patch-file", help="Apply out/apiserver/kube-apiserver.patch instead of compiling --policy."
    ),
    kubernetes: str | None = typer.Option(None, "--kubernetes", help="Target release (overrides the policy)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print a unified diff; change nothing."),
    backup_dir: Path | None = typer.Option(
        None, "--backup-dir", help="Where to keep the backup (default: a dot-file beside the manifest)."
    ),
    allow_failing_probes: bool = typer.Option(
        False, "--allow-failing-probes", help="Turn anonymous requests off even though the pod's HTTP probes "
        "carry no credentials (they will fail)."
    ),
) -> None:
    """Set the policy's flags and volumes in MANIFEST, keeping everything else; idempotent and atomic."""
    change = _change_from_file(patch_file) if patch_file is not None else _change_from_policy(policy, kubernetes)
    try:
        text = manifest.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise fail_usage(f"no such file: {manifest}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail_usage(f"cannot read {manifest}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        result = patch_text(text, change, allow_failing_probes, str(manifest))
    except ManifestError as exc:
        raise _refuse(manifest, text, exc, "; nothing was changed") from None
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    for path in change.files:
        if not Path(path).exists():
            typer.echo(f"note: {path} does not exist on this machine; put it on every control-plane node before "
                       "the kubelet restarts the API server", err=True)
    if not result.changed:
        typer.echo(f"{manifest}: already up to date", err=True)
        return
    if dry_run:
        typer.echo(result.diff(manifest.name), nl=False)
        return
    try:
        backup = write_patched(manifest, result, backup_dir)
    except OSError as exc:
        raise fail_usage(f"cannot write {manifest}: {exc.strerror or exc}; nothing was changed") from None
    typer.echo(f"patched {manifest} (backup: {backup})")

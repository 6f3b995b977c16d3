"""`policyc import PATH... [-o DIR] [-n NS] [--kubernetes 1.N] [--exclude-system/--include-system] [--verify]`.

Warnings are summarized one line per code with a count (the rule's meaning from the registry);
`--verbose` prints each one with its file, line and caret. Errors are always printed in full.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer

from policyc import rules as registry
from policyc.cli.common import EXIT_ERRORS, fail_usage
from policyc.diagnostics import Diagnostic, render_text, sort_diagnostics, summary
from policyc.gcpause import paused_gc
from policyc.importer import REPLACED_FILE, import_docs, replaced_objects
from policyc.importer.verify import check_compiles, compile_files, verify_import
from policyc.k8s.releases import NEWEST, SUPPORTED, format_version, parse_version
from policyc.k8s.yamlread import ReadError, read_paths
from policyc.output.tree import ForeignFilesError, write_tree


def import_(
    paths: list[str] = typer.Argument(..., help="Kubernetes YAML files or folders (`-` reads standard input)."),
    out: Path = typer.Option(Path("policies"), "-o", "--out", help="Policy folder to write (replaced atomically)."),
    kubernetes: str | None = typer.Option(None, "--kubernetes", help="Target release, e.g. 1.30 (default: newest)."),
    exclude_system: bool = typer.Option(True, "--exclude-system/--include-system",
                                        help="Leave out built-in roles, default bindings and `system:` objects."),
    verify: bool = typer.Option(False, "--verify", help="Prove that effective access is unchanged (exit 1 if not)."),
    namespace: str | None = typer.Option(
        None, "-n", "--namespace", help="Namespace of namespaced objects that name none (as `kubectl apply -n`)."),
    verbose: bool = typer.Option(False, "--verbose", help="Print every warning, not one summary line per code."),
) -> None:
    """Bring an existing cluster's access objects under policy, and prove nothing changed."""
    release = NEWEST
    if kubernetes is None:
        typer.echo(f"note: no --kubernetes given: the policy targets {format_version(NEWEST)}, the newest release "
                   "policyc knows; pass the cluster's release", err=True)
    else:
        parsed = parse_version(kubernetes)
        if parsed is None or parsed not in SUPPORTED:
            raise fail_usage(f"unsupported Kubernetes release `{kubernetes}` (supported: "
                             f"{format_version(SUPPORTED[0])} to {format_version(NEWEST)})")
        release = parsed
    # What is read and built lives until the command ends and forms next to no cycles: the
    # cyclic collector would rescan it again and again (a third of `--verify`'s CPU time at
    # 10,000 objects, issue 19); policyc/gcpause.py says why pausing it is safe.
    with paused_gc():
        _import(paths, out, release, exclude_system, verify, namespace, verbose)


def _import(paths: list[str], out: Path, release: tuple[int, int], exclude_system: bool, verify: bool,
            namespace: str | None, verbose: bool) -> None:
    """The command after its options are checked: read, translate, compile, write, verify."""
    stdin = sys.stdin.read() if "-" in paths else None
    try:
        docs, sources, diags = read_paths(paths, stdin, namespace=namespace)
    except ReadError as exc:
        raise fail_usage(str(exc)) from None
    result = import_docs(docs, release, exclude_system)
    result.unplaced = [d.message.partition(" (")[0] for d in diags if d.code == "PC625"]
    compiled = compile_files(result.files)
    all_diags = sort_diagnostics(diags + result.diagnostics + check_compiles(compiled))
    if all_diags:
        sys.stderr.write(_report(all_diags, sources, verbose))
    if any(d.is_error for d in all_diags):
        raise typer.Exit(EXIT_ERRORS)
    emitted = [(m.kind, m.namespace or "", m.name) for m in compiled.manifests]
    files = {**result.files, REPLACED_FILE: replaced_objects(result, emitted)}
    try:
        write_tree(out, files)
    except ForeignFilesError as exc:
        listed = "\n".join(f"  {p}" for p in exc.paths)
        raise fail_usage(f"{out} holds files policyc did not write; choose another --out:\n{listed}") from None
    except OSError as exc:
        raise fail_usage(f"cannot write {out}: {exc.strerror or exc}") from None
    for line in result.summary():
        typer.echo(line)
    for proposal in result.proposals:  # shorter with classes and exclusions (importer/propose.py)
        typer.echo(f"proposal: {proposal.summary}:")
        for line in proposal.text:
            typer.echo(f"    {line}")
    typer.echo(f"wrote {out} for Kubernetes {format_version(release)}; {out / REPLACED_FILE} deletes the "
               "objects it replaces once the policy is applied")
    if verify:
        report = verify_import(result, docs, compiled)
        typer.echo("")
        for line in report.lines(release):
            typer.echo(line)
        if not report.unchanged:
            raise typer.Exit(EXIT_ERRORS)


def _report(diags: list[Diagnostic], sources: dict, verbose: bool) -> str:
    """Every diagnostic (`--verbose`), or the errors in full and one line per warning code."""
    if verbose:
        return render_text(diags, sources) + summary(diags) + "\n"
    errors = [d for d in diags if d.is_error]
    counts = Counter(d.code for d in diags if not d.is_error)
    text = render_text(errors, sources) if errors else ""
    for code, n in sorted(counts.items()):
        rule = registry.get(code)
        text += f"warning[{code}] x{n}: {rule.summary if rule else ''}\n"
    if counts:
        text += "(`--verbose` prints each warning with its file and line)\n"
    return text + summary(diags) + "\n"

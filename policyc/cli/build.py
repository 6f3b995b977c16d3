"""`policyc build` and `policyc check`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from policyc.cli.common import EXIT_ERRORS, Format, fail_usage, report, run_or_exit
from policyc.cli.paths import shown_path
from policyc.cli.secrets_dir import SecretsLocation, secrets_location
from policyc.model.program import Program
from policyc.output.secrets import SecretsError
from policyc.output.tree import MANIFEST_LIST, ForeignFilesError, diff_tree, layout
from policyc.pipeline import Options, Result, run

if TYPE_CHECKING:
    from policyc.output.credentials import IssueReport

POLICY_ARG = typer.Argument(Path("policies"), help="Policy folder (or one .policy file).")
KUBERNETES_OPT = typer.Option(None, "--kubernetes", help="Target release, e.g. 1.30 (overrides the policy).")
DENY_OPT = typer.Option(False, "--deny-warnings", help="Treat warnings as errors.")


def build(
    policy: Path = POLICY_ARG,
    out: Path = typer.Option(Path("out"), "-o", "--out", help="Output folder, replaced atomically."),
    kubernetes: str | None = KUBERNETES_OPT,
    deny_warnings: bool = DENY_OPT,
    check_only: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 listing the files of OUT that differ from the policy."
    ),
    secrets: Path | None = typer.Option(
        None, "--secrets", show_default=False, help="Folder for tokens, keys and CSRs (0700; default: "
        ".policyc/secrets at the top of the policy's git work tree, else beside the policy)."
    ),
) -> None:
    """Check the policy and write the manifest tree (a failed build leaves OUT untouched)."""
    store = secrets_location(policy, secrets)
    options = Options(policy, kubernetes, lints=True, deny_warnings=deny_warnings, secrets=store.path,
                      write_secrets=not check_only, out=out)
    result = run_or_exit(options, until="write")
    report(result, base=policy)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    if check_only:
        if result.issue_error is not None:
            raise fail_usage(_secrets_failure(result.issue_error, store))
        _check_tree(out, layout(result.manifests, result.files))
        return
    try:
        run(options, result, start="write")
    except SecretsError as exc:
        raise fail_usage(_secrets_failure(exc, store)) from None
    except ForeignFilesError as exc:
        listed = "\n".join(f"  {p}" for p in exc.paths)
        raise fail_usage(
            f"{out} holds files policyc did not write; move them away or choose another --out:\n{listed}"
        ) from None
    except OSError as exc:
        raise fail_usage(f"cannot write {out}: {exc.strerror or exc}") from None
    store.announce_if_created()
    # The count comes from the write stage: laying the tree out again serialised every object a
    # second time (0.3 s of the command's 3.9 s of CPU at 3,000 namespaces, issue 19).
    assert result.written is not None
    typer.echo(f"wrote {len(result.manifests)} objects in {len(result.written.written)} files to {shown_path(out)}/ "
               f"(apply with `kubectl apply -k {shown_path(out)}`)")
    issued = result.issued
    if result.program is not None and issued is not None and (issued.written or issued.kept):
        typer.echo(_credentials_line(result.program, issued, out))


def _secrets_failure(exc: SecretsError, store: SecretsLocation) -> str:
    """The secrets folder's error; when policyc chose the folder, where from and how to choose another
    (a policy in a read-only or foreign folder, e.g. a checkout of someone else's, has its default beside it)."""
    if store.given:
        return str(exc)
    return f"{exc}\nhelp: policyc chose {shown_path(store.path)} ({store.why}); `--secrets DIR` chooses another folder"


def _credentials_line(program: Program, issued: IssueReport, out: Path) -> str:
    """What was written to the secrets folder, and why there (never what it holds)."""
    users: dict[str, int] = {}
    for cred in program.authn.credentials:
        users[cred.method] = users.get(cred.method, 0) + 1
    parts = [f"{n} {method} user{'s' if n != 1 else ''}" for method, n in sorted(users.items())]
    who = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
    where = shown_path(issued.root)
    done = (f"wrote {len(issued.written)} credential files to {where}/ (kept {len(issued.kept)})" if issued.written
            else f"kept {len(issued.kept)} credential files in {where}/ (none new)")
    return (f"{done}: the credentials of the policy's {who}; secrets stay there, never in {shown_path(out)}/ "
            "(only the public certificate requests go there) nor in git")


def _check_tree(out: Path, files: dict[str, str]) -> None:
    """`build --check`: compare OUT with what the policy compiles to, write nothing, exit 1 if they differ."""
    differ = diff_tree(out, files)
    if not differ:
        typer.echo(f"{out} is up to date ({len(files)} files)")
        return
    lines = []
    for rel in differ:
        if rel not in files and rel != MANIFEST_LIST:
            state = "obsolete"  # policyc wrote it once; the policy no longer produces it
        elif not (out / rel).is_file():
            state = "missing"
        else:
            state = "differs"  # stale or edited by hand: the bytes are not what the policy compiles to
        lines.append(f"  {state:9} {rel}")
    typer.echo(f"{out} does not match the policy: {len(differ)} file(s)\n" + "\n".join(lines))
    typer.echo(f"help: run `policyc build` and commit {out}, or undo the hand edits", err=True)
    raise typer.Exit(EXIT_ERRORS)


def check(
    policy: Path = POLICY_ARG,
    kubernetes: str | None = KUBERNETES_OPT,
    fmt: Format = typer.Option(Format.text, "--format", help="Diagnostic format."),
    deny_warnings: bool = DENY_OPT,
) -> None:
    """Run every check without writing anything."""
    result = run_or_exit(Options(policy, kubernetes, lints=True, deny_warnings=deny_warnings), until="write")
    report(result, fmt, base=policy)
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    if fmt is Format.text:
        typer.echo(f"ok: {_objects_built(result)}")


def _objects_built(result: Result) -> str:
    """The number of objects `build` writes: check issues no key, so it counts the CSRs build adds."""
    from policyc.backends.authn import pending_requests

    pending = len(pending_requests(result.program, result.credentials)) if result.program is not None else 0
    total = len(result.manifests) + pending
    if not pending:
        return f"{total} objects"
    csrs = "CertificateSigningRequest" + ("s" if pending != 1 else "")
    return f"{total} objects ({pending} {csrs} among them, made by `policyc build` with the keys it issues)"

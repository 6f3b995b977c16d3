"""`policyc kubeconfig USER` and `policyc rotate USER`: credentials in the secrets directory.

Both print paths and next steps, never a token, password or key.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policyc.backends.authn import csr_name
from policyc.cli.common import EXIT_ERRORS, compile_or_exit, fail_usage, report, report_for
from policyc.cli.paths import shown_path
from policyc.cli.secrets_dir import secrets_location
from policyc.k8s import apiserver as api
from policyc.model.authn import UserCredential
from policyc.model.program import Program
from policyc.output.secrets import SecretsError, SecretStore

POLICY_OPT = typer.Option(Path("policies"), "--policy", help="Policy folder that declares the user.")
SECRETS_OPT = typer.Option(
    None, "--secrets", show_default=False,
    help="Secrets folder (default: where `policyc build` of --policy keeps it: .policyc/secrets at the top of its "
    "git work tree, else beside it).",
)
KUBERNETES_OPT = typer.Option(None, "--kubernetes", help="Target release (overrides the policy).")


def _program(policy: Path, kubernetes: str | None, who: str) -> Program:
    """The compiled policy; prints its errors, and only the warnings about `who`'s declaration."""
    result = compile_or_exit(policy, kubernetes)
    program = result.program
    if program is None:
        report(result, base=policy)
        raise typer.Exit(EXIT_ERRORS)
    sa = _serviceaccount(program, who)
    declared = program.serviceaccounts[f"{sa[0]}/{sa[1]}"] if sa is not None else program.users.get(who)
    report_for(result, policy, [declared.span] if declared is not None else [])
    if not result.ok:
        raise typer.Exit(EXIT_ERRORS)
    return program


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise fail_usage(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def _serviceaccount(program: Program, who: str) -> tuple[str, str] | None:
    """(namespace, name) when `who` names a declared service account (`NS/NAME` or its username)."""
    if who.startswith("system:serviceaccount:"):
        parts = who.split(":")
        who = f"{parts[2]}/{parts[3]}" if len(parts) == 4 else who
    sa = program.serviceaccounts.get(who)
    return (sa.namespace, sa.name) if sa is not None else None


def kubeconfig(
    user: str = typer.Argument(..., help="A declared user, or a service account as NS/NAME."),
    server: str = typer.Option(..., "--server", help="The API server URL, e.g. https://10.0.0.10:6443."),
    ca: Path | None = typer.Option(None, "--ca", help="CA certificate of the API server (embedded)."),
    cert: Path | None = typer.Option(None, "--cert", help="The signed certificate of a certificate user."),
    token_file: Path | None = typer.Option(
        None, "--token-file", help="A service account's token (`-` for stdin), read from its token Secret."
    ),
    cluster_name: str = typer.Option("kubernetes", "--cluster-name", help="Cluster name in the kubeconfig."),
    policy: Path = POLICY_OPT,
    secrets_dir: Path | None = SECRETS_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
) -> None:
    """Write a kubeconfig for USER into the secrets folder and print its path."""
    from policyc.output.kubeconfig import write_serviceaccount, write_user  # cryptography, on demand

    if not server.startswith("https://"):
        raise fail_usage("--server must be an https:// URL")
    program = _program(policy, kubernetes, user)
    where = secrets_location(policy, secrets_dir)
    store = SecretStore(where.path)
    ca_pem = _read(ca, "CA file")
    try:
        sa = _serviceaccount(program, user)
        if sa is not None:
            token = _read(token_file, "token file")
            if token is None:
                raise fail_usage(
                    f"a service account's token comes from the cluster: pass --token-file FILE (or - for stdin), "
                    f"e.g. kubectl -n {sa[0]} get secret {sa[1]}-token -o jsonpath='{{.data.token}}' | base64 -d"
                )
            result = write_serviceaccount(
                store, sa[0], sa[1], token.decode("utf-8", "replace"), server=server, cluster=cluster_name,
                ca_pem=ca_pem,
            )
        else:
            cred = program.authn.credential(user)
            if cred is None:
                declared = program.users.get(user)
                reason = (
                    f"user `{user}` logs on with `{declared.auth.text}`, which needs no kubeconfig credential from "
                    "policyc" if declared else f"`{user}` is not a declared user or service account"
                )
                raise fail_usage(reason)
            result = write_user(
                store, cred, server=server, cluster=cluster_name, ca_pem=ca_pem, cert_pem=_read(cert, "certificate")
            )
    except SecretsError as exc:
        raise fail_usage(str(exc)) from None
    where.announce_if_created()
    for note in result.notes:
        typer.echo(f"warning: {note}", err=True)
    typer.echo(f"wrote {shown_path(store.path(result.path))}")


def rotate(
    user: str = typer.Argument(..., help="A token, basic or certificate user."),
    policy: Path = POLICY_OPT,
    secrets_dir: Path | None = SECRETS_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
) -> None:
    """Replace USER's credential on purpose (a new token, password, or key and CSR)."""
    from policyc.output.credentials import rotate as rotate_credential  # cryptography, on demand

    program = _program(policy, kubernetes, user)
    where = secrets_location(policy, secrets_dir)
    store = SecretStore(where.path)
    try:
        issued = rotate_credential(program, store, user)
    except SecretsError as exc:
        raise fail_usage(str(exc)) from None
    where.announce_if_created()
    cred = program.authn.credential(user)
    assert cred is not None
    for rel in issued.written:
        typer.echo(f"wrote {shown_path(store.path(rel))}")
    steps = {
        "token": "copy apiserver/tokens.csv to the --token-auth-file path on every control-plane node and restart "
        "the API server; then `policyc kubeconfig` for a new kubeconfig",
        "basic": "copy apiserver/basic-auth.csv to the --basic-auth-file path and restart the API server",
        "certificate": f"run `policyc build`, delete the old request (`kubectl delete csr {csr_name(user)}`), apply, "
        "approve it and `policyc kubeconfig --cert` with the new certificate",
    }
    typer.echo(f"next: {steps[cred.method]}")
    if cred.method == "certificate":
        _old_certificate_stays_valid(cred, program.release)


def _old_certificate_stays_valid(cred: UserCredential, release: tuple[int, int]) -> None:
    """A new key does not end the old certificate: the API server checks no revocation list.

    kube-apiserver accepts any unexpired client certificate its --client-ca-file signed
    (kubernetes.io/docs/reference/access-authn-authz/authentication/, "X509 client certificates";
    certificates.k8s.io has no revocation). The signer's lifetime is `expirationSeconds` when
    requested (1.22+), else kube-controller-manager's --cluster-signing-duration, 8760h by default
    (kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/).
    """
    typer.echo(f"note: the old client certificate of `{cred.name}` stays valid until it expires: Kubernetes cannot "
               "revoke a client certificate; to cut it off now, remove what RBAC grants its name and groups, "
               "or replace the cluster CA", err=True)
    if cred.expiration_seconds is not None:
        return
    fix = ("add `expires 30d` (or another duration) to the user's declaration, so each certificate lives that long"
           if api.csr_api(release).expiration else
           "lower kube-controller-manager's --cluster-signing-duration (`expires` needs Kubernetes 1.22 or later)")
    typer.echo(f"warning: user `{cred.name}` declares no `expires`: its certificates live as long as the signer "
               "allows (kube-controller-manager --cluster-signing-duration, one year by default), so the old one "
               f"may stay valid for up to a year; {fix}", err=True)

"""The `policyc` command: a Typer app with one module per command."""

from __future__ import annotations

import sys

import typer

from policyc.cli import apiserver as apiserver_cmd
from policyc.cli import assertions as assertions_cmd
from policyc.cli import build as build_cmd
from policyc.cli import can_i as can_i_cmd
from policyc.cli import credentials as credentials_cmd
from policyc.cli import diff as diff_cmd
from policyc.cli import explain as explain_cmd
from policyc.cli import fmt as fmt_cmd
from policyc.cli import importer as importer_cmd
from policyc.cli import lsp as lsp_cmd
from policyc.cli import who_can as who_can_cmd

app = typer.Typer(
    name="policyc",
    help="Compile Kubernetes access policy into RBAC, admission and authentication manifests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from policyc import __version__

        typer.echo(f"policyc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Compile Kubernetes access policy into RBAC, admission and authentication manifests."""


app.command("build")(build_cmd.build)
app.command("check")(build_cmd.check)
app.command("test")(assertions_cmd.test)
app.add_typer(apiserver_cmd.app, name="apiserver")
app.command("kubeconfig")(credentials_cmd.kubeconfig)
app.command("rotate")(credentials_cmd.rotate)
app.command("diff")(diff_cmd.diff)
app.command("fmt")(fmt_cmd.fmt)
app.command("lsp")(lsp_cmd.lsp)
app.command("can-i")(can_i_cmd.can_i)
app.command("who-can")(who_can_cmd.who_can)
app.command("explain")(explain_cmd.explain)
app.command("import")(importer_cmd.import_)


def run() -> None:
    """Entry point of the console script. Never shows a traceback: internal errors exit 2."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:  # pragma: no cover - the fuzz tests keep this unreachable
        sys.stderr.write(f"policyc: internal error: {type(exc).__name__}: {exc}\n")
        raise SystemExit(2) from None

"""The `policyc` command: a Typer app with one module per command, imported on demand.

Start-up matters: pre-commit hooks and scripts call `policyc can-i` in loops, and importing
every command (the compiler, jinja2, cryptography, pygls, ...) cost more than answering
(issue 19). `run()` looks at the command line first: `can-i`, `who-can` and `explain` with
`--from` run without Typer when policyc/cli/fastargs.py reads their command line (Typer and
the pydantic adapters it builds per parameter cost more than answering); for another known
command it registers and imports only that command's module; for anything else (`--help`, no
arguments, `--version`, an unknown command) it registers every command, so the help and the
errors are the ones a complete app gives. `COMMANDS` is the one list of commands, in the order `--help` shows them.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from policyc.cli import fastargs

if TYPE_CHECKING:
    import typer


class _Command(NamedTuple):
    name: str
    module: str  # under policyc.cli
    attr: str  # a function (a command) or a Typer app (a group of commands)
    group: bool = False


COMMANDS: tuple[_Command, ...] = (
    _Command("build", "build", "build"),
    _Command("check", "build", "check"),
    _Command("test", "assertions", "test"),
    _Command("apiserver", "apiserver", "app", group=True),
    _Command("kubeconfig", "credentials", "kubeconfig"),
    _Command("rotate", "credentials", "rotate"),
    _Command("diff", "diff", "diff"),
    _Command("fmt", "fmt", "fmt"),
    _Command("lsp", "lsp", "lsp"),
    _Command("can-i", "access_typer", "can_i"),
    _Command("who-can", "access_typer", "who_can"),
    _Command("explain", "access_typer", "explain"),
    _Command("import", "importer", "import_"),
)
_BY_NAME = {c.name: c for c in COMMANDS}


def _callback() -> Any:
    import typer

    def print_version(value: bool) -> None:
        if value:
            from policyc import __version__

            typer.echo(f"policyc {__version__}")
            raise typer.Exit()

    def main(
        version: bool = typer.Option(
            False, "--version", "-V", callback=print_version, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """Compile Kubernetes access policy into RBAC, admission and authentication manifests."""

    return main


def make_app(only: str | None = None) -> typer.Typer:
    """The app with every command, or with command `only` alone (its module the only one imported)."""
    import typer

    app = typer.Typer(
        name="policyc",
        help="Compile Kubernetes access policy into RBAC, admission and authentication manifests.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_callback())
    for cmd in COMMANDS:
        if only is not None and cmd.name != only:
            continue
        target = getattr(importlib.import_module(f"policyc.cli.{cmd.module}"), cmd.attr)
        if cmd.group:
            app.add_typer(target, name=cmd.name)
        else:
            app.command(cmd.name)(target)
    return app


def command_of(argv: list[str]) -> str | None:
    """The command a command line runs, when it names a known one before anything else."""
    for arg in argv:
        if arg.startswith("-"):
            return None  # --help, --version or an unknown option: the complete app answers
        return arg if arg in _BY_NAME else None
    return None


def __getattr__(name: str) -> Any:
    if name == "app":  # the complete app, for callers that drive it (tests, documentation)
        return make_app()
    raise AttributeError(name)


def run() -> None:
    """Entry point of the console script. Never shows a traceback: internal errors exit 2."""
    try:
        argv = sys.argv[1:]
        command = command_of(argv)
        fast = None if command is None else fastargs.runner(command, argv[argv.index(command) + 1:])
        if fast is not None:
            fast()  # can-i, who-can, explain --from: no Typer, no pydantic (policyc/cli/fastargs.py)
            return
        make_app(command)()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:  # pragma: no cover - the fuzz tests keep this unreachable
        sys.stderr.write(f"policyc: internal error: {type(exc).__name__}: {exc}\n")
        raise SystemExit(2) from None

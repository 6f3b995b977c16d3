"""The command line of `can-i`, `who-can` and `explain` with `--from`, read without Typer (issue 19).

Scripts and pre-commit hooks call these commands in loops; Typer builds a pydantic adapter per
parameter (importing pydantic and click: about half of the start-up budget) before the command
runs. `parse()` reads the same options as the Typer declarations (policyc/cli/access_typer.py;
tests/unit/cli/test_fastargs.py compares the two) but only a command line it can read without
doubt: the exact option spellings (`--as alice`, `--as=alice`, `-n ns`, `-A`), at most the
arguments the command takes, a value for every option that needs one, each single-value option
once, `-o text|json`, and `--from`. For anything else (`--help`, an unknown or misspelt option,
`--`, `-nns`, a missing argument, an invalid choice, `--policy` without `--from`) it returns None
and Typer parses the command line, so the help, the errors and the exit codes are Typer's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple


class Opt(NamedTuple):
    dest: str
    kind: str  # "value", "flag", "multi" (repeatable value), "path", "paths" (repeatable path), "choice"


_SHARED = {
    "--policy": Opt("policy", "path"),
    "--from": Opt("sources", "paths"),
    "--kubernetes": Opt("kubernetes", "value"),
    "-o": Opt("output", "choice"),
    "--output": Opt("output", "choice"),
}
_SCOPE = {
    "-n": Opt("namespace", "value"),
    "--namespace": Opt("namespace", "value"),
    "-A": Opt("all_namespaces", "flag"),
    "--all-namespaces": Opt("all_namespaces", "flag"),
}


class Spec(NamedTuple):
    arguments: tuple[str, ...]  # positional parameters, in order
    required: int  # how many of them are required
    options: dict[str, Opt]


SPECS: dict[str, Spec] = {
    "can-i": Spec(("verb", "resource", "name"), 0, {
        "--as": Opt("as_user", "value"),
        "--as-group": Opt("as_group", "multi"),
        **_SCOPE,
        "--explain": Opt("explain", "flag"),
        "--list": Opt("list_", "flag"),
        "--no-headers": Opt("no_headers", "flag"),
        "--batch": Opt("batch", "value"),
        **_SHARED,
    }),
    "who-can": Spec(("verb", "resource", "name"), 2, {**_SCOPE, **_SHARED}),
    "explain": Spec(("subject",), 1, {"-n": _SCOPE["-n"], "--namespace": _SCOPE["--namespace"], **_SHARED}),
}
OUTPUTS = ("text", "json")  # policyc/cli/access_common.py Output


def parse(command: str, args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of `command` for `args` (what follows the command's name), or None
    when Typer should read them (see the module's docstring)."""
    spec = SPECS.get(command)
    if spec is None:
        return None
    values: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "" or arg == "--" or (arg.startswith("-") and arg != "-"):
            name, eq, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            opt = spec.options.get(name)
            if opt is None:
                return None  # --help, an unknown option, `-nns`, `--`, an empty word
            if opt.kind == "flag":
                if eq:
                    return None  # `--explain=yes`: Typer's error
                values[opt.dest] = True
                continue
            if eq:
                value = attached
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                return None  # no value: Typer's error
            if value == "" or (value.startswith("-") and value != "-"):
                return None
            if opt.kind in ("multi", "paths"):
                values.setdefault(opt.dest, []).append(Path(value) if opt.kind == "paths" else value)
                continue
            if opt.dest in values:
                return None  # an option given twice: Typer decides
            if opt.kind == "choice" and value not in OUTPUTS:
                return None
            values[opt.dest] = Path(value) if opt.kind == "path" else value
            continue
        if arg == "-":
            return None
        positional.append(arg)
    if not spec.required <= len(positional) <= len(spec.arguments) or not values.get("sources"):
        return None
    values.update(zip(spec.arguments, positional, strict=False))
    if "output" in values:
        from policyc.cli.access_common import Output

        values["output"] = Output(values["output"])
    return values


def runner(command: str, args: list[str]) -> Callable[[], None] | None:
    """The command, ready to run with `args`, when `parse()` reads them; None otherwise."""
    values = parse(command, args)
    if values is None:
        return None

    def run() -> None:
        if command == "can-i":
            from policyc.cli.can_i import can_i as fn
        elif command == "who-can":
            from policyc.cli.who_can import who_can as fn
        else:
            from policyc.cli.explain import explain as fn
        try:
            fn(**values)
        except (EOFError, KeyboardInterrupt):  # as click's standalone mode reports them
            sys.stderr.write("\nAborted!\n")
            raise SystemExit(1) from None
        except BrokenPipeError:  # a closed pipe (`| head`): as click, exit 1 without a traceback
            _quiet_stdout()
            raise SystemExit(1) from None

    return run


def _quiet_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)

"""Output and exits of the commands without Typer (the hot path of the access commands, issue 19).

`echo` writes as `typer.echo` (click's `echo`) does for text: a newline, ANSI escape sequences
stripped when the stream is not a terminal, a flush; so `can-i`, `who-can` and `explain` print
the same bytes whether Typer or policyc/cli/fastargs.py parsed their command line. A stream
whose encoding is ASCII is one click rewraps: that rare case is left to click itself.
`fail_usage` prints a usage error as policyc/cli/common.py does and returns a SystemExit, which
Typer lets through with its code, as it does `typer.Exit`.
"""

from __future__ import annotations

import codecs
import re
import sys
from typing import TextIO

from policyc.diagnostics import printable

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# click's own pattern (click/_compat.py `_ansi_re`), stripped when the stream is not a terminal.
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def _ascii(stream: TextIO) -> bool:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False


def echo(message: str = "", err: bool = False) -> None:
    """`message` and a newline on stdout (stderr with `err`), as `typer.echo` writes them."""
    stream = sys.stderr if err else sys.stdout
    if _ascii(stream):  # click rewraps such a stream (its `_force_correct_text_writer`)
        import typer

        typer.echo(message, err=err)
        return
    out = message + "\n"
    try:
        tty = stream.isatty()
    except Exception:  # noqa: BLE001 - as click's `isatty`
        tty = False
    if not tty:
        out = _ANSI.sub("", out)
    stream.write(out)
    stream.flush()


def fail_usage(message: str) -> SystemExit:
    """Print a usage or I/O error and return the exit to raise (code 2)."""
    shown = "\n".join(printable(line) for line in message.split("\n"))  # paths may hold escapes
    echo(f"error: {shown}", err=True)
    return SystemExit(EXIT_USAGE)

"""How the commands name files: relative to the working directory, as ruff and rustc do.

Policy files are named relative to their policy folder inside the compiler (the manifests'
`policyc.dev/source` annotations must not depend on where a build runs). What a command prints
names them from where the user stands, so a terminal click or a CI annotation lands on the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from policyc.source import Span


def shown_path(path: str | os.PathLike[str]) -> str:
    """`path` relative to the working directory when it is below it, else absolute (as ruff prints)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _is_plain(name: str) -> bool:
    """Whether a relative name has no part that `os.path.abspath` would rewrite (empty, `.`, `..`)."""
    return not name.startswith("/") and all(part not in ("", ".", "..") for part in name.split("/"))


class Relocator:
    """Renames the files of one policy folder (or file) from folder-relative to working-directory-relative."""

    def __init__(self, policy: Path, names: Iterable[str]) -> None:
        folder = policy if policy.is_dir() else policy.parent
        # The folder's printed name once: a plain name below it is printed as that name plus the
        # file's (abspath and relative_to are lexical), not by a `shown_path` per file (which asks
        # the kernel for the working directory each time: 36 ms of a build's report at 3,000 files).
        shown = shown_path(folder)
        prefix = "" if shown == "." else shown if shown.endswith("/") else shown + "/"
        self.names = {name: prefix + name if _is_plain(name) else shown_path(folder / name) for name in names}

    def file(self, name: str) -> str:
        """The name to print for a file of the policy (other names, such as `<stdin>`, unchanged)."""
        return self.names.get(name, name)

    def span(self, span: Span) -> Span:
        """The span with its file renamed."""
        shown = self.names.get(span.file)
        if shown is None:
            return span
        return Span(shown, span.line, span.col, span.end_line, span.end_col, span.start, span.end)

    def where(self, span: Span) -> str:
        """`file:line:col` as printed."""
        return str(self.span(span))

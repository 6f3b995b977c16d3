"""How the commands name files: relative to the working directory, as ruff and rustc do.

Policy files are named relative to their policy folder inside the compiler (the manifests'
`policyc.dev/source` annotations must not depend on where a build runs). What a command prints
names them from where the user stands, so a terminal click or a CI annotation lands on the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from policyc.diagnostics import Diagnostic, Label
from policyc.source import SourceFile, Span


def shown_path(path: str | os.PathLike[str]) -> str:
    """`path` relative to the working directory when it is below it, else absolute (as ruff prints)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


class Relocator:
    """Renames the files of one policy folder (or file) from folder-relative to working-directory-relative."""

    def __init__(self, policy: Path, names: Iterable[str]) -> None:
        folder = policy if policy.is_dir() else policy.parent
        self.names = {name: shown_path(folder / name) for name in names}

    def file(self, name: str) -> str:
        """The name to print for a file of the policy (other names, such as `<stdin>`, unchanged)."""
        return self.names.get(name, name)

    def span(self, span: Span) -> Span:
        """The span with its file renamed."""
        return replace(span, file=self.file(span.file)) if span.file in self.names else span

    def where(self, span: Span) -> str:
        """`file:line:col` as printed."""
        return str(self.span(span))

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        """The diagnostic with its span and its labels' spans renamed."""
        labels = tuple(Label(self.span(lb.span), lb.message) for lb in d.labels)
        return replace(d, span=self.span(d.span), labels=labels)

    def diagnostics(self, diags: Iterable[Diagnostic]) -> list[Diagnostic]:
        """Every diagnostic renamed."""
        return [self.diagnostic(d) for d in diags]

    def sources(self, sources: Mapping[str, SourceFile]) -> dict[str, SourceFile]:
        """The sources keyed by the printed names (for the snippets of `render_text`)."""
        return {self.file(name): src for name, src in sources.items()}

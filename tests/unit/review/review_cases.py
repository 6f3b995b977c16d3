"""Helpers for review tests: compile two in-memory policies and compare them as `policyc diff` does."""

from __future__ import annotations

import textwrap

from policyc.review import compare, compile_side
from policyc.review.render import access_text
from policyc.review.report import AccessLine, DiffReport
from policyc.review.sources import Side
from policyc.source import SourceFile


def side(files: dict[str, str] | str, label: str) -> Side:
    """A side from `{name: text}` (or one text named `a.policy`); texts are dedented."""
    if isinstance(files, str):
        files = {"a.policy": files}
    sources = tuple(SourceFile(n, textwrap.dedent(t).lstrip("\n")) for n, t in sorted(files.items()))
    return Side(label, "folder", sources)


def diff(base: dict[str, str] | str, head: dict[str, str] | str, manifests: bool = False,
         verbose: bool = False) -> DiffReport:
    """The report from `base` to `head`; both must compile."""
    b, h = compile_side(side(base, "base")), compile_side(side(head, "head"))
    for c in (b, h):
        assert c.ok, [str(d.span) + " " + d.message for d in (c.result.diagnostics if c.result else [])]
    return compare(b, h, manifests=manifests, verbose=verbose)


def added(report: DiffReport) -> list[str]:
    """The added access lines as text."""
    return [access_text(line, "+") for line in report.added]


def removed(report: DiffReport) -> list[str]:
    """The removed access lines as text."""
    return [access_text(line, "-") for line in report.removed]


def lines_for(lines: tuple[AccessLine, ...], subject: str) -> list[AccessLine]:
    """The lines of one subject."""
    return [line for line in lines if line.subject == subject]

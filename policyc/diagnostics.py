"""Diagnostics: every problem policyc finds, with a stable code, a location and a fix.

Codes: PC0xx syntax, PC1xx names and references, PC2xx conflicts, PC3xx access and
escalation, PC4xx release rules, PC5xx lints (mapped to CIS controls where one exists).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from enum import StrEnum

from policyc.slotted import frozen_slots
from policyc.source import SourceFile, Span


class Severity(StrEnum):
    """How bad a diagnostic is: errors fail the build, warnings do not (unless denied)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@frozen_slots
class Label:
    """A secondary location, such as the other declaration of a duplicate."""

    span: Span
    message: str


@frozen_slots
class Diagnostic:
    """One problem found in a policy."""

    code: str
    severity: Severity
    message: str
    span: Span
    help: str = ""
    labels: tuple[Label, ...] = field(default=())
    cis: str = ""  # the CIS control id in the benchmark below (policyc/rules.py `cite`)
    benchmark: str = ""  # kube-bench's name of that benchmark version, e.g. `cis-1.24`

    @property
    def cis_citation(self) -> str:
        """`CIS 1.24 1.2.15`: the benchmark version and the id, as an auditor looks them up; '' if none."""
        if not self.cis:
            return ""
        return f"CIS {self.benchmark.removeprefix('cis-')} {self.cis}" if self.benchmark else f"CIS {self.cis}"

    @property
    def sort_key(self) -> tuple:
        """Order diagnostics by file, line, column, then code (`sort_diagnostics`: `_sort_key`)."""
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic fails the build."""
        return self.severity is Severity.ERROR


def error(code: str, message: str, span: Span, help: str = "", labels: Iterable[Label] = ()) -> Diagnostic:
    """An error diagnostic."""
    return Diagnostic(code, Severity.ERROR, message, span, help, tuple(labels))


def warning(
    code: str, message: str, span: Span, help: str = "", labels: Iterable[Label] = (), cis: str = ""
) -> Diagnostic:
    """A warning diagnostic."""
    return Diagnostic(code, Severity.WARNING, message, span, help, tuple(labels), cis)


# The label a suppressed warning gains on its `# policyc: allow` comment (check/suppress.py).
SUPPRESSED = "suppressed by this comment: "


def suppression_reason(d: Diagnostic) -> str:
    """The reason a suppressed diagnostic (from `check.suppress.apply_suppressions`) was allowed."""
    for lb in d.labels:
        if lb.message.startswith(SUPPRESSED):
            return lb.message[len(SUPPRESSED):]
    return ""


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics sorted by file, line, column and code, without exact duplicates.

    Each diagnostic's `sort_key` is made once (the diagnostics of a build come as a few hundred
    sorted runs, one per stage and lint, that the sort merges) and serves as its identity too: it
    holds the five fields that make two diagnostics duplicates, so the duplicates of one are
    next to it once sorted, and the first of them (the sort is stable) is kept, without hashing
    every message into a set.
    """
    items = list(diags)
    keys = [_sort_key(d) for d in items]
    out = []
    last: tuple | None = None
    for i in sorted(range(len(items)), key=keys.__getitem__):
        key = keys[i]
        if key != last:
            out.append(items[i])
            last = key
    return out


def _sort_key(d: Diagnostic) -> tuple:
    """`Diagnostic.sort_key`, without the property's call."""
    span = d.span
    return (span.file, span.line, span.col, d.code, d.message)


# What a terminal, a CI log or a web page could act on or hide instead of showing: control
# characters (ESC sequences, NUL, CR, the C1 range), format characters (bidi overrides and
# isolates, zero-width characters: "Trojan Source", CVE-2021-42574), line and paragraph
# separators, and lone surrogates (bytes of a file name that are not UTF-8).
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` with every character a reader could not see as written escaped (`\\x1b`, `\\u202e`).

    Names in diagnostics come from policy files and file names that a pull request controls;
    every renderer passes them through here, so they cannot move the cursor, recolour or clear
    a terminal, forge a GitHub workflow command, or reorder what a reviewer sees.
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape_char(ch) if unicodedata.category(ch) in _UNSAFE else ch for ch in text)


SNIPPET_WIDTH = 160


def _snippet(span: Span, sources: Mapping[str, SourceFile]) -> list[str]:
    src = sources.get(span.file)
    if src is None or span.line < 1:
        return []
    raw = src.line_text(span.line).replace("\t", " ")
    same_line = span.end_line == span.line
    start = max(0, span.col - 1)
    end = max(start + 1, span.end_col - 1) if same_line else len(raw)
    head = tail = ""
    if len(raw) > SNIPPET_WIDTH:  # a 100,000-character line is shown around the caret, as rustc does
        first = max(0, min(start - SNIPPET_WIDTH // 4, len(raw) - SNIPPET_WIDTH))
        head = "..." if first else ""
        tail = "..." if first + SNIPPET_WIDTH < len(raw) else ""
        raw = raw[first : first + SNIPPET_WIDTH]
        start, end = start - first, min(end - first, len(raw) + 3)
    # The caret is measured on the escaped text, so it still points at what it underlines.
    if raw.isascii() and raw.isprintable():  # so is every part of it: nothing to escape (most lines)
        lead, marked, text = head + raw[:start], raw[start:end], head + raw + tail
    else:
        lead, marked = head + printable(raw[:start]), printable(raw[start:end])
        text = head + printable(raw) + tail
    gutter = str(span.line)
    pad = " " * len(gutter)
    return [
        f"{pad} |",
        f"{gutter} | {text}",
        f"{pad} | {' ' * len(lead)}{'^' * max(1, len(marked))}",
    ]


def render_text(diags: Iterable[Diagnostic], sources: Mapping[str, SourceFile],
                name: Callable[[str], str] | None = None) -> str:
    """Render diagnostics as rustc/ruff do: location, message, source line with a caret, help.

    `name` gives the name to print for a span's file (`sources` are keyed by the spans' own
    names); without it, the span's own name is printed."""

    def where(span: Span) -> str:
        return printable(f"{name(span.file)}:{span.line}:{span.col}" if name is not None else str(span))

    blocks = []
    for d in diags:
        cis = f" [{d.cis_citation}]" if d.cis else ""
        lines = [f"{where(d.span)}: {d.severity.value}[{d.code}]: {printable(d.message)}{cis}"]
        lines += _snippet(d.span, sources)
        for label in d.labels:
            lines.append(f"  = note: {printable(label.message)} at {where(label.span)}")
        if d.help:
            lines.append(f"  = help: {printable(d.help)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def to_json(d: Diagnostic, name: Callable[[str], str] | None = None) -> dict:
    """A diagnostic as a JSON-ready dict (the schema documented in docs/diagnostics.md).

    Texts and file names are escaped as in every other format (`printable`); `name` gives the
    name to print for a span's file (as `render_text`'s).
    """
    def loc(s: Span) -> dict:
        return {"file": printable(name(s.file) if name is not None else s.file), "line": s.line, "col": s.col,
                "end_line": s.end_line, "end_col": s.end_col}

    out = {"code": d.code, "severity": d.severity.value, "message": printable(d.message), **loc(d.span),
           "help": printable(d.help)}
    if d.cis:
        out["cis"] = d.cis
        if d.benchmark:
            out["cis_benchmark"] = d.benchmark
    if d.labels:
        out["labels"] = [{"message": printable(lb.message), **loc(lb.span)} for lb in d.labels]
    return out


def render_json(diags: Iterable[Diagnostic], name: Callable[[str], str] | None = None) -> str:
    """Render diagnostics as a JSON document: {"diagnostics": [...], "errors": N, "warnings": N}."""
    items = list(diags)
    doc = {
        "diagnostics": [to_json(d, name) for d in items],
        "errors": sum(d.is_error for d in items),
        "warnings": sum(d.severity is Severity.WARNING for d in items),
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def summary(diags: Iterable[Diagnostic]) -> str:
    """A one-line count such as `2 errors, 1 warning`."""
    items = list(diags)
    e = sum(d.is_error for d in items)
    w = sum(d.severity is Severity.WARNING for d in items)
    return f"{e} error{'s' if e != 1 else ''}, {w} warning{'s' if w != 1 else ''}"

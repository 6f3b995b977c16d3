"""Diagnostics as SARIF 2.1.0 (what GitHub code scanning uploads) and as GitHub workflow commands.

SARIF: one run of the `policyc` driver; one reporting descriptor per code that occurs, from the
rule registry (policyc/rules.py: summary, example, help, level; family and CIS id as tags); one
result per diagnostic with its location in the policy sources (relative URIs under `%SRCROOT%`,
1-based lines and columns, `endColumn` exclusive, as SARIF §3.30 defines regions), secondary
locations for labels, the CIS benchmark and id in the result's properties (`CIS 1.24 1.2.15`:
ids differ between benchmark versions), and suppressed warnings marked `inSource` with their
reason. Validated in tests against the OASIS schema (tests/data/sarif-schema-2.1.0.json).

GitHub: `::error file=F,line=L,endLine=E,col=C,endColumn=EC,title=T::message` per diagnostic,
escaped as the workflow-command toolkit does (`%`, CR and LF in data; also `:` and `,` in
properties).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from policyc import rules
from policyc.diagnostics import Diagnostic, Severity, printable, suppression_reason
from policyc.source import Span

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# Families of codes (docs/diagnostics.md); a code's own descriptions come from the rule registry.
_FAMILIES = (
    ("PC0", "syntax"),
    ("PC1", "names and references"),
    ("PC2", "conflicts"),
    ("PC3", "access and escalation"),
    ("PC4", "release rules"),
    ("PC5", "lint"),
    ("PC6", "import"),
)

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _family(code: str) -> str:
    return next((name for prefix, name in _FAMILIES if code.startswith(prefix)), "other")


def artifact_uri(file: str, base: str = "") -> str:
    """The path of a policy file relative to the repository root (`base` is the policy folder)."""
    path = PurePosixPath(base) / file if base and base != "." else PurePosixPath(file)
    return printable(path.as_posix().removeprefix("./"))


def _has_location(span: Span) -> bool:
    return span.line >= 1 and not span.file.startswith("<")


def _region(span: Span) -> dict[str, int]:
    region = {"startLine": span.line, "startColumn": max(1, span.col)}
    if span.end_line >= span.line:
        region["endLine"] = span.end_line
        if span.end_col > 0 and (span.end_line > span.line or span.end_col > span.col):
            region["endColumn"] = span.end_col
    return region


def _same(file: str) -> str:
    return file


def _location(span: Span, base: str, name: Callable[[str], str]) -> dict[str, Any]:
    return {"physicalLocation": {
        "artifactLocation": {"uri": artifact_uri(name(span.file), base), "uriBaseId": "%SRCROOT%"},
        "region": _region(span),
    }}


def _rule(d: Diagnostic) -> dict[str, Any]:
    """The reporting descriptor of a code, from its registered rule (policyc/rules.py)."""
    rule = rules.get(d.code)
    tags = ["security", _family(d.code)]
    if d.cis:
        tags.append(f"CIS-{d.cis}")
    summary = rule.summary if rule else f"policyc {_family(d.code)} check {d.code}"
    text = summary[:1].upper() + summary[1:]
    help_text = (rule.help + "\n" if rule and rule.help else "") + f"See {d.code} in docs/diagnostics.md."
    out: dict[str, Any] = {
        "id": d.code,
        "name": d.code,
        "shortDescription": {"text": text},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL[rule.severity] if rule else _LEVEL[d.severity]},
        "properties": {"tags": tags},
    }
    if rule and rule.example:
        out["fullDescription"] = {"text": f"{text}. Example: {rule.example}"}
    return out


def to_sarif(
    diags: Iterable[Diagnostic], suppressed: Iterable[Diagnostic] = (), base: str = "", version: str = "",
    name: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the diagnostics (suppressed ones included, marked as such).

    `name` gives the name to print for a span's file (the commands': relative to the working
    directory); results are in the order of the printed names, lines and columns."""
    name = name if name is not None else _same
    items = [(d, None) for d in diags] + [(d, suppression_reason(d)) for d in suppressed]
    items.sort(key=lambda it: (name(it[0].span.file), *it[0].sort_key[1:]))
    descriptors: dict[str, dict[str, Any]] = {}
    for d, _ in items:
        if d.code not in descriptors:
            descriptors[d.code] = _rule(d)
    order = sorted(descriptors)
    results = []
    for d, reason in items:
        message = printable(d.message) + (f" [{d.cis_citation}]" if d.cis else "") + (
            f"\nhelp: {printable(d.help)}" if d.help else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": order.index(d.code),
            "level": _LEVEL[d.severity],
            "message": {"text": message},
        }
        if _has_location(d.span):
            result["locations"] = [_location(d.span, base, name)]
        related = [lb for lb in d.labels if _has_location(lb.span)]
        if related:
            result["relatedLocations"] = [
                {"id": i, **_location(lb.span, base, name), "message": {"text": printable(lb.message)}}
                for i, lb in enumerate(related, 1)
            ]
        if d.cis:
            # The benchmark is named with the id: the same control has other numbers in other versions.
            result["properties"] = {"cis": d.cis_citation, "cisControl": d.cis, "cisBenchmark": d.benchmark}
        if reason is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": reason}]
        results.append(result)
    driver: dict[str, Any] = {"name": "policyc", "rules": [descriptors[c] for c in order]}
    if version:
        driver["version"] = version
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}],
    }


def render_sarif(diags: Iterable[Diagnostic], suppressed: Iterable[Diagnostic] = (), base: str = "",
                 name: Callable[[str], str] | None = None) -> str:
    """The SARIF log as deterministic JSON text."""
    from policyc import __version__

    return json.dumps(to_sarif(diags, suppressed, base, __version__, name), indent=2) + "\n"


def _where(span: Span, name: Callable[[str], str]) -> str:
    """`file:line:col` as `str(span)` gives it, the file named by `name`."""
    return f"{name(span.file)}:{span.line}:{span.col}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diags: Iterable[Diagnostic], base: str = "", name: Callable[[str], str] | None = None) -> str:
    """GitHub Actions workflow commands, one annotation per diagnostic (`name`: as `to_sarif`'s)."""
    name = name if name is not None else _same
    command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
    lines = []
    for d in diags:
        props: Mapping[str, object] = {}
        if _has_location(d.span):
            props = {"file": artifact_uri(name(d.span.file), base), "line": d.span.line,
                     "endLine": max(d.span.line, d.span.end_line), "col": max(1, d.span.col)}
            if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
                props = {**props, "endColumn": d.span.end_col}
        props = {**props, "title": f"{d.code}" + (f" ({d.cis_citation})" if d.cis else "")}
        # Names are escaped first (`printable`): a bidi override or an ESC in a team name must not
        # reach the annotation; then the workflow-command escapes turn the real line breaks into %0A.
        text = printable(d.message) + (f"\nhelp: {printable(d.help)}" if d.help else "")
        text += "".join(f"\nnote: {printable(lb.message)} at {printable(_where(lb.span, name))}" for lb in d.labels)
        prop_text = ",".join(f"{k}={_escape_property(str(v))}" for k, v in props.items())
        lines.append(f"::{command[d.severity]} {prop_text}::{_escape_data(text)}")
    return "\n".join(lines) + ("\n" if lines else "")

"""Renderings of a `DiffReport`: text for terminals, markdown for pull requests, json for tools."""

from __future__ import annotations

import json
import re

import jinja2

from policyc.review.report import AccessLine, DiffReport

_MD_SPECIAL = re.compile(r"([\\|*_\[\]<>#])")


def _md(value: object) -> str:
    """Text safe inside a markdown table cell: one line, no markup, backticks kept as code."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    parts = text.split("`")
    # Outside code spans escape markdown; inside them only `|` can break a table row.
    return "`".join(_MD_SPECIAL.sub(r"\\\1", p) if i % 2 == 0 else p.replace("|", "\\|")
                    for i, p in enumerate(parts))


def _fence(text: str) -> str:
    """A ```diff block whose fence is longer than any run of backticks inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}diff\n{text.rstrip(chr(10))}\n{fence}"


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("policyc", "templates"),
    autoescape=False,  # markdown, escaped cell by cell with the `md` filter
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["md"] = _md
_ENV.filters["fence"] = _fence


def render_markdown(report: DiffReport) -> str:
    """The pull-request comment (policyc/templates/diff.md.j2)."""
    return _ENV.get_template("diff.md.j2").render(report=report)


def render_json(report: DiffReport) -> str:
    """The JSON document of docs/diff.md."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def access_text(line: AccessLine, sign: str) -> str:
    """`+ serviceaccount ci/runner: get secrets in checkout  (teams.policy:22, team ci)`."""
    text = f"{sign} {line.subject}: {line.what} {line.where}"
    if line.via:
        text += f"  [{line.via}]"
    if line.sources:
        text += f"  ({line.sources})"
    return text


def render_text(report: DiffReport) -> str:
    """Plain text for a terminal: summary, added then removed access (escalations first), settings."""
    out = [f"base: {report.base.label}", f"head: {report.head.label}", report.summary]
    if report.added:
        out += ["", "access added:"] + [access_text(line, "+") for line in report.added]
    if report.removed:
        out += ["", "access removed:"] + [access_text(line, "-") for line in report.removed]
    if report.settings:
        out += ["", "other changes:"]
        for c in report.settings:
            where = f"  ({c.source})" if c.source else ""
            out.append(f"{c.sign} {c.subject}: {c.text}{where}")
    if report.notes:
        out += [""] + [f"note: {n}" for n in report.notes]
    text = "\n".join(out) + "\n"
    if report.manifests:
        text += "\n" + report.manifests
    return text

"""Suppression of warnings: `# policyc: allow CODE[, CODE] reason` on the line above, and
policy-wide `allow CODE, ... because "REASON"` statements.

The comment may be anywhere in the block of comment lines right above the warned line. A reason
is required; a suppression without one, or without a code, suppresses nothing and is itself a
warning (PC530). A policy-wide `allow` without a reason (PC531), or naming an error or an
unknown code (PC532), is an error. Errors are never suppressed: a guard violation must be
fixed, not silenced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from policyc import model as m
from policyc.diagnostics import SUPPRESSED, Diagnostic, Label, Severity, error, warning
from policyc.rules import ERROR, WARNING, Rule, get, register
from policyc.source import SourceFile, Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "access",
    Rule(
        "PC530", WARNING, "a `# policyc: allow` comment without a code or without a reason (it suppresses nothing)",
        example="``suppression comment gives no reason``",
    ),
    Rule("PC531", ERROR, "a policy-wide `allow` without `because \"REASON\"`", example="`allow PC144`"),
    Rule(
        "PC532", ERROR, "a policy-wide `allow` of an error or of an unknown code (errors cannot be allowed)",
        example="`allow PC301 because \"trusted\"`",
    ),
)


def check_allowances(policy: m.Policy) -> list[Diagnostic]:
    """PC531 an `allow` without a reason; PC532 one that names an error or an unknown code."""
    out: list[Diagnostic] = []
    for a in policy.allowances:
        if a.reason is None or not a.reason.text.strip():
            out.append(error("PC531", "`allow` gives no reason", a.span,
                             "say why the policy accepts these warnings: `allow CODE because \"REASON\"`"))
        for code in a.codes:
            rule = get(code.text)
            if rule is None:
                out.append(error("PC532", f"`{code.text}` is not a policyc diagnostic code", code.span,
                                 "codes are listed in docs/diagnostics.md (`PC144`, `PC502`, ...)"))
            elif rule.severity is not WARNING:
                out.append(error("PC532", f"`{code.text}` is an error and cannot be allowed", code.span,
                                 "fix what it reports; only warnings can be allowed"))
    return out


def _policy_allowances(policy: m.Policy | None) -> dict[str, m.Allowance]:
    """Warning codes -> the `allow` statement (with a reason) that silences them for the policy."""
    out: dict[str, m.Allowance] = {}
    for a in policy.allowances if policy is not None else ():
        if a.reason is None or not a.reason.text.strip():
            continue
        for code in a.codes:
            rule = get(code.text)
            if rule is not None and rule.severity is WARNING:
                out.setdefault(code.text, a)
    return out

_MARK = re.compile(r"#\s*policyc:\s*allow\b(?P<rest>.*)$")
# What every match of `_MARK` contains: a file without it has no suppression comment.
_NO_MARK = "policyc:"
_CODES = re.compile(r"\s*(?P<codes>PC\d{3}(?:\s*,\s*PC\d{3})*)(?P<reason>.*)$")


def _suppressions(src: SourceFile, line: int) -> dict[str, tuple[str, int]]:
    """Codes -> (reason, comment line) suppressed for `line` by the comment block right above it."""
    out: dict[str, tuple[str, int]] = {}
    n = line - 1
    while n >= 1:
        text = src.line_text(n).strip()
        if not text.startswith("#"):
            break
        mark = _MARK.match(text)
        if mark and (codes := _CODES.match(mark.group("rest"))):
            reason = codes.group("reason").strip(" \t:-")
            if reason:
                for code in re.split(r"\s*,\s*", codes.group("codes").strip()):
                    out.setdefault(code, (reason, n))
        n -= 1
    return out


def malformed(sources: Mapping[str, SourceFile]) -> list[Diagnostic]:
    """PC530: `# policyc: allow` comments that name no code or give no reason."""
    out = []
    for _name, src in sorted(sources.items()):
        if _NO_MARK not in src.text:
            continue  # no comment of the file can match `_MARK` (most files of a policy)
        offset = 0
        for raw in src.text.split("\n"):
            col = raw.find("#")
            mark = _MARK.match(raw[col:]) if col >= 0 else None
            if mark is not None:
                codes = _CODES.match(mark.group("rest"))
                problem = "names no diagnostic code" if codes is None else (
                    "gives no reason" if not codes.group("reason").strip(" \t:-") else "")
                if problem:
                    span = src.span(offset + col, offset + len(raw.rstrip("\r")))
                    out.append(warning("PC530", f"suppression comment {problem}", span,
                                       "write `# policyc: allow PCNNN why this is acceptable` on the line above "
                                       "the warned line"))
            offset += len(raw) + 1
    return out


def apply_suppressions(
    diags: list[Diagnostic], sources: Mapping[str, SourceFile], policy: m.Policy | None = None
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(kept, suppressed): warnings suppressed by a comment or a policy-wide `allow` move to the second list.

    A suppressed warning gains a label on the comment (or the `allow` statement) that carries its
    reason (`diagnostics.suppression_reason`).
    """
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    allowed = _policy_allowances(policy)
    if not allowed and not any(_NO_MARK in src.text for src in sources.values()):
        return list(diags), suppressed  # nothing can suppress a warning (most builds)
    marked: dict[str, bool] = {}  # by file: whether it has a suppression comment at all (`_NO_MARK`)
    for d in diags:
        allowance = allowed.get(d.code) if d.severity is Severity.WARNING else None
        if allowance is not None:
            assert allowance.reason is not None
            suppressed.append(replace(d, labels=(*d.labels, Label(allowance.span, SUPPRESSED + allowance.reason.text))))
            continue
        src = sources.get(d.span.file)
        if src is not None and d.severity is Severity.WARNING and d.span.line > 1:
            has = marked.get(d.span.file)
            if has is None:
                has = marked[d.span.file] = _NO_MARK in src.text
            found = _suppressions(src, d.span.line).get(d.code) if has else None
        else:
            found = None  # only warnings are suppressed, by a comment above their line
        if d.severity is Severity.WARNING and found is not None:
            reason, line = found
            text = src.line_text(line) if src is not None else ""
            start = sum(len(x) + 1 for x in src.text.split("\n")[: line - 1]) if src is not None else 0
            label = Label(Span(d.span.file, line, 1, line, len(text) + 1, start, start + len(text)),
                          SUPPRESSED + reason)
            suppressed.append(replace(d, labels=(*d.labels, label)))
        else:
            kept.append(d)
    return kept, suppressed

"""`sort_diagnostics` (policyc/diagnostics.py) keys each diagnostic once and drops the duplicates that
sort next to each other: the result is the plain stable sort by `Diagnostic.sort_key` keeping the first
of each (code, message, file, line, column), on shuffled lists, on sorted runs (as a build hands them
over: one per stage and lint) and with duplicates that differ in help or labels only."""

from __future__ import annotations

import random

import pytest

from policyc.diagnostics import Diagnostic, Label, Severity, sort_diagnostics
from policyc.source import Span

FILES = ["a.policy", "B.policy", "a/b.policy", "a-b.policy", "teams/t1.policy", "teams/t10.policy", "é.policy"]


def _plain(diags: list[Diagnostic]) -> list[Diagnostic]:
    """The algorithm before: a stable sort by `sort_key`, then a set of the keys seen."""
    seen: set[tuple] = set()
    out = []
    for d in sorted(diags, key=lambda d: d.sort_key):
        key = (d.code, d.message, d.span.file, d.span.line, d.span.col)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _random(rng: random.Random, n: int) -> list[Diagnostic]:
    out = []
    for i in range(n):
        line, col = rng.randint(1, 4), rng.randint(1, 3)
        span = Span(rng.choice(FILES), line, col, line, col + 2)
        code, severity = rng.choice([("PC101", Severity.ERROR), ("PC120", Severity.ERROR),
                                     ("PC104", Severity.WARNING), ("PC160", Severity.WARNING)])
        message = rng.choice(["undefined role `r`", "undefined role `R`", "x", ""])
        # Duplicates may differ in what is not their identity: the first one must be kept.
        out.append(Diagnostic(code, severity, message, span, help=f"help {i}",
                              labels=(Label(span, f"label {i}"),) if i % 3 == 0 else ()))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_shuffled_and_in_runs_as_the_plain_sort(seed: int) -> None:
    rng = random.Random(seed)
    diags = _random(rng, rng.randint(0, 150))
    runs: list[Diagnostic] = []
    for start in range(0, len(diags), 17):  # sorted runs, as stages and lints hand them over
        runs += sorted(diags[start:start + 17], key=lambda d: d.sort_key)
    for given in (diags, runs, list(reversed(runs))):
        got, want = sort_diagnostics(iter(given)), _plain(given)
        assert got == want
        assert all(a is b for a, b in zip(got, want, strict=True))  # the same (first) duplicate kept


def test_first_duplicate_kept() -> None:
    span = Span("f.policy", 2, 3, 2, 5)
    first = Diagnostic("PC101", Severity.ERROR, "m", span, help="first")
    second = Diagnostic("PC101", Severity.ERROR, "m", span, help="second")
    other = Diagnostic("PC101", Severity.ERROR, "m", Span("f.policy", 2, 4, 2, 5))
    assert sort_diagnostics([other, first, second]) == [first, other]
    assert sort_diagnostics([second, other, first])[0] is second

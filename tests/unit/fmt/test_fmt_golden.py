"""Formatter golden pairs: `fmt_cases/NAME/messy.policy` formats to `canonical.policy`.

Together the cases use every rule of grammar/policy.lark (checked below), so every construct
of the language has a messy -> canonical pair. Regenerate a canonical file only by hand, and
review it like code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fmt_oracle import comments, constructs, meaning

from policyc.fmt import format_text
from policyc.syntax.parser import parser

CASES_DIR = Path(__file__).parent / "fmt_cases"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())


def _read(case: Path, which: str) -> str:
    return (case / f"{which}.policy").read_text(encoding="utf-8")


def test_cases_exist() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_messy_formats_to_canonical(case: Path) -> None:
    result = format_text(_read(case, "messy"))
    assert result.diagnostics == []
    assert result.text == _read(case, "canonical")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_canonical_is_a_fixed_point(case: Path) -> None:
    canonical = _read(case, "canonical")
    result = format_text(canonical)
    assert result.text == canonical
    assert not result.changed


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_formatting_keeps_the_meaning(case: Path) -> None:
    assert meaning(_read(case, "messy")) == meaning(_read(case, "canonical"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_formatting_keeps_every_comment_in_order(case: Path) -> None:
    assert comments(_read(case, "messy")) == comments(_read(case, "canonical"))


def test_cases_cover_every_grammar_rule() -> None:
    rules = {str(r.origin.name) for r in parser().rules if not r.origin.name.startswith("_")}
    used: set[str] = set()
    for case in CASES:
        used |= constructs(_read(case, "messy"))
    assert rules - used == set(), "add a fmt_cases/ pair for these grammar rules"


def test_cases_are_really_messy() -> None:
    """Every pair shows the formatter doing something (a case equal to its output tests little)."""
    for case in CASES:
        assert _read(case, "messy") != _read(case, "canonical"), case.name

"""Every object policyc emits validates against the strict upstream schema of its target release."""

from __future__ import annotations

import pytest

import policyc
from conftest import REPO
from helpers import schema_problems

GOLDEN = REPO / "tests" / "golden"


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if (p / "policy").is_dir()))
def test_golden_cases_are_schema_valid(case: str) -> None:
    assert schema_problems(policyc.load(GOLDEN / case / "policy")) == []


@pytest.mark.parametrize("release", ["1.18", "1.24", "1.25", "1.30", "1.37"])
def test_rbac_case_is_valid_on_every_release(release: str) -> None:
    result = policyc.load(GOLDEN / "rbac" / "policy", kubernetes=release)
    assert result.program is not None and result.program.release == tuple(int(x) for x in release.split("."))
    assert len(result.manifests) > 10
    assert schema_problems(result) == []

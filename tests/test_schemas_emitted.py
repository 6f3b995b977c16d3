"""Every object policyc emits validates against the strict upstream schema of its target release."""

from __future__ import annotations

import pytest

import policyc
from conftest import REPO
from policyc.k8s import schemas

GOLDEN = REPO / "tests" / "golden"


def _validate_all(result: policyc.Result) -> list[str]:
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    assert result.program is not None
    problems = []
    for m in result.manifests:
        try:
            errors = schemas.validate(m.body, result.program.release)
        except schemas.SchemaUnavailable as exc:
            pytest.skip(str(exc))
        problems += [f"{m.kind}/{m.name}: {e}" for e in errors]
    return problems


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if (p / "policy").is_dir()))
def test_golden_cases_are_schema_valid(case: str) -> None:
    assert _validate_all(policyc.load(GOLDEN / case / "policy")) == []


@pytest.mark.parametrize("release", ["1.18", "1.24", "1.25", "1.30", "1.37"])
def test_rbac_case_is_valid_on_every_release(release: str) -> None:
    result = policyc.load(GOLDEN / "rbac" / "policy", kubernetes=release)
    assert result.program is not None and result.program.release == tuple(int(x) for x in release.split("."))
    assert len(result.manifests) > 10
    assert _validate_all(result) == []

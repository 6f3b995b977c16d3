"""Golden tests: each tests/golden/<case>/policy compiles to exactly tests/golden/<case>/expected.

Regenerate with `POLICYC_UPDATE_GOLDEN=1 pytest tests/test_golden.py`, then review the diff like code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import policyc
from conftest import REPO, shared_path

GOLDEN = REPO / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "policy").is_dir())


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = policyc.build(GOLDEN / case / "policy", out)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    expected_dir = GOLDEN / case / "expected"
    if os.environ.get("POLICYC_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(out, expected_dir)
    got, expected = _tree(out), _tree(expected_dir)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name].decode() == expected[name].decode(), name


@pytest.mark.parametrize("case", ["article", "org"])
def test_golden_inputs_are_the_spec_folders(case: str) -> None:
    """The golden inputs, the bundled policies/ and docs/examples/org compile like ../shared/spec."""
    spec = shared_path("spec", case)
    bundled = {"article": REPO / "policies", "org": REPO / "docs" / "examples" / "org"}[case]
    reference = policyc.load(spec)
    assert reference.ok
    for folder in (GOLDEN / case / "policy", bundled):
        other = policyc.load(folder)
        assert [m.body for m in other.manifests] == [m.body for m in reference.manifests]

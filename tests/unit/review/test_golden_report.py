"""Golden text, markdown and json reports of one pull request, through the real console script.

Regenerate with POLICYC_UPDATE_GOLDEN=1 and review the diff like code.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO

CASE = Path(__file__).parent / "golden" / "pr"
SCHEMA = REPO / "docs" / "diff.schema.json"


def run_diff(policyc: list[str], fmt: str) -> str:
    r = subprocess.run([*policyc, "diff", "base", "head", "--format", fmt], cwd=CASE, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


@pytest.mark.parametrize(("fmt", "name"), [("text", "report.txt"), ("markdown", "report.md"), ("json", "report.json")])
def test_golden(policyc: list[str], fmt: str, name: str) -> None:
    out = run_diff(policyc, fmt)
    expected = CASE / "expected" / name
    if os.environ.get("POLICYC_UPDATE_GOLDEN"):
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(out, encoding="utf-8")
    assert out == expected.read_text(encoding="utf-8")


def test_json_matches_the_documented_schema(policyc: list[str]) -> None:
    doc = json.loads(run_diff(policyc, "json"))
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA.read_text()))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["schema"] == 1
    assert doc["access"]["added"][0]["escalation"] is True


def test_markdown_is_a_pr_comment(policyc: list[str]) -> None:
    md = run_diff(policyc, "markdown").splitlines()
    assert md[0] == "<!-- policyc-diff -->"
    assert md[1].startswith("### policyc diff: access changes for 4 subjects")
    # Escalations come first in the added table.
    rows = [line for line in md if line.startswith("| ")]
    added = rows[rows.index("| | Subject | Access | Where | How | Policy |") + 1 :]
    assert added[1].startswith("| ⚠️ escalation |")
    # Every table row has the same number of cells as its header (no unescaped `|`).
    assert all(row.count(" | ") in (3, 5) for row in rows if not row.startswith("|---"))


def test_reports_do_not_depend_on_hash_seed_or_file_order(policyc: list[str], tmp_path: Path) -> None:
    """Same bytes with other hash seeds and with the files written in the opposite order."""
    for side in ("base", "head"):
        (tmp_path / side).mkdir()
        for src in sorted((CASE / side).glob("*.policy"), reverse=True):
            (tmp_path / side / src.name).write_bytes(src.read_bytes())
    outputs = set()
    for seed, cwd in (("1", CASE), ("2", tmp_path), ("3", tmp_path)):
        r = subprocess.run([*policyc, "diff", "base", "head", "--format", "json", "--manifests"], cwd=cwd,
                           capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        assert r.returncode == 0, r.stderr
        outputs.add(r.stdout)
    assert len(outputs) == 1

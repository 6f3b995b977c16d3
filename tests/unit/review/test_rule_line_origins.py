"""A diff line names the policy lines that wrote its permission, and no narrower line it happens to cover.

Before: `patch */scale` also named the `patch deployments.apps/scale` line (access/policy.py `_produces`
counted a line as a source of every emitted rule that allows the line's permissions), and the diff
then left the narrower line out as a repeat of it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROLE = """role scaler {
  patch */scale
  patch deployments.apps/scale
  get pods
}

team ops {
  members user alice
  grant role scaler in web
}

namespace web {
}
"""


@pytest.mark.parametrize(("piece", "lines"), [
    ("patch */scale (every group) in web", ["head/p.policy:2"]),
    ("patch deployments.apps/scale in web", ["head/p.policy:3"]),
    ("get pods in web", ["head/p.policy:4"]),
])
def test_each_line_names_only_the_rule_line_that_wrote_it(policyc: list[str], tmp_path: Path, piece: str,
                                                         lines: list[str]) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "p.policy").write_text("namespace web {\n}\n")
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "p.policy").write_text(ROLE)
    r = subprocess.run([*policyc, "diff", "base", "head"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    found = [line for line in r.stdout.splitlines() if line.startswith(f"+ user alice: {piece}  (")]
    assert len(found) == 1, r.stdout
    named = found[0].split("  (", 1)[1].rstrip(")").split(", ")
    assert [n for n in named if "p.policy:" in n and not n.endswith(":9")] == lines, found[0]

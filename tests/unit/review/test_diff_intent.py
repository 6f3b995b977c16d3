"""`policyc diff` on the intent constructs: what an exclusion gains between two releases, and what
a class change does to every namespace that uses it (through the console script)."""

from __future__ import annotations

import subprocess
from pathlib import Path

POLICY = """\
kubernetes 1.29
namespace-class prod {
  quota pods 50
}
namespace web-prod, api-prod class prod
grant read * except secrets to group auditors in cluster
"""


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_an_exclusion_gains_what_the_new_release_serves(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY)
    r = run([*policyc, "diff", str(tmp_path), str(tmp_path), "--base-kubernetes", "1.29", "--kubernetes", "1.30"])
    assert r.returncode == 0, r.stderr
    added = [line for line in r.stdout.splitlines() if line.startswith("+ group auditors:")]
    # resource.k8s.io/v1alpha2 resourceslices and storagemigration.k8s.io are served from 1.30 on
    # (the release tables, docs/releases.md).
    assert any("resourceslices.resource.k8s.io" in line for line in added)
    assert any("storageversionmigrations.storagemigration.k8s.io" in line for line in added)
    assert not any("secrets" in line.split(":", 1)[1].split(" in ")[0] for line in added)
    assert "the target release changes from 1.29 to 1.30" in r.stdout


def test_the_same_release_on_both_sides_changes_nothing(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY)
    r = run([*policyc, "diff", str(tmp_path), str(tmp_path), "--base-kubernetes", "1.30", "--kubernetes", "1.30"])
    assert "no access changes" in r.stdout


def test_a_class_change_is_reported_for_every_namespace_of_the_class(policyc: list[str], tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    head.mkdir()
    (base / "p.policy").write_text(POLICY)
    (head / "p.policy").write_text(POLICY.replace("pods 50", "pods 80"))
    r = run([*policyc, "diff", str(base), str(head)])
    assert "~ namespace api-prod: quota pods: 50 → 80" in r.stdout
    assert "~ namespace web-prod: quota pods: 50 → 80" in r.stdout

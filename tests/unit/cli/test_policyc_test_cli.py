"""`policyc test`: guards and expectations reported like a test runner, through the console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import shared_path

POLICY = """\
kubernetes 1.30
namespace web-prod { }
grant role edit to group web-devs in web-prod
expect group web-devs can create pods/exec in web-prod
expect group web-devs cannot get secrets in web-prod
forbid delete nodes for group web-devs
"""


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_one_line_per_assertion_and_exit_1_on_failure(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY)
    r = run([*policyc, "test", str(tmp_path)])
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "PASS  expect group web-devs can create pods/exec in web-prod  (p.policy:4:1)"
    assert lines[1] == "FAIL  expect group web-devs cannot get secrets in web-prod  (p.policy:5:1)"
    assert "can get secrets in namespace `web-prod` through ClusterRole `edit`" in lines[2]
    assert lines[3] == "PASS  forbid delete nodes for group web-devs  (p.policy:6:1)"
    assert lines[-1] == "2 passed, 1 failed"


def test_exit_0_when_everything_holds(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY.replace("cannot get secrets", "cannot delete nodes"))
    r = run([*policyc, "test", str(tmp_path)])
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "3 passed, 0 failed"


def test_a_policy_that_does_not_compile_evaluates_nothing(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY + "grant role nope to group g in web-prod\n")
    r = run([*policyc, "test", str(tmp_path)])
    assert r.returncode == 1 and "PC101" in r.stderr and "no assertion was evaluated" in r.stderr
    assert "PASS" not in r.stdout


def test_the_article_guards_pass(policyc: list[str]) -> None:
    r = run([*policyc, "test", str(shared_path("spec", "article"))])
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        "PASS  forbid read secrets for team app1 in kube-system  (access.policy:54:1)",
        "PASS  forbid escalate, bind, impersonate for everyone  (access.policy:55:1)",
        "2 passed, 0 failed",
    ]

"""Every command names policy files relative to the working directory (issue 20), as ruff and rustc do.

`check` used to print `cluster.policy:7:3` (relative to the policy folder) while `fmt`, GitHub
annotations and SARIF printed `policies/cluster.policy`; a terminal click or a CI annotation then
missed the file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

# Line 2 has a typo (PC150); line 5 grants the role to bob (for the access commands).
POLICY = "role r {\n  gett pods\n}\nnamespace dev {\n  grant role r to user bob\n}\n"
FMT = "role   r {get pods}\n"


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "infra" / "policies").mkdir(parents=True)
    (tmp_path / "infra" / "policies" / "a.policy").write_text(POLICY)
    return tmp_path


@pytest.mark.parametrize(("cwd", "arg", "shown"), [
    ("infra", "policies", "policies/a.policy"),
    ("infra", "./policies/", "policies/a.policy"),
    (".", "infra/policies", "infra/policies/a.policy"),
    ("infra/policies", ".", "a.policy"),
    ("infra/policies", "a.policy", "a.policy"),
])
def test_check_text_names_files_from_the_working_directory(
    policyc: list[str], repo: Path, cwd: str, arg: str, shown: str
) -> None:
    r = run([*policyc, "check", arg], repo / cwd)
    assert r.returncode == 1
    assert f"\n{shown}:2:3: error[PC150]" in "\n" + r.stderr, r.stderr


def test_absolute_policy_path_below_the_working_directory_is_shown_relative(policyc: list[str], repo: Path) -> None:
    r = run([*policyc, "check", str(repo / "infra" / "policies")], repo / "infra")
    assert r.stderr.startswith("policies/a.policy:2:3: error[PC150]"), r.stderr


def test_a_folder_outside_the_working_directory_is_named_absolutely(policyc: list[str], repo: Path) -> None:
    (repo / "elsewhere").mkdir()
    r = run([*policyc, "check", "../infra/policies"], repo / "elsewhere")
    assert r.stderr.startswith(f"{(repo / 'infra' / 'policies' / 'a.policy').as_posix()}:2:3: error[PC150]")


def test_every_format_names_the_same_path(policyc: list[str], repo: Path) -> None:
    cwd = repo / "infra"
    text = run([*policyc, "check", "policies"], cwd).stderr
    github = run([*policyc, "check", "policies", "--format", "github"], cwd).stdout
    sarif = json.loads(run([*policyc, "check", "policies", "--format", "sarif"], cwd).stdout)
    doc = json.loads(run([*policyc, "check", "policies", "--format", "json"], cwd).stdout)
    assert "policies/a.policy:2:3: error[PC150]" in text
    assert "::error file=policies/a.policy,line=2," in github
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert uris == {"policies/a.policy"}
    assert {d["file"] for d in doc["diagnostics"]} == {"policies/a.policy"}


def test_fmt_and_check_agree(policyc: list[str], repo: Path) -> None:
    (repo / "infra" / "policies" / "a.policy").write_text(FMT)
    r = run([*policyc, "fmt", "--check", str(repo / "infra" / "policies")], repo / "infra")
    assert r.stderr.startswith("policies/a.policy:1:1: error[PC021]"), r.stderr


def test_access_commands_name_grants_from_the_working_directory(policyc: list[str], repo: Path) -> None:
    (repo / "infra" / "policies" / "a.policy").write_text(POLICY.replace("gett", "get"))
    r = run([*policyc, "can-i", "get", "pods", "--as", "bob", "-n", "dev", "--explain", "--policy", "policies"],
            repo / "infra")
    assert r.returncode == 0, r.stderr
    assert "from: grant in namespace `dev` at policies/a.policy:5:3" in r.stdout
    who = run([*policyc, "who-can", "get", "pods", "-n", "dev", "--policy", "infra/policies"], repo)
    assert "[grant in namespace `dev` at infra/policies/a.policy:5:3]" in who.stdout


def test_manifests_do_not_depend_on_where_the_build_runs(policyc: list[str], repo: Path) -> None:
    # The `policyc.dev/source` annotation stays relative to the policy folder.
    (repo / "infra" / "policies" / "a.policy").write_text(POLICY.replace("gett", "get"))
    r = run([*policyc, "build", "infra/policies", "-o", "out"], repo)
    assert r.returncode == 0, r.stderr
    assert "policyc.dev/source: a.policy" in (repo / "out" / "namespaces" / "dev" / "rolebindings.yaml").read_text()

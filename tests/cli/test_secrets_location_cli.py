"""The default secrets folder follows the policy, not the working directory (issue 20).

A build run from another folder used to issue a second set of keys silently (`.policyc/secrets`
under the working directory), and `build --check` answered differently depending on where it ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180, env=env)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp/project/policies (no git), and an empty tmp/elsewhere to run from."""
    shutil.copytree(ARTICLE, tmp_path / "project" / "policies")
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "project"


def test_without_git_the_folder_is_beside_the_policy_wherever_the_build_runs(policyc: list[str], project: Path) -> None:
    elsewhere = project.parent / "elsewhere"
    first = run([*policyc, "build", "../project/policies", "-o", "../project/out"], elsewhere)
    assert first.returncode == 0, first.stderr
    secrets = project / ".policyc" / "secrets"
    assert (secrets / "users" / "testuser" / "key.pem").is_file()
    assert not (elsewhere / ".policyc").exists()
    shown = (project / ".policyc" / "secrets").as_posix()  # outside the working directory: absolute
    assert f"note: created the secrets folder {shown} (beside {(project / 'policies').as_posix()}, " in first.stderr
    assert "`--secrets DIR` chooses another folder" in first.stderr
    keys, out = tree(secrets), tree(project / "out")

    second = run([*policyc, "build", "policies", "-o", "out"], project)  # from the project: same folder, no new key
    assert second.returncode == 0, second.stderr
    assert "note: created the secrets folder" not in second.stderr
    assert "kept 6 credential files in .policyc/secrets/ (none new)" in second.stdout
    assert tree(secrets) == keys and tree(project / "out") == out
    assert not (project / "policies" / ".policyc").exists()


def test_build_check_answers_the_same_from_any_folder(policyc: list[str], project: Path) -> None:
    assert run([*policyc, "build", "policies", "-o", "out"], project).returncode == 0
    for cwd, args in ((project, ["policies", "-o", "out"]),
                      (project.parent / "elsewhere", ["../project/policies", "-o", "../project/out"]),
                      (project / "policies", [".", "-o", "../out"])):
        r = run([*policyc, "build", *args, "--check"], cwd)
        assert r.returncode == 0, (cwd, r.stdout, r.stderr)
        assert "is up to date" in r.stdout
    assert sorted(p.name for p in project.parent.rglob(".policyc")) == [".policyc"]


def test_in_a_git_work_tree_the_folder_is_at_its_top(policyc: list[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ARTICLE, repo / "infra" / "policies")
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    r = run([*policyc, "build", ".", "-o", "../out"], repo / "infra" / "policies")
    assert r.returncode == 0, r.stderr
    assert (repo / ".policyc" / "secrets" / "apiserver" / "tokens.csv").is_file()
    assert [p for p in repo.rglob(".policyc") if p.is_dir()] == [repo / ".policyc"]
    assert "note: created the secrets folder" in r.stderr
    assert "at the top of the git work tree that holds ." in r.stderr
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout
    assert not [line for line in status.splitlines() if line.startswith("?? .policyc")]  # `.gitignore` of `*`


def test_secrets_option_overrides_the_default(policyc: list[str], project: Path, tmp_path: Path) -> None:
    r = run([*policyc, "build", "policies", "-o", "out", "--secrets", str(tmp_path / "vault")], project)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "vault" / "users" / "testuser" / "key.pem").is_file()
    assert not (project / ".policyc").exists()


def test_kubeconfig_and_rotate_use_the_folder_build_used(policyc: list[str], project: Path) -> None:
    elsewhere = project.parent / "elsewhere"
    assert run([*policyc, "build", "policies", "-o", "out"], project).returncode == 0
    token = (project / ".policyc" / "secrets" / "users" / "jack@test.com" / "token").read_bytes()
    k = run([*policyc, "kubeconfig", "jack@test.com", "--server", "https://10.0.0.10:6443", "--policy",
             "../project/policies"], elsewhere)
    assert k.returncode == 0, k.stderr
    assert (project / ".policyc" / "secrets" / "kubeconfigs" / "jack@test.com.kubeconfig").is_file()
    r = run([*policyc, "rotate", "jack@test.com", "--policy", "policies"], project)
    assert r.returncode == 0, r.stderr
    assert "wrote .policyc/secrets/users/jack@test.com/token" in r.stdout
    assert (project / ".policyc" / "secrets" / "users" / "jack@test.com" / "token").read_bytes() != token
    assert not (elsewhere / ".policyc").exists()


def test_an_unusable_default_folder_says_where_it_came_from(policyc: list[str], project: Path) -> None:
    # Beside a policy in no git work tree, e.g. a read-only checkout: here `.policyc` is a file.
    (project / ".policyc").write_text("not a folder\n")
    r = run([*policyc, "build", "policies", "-o", "out"], project)
    assert r.returncode == 2
    assert "error: cannot prepare the secrets folder" in r.stderr
    assert ("help: policyc chose .policyc/secrets (beside policies, which is in no git work tree); "
            "`--secrets DIR` chooses another folder") in r.stderr
    assert not (project / "out").exists()
    given = run([*policyc, "build", "policies", "-o", "out", "--secrets", ".policyc/x"], project)
    assert given.returncode == 2 and "help: policyc chose" not in given.stderr  # the user chose it

"""`policyc diff` through the console script: git revisions in a real repository, folders, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BASE = """kubernetes 1.30
serviceaccount ci/runner
team ci {
  members serviceaccount ci/runner
  grant read services in checkout
}
namespace checkout {
  quota pods 10
}
"""
MORE_ACCESS = BASE.replace("  grant read services in checkout\n",
                           "  grant read services in checkout\n  grant get secrets in checkout\n")
MORE_PODS = BASE.replace("quota pods 10", "quota pods 20")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **GIT_ENV})


def git(repo: Path, *args: str) -> str:
    r = run(["git", *args], repo)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"README": "x\n"}, "no policy yet")
    commit(repo, {"policies/teams.policy": BASE}, "base policy")
    return repo


def state(repo: Path) -> tuple[int, bytes, str, str, bytes]:
    """What a read must not change: the index file, status, HEAD and the work tree's policy."""
    index = repo / ".git" / "index"
    stamp, data = index.stat().st_mtime_ns, index.read_bytes()  # before `git status`, which may refresh it
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True,
                            env={**os.environ, **GIT_ENV, "GIT_OPTIONAL_LOCKS": "0"}, check=True).stdout
    return (stamp, data, status, git(repo, "rev-parse", "HEAD"), (repo / "policies" / "teams.policy").read_bytes())


def test_defaults_compare_head_with_the_work_tree_without_touching_it(policyc: list[str], repo: Path) -> None:
    (repo / "policies" / "teams.policy").write_text(MORE_ACCESS)
    before = state(repo)
    r = run([*policyc, "diff"], repo)
    assert r.returncode == 0, r.stderr
    assert state(repo) == before
    head = git(repo, "rev-parse", "HEAD")
    assert r.stdout.splitlines()[:3] == [
        f"base: HEAD ({head[:12]})",
        "head: work tree (policies)",
        "access changes for 1 subject: 1 added, 0 removed; no setting changes",
    ]
    assert "+ serviceaccount ci/runner: get secrets in checkout  (policies/teams.policy:6, team ci)" in r.stdout


def test_two_revisions_ignore_the_work_tree(policyc: list[str], repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    second = commit(repo, {"policies/teams.policy": MORE_ACCESS}, "more access")
    (repo / "policies" / "teams.policy").write_text("this is not a policy {{{\n")  # uncommitted garbage
    r = run([*policyc, "diff", first, second, "--format", "json"], repo)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["base"]["commit"], doc["head"]["commit"]) == (first, second)
    assert [line["targets"] for line in doc["access"]["added"]] == [["secrets"]]
    r = run([*policyc, "diff", "main~1", "main"], repo)  # revision syntax, as git understands it
    assert "get secrets in checkout" in r.stdout


def test_policy_folder_option_and_subdirectory(policyc: list[str], repo: Path) -> None:
    commit(repo, {"deploy/access/teams.policy": BASE}, "second folder")
    (repo / "deploy" / "access" / "teams.policy").write_text(MORE_PODS)
    r = run([*policyc, "diff", "--policy", "deploy/access"], repo)
    assert r.returncode == 0, r.stderr
    assert "~ namespace checkout: quota pods: 10 → 20  (deploy/access/teams.policy:8)" in r.stdout
    # From inside the folder: the same folder, found relative to the current directory.
    r = run([*policyc, "diff", "--policy", "."], repo / "deploy" / "access")
    assert "~ namespace checkout: quota pods: 10 → 20  (teams.policy:8)" in r.stdout


def test_missing_folder_at_base_is_an_empty_policy(policyc: list[str], repo: Path) -> None:
    r = run([*policyc, "diff", "HEAD~1", "HEAD"], repo)
    assert r.returncode == 0, r.stderr
    assert ("+ serviceaccount ci/runner: get, list, watch services in checkout  (policies/teams.policy:5, team ci)"
            in r.stdout)
    assert "+ namespace checkout: quota pods 10" in r.stdout
    assert "has no policy files: it is taken as an empty policy" in r.stdout


def test_folders_need_no_git(policyc: list[str], tmp_path: Path) -> None:
    for name, text in (("a", BASE), ("b", MORE_ACCESS)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "teams.policy").write_text(text)
    r = run([*policyc, "diff", "a", "b"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["base: a", "head: b"]


@pytest.mark.parametrize(
    ("head", "args", "code", "stream", "expected"),
    [
        (MORE_ACCESS, ["--exit-code"], 1, "stdout", "access changes for 1 subject"),
        (MORE_PODS, ["--exit-code"], 0, "stdout", "no access changes; 1 setting change"),
        (BASE, ["--exit-code"], 0, "stdout", "no access changes; no setting changes"),
        (MORE_ACCESS, [], 0, "stdout", "access changes for 1 subject"),
        (BASE + "grant role nothere to user a in x\n", ["--exit-code"], 2, "stderr", "error[PC101]"),
        (BASE, ["no-such-rev"], 2, "stderr", "`no-such-rev` is neither a policy folder nor a git revision"),
        (BASE, ["HEAD", "--policy", "nowhere"], 2, "stderr", "no such file or folder"),
    ],
)
def test_exit_codes(policyc: list[str], repo: Path, head: str, args: list[str], code: int, stream: str,
                    expected: str) -> None:
    (repo / "policies" / "teams.policy").write_text(head)
    r = run([*policyc, "diff", *args], repo)
    assert r.returncode == code, r.stdout + r.stderr
    assert expected in getattr(r, stream)
    assert "Traceback" not in r.stderr


def test_default_base_outside_git_is_a_usage_error(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "a.policy").write_text(BASE)
    r = run([*policyc, "diff"], tmp_path)
    assert r.returncode == 2
    assert "not a git repository" in r.stderr


def test_manifests_flag_adds_the_yaml_diff(policyc: list[str], repo: Path) -> None:
    (repo / "policies" / "teams.policy").write_text(MORE_ACCESS)
    r = run([*policyc, "diff", "--manifests"], repo)
    assert "--- a/namespaces/checkout/roles.yaml\n+++ b/namespaces/checkout/roles.yaml\n" in r.stdout
    assert "+  - secrets\n" in r.stdout
    assert "--- a/" not in run([*policyc, "diff"], repo).stdout


def test_sources_are_named_from_the_working_directory(policyc: list[str], tmp_path: Path) -> None:
    # Issue 20: paths relative to the working directory everywhere; added lines are in HEAD, removed in BASE.
    for name, resource in (("old", "pods"), ("new", "secrets")):
        grant = f"grant read {resource} to user ann in dev"
        (tmp_path / "sides" / name).mkdir(parents=True)
        (tmp_path / "sides" / name / "a.policy").write_text(f"kubernetes 1.30\n{grant}\n")
    r = subprocess.run([*policyc, "diff", "sides/old", "sides/new"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "+ user ann: get, list, watch secrets in dev  (sides/new/a.policy:2)" in r.stdout
    assert "- user ann: get, list, watch pods in dev  (sides/old/a.policy:2)" in r.stdout


def test_cluster_admin_over_many_namespaces_finishes(policyc: list[str], tmp_path: Path) -> None:
    """A cluster-admin subject next to namespace admins: every verb on everything, reported as one line.

    Escalation cannot add to `*` on everything, so the search is skipped for such a subject; the
    engine's exhaustive search over identities and acquired roles would not finish here.
    """
    base = "kubernetes 1.30\n" + "".join(
        f"serviceaccount ns{i}/app\ngrant role admin to serviceaccount ns{i}/app in ns{i}\n" for i in range(16)
    )
    head = base + "team platform {\n  members group platform-admins\n  grant role cluster-admin in cluster\n}\n"
    for name, text in (("a", base), ("b", head)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.policy").write_text(text)
    r = subprocess.run([*policyc, "diff", "a", "b"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == (
        "+ group platform-admins: full control of the cluster (superuser: every verb on every resource and URL) "
        "in cluster  [built-in role `cluster-admin`]  (b/a.policy:36, team platform)"
    )

"""`policyc build --check` through the console script: fresh, stale, hand-edited and missing out/."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every path under root with its bytes (files) and mtime: proves `--check` wrote nothing."""
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.stat()
        out[p.relative_to(root).as_posix()] = (p.read_bytes() if p.is_file() else b"<dir>", st.st_mtime_ns)
    return out


@pytest.fixture
def built(policyc: list[str], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the article policy and a fresh out/ built from it."""
    policy = tmp_path / "policies"
    shutil.copytree(ARTICLE, policy)
    r = run([*policyc, "build", str(policy), "-o", str(tmp_path / "out")])
    assert r.returncode == 0, r.stderr
    return policy, tmp_path / "out"


def check(policyc: list[str], policy: Path, out: Path) -> subprocess.CompletedProcess:
    before = snapshot(out)
    r = run([*policyc, "build", str(policy), "-o", str(out), "--check"])
    assert snapshot(out) == before, "build --check must not write"
    return r


def test_fresh_out_passes(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, out = built
    r = check(policyc, policy, out)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is up to date" in r.stdout


def test_defaults_to_policies_and_out(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, _ = built
    r = run([*policyc, "build", "--check"], cwd=policy.parent)
    assert r.returncode == 0, r.stdout + r.stderr


def test_stale_out_after_policy_change(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, out = built
    with (policy / "access.policy").open("a") as f:
        f.write("\nrole extra-reader {\n  get configmaps\n}\n")
    r = check(policyc, policy, out)
    assert r.returncode == 1
    assert "  differs   cluster/clusterroles.yaml" in r.stdout.splitlines()
    assert "run `policyc build`" in r.stderr


def test_obsolete_file_is_listed(policyc: list[str], built: tuple[Path, Path], tmp_path: Path) -> None:
    policy, out = built
    # A policy without any namespaced object: every namespaces/... file policyc wrote is obsolete.
    for p in policy.glob("*.policy"):
        p.unlink()
    (policy / "only.policy").write_text("role r {\n  get pods\n}\n")
    r = check(policyc, policy, out)
    assert r.returncode == 1
    listed = [line.split() for line in r.stdout.splitlines()[1:]]
    assert ["obsolete", "namespaces/development/rolebindings.yaml"] in listed
    assert all(state in ("obsolete", "differs", "missing") for state, _ in listed)


def test_hand_edited_file_fails(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, out = built
    target = out / "namespaces" / "development" / "rolebindings.yaml"
    os.chmod(target, 0o644)
    target.write_text(target.read_text().replace("name: ", "name: x", 1))
    r = check(policyc, policy, out)
    assert r.returncode == 1
    assert r.stdout.splitlines()[1:] == ["  differs   namespaces/development/rolebindings.yaml"]


def test_deleted_file_is_missing(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, out = built
    (out / "kustomization.yaml").unlink()
    r = check(policyc, policy, out)
    assert r.returncode == 1
    assert r.stdout.splitlines()[1:] == ["  missing   kustomization.yaml"]


def test_missing_out_lists_every_file_and_creates_nothing(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, out = built
    shutil.rmtree(out)
    r = check(policyc, policy, out)
    assert r.returncode == 1
    assert not out.exists()
    states = {line.split()[0] for line in r.stdout.splitlines()[1:]}
    assert states == {"missing"}
    assert "  missing   kustomization.yaml" in r.stdout.splitlines()


def test_policy_errors_exit_1_before_comparing(policyc: list[str], built: tuple[Path, Path]) -> None:
    policy, out = built
    (policy / "broken.policy").write_text("grant role nothere to user a in default\n")
    r = check(policyc, policy, out)
    assert r.returncode == 1
    assert "error[PC101]" in r.stderr
    assert "does not match" not in r.stdout

"""What `kubeconfig USER`, `apiserver patch` and `rotate USER` print besides their result (issue 20).

They used to print every warning of the policy before the one line that matters; now only the
warnings about what the command uses, and a count with the command that lists the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"
FIXTURES = REPO / "tests" / "unit" / "output" / "fixtures"
SERVER = "https://10.0.0.10:6443"


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180)


def warnings_of(policyc: list[str], cwd: Path) -> list[dict]:
    doc = json.loads(run([*policyc, "check", "policies", "--format", "json"], cwd).stdout)
    return [d for d in doc["diagnostics"] if d["severity"] == "warning"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ARTICLE, tmp_path / "policies")
    cluster = tmp_path / "policies" / "cluster.policy"  # kubeadm's probes need anonymous requests (PC270)
    cluster.write_text(cluster.read_text().replace("anonymous no", "anonymous yes"))
    return tmp_path


def test_kubeconfig_prints_a_count_instead_of_the_policy_s_warnings(policyc: list[str], project: Path) -> None:
    total = len(warnings_of(policyc, project))
    assert total >= 5
    assert run([*policyc, "build", "policies"], project).returncode == 0
    r = run([*policyc, "kubeconfig", "jack@test.com", "--server", SERVER], project)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "wrote .policyc/secrets/kubeconfigs/jack@test.com.kubeconfig\n"
    assert "warning[" not in r.stderr
    assert r.stderr == (f"note: {total} other warnings of the policy do not concern this command; "
                        "`policyc check policies` lists them\n")


def test_kubeconfig_still_prints_the_errors(policyc: list[str], project: Path) -> None:
    (project / "policies" / "broken.policy").write_text("role r {\n  gett pods\n}\n")
    r = run([*policyc, "kubeconfig", "jack@test.com", "--server", SERVER], project)
    assert r.returncode == 1
    assert "policies/broken.policy:2:3: error[PC150]" in r.stderr


def test_apiserver_patch_prints_only_the_cluster_block_s_warnings(policyc: list[str], project: Path) -> None:
    every = warnings_of(policyc, project)
    cluster = [d for d in every if d["file"] == "policies/cluster.policy" and 7 <= d["line"] <= 18]
    assert cluster and len(cluster) < len(every)
    manifest = project / "kube-apiserver.yaml"
    manifest.write_bytes((FIXTURES / "kube-apiserver-1.24.yaml").read_bytes())
    os.chmod(manifest, 0o600)
    r = run([*policyc, "apiserver", "patch", "kube-apiserver.yaml", "--dry-run"], project)
    assert r.returncode == 0, r.stderr
    shown = {line.split(": ")[1].split("[")[1].rstrip("]") for line in r.stderr.splitlines()
             if "warning[PC" in line and line.startswith("policies/")}
    assert shown == {d["code"] for d in cluster}
    assert "policies/access.policy" not in r.stderr
    assert (f"note: {len(every) - len(cluster)} other warnings of the policy do not concern this command; "
            "`policyc check policies` lists them") in r.stderr


@pytest.mark.parametrize(("declaration", "warned"), [
    ("user testuser       auth certificate  groups app1", True),
    ("user testuser       auth certificate  groups app1 expires 30d", False),
])
def test_rotate_says_the_old_certificate_stays_valid(policyc: list[str], project: Path, declaration: str,
                                                      warned: bool) -> None:
    users = project / "policies" / "cluster.policy"
    text = users.read_text()
    users.write_text(text.replace("user testuser       auth certificate  groups app1", declaration))
    assert run([*policyc, "build", "policies"], project).returncode == 0
    r = run([*policyc, "rotate", "testuser"], project)
    assert r.returncode == 0, r.stderr
    assert ("note: the old client certificate of `testuser` stays valid until it expires: Kubernetes cannot revoke "
            "a client certificate") in r.stderr
    assert ("warning: user `testuser` declares no `expires`" in r.stderr) is warned
    if warned:
        assert "add `expires 30d` (or another duration) to the user's declaration" in r.stderr


def test_rotate_of_a_token_user_says_nothing_about_certificates(policyc: list[str], project: Path) -> None:
    assert run([*policyc, "build", "policies"], project).returncode == 0
    r = run([*policyc, "rotate", "jack@test.com"], project)
    assert r.returncode == 0, r.stderr
    assert "certificate" not in r.stderr

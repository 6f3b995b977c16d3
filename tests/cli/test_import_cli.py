"""`policyc import` through the installed console script: write, verify, build, fmt, exit codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import REPO

FIXTURES = REPO / "tests" / "unit" / "importer" / "fixtures"


def run(cmd: list[str], cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300)


def test_import_verify_then_check_build_and_fmt(policyc: list[str], tmp_path: Path) -> None:
    out = tmp_path / "policy"
    r = run([*policyc, "import", str(FIXTURES / "cluster-1.30.yaml"), "-o", str(out), "--kubernetes", "1.30",
             "--verify", "--verbose"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no access changes" in r.stdout
    assert "skipped " in r.stdout and "built-in object of the bootstrap policy" in r.stdout
    assert "warning[PC616]" in r.stderr and "cluster-1.30.yaml:" in r.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.policy")) == [
        "cluster.policy", "namespaces/checkout.policy", "namespaces/ci.policy", "namespaces/monitoring.policy",
        "namespaces/payments.policy"]
    replaced = (out / "replaced-objects.sh").read_text()
    assert "kubectl delete rolebinding -n payments payments-devs-edit\n" in replaced
    assert "kubectl delete resourcequota -n payments objects\n" in replaced
    # Roles keep their names: `kubectl apply` updates them in place, so they are not deleted.
    assert "clusterrole deployer" not in replaced and "serviceaccount" not in replaced
    check = run([*policyc, "check", str(out)])
    assert check.returncode == 0, check.stderr
    fmt = run([*policyc, "fmt", "--check", str(out)])
    assert fmt.returncode == 0, fmt.stderr
    build = run([*policyc, "build", str(out), "-o", str(tmp_path / "out")])
    assert build.returncode == 0, build.stderr
    # Importing again over our own folder replaces it (it lists the files it wrote).
    again = run([*policyc, "import", str(FIXTURES / "cluster-1.30.yaml"), "-o", str(out), "--kubernetes", "1.30"])
    assert again.returncode == 0, again.stderr


def test_import_of_a_built_policy_round_trips(policyc: list[str], tmp_path: Path) -> None:
    built = tmp_path / "out"
    assert run([*policyc, "build", str(REPO / "tests" / "golden" / "article" / "policy"), "-o",
                str(built)]).returncode == 0
    r = run([*policyc, "import", str(built), "-o", str(tmp_path / "policy"), "--kubernetes", "1.24", "--verify"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no access changes" in r.stdout
    assert "team app1 {" in (tmp_path / "policy" / "cluster.policy").read_text()


def test_standard_input(policyc: list[str], tmp_path: Path) -> None:
    text = (FIXTURES / "cluster-1.24.yaml").read_text()
    r = run([*policyc, "import", "-", "-o", str(tmp_path / "p"), "--kubernetes", "1.24", "--verify", "--verbose"],
            stdin=text)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "<stdin>:" in r.stderr and "PC613" in r.stderr
    assert "no access changes" in r.stdout


def test_exit_codes(policyc: list[str], tmp_path: Path) -> None:
    missing = run([*policyc, "import", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "p")])
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad_release = run([*policyc, "import", str(FIXTURES / "cluster-1.24.yaml"), "--kubernetes", "1.99"])
    assert bad_release.returncode == 2 and "unsupported Kubernetes release" in bad_release.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: [\n")
    r = run([*policyc, "import", str(broken), "-o", str(tmp_path / "p")])
    assert r.returncode == 1 and "error[PC601]" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "p").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "hand-written.policy").write_text("role r {\n  get pods\n}\n")
    r = run([*policyc, "import", str(FIXTURES / "cluster-1.24.yaml"), "-o", str(foreign), "--kubernetes", "1.24"])
    assert r.returncode == 2 and "hand-written.policy" in r.stderr
    assert (foreign / "hand-written.policy").read_text() == "role r {\n  get pods\n}\n"


def test_verify_reports_a_change_and_exits_1(policyc: list[str], tmp_path: Path) -> None:
    """The PC612 pin is a real change: `--verify` prints it as `policyc diff` would and fails."""
    dump = tmp_path / "ns.yaml"
    dump.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels:\n"
                    "    pod-security.kubernetes.io/enforce: baseline\n")
    r = run([*policyc, "import", str(dump), "-o", str(tmp_path / "p"), "--kubernetes", "1.30", "--verify"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "+ namespace apps: pod-security pod-security.kubernetes.io/enforce-version v1.30" in r.stdout
    assert "warning[PC612]" in r.stderr

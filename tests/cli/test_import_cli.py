"""`policyc import` through the installed console script: write, verify, build, fmt, exit codes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, spec_copy

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
                str(built), "--secrets", str(tmp_path / "secrets")]).returncode == 0  # not the repository's
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


REALWORLD = REPO / "tests" / "data" / "realworld"


def test_namespace_flag_places_objects_as_kubectl_apply_n(policyc: list[str], tmp_path: Path) -> None:
    """Argo CD ships its Roles without a namespace, for `kubectl apply -n argocd`."""
    install = str(REALWORLD / "argo-cd" / "rbac.yaml")
    plain = run([*policyc, "import", install, "-o", str(tmp_path / "a"), "--kubernetes", "1.33", "--verbose"])
    assert plain.returncode == 0, plain.stderr
    assert "warning[PC625]: Role argocd-server (document 13) has no `metadata.namespace`: it is meant for " \
           "`kubectl apply -n NAMESPACE`, so it is skipped" in plain.stderr
    assert "pass `-n NAMESPACE`" in plain.stderr and "the API server would refuse it" not in plain.stderr
    assert "skipped 19 namespaced objects without `metadata.namespace`" in plain.stdout
    placed = run([*policyc, "import", install, "-n", "argocd", "-o", str(tmp_path / "b"), "--kubernetes", "1.33",
                  "--verify"])
    assert placed.returncode == 0, placed.stderr
    assert "PC625" not in placed.stderr and "without `metadata.namespace`" not in placed.stdout
    assert "imported 25 objects" in placed.stdout and "no access changes (" in placed.stdout
    assert "role argocd-server in argocd {" in (tmp_path / "b" / "namespaces" / "argocd.policy").read_text()
    other = tmp_path / "other.yaml"
    other.write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: default}\n")
    wrong = run([*policyc, "import", str(other), "-n", "argocd", "-o", str(tmp_path / "c"), "--kubernetes", "1.33"])
    assert wrong.returncode == 1 and "error[PC626]: ServiceAccount a (document 1) is in namespace `default`, " \
           "not `argocd` given with `-n`" in wrong.stderr
    assert not (tmp_path / "c").exists()


def test_warnings_are_one_line_per_code_unless_verbose(policyc: list[str], tmp_path: Path) -> None:
    args = [*policyc, "import", str(REALWORLD / "knative-eventing" / "rbac.yaml"), "-n", "knative-eventing",
            "--kubernetes", "1.33"]
    short = run([*args, "-o", str(tmp_path / "a")])
    assert short.returncode == 0, short.stderr
    lines = short.stderr.splitlines()
    assert [x.split(":")[0] for x in lines if x.startswith("warning[")] == [
        "warning[PC603] x77", "warning[PC608] x1", "warning[PC609] x5"]
    assert "rbac.yaml:" not in short.stderr and lines[-1] == "0 errors, 83 warnings"
    full = run([*args, "-o", str(tmp_path / "b"), "--verbose"])
    assert full.stderr.count("warning[PC603]: ") == 77 and "rbac.yaml:" in full.stderr
    # Long rules are wrapped after commas; the folder is in fmt's canonical layout.
    text = (tmp_path / "a" / "cluster.policy").read_text()
    assert max(len(x) for x in text.splitlines() if "," in x) <= 100
    assert run([*policyc, "fmt", "--check", str(tmp_path / "a")]).returncode == 0


def _identities(folder: Path) -> set[tuple[str, str, str]]:
    import yaml

    out = set()
    for path in folder.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") != "Kustomization":
                meta = doc.get("metadata") or {}
                out.add((doc["kind"], meta.get("namespace") or "", meta["name"]))
    return out


@pytest.mark.parametrize("case", ["policies", "spec-article"])
def test_own_output_imports_back_to_the_same_objects(policyc: list[str], tmp_path: Path, case: str) -> None:
    first, policy, second = tmp_path / "out", tmp_path / "policy", tmp_path / "out2"
    # A copy, and the secrets under tmp_path: `build` makes the users' keys, by default beside the
    # policy folder (never in the repository's policies/ nor in ../shared/spec).
    if case == "policies":
        source = tmp_path / "source"
        shutil.copytree(REPO / "policies", source)
    else:
        source = spec_copy(tmp_path, "article")
    built = run([*policyc, "build", str(source), "-o", str(first), "--secrets", str(tmp_path / "secrets")])
    assert built.returncode == 0, built.stderr
    r = run([*policyc, "import", str(first), "-o", str(policy), "--kubernetes", "1.24", "--verify", "--verbose"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no access changes (" in r.stdout
    assert "kustomization.yaml" not in r.stderr and "PC602" not in r.stderr  # build files and CSRs are understood
    text = "\n".join(p.read_text() for p in sorted(policy.rglob("*.policy")))
    # The policy's structure: its team, its users (from their certificate requests), its grants and roles.
    assert "team app1 {" in text and "user testuser auth certificate groups app1" in text
    assert "grant role pod-reader to user bob" in text and "role app-operator aggregates deployer, pod-reader" in text
    assert run([*policyc, "build", str(policy), "-o", str(second)]).returncode == 0
    assert _identities(second) == _identities(first)

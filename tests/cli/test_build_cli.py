"""`policyc build` and `policyc check` through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_writes_tree_and_kustomization(policyc: list[str], tmp_path: Path) -> None:
    # --secrets under tmp_path: the default would be the repository's own .policyc (its git work tree's top).
    r = run([*policyc, "build", str(ARTICLE), "-o", str(tmp_path / "out"), "--secrets", str(tmp_path / "secrets")])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("wrote ")
    files = tree(tmp_path / "out")
    assert "kustomization.yaml" in files
    assert "cluster/clusterroles.yaml" in files
    assert "namespaces/development/rolebindings.yaml" in files
    kustomization = files["kustomization.yaml"].decode()
    for name in files:
        if name.startswith(("cluster/", "namespaces/")):
            assert f"- {name}" in kustomization


def test_build_defaults_to_policies_and_out(policyc: list[str], tmp_path: Path) -> None:
    shutil.copytree(ARTICLE, tmp_path / "policies")
    r = run([*policyc, "build"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "kustomization.yaml").is_file()


def test_build_is_deterministic_across_file_order_cwd_and_hash_seed(policyc: list[str], tmp_path: Path) -> None:
    """Two builds, files created in opposite orders, run from other folders with other hash seeds."""
    sources = sorted(ARTICLE.glob("*.policy"))
    first, second = tmp_path / "a" / "policy", tmp_path / "b" / "nested" / "policy"
    for folder, order in ((first, sources), (second, list(reversed(sources)))):
        folder.mkdir(parents=True)
        for src in order:
            (folder / src.name).write_bytes(src.read_bytes())
    # The secrets folder is an input (the CSR objects carry requests made with its keys): one for both.
    secrets = ["--secrets", str(tmp_path / "secrets")]
    r1 = run([*policyc, "build", str(first), "-o", str(tmp_path / "out1"), *secrets], cwd=tmp_path / "a",
             env={"PYTHONHASHSEED": "1"})
    r2 = run([*policyc, "build", "policy", "-o", "../../out2", *secrets], cwd=second.parent,
             env={"PYTHONHASHSEED": "2"})
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    assert tree(tmp_path / "out1") == tree(tmp_path / "out2")


def test_failed_build_leaves_previous_out_untouched(policyc: list[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(ARTICLE, policy)
    out = tmp_path / "out"
    assert run([*policyc, "build", str(policy), "-o", str(out)]).returncode == 0
    before = tree(out)
    (policy / "broken.policy").write_text("grant role nothere to user a in default\n")
    r = run([*policyc, "build", str(policy), "-o", str(out)])
    assert r.returncode == 1
    assert "broken.policy:1:12: error[PC101]: undefined role `nothere`" in r.stderr
    assert tree(out) == before


def test_foreign_files_in_out_are_not_deleted(policyc: list[str], tmp_path: Path) -> None:
    out, secrets = tmp_path / "out", ["--secrets", str(tmp_path / "secrets")]  # not the repository's .policyc
    assert run([*policyc, "build", str(ARTICLE), "-o", str(out), *secrets]).returncode == 0
    (out / "notes.txt").write_text("mine\n")
    r = run([*policyc, "build", str(ARTICLE), "-o", str(out), *secrets])
    assert r.returncode == 2
    assert "notes.txt" in r.stderr
    assert (out / "notes.txt").read_text() == "mine\n"


def test_check_json_reports_diagnostics(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text("role r {\n  gett pods\n}\n")
    r = run([*policyc, "check", str(tmp_path), "--format", "json"], cwd=tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["errors"] == 1
    (d,) = doc["diagnostics"]
    assert (d["code"], d["file"], d["line"], d["col"], d["end_col"]) == ("PC150", "a.policy", 2, 3, 7)
    assert d["help"] == "did you mean `get`?"


def test_check_text_shows_caret(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text("role r {\n  get deploymens.apps\n}\n")
    r = run([*policyc, "check", str(tmp_path)])
    assert r.returncode == 1
    assert "a.policy:2:7: error[PC151]" in r.stderr
    assert "  |       ^^^^^^^^^^^^^^^" in r.stderr
    assert "= help: did you mean `deployments.apps`?" in r.stderr
    assert "1 error, 0 warnings" in r.stderr


def test_warnings_pass_unless_denied(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text("role r {\n  list configmaps named a\n}\n")
    assert run([*policyc, "check", str(tmp_path)]).returncode == 0
    assert run([*policyc, "check", str(tmp_path), "--deny-warnings"]).returncode == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "error: no such file or folder"),
        ("empty", "error: no .policy files in"),
    ],
)
def test_usage_errors_exit_2(policyc: list[str], tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / setup
    if setup == "empty":
        target.mkdir()
    r = run([*policyc, "check", str(target)])
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_unsupported_release_option_exits_1(policyc: list[str]) -> None:
    r = run([*policyc, "check", str(ARTICLE), "--kubernetes", "1.99"])
    assert r.returncode == 1
    assert "unsupported Kubernetes release `1.99` given with --kubernetes" in r.stderr


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfe\x00garbage\x00\x01", "PC004"),
        (b"role r {\n  get pods \xe9\n}\n", "PC004"),
        (bytes(range(256)), "PC004"),
        (b"\x00\x01\x02\x03", "PC002"),
    ],
)
def test_binary_garbage_gives_a_diagnostic(policyc: list[str], tmp_path: Path, data: bytes, code: str) -> None:
    (tmp_path / "bad.policy").write_bytes(data)
    r = run([*policyc, "check", str(tmp_path)])
    assert r.returncode == 1
    assert f"error[{code}]" in r.stderr
    assert "Traceback" not in r.stderr and "bad.policy:" in r.stderr


def test_unknown_command_is_a_usage_error(policyc: list[str]) -> None:
    r = run([*policyc, "frobnicate"])
    assert r.returncode == 2


def test_build_reports_the_files_it_wrote(policyc: list[str], tmp_path: Path) -> None:
    # The count comes from the write stage (issue 19: the command no longer lays the tree out twice).
    out = tmp_path / "out"
    r = run([*policyc, "build", str(ARTICLE), "-o", str(out), "--secrets", str(tmp_path / "secrets")])
    assert r.returncode == 0, r.stderr
    written = [p for p in out.rglob("*") if p.is_file() and p.name != ".policyc-files"]
    objects = sum(p.read_text().count("\nkind: ") + p.read_text().startswith("kind: ") for p in written
                  if p.name != "kustomization.yaml" and p.suffix == ".yaml")
    assert f"wrote {objects} objects in {len(written)} files to " in r.stdout, r.stdout


def test_check_and_build_count_the_same_objects(policyc: list[str], tmp_path: Path) -> None:
    # Issue 20: `check` said 48 objects where `build` said 49 (the CSR of a certificate user is made by build).
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "p.policy").write_text("kubernetes 1.30\ncluster {\n  authentication {\n    certificates ca /ca.crt\n"
                                     "  }\n}\nuser ann auth certificate groups dev\n"
                                     "namespace dev {\n  grant read pods to user ann\n}\n")
    checked = run([*policyc, "check", "policies"], cwd=tmp_path)
    built = run([*policyc, "build", "policies"], cwd=tmp_path)
    assert checked.returncode == 0 and built.returncode == 0, checked.stderr + built.stderr
    assert checked.stdout.startswith("ok: 4 objects (1 CertificateSigningRequest among them"), checked.stdout
    assert "wrote 4 objects in " in built.stdout
    again = run([*policyc, "check", "policies"], cwd=tmp_path)  # the key now exists: the CSR is emitted
    assert again.stdout == checked.stdout

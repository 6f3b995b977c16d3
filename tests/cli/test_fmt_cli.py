"""`policyc fmt` through the installed console script."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

MESSY = "role r {get,list   pods}\nuser  bob   auth oidc # who\n"
CANONICAL = "role r {\n  get, list pods\n}\n\nuser bob auth oidc # who\n"


def run(cmd: list[str], cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "pol"
    (root / "sub").mkdir(parents=True)
    (root / "a.policy").write_text(MESSY)
    (root / "sub" / "b.policy").write_text(CANONICAL)
    (root / "notes.txt").write_text("role   x {get pods}\n")
    return root


def test_repository_policies_pass_check(policyc: list[str]) -> None:
    r = run([*policyc, "fmt", "--check", "policies", "docs/examples"], cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert "0 files would be reformatted" in r.stderr


def test_default_path_is_policies(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "x.policy").write_text(MESSY)
    r = run([*policyc, "fmt"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "policies" / "x.policy").read_text() == CANONICAL


def test_rewrites_files_in_place_keeping_permissions(policyc: list[str], folder: Path) -> None:
    target = folder / "a.policy"
    os.chmod(target, 0o640)
    before_other = (folder / "sub" / "b.policy").stat().st_mtime_ns
    r = run([*policyc, "fmt", str(folder)])
    assert r.returncode == 0, r.stderr
    assert target.read_text() == CANONICAL
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (folder / "sub" / "b.policy").stat().st_mtime_ns == before_other  # unchanged files untouched
    assert (folder / "notes.txt").read_text() == "role   x {get pods}\n"  # folders expand to .policy only
    assert f"reformatted {folder.as_posix()}/a.policy" in r.stderr
    assert "1 file reformatted, 1 file already formatted" in r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["a.policy", "notes.txt", "sub"]  # no temp files left


def test_check_names_the_files_and_writes_nothing(policyc: list[str], folder: Path) -> None:
    r = run([*policyc, "fmt", "--check", str(folder)])
    assert r.returncode == 1
    assert f"{folder.as_posix()}/a.policy:1:1: error[PC021]: file is not formatted" in r.stderr
    assert "b.policy:" not in r.stderr
    assert "1 file would be reformatted, 1 file already formatted" in r.stderr
    assert r.stdout == ""
    assert (folder / "a.policy").read_text() == MESSY


def test_check_passes_on_canonical_files(policyc: list[str], folder: Path) -> None:
    r = run([*policyc, "fmt", "--check", str(folder / "sub" / "b.policy")])
    assert r.returncode == 0, r.stderr


def test_diff_prints_a_unified_diff_and_writes_nothing(policyc: list[str], folder: Path) -> None:
    r = run([*policyc, "fmt", "--diff", str(folder / "a.policy")])
    assert r.returncode == 1, r.stderr  # as `ruff format --diff`: something would change
    name = (folder / "a.policy").as_posix()
    assert r.stdout == (
        f"--- {name}\n+++ {name}\n@@ -1,2 +1,5 @@\n"
        "-role r {get,list   pods}\n-user  bob   auth oidc # who\n"
        "+role r {\n+  get, list pods\n+}\n+\n+user bob auth oidc # who\n"
    )
    assert (folder / "a.policy").read_text() == MESSY


def test_diff_exits_0_when_nothing_would_change(policyc: list[str], folder: Path) -> None:
    r = run([*policyc, "fmt", "--diff", str(folder / "sub" / "b.policy")])
    assert (r.returncode, r.stdout) == (0, "")
    stdin = run([*policyc, "fmt", "--diff", "-"], stdin=MESSY)
    assert stdin.returncode == 1 and stdin.stdout.startswith("--- <stdin>\n")
    assert run([*policyc, "fmt", "--diff", "-"], stdin=CANONICAL).returncode == 0


def test_diff_and_check_together_exit_1(policyc: list[str], folder: Path) -> None:
    r = run([*policyc, "fmt", "--check", "--diff", str(folder)])
    assert r.returncode == 1
    assert r.stdout.startswith(f"--- {folder.as_posix()}/a.policy\n")


def test_stdin_to_stdout(policyc: list[str]) -> None:
    r = run([*policyc, "fmt", "-"], stdin=MESSY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == CANONICAL
    assert r.stderr == ""


def test_stdin_check(policyc: list[str]) -> None:
    assert run([*policyc, "fmt", "--check", "-"], stdin=MESSY).returncode == 1
    ok = run([*policyc, "fmt", "--check", "-"], stdin=CANONICAL)
    assert ok.returncode == 0 and ok.stdout == ""


def test_syntax_error_is_reported_and_file_left_alone(policyc: list[str], folder: Path) -> None:
    bad = folder / "bad.policy"
    bad.write_text("role r {\n  get pods\n")
    r = run([*policyc, "fmt", str(folder)])
    assert r.returncode == 1
    assert f"{bad.as_posix()}:2:10: error[PC001]: unexpected end of file" in r.stderr
    assert "Traceback" not in r.stderr
    assert bad.read_text() == "role r {\n  get pods\n"
    assert (folder / "a.policy").read_text() == CANONICAL  # the other files are still formatted


def test_stdin_with_syntax_error_prints_nothing_on_stdout(policyc: list[str]) -> None:
    r = run([*policyc, "fmt", "-"], stdin='user "bob auth oidc\n')
    assert r.returncode == 1
    assert r.stdout == ""
    assert "<stdin>:1:6: error[PC003]: unterminated string" in r.stderr


def test_invalid_utf8_is_reported(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "x.policy").write_bytes(b"user b\xffob auth oidc\n")
    r = run([*policyc, "fmt", str(tmp_path)])
    assert r.returncode == 1
    assert "error[PC004]" in r.stderr
    assert (tmp_path / "x.policy").read_bytes() == b"user b\xffob auth oidc\n"


def test_missing_path_is_a_usage_error(policyc: list[str], tmp_path: Path) -> None:
    r = run([*policyc, "fmt", str(tmp_path / "nope")])
    assert r.returncode == 2
    assert "no such file or folder" in r.stderr


def test_python_dash_m_runs_fmt(tmp_path: Path) -> None:
    python = shutil.which("python3") if not (REPO / ".venv" / "bin" / "python").exists() else str(
        REPO / ".venv" / "bin" / "python"
    )
    r = run([python, "-m", "policyc", "fmt", "-"], stdin=MESSY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == CANONICAL

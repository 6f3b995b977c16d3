"""The README's first hour (issue 20): its commands work, and the bundled policy builds cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
BUILD = "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/policyc build policies -o out"
TEST = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest"


def blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def test_the_first_lines_are_the_two_commands_and_ci_runs_the_second() -> None:
    assert blocks(README)[0].splitlines() == [BUILD, TEST]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert all(step.strip() in ci for step in TEST.split("&&")), "CI runs each step of the README's test command"


def test_the_readme_says_what_to_ignore_how_long_tests_take_and_why_they_skip() -> None:
    assert any(b.splitlines() == ["out/", ".policyc/"] for b in blocks(README)), "a .gitignore block"
    assert "takes minutes" in README
    assert "pytest -rs" in README


def test_the_bundled_policies_build_without_a_warning_and_say_what_went_where(
    policyc: list[str], tmp_path: Path
) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    r = subprocess.run([*policyc, "build", "policies", "-o", "out"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    assert "warning[" not in r.stderr, r.stderr  # each is fixed in the policy or allowed with its reason
    example = blocks(README)[1]
    summary, note, objects, credentials = example.splitlines()
    assert r.stderr.startswith(summary + "\n")
    assert note.split("(")[0] in r.stderr
    assert r.stdout.splitlines()[0] == objects
    assert r.stdout.splitlines()[1].startswith(credentials.removesuffix("..."))
    assert "secrets stay there, never in out/" in r.stdout
    assert (tmp_path / "out" / "kustomization.yaml").is_file()
    assert (tmp_path / ".policyc" / "secrets" / "users" / "testuser" / "key.pem").is_file()


def test_every_allowed_warning_of_the_bundled_policies_gives_its_reason(policyc: list[str]) -> None:
    # They stay the article's cluster as written (tests/test_golden.py compares them with the spec), so
    # each warning is allowed with a reason rather than fixed.
    r = subprocess.run([*policyc, "check", "policies", "--deny-warnings"], cwd=REPO, capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    for path in sorted((REPO / "policies").glob("*.policy")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("# policyc: allow"):
                assert re.fullmatch(r"\s*# policyc: allow PC\d{3} \S.{20,}", line), line

"""The CI recipes of docs/ci.md and .pre-commit-hooks.yaml parse and call only commands and options that exist.

Every `policyc` invocation found in the GitHub workflow, the GitLab job and the pre-commit hooks
is checked against the real console script's `--help` output: the subcommand, each option, and
the value of each option with a fixed set of choices (such as `--format sarif`).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, policyc_command

CI_DOC = REPO / "docs" / "ci.md"
HOOKS = REPO / ".pre-commit-hooks.yaml"
SEPARATORS = {"|", "||", "&&", ";", "then", "do"}
REDIRECTS = re.compile(r"^(\d?>>?|<|\d?>&\d)")


def yaml_blocks(path: Path) -> list[object]:
    """Every ```yaml block of a markdown file, parsed."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)
    assert blocks, f"no yaml blocks in {path}"
    return [yaml.safe_load(b) for b in blocks]


def github_workflow() -> dict:
    (wf,) = [b for b in yaml_blocks(CI_DOC) if isinstance(b, dict) and "jobs" in b]
    return wf


def gitlab_job() -> dict:
    (job,) = [b["policyc"] for b in yaml_blocks(CI_DOC) if isinstance(b, dict) and "policyc" in b]
    return job


def scripts() -> list[str]:
    """Shell scripts of both CI systems."""
    out = [step["run"] for job in github_workflow()["jobs"].values() for step in job["steps"] if "run" in step]
    out += gitlab_job()["script"]
    return out


def invocations(script: str) -> list[list[str]]:
    """`policyc ...` command lines in a shell script, up to a redirection or another command."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        current: list[str] | None = None
        for tok in [*tokens, ";"]:
            if tok in SEPARATORS or REDIRECTS.match(tok):
                if current:
                    found.append(current)
                current = None
            elif current is not None:
                current.append(tok)
            elif tok == "policyc":
                current = [tok]
    return found


@functools.cache
def help_text(command: str) -> str:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    r = subprocess.run([*policyc_command(), *command.split(), "--help"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, f"`policyc {command}` does not exist: {r.stderr}"
    return r.stdout


def options(command: str) -> dict[str, list[str] | None]:
    """Options of a command from its help (long and short names) -> their choices, if fixed."""
    out: dict[str, list[str] | None] = {}
    for m in re.finditer(r"^│ (--[\w-]+)\s+(-\w\s+)?<([^>]*)>", help_text(command), re.M):
        choices = m.group(3).split("|") if "|" in m.group(3) else None
        out[m.group(1)] = choices
        if m.group(2):
            out[m.group(2).strip()] = choices
    return out


def check_invocation(argv: list[str]) -> None:
    assert argv[0] == "policyc" and len(argv) > 1, argv
    sub = argv[1]
    assert sub in re.findall(r"^│ (\S+) ", help_text(""), re.M), f"no command `policyc {sub}`"
    known = options(sub)
    assert "--help" in known  # the help was parsed
    for i, tok in enumerate(argv[2:], start=2):
        if not tok.startswith("-"):
            continue
        option = tok.split("=", 1)[0]
        assert option in known, f"`policyc {sub}` has no {option}"
        choices = known[option]
        if choices:
            value = tok.split("=", 1)[1] if "=" in tok else argv[i + 1]
            assert value in choices, f"{option} {value} is not one of {choices}"


def test_github_workflow_parses_and_has_the_three_gates() -> None:
    wf = github_workflow()
    assert "on" in wf or True in wf  # YAML 1.1 reads the key `on` as true
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "policyc check policies --format sarif" in runs
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    assert "--format markdown" in runs and any(s.get("uses", "").startswith("actions/github-script@") for s in steps)
    assert "policyc build policies --out out --check" in runs
    assert wf["jobs"]["check"]["permissions"]["security-events"] == "write"
    assert wf["jobs"]["review"]["permissions"]["pull-requests"] == "write"


def test_gitlab_job_parses() -> None:
    job = gitlab_job()
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert any("policyc diff" in line for line in job["script"])


def test_markdown_comment_marker_matches_the_template() -> None:
    template = (REPO / "policyc" / "templates" / "diff.md.j2").read_text(encoding="utf-8")
    (marker,) = re.findall(r'const marker = "(.*?)";', CI_DOC.read_text(encoding="utf-8"))
    assert f"\n{marker}\n" in template


def all_invocations() -> list[list[str]]:
    found = [argv for script in scripts() for argv in invocations(script)]
    for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8")):
        found.append([*shlex.split(hook["entry"]), *hook.get("args", [])])
    return found


def test_recipes_call_policyc() -> None:
    subs = {argv[1] for argv in all_invocations()}
    assert {"fmt", "check", "build", "diff"} <= subs


@pytest.mark.parametrize("argv", all_invocations(), ids=lambda argv: " ".join(argv))
def test_every_policyc_call_exists(argv: list[str]) -> None:
    check_invocation(argv)


def test_checker_rejects_what_does_not_exist() -> None:
    """The check above can fail: unknown commands, options and choices are caught."""
    for argv in (["policyc", "deploy"], ["policyc", "check", "--colour"], ["policyc", "check", "--format", "xml"]):
        with pytest.raises(AssertionError):
            check_invocation(argv)


def test_pre_commit_hooks_are_well_formed() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["policyc-fmt", "policyc-check"]
    for h in hooks:
        assert {"id", "name", "entry", "language"} <= set(h)
        assert h["language"] == "python"  # pre-commit installs this repository's package
        assert re.search(h["files"], "teams.policy") and not re.search(h["files"], "teams.yaml")
    # A policy is one program: the check hook must not be handed single files.
    assert hooks[1]["pass_filenames"] is False

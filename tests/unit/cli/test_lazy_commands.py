"""policyc/cli/main.py: the console script imports only the command it runs, and still lists them all;
the hot access commands (`--from`) import neither Typer, click nor pydantic (policyc/cli/fastargs.py).

Start-up is measured by bench/commands.py (no timing here); these tests pin what makes it fast
(which modules a command imports) and what must not change (the help lists every command, the
complete app answers anything that is not a known command).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policyc.cli import main as cli_main

HEAVY = ("policyc.pipeline", "policyc.syntax", "policyc.check", "policyc.backends", "jinja2", "cryptography",
         "pygls", "lark")

ONE_BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: ns1}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
"""


def _imported_by(argv: list[str]) -> tuple[str, set[str]]:
    """Run the entry point with `argv` in a new interpreter; its stdout and the modules it imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['policyc', *{argv!r}]\n"
        "from policyc.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out, _, modules = done.stdout.rpartition("MODULES ")
    return out, set(modules.split())


def test_can_i_from_yaml_imports_neither_the_compiler_nor_other_commands(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(ONE_BINDING, encoding="utf-8")
    out, modules = _imported_by(["can-i", "get", "pods", "-n", "ns1", "--as", "alice", "--from", str(one)])
    assert out.strip() == "yes"
    loaded = sorted(m for m in modules if m.startswith(HEAVY))
    assert loaded == []
    others = {f"policyc.cli.{c.module}" for c in cli_main.COMMANDS} - {"policyc.cli.access_typer"}
    assert sorted(others & modules) == []


# The hot path of scripts (issue 19): Typer builds a pydantic adapter per parameter, so neither
# Typer, its click, nor pydantic may be imported by these command lines.
NO_TYPER = ("typer", "click", "pydantic", "pydantic_core", "policyc.cli.access_typer", "policyc.cli.common")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["can-i", "get", "pods", "-n", "ns1", "--as", "alice", "--from", "{one}"], "yes"),
        (["can-i", "delete", "pods", "-n", "ns1", "--as=alice", "--explain", "--from={one}"], "no"),
        (["can-i", "--batch", "{questions}", "--from", "{one}"], '{"allowed": true'),
        (["can-i", "--list", "--as", "alice", "-n", "ns1", "--from", "{one}", "-o", "json"], '"rules"'),
        (["who-can", "get", "pods", "-n", "ns1", "--from", "{one}"], "who can"),
        (["explain", "user:alice", "--from", "{one}", "--output", "json"], '"subject": "user:alice"'),
    ],
)
def test_hot_commands_import_neither_typer_click_nor_pydantic(argv: list[str], expected: str,
                                                              tmp_path: Path) -> None:
    one, questions = tmp_path / "one.yaml", tmp_path / "q.jsonl"
    one.write_text(ONE_BINDING, encoding="utf-8")
    questions.write_text('{"as": "alice", "verb": "get", "resource": "pods", "namespace": "ns1"}\n', "utf-8")
    out, modules = _imported_by([a.format(one=one, questions=questions) for a in argv])
    assert expected in out
    assert sorted(m for m in modules if m.startswith(NO_TYPER)) == []
    assert sorted(m for m in modules if m.startswith(HEAVY)) == []
    # Questions about one request are answered from the model: the escalation engine (a third of
    # the start-up) is imported by `explain` only, which lists what a subject reaches through it.
    assert ("policyc.access.escalation" in modules) is (argv[0] == "explain")


def test_help_and_a_policy_still_go_through_typer(tmp_path: Path) -> None:
    out, modules = _imported_by(["can-i", "--help"])
    assert "--as-group" in out
    assert "typer" in modules
    _, modules = _imported_by(["can-i", "get", "pods", "--as", "alice", "--policy", str(tmp_path / "none")])
    assert "typer" in modules


def test_help_lists_every_command(policyc: list[str]) -> None:
    done = subprocess.run([*policyc, "--help"], capture_output=True, text=True, check=True)
    for cmd in cli_main.COMMANDS:
        assert f" {cmd.name} " in done.stdout, cmd.name


def test_the_complete_app_has_every_command_once() -> None:
    import typer.main

    group = typer.main.get_command(cli_main.make_app())
    assert sorted(group.commands) == sorted(c.name for c in cli_main.COMMANDS)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["can-i", "get", "pods"], "can-i"),
        (["import", "x.yaml", "--verify"], "import"),
        (["apiserver", "patch"], "apiserver"),
        (["--help"], None),
        (["--version", "build"], None),
        (["nonsense"], None),
        ([], None),
    ],
)
def test_command_of(argv: list[str], command: str | None) -> None:
    assert cli_main.command_of(argv) == command


def test_an_unknown_command_gets_the_complete_apps_error(policyc: list[str]) -> None:
    done = subprocess.run([*policyc, "nonsense"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "No such command" in done.stderr

"""policyc/cli/fastargs.py: the Typer-free command line of can-i, who-can and explain reads what Typer reads.

Each command line runs twice through the real entry point: as the console script runs it (the
fast path when fastargs reads it) and with Typer forced (`make_app(command)()`, as before issue
19's start-up work); standard output, standard error and the exit code must be the same bytes.
The options themselves are compared with the Typer declarations (policyc/cli/access_typer.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policyc.cli import fastargs
from policyc.cli import main as cli_main

RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: ns1}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io},
           {kind: Group, name: "\\e[31mred", apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
subjects: [{kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
"""

_RUN = (
    "import sys\n"
    "from policyc.cli import main\n"
    "sys.argv = ['policyc', *sys.argv[2:]]\n"
    "if sys.argv_mode == 'typer':\n"
    "    main.make_app(main.command_of(sys.argv[1:]))()\n"
    "else:\n"
    "    main.run()\n"
)


def _run(mode: str, argv: list[str], cwd: Path) -> tuple[int, str, str]:
    code = _RUN.replace("sys.argv_mode", repr(mode))
    done = subprocess.run([sys.executable, "-c", code, mode, *argv], capture_output=True, text=True, cwd=cwd,
                          check=False)
    return done.returncode, done.stdout, done.stderr


CASES = [
    ["can-i", "get", "pods", "-n", "ns1", "--as", "alice", "--from", "rbac.yaml"],
    ["can-i", "delete", "pods", "-n", "ns1", "--as=alice", "--from=rbac.yaml"],
    ["can-i", "get", "po", "--namespace", "ns1", "--as", "bob", "--as-group", "ops", "--as-group", "x",
     "--from", "rbac.yaml", "--explain"],
    ["can-i", "get", "pods", "-A", "--as", "bob", "--as-group", "ops", "--from", "rbac.yaml", "-o", "json"],
    ["can-i", "--list", "--as", "alice", "-n", "ns1", "--from", "rbac.yaml", "--no-headers"],
    ["can-i", "--as", "alice", "--from", "rbac.yaml", "--from", "rbac.yaml", "get", "podz", "-n", "ns1"],
    ["can-i", "gett", "pods", "--as", "alice", "--from", "rbac.yaml", "--kubernetes", "1.20"],
    ["can-i", "get", "pods", "--from", "rbac.yaml"],  # no --as: the command's own usage error
    ["can-i", "get", "pods", "--as", "alice", "--from", "missing.yaml"],
    ["can-i", "get", "pods", "--as", "alice", "--from", "rbac.yaml", "--kubernetes", "0.1"],
    ["can-i", "get", "pods", "--as", "alice", "--from", "rbac.yaml", "--policy", "p"],
    ["can-i", "--batch", "questions.jsonl", "--from", "rbac.yaml"],
    ["can-i", "get", "pods", "--as", "alice", "--from", "rbac.yaml", "-o", "yaml"],  # Typer: invalid choice
    ["can-i", "get", "pods", "--as", "alice", "--from", "rbac.yaml", "--bogus"],  # Typer: no such option
    ["can-i", "get", "pods", "x", "y", "--as", "alice", "--from", "rbac.yaml"],  # Typer: extra argument
    ["can-i", "get", "pods", "--as", "alice", "--from"],  # Typer: needs an argument
    ["can-i", "get", "pods", "--as", "alice", "--from", "rbac.yaml", "--explain=1"],
    ["who-can", "get", "pods", "-n", "ns1", "--from", "rbac.yaml"],
    ["who-can", "list", "secrets", "-A", "--from", "rbac.yaml", "-o", "json"],
    ["who-can", "get", "--from", "rbac.yaml"],  # Typer: missing argument
    ["explain", "user:alice", "--from", "rbac.yaml"],
    ["explain", "group:ops", "--from", "rbac.yaml", "--output", "json"],
    ["explain", "team:x", "--from", "rbac.yaml"],
    ["explain", "--from", "rbac.yaml"],  # Typer: missing argument
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fastargs")
    (root / "rbac.yaml").write_text(RBAC, encoding="utf-8")
    (root / "questions.jsonl").write_text(
        '{"as": "alice", "verb": "get", "resource": "pods", "namespace": "ns1"}\nnot json\n'
        '{"as": "bob", "as_groups": ["ops"], "verb": "delete", "resource": "deploy", "namespace": "a"}\n',
        encoding="utf-8")
    return root


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) for c in CASES])
def test_same_output_errors_and_exit_code_as_typer(argv: list[str], workdir: Path) -> None:
    fast = _run("console", argv, workdir)
    typer = _run("typer", argv, workdir)
    assert fast == typer
    assert "Traceback" not in fast[2]


def test_the_cases_take_both_paths() -> None:
    read = [c for c in CASES if fastargs.parse(c[0], c[1:]) is not None]
    left = [c for c in CASES if fastargs.parse(c[0], c[1:]) is None]
    assert len(read) >= 15 and len(left) >= 6
    assert all("--help" not in c for c in read)


@pytest.mark.parametrize(
    "args",
    [
        ["get", "pods", "--as", "a", "--help"],
        ["get", "pods", "--as", "a"],  # no --from: a policy is compiled, Typer reads it
        ["get", "pods", "--as", "a", "--from", "x", "--as", "b"],  # twice: Typer decides
        ["get", "pods", "--as", "-a", "--from", "x"],
        ["get", "pods", "-nns1", "--as", "a", "--from", "x"],
        ["get", "pods", "-An", "ns1", "--as", "a", "--from", "x"],
        ["get", "pods", "--", "--as", "a", "--from", "x"],
        ["get", "pods", "--as", "", "--from", "x"],
        ["get", "pods", "--as", "a", "--from", "x", "-o", "JSON"],
    ],
)
def test_what_fastargs_leaves_to_typer(args: list[str]) -> None:
    assert fastargs.parse("can-i", args) is None


def test_fastargs_reads_the_options_typer_declares() -> None:
    import typer.main

    for name, spec in fastargs.SPECS.items():
        command = typer.main.get_command(cli_main.make_app(name)).commands[name]  # type: ignore[attr-defined]
        options = {o: (p.name, bool(p.is_flag), bool(p.multiple)) for p in command.params
                   if p.param_type_name == "option" for o in p.opts}
        mine = {o: (opt.dest, opt.kind == "flag", opt.kind in ("multi", "paths")) for o, opt in spec.options.items()}
        assert mine == options, name
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        assert tuple(p.name for p in arguments) == spec.arguments, name
        assert sum(p.required for p in arguments) == spec.required, name

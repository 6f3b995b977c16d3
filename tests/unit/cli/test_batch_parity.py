"""`can-i --batch` answers every question as `can-i` alone answers it (allowed, kubectl's warnings, errors).

The questions are generated over RBAC YAML from bench/gen_rbac.py: its users, groups and service
accounts, people it does not know, kubectl's spellings, subresources, names, URLs, `-A`, unknown
verbs and resources, and malformed ones. Each is asked once through the batch and once as a
command line through the entry point (`policyc.cli.main.run`, in this process).
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from conftest import bench_module
from policyc.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[3]



def _questions(count: int) -> list[dict[str, Any]]:
    verbs = ("get", "list", "create", "delete", "watch", "update", "gett", "*", "impersonate")
    resources = ("pods", "po", "pod", "deployments.apps", "deploy", "deployments.v1.apps", "deployments/scale",
                 "configmaps", "secrets", "jobs.batch", "cronjobs", "pods/log", "pods/exec", "podz", "/healthz",
                 "/api", "namespaces", "nodes", "deployments.apps/scale", "pods/", "users", "serviceaccounts/token")
    out = []
    for i in range(count):
        team, ns = f"team{(i // 3) % 2:04d}", f"team{(i // 3) % 2:04d}-app{i % 3}"
        people = [
            {"as": f"dev{i % 5}.{team}@example.com"},
            {"as": f"dev{i % 5}.{team}@example.com", "as_groups": [f"{team}-ops"]},
            {"as": f"system:serviceaccount:{ns}:sa{i % 2}"},
            {"as": "stranger", "as_groups": [f"{team}-readers"]},
            {"as": "root", "as_groups": ["system:masters"]},
            {"as": "nobody"},
        ]
        doc: dict[str, Any] = {**people[i % len(people)], "verb": verbs[i % len(verbs)],
                               "resource": resources[(i * 5) % len(resources)]}
        if i % 4 == 0:
            doc["namespace"] = ns
        if i % 7 == 0:
            doc["name"] = f"cfg-{i % 3}"
        if i % 11 == 0:
            doc["all_namespaces"] = True
        out.append(doc)
    return out


def _single(doc: dict[str, Any], rbac: Path) -> dict[str, Any]:
    argv = ["can-i", doc["verb"], doc["resource"], *([doc["name"]] if doc.get("name") else []),
            "--as", doc["as"], "--from", str(rbac)]
    for g in doc.get("as_groups", ()):
        argv += ["--as-group", g]
    if doc.get("namespace"):
        argv += ["-n", doc["namespace"]]
    if doc.get("all_namespaces"):
        argv.append("-A")
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["policyc", *argv]
    try:
        with redirect_stdout(out), redirect_stderr(err):
            cli_main.run()
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = saved
    if code == 2:
        return {"error": err.getvalue().removeprefix("error: ").strip()}
    warnings = [line.removeprefix("Warning: ") for line in err.getvalue().splitlines() if line.startswith("Warning: ")]
    assert out.getvalue() == ("yes\n" if code == 0 else "no\n"), (doc, out.getvalue())
    return {"allowed": code == 0, "warnings": warnings}


@pytest.fixture(scope="module")
def rbac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "rbac.yaml"
    path.write_text(bench_module("gen_rbac").text(300), encoding="utf-8")
    return path


def test_batch_answers_are_the_single_answers(rbac: Path) -> None:
    docs = _questions(160)
    stdin = "".join(json.dumps(d) + "\n" for d in docs)
    out = io.StringIO()
    saved_argv, saved_stdin = sys.argv, sys.stdin
    sys.argv, sys.stdin = ["policyc", "can-i", "--batch", "-", "--from", str(rbac)], io.StringIO(stdin)
    try:
        with redirect_stdout(out), pytest.raises(SystemExit) as done:
            cli_main.run()
    finally:
        sys.argv, sys.stdin = saved_argv, saved_stdin
    assert done.value.code == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == len(docs)
    kinds = {"yes": 0, "no": 0, "error": 0, "warned": 0}
    for number, (doc, answer) in enumerate(zip(docs, answers, strict=True), start=1):
        single = _single(doc, rbac)
        if "error" in single:
            assert answer == {"error": single["error"], "line": number}, doc
            kinds["error"] += 1
            continue
        assert answer == {"allowed": single["allowed"], "warnings": single["warnings"], "request": doc}, doc
        kinds["yes" if single["allowed"] else "no"] += 1
        kinds["warned"] += bool(single["warnings"])
    assert min(kinds.values()) >= 5, kinds  # the set exercises every kind of answer

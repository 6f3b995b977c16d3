"""The admission checks and objects through the real console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_psp_on_1_25_fails_check_with_location(policyc: list[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "cluster.policy").write_text(
        "kubernetes 1.25\ncluster {\n  admission NamespaceLifecycle, PodSecurityPolicy\n}\n"
        "namespace web {\n  pod-security restricted\n  limits {\n    container max memory 1Gi\n"
        "    container default memory 2Gi\n  }\n}\n"
    )
    r = _run([*policyc, "check", str(policy)])
    assert r.returncode == 1
    assert "cluster.policy:3:33: error[PC410]: the `PodSecurityPolicy` admission plugin was removed" in r.stderr
    assert "^^^^^^^^^^^^^^^^^" in r.stderr
    r = _run([*policyc, "check", str(policy), "--format", "json"])
    found = {(d["code"], d["line"]) for d in json.loads(r.stdout)["diagnostics"]}
    assert {("PC410", 3), ("PC250", 9)} <= found


def test_build_writes_admission_objects(policyc: list[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "ns.policy").write_text(
        "kubernetes 1.30\nnamespace web {\n  pod-security baseline\n  limits {\n    container max memory 1Gi\n  }\n"
        "  quota pods 10\n}\n"
    )
    r = _run([*policyc, "build", str(policy), "-o", str(tmp_path / "out")])
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    limit_range = yaml.safe_load((out / "namespaces/web/limitranges.yaml").read_text())
    assert limit_range["spec"]["limits"] == [{"type": "Container", "max": {"memory": "1Gi"}}]
    quota = yaml.safe_load((out / "namespaces/web/resourcequotas.yaml").read_text())
    assert quota["spec"]["hard"] == {"pods": "10"}
    namespace = yaml.safe_load((out / "cluster/namespaces.yaml").read_text())
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    kustomization = (out / "kustomization.yaml").read_text()
    assert "namespaces/web/limitranges.yaml" in kustomization

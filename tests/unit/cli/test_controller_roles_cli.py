"""`--from` models a real cluster's controller roles and the built-in roles of the target release
(issues 13 and 14), through the console script: can-i, who-can and import."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

RBAC = "rbac.authorization.k8s.io/v1"
MODEL = f"""\
apiVersion: {RBAC}
kind: RoleBinding
metadata: {{name: alice-edit, namespace: app}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}}]
---
apiVersion: {RBAC}
kind: ClusterRoleBinding
metadata: {{name: ops-namespaces}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:controller:namespace-controller"}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: ops}}]
"""


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "rbac.yaml"
    path.write_text(MODEL)
    return path


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


# (release, args, answer): the release's own roles answer.
CAN_I = [
    ("1.21", ["create", "endpoints", "-n", "app", "--as", "alice"], "yes"),  # edit wrote Endpoints up to 1.21
    ("1.22", ["create", "endpoints", "-n", "app", "--as", "alice"], "no"),  # kubernetes/kubernetes#103704
    ("1.33", ["create", "resourceclaims.resource.k8s.io", "-n", "app", "--as",
              "system:serviceaccount:kube-system:resource-claim-controller"], "no"),
    ("1.34", ["create", "resourceclaims.resource.k8s.io", "-n", "app", "--as",
              "system:serviceaccount:kube-system:resource-claim-controller"], "yes"),
    ("1.30", ["delete", "secrets", "-n", "app", "--as", "ops"], "yes"),
    ("1.30", ["escalate", "clusterroles", "--as",
              "system:serviceaccount:kube-system:clusterrole-aggregation-controller"], "yes"),
]


@pytest.mark.parametrize(("release", "args", "answer"), CAN_I, ids=[f"{c[0]}-{c[1][1]}" for c in CAN_I])
def test_can_i_from_answers_with_the_releases_roles(policyc: list[str], model: Path, release: str,
                                                    args: list[str], answer: str) -> None:
    r = run([*policyc, "can-i", *args, "--from", str(model), "--kubernetes", release])
    assert r.stdout == answer + "\n", r.stderr


def test_who_can_lists_the_controllers(policyc: list[str], model: Path) -> None:
    r = run([*policyc, "who-can", "delete", "secrets", "-n", "app", "--from", str(model), "--kubernetes", "1.30"])
    assert ("serviceaccount kube-system/generic-garbage-collector: ClusterRoleBinding "
            "system:controller:generic-garbage-collector of ClusterRole system:controller:generic-garbage-collector"
            in r.stdout)
    assert "serviceaccount kube-system/namespace-controller:" in r.stdout
    assert "user ops: ClusterRoleBinding ops-namespaces" in r.stdout


def test_import_keeps_a_binding_to_a_controller_role(policyc: list[str], model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run([*policyc, "import", str(model), "-o", str(out), "--kubernetes", "1.30", "--verify", "--verbose"])
    assert r.returncode == 0, r.stderr
    assert "does not exist" not in r.stderr and "missing" not in r.stderr
    assert "no access changes" in r.stdout + r.stderr
    text = "".join(p.read_text() for p in sorted(out.glob("*.policy")))
    assert "grant role system:controller:namespace-controller to user ops in cluster" in text
    check = run([*policyc, "check", str(out)])
    assert check.returncode == 0 and "PC104" not in check.stdout + check.stderr

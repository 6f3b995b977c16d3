"""`can-i`, `who-can` and `import` answer as kubectl and a real cluster do, through the console
script (issue 14): spellings, warnings, `--list`, `--batch`, who-can per subject, bootstrap Roles."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

RBAC = "rbac.authorization.k8s.io/v1"
MODEL = f"""\
apiVersion: {RBAC}
kind: Role
metadata: {{name: dev, namespace: ns1}}
rules:
- {{apiGroups: ["", apps], resources: [pods, deployments], verbs: [get, list]}}
---
apiVersion: {RBAC}
kind: RoleBinding
metadata: {{name: dev, namespace: ns1}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: dev}}
subjects: [{{kind: User, name: alice}}]
---
apiVersion: {RBAC}
kind: ClusterRoleBinding
metadata: {{name: alice-view}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
subjects: [{{kind: User, name: alice}}]
---
apiVersion: {RBAC}
kind: RoleBinding
metadata: {{name: metrics-server-auth-reader, namespace: kube-system}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}}
subjects: [{{kind: ServiceAccount, name: metrics-server, namespace: kube-system}}]
"""


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "rbac.yaml"
    path.write_text(MODEL)
    return path


def run(cmd: list[str], stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd)


# args, stdout, exit code, stderr lines (kubectl's warnings and policyc's notes)
CAN_I = [
    (["get", "pod"], "yes", 0, ["note: `pod` resolved to `pods`"]),
    (["get", "po"], "yes", 0, ["note: `po` resolved to `pods`"]),
    (["get", "Pods"], "yes", 0, ["note: `Pods` resolved to `pods`"]),
    (["get", "deploy"], "yes", 0, ["note: `deploy` resolved to `deployments.apps`"]),
    (["get", "deployment.apps"], "yes", 0, ["note: `deployment.apps` resolved to `deployments.apps`"]),
    (["list", "deployments.v1.apps"], "yes", 0, ["note: `deployments.v1.apps` resolved to `deployments.apps`"]),
    (["delete", "deploy"], "no", 1, ["note: `deploy` resolved to `deployments.apps`"]),
    (["gett", "pods"], "no", 1, ["Warning: verb 'gett' is not a known verb"]),
    (["get", "podz"], "no", 1, ["Warning: the server doesn't have a resource type 'podz'"]),
    (["get", "pods/web"], "yes", 0, ["note: `pods/web` is read as kubectl reads TYPE/NAME: `pods` named `web`"]),
    (["get", "ev"], "yes", 0, ['Warning: short name "ev" could also match lower priority resource '
                               "events.events.k8s.io", "note: `ev` resolved to `events`"]),
]


@pytest.mark.parametrize(("args", "out", "code", "err"), CAN_I, ids=[" ".join(c[0]) for c in CAN_I])
def test_can_i_spellings(policyc: list[str], model: Path, args: list[str], out: str, code: int,
                         err: list[str]) -> None:
    r = run([*policyc, "can-i", *args, "--as", "alice", "-n", "ns1", "--from", str(model)])
    assert (r.stdout.strip(), r.returncode) == (out, code), r.stderr
    assert r.stderr.splitlines() == err


def test_can_i_per_release(policyc: list[str], model: Path) -> None:
    """1.21 discovery lists `extensions` first: `ing` is its ingresses, which `view` grants there too."""
    r = run([*policyc, "can-i", "get", "ing", "--as", "alice", "-n", "ns1", "--from", str(model),
             "--kubernetes", "1.21"])
    assert r.stdout == "yes\n"
    assert "note: `ing` resolved to `ingresses.extensions`" in r.stderr


def test_can_i_list(policyc: list[str], model: Path) -> None:
    r = run([*policyc, "can-i", "--list", "--as", "alice", "-n", "ns1", "--from", str(model)])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert lines[0].index("Non-Resource URLs") == lines[1].index("[]")
    assert "selfsubjectaccessreviews.authorization.k8s.io   []" in r.stdout
    assert any(line.split() == ["deployments", "[]", "[]", "[get", "list]"] for line in lines)  # core, from the Role
    assert any(line.split() == ["pods", "[]", "[]", "[get", "list", "watch]"] for line in lines)  # merged
    assert any(line.split() == ["[/healthz]", "[]", "[get]"] for line in lines)
    other = run([*policyc, "can-i", "--list", "--no-headers", "--as", "alice", "-n", "ns2", "--from", str(model)])
    assert "deployments   " not in other.stdout and not other.stdout.startswith("Resources")


def test_can_i_list_refuses_arguments(policyc: list[str], model: Path) -> None:
    r = run([*policyc, "can-i", "get", "pods", "--list", "--as", "alice", "--from", str(model)])
    assert r.returncode == 2
    assert "--list must be specified with no arguments" in r.stderr


def test_can_i_batch_on_stdin(policyc: list[str], model: Path) -> None:
    questions = [
        {"as": "alice", "verb": "get", "resource": "po", "namespace": "ns1"},
        {"as": "alice", "verb": "get", "resource": "podz", "namespace": "ns1"},
        {"as": "bob", "verb": "get", "resource": "pods", "namespace": "ns1"},
    ]
    stdin = "\n".join(json.dumps(q) for q in questions[:2]) + "\n{oops\n" + json.dumps(questions[2]) + "\n"
    r = run([*policyc, "can-i", "--batch", "-", "--from", str(model)], stdin=stdin)
    assert r.returncode == 0, r.stderr
    answers = [json.loads(line) for line in r.stdout.splitlines()]
    assert answers[0] == {"allowed": True, "warnings": [], "request": questions[0]}
    assert answers[1]["warnings"] == ["the server doesn't have a resource type 'podz'"]
    assert answers[2]["line"] == 3 and answers[2]["error"].startswith("not JSON")
    assert answers[3] == {"allowed": False, "warnings": [], "request": questions[2]}


def test_can_i_batch_from_a_file(policyc: list[str], model: Path, tmp_path: Path) -> None:
    (tmp_path / "q.jsonl").write_text('{"as": "alice", "verb": "list", "resource": "deploy", "namespace": "ns1"}\n')
    r = run([*policyc, "can-i", "--batch", str(tmp_path / "q.jsonl"), "--from", str(model)])
    assert json.loads(r.stdout)["allowed"] is True
    missing = run([*policyc, "can-i", "--batch", str(tmp_path / "none.jsonl"), "--from", str(model)])
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_who_can_lists_each_subject_once_with_every_way(policyc: list[str], model: Path) -> None:
    r = run([*policyc, "who-can", "get", "pods", "-n", "ns1", "--from", str(model)])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    alice = [i for i, line in enumerate(lines) if line.startswith("  user alice: ")]
    assert len(alice) == 1
    first, second = lines[alice[0]], lines[alice[0] + 1]
    assert first.startswith("  user alice: ClusterRoleBinding alice-view of ClusterRole view")
    assert second.startswith("    and RoleBinding ns1/dev of Role ns1/dev, rule `get pods")
    doc = json.loads(run([*policyc, "who-can", "get", "pods", "-n", "ns1", "-o", "json", "--from", str(model)]).stdout)
    [entry] = [s for s in doc["subjects"] if s["subject"] == {"kind": "User", "name": "alice"}]
    assert [r["binding"]["name"] for r in entry["reasons"]] == ["alice-view", "dev"]


def test_from_models_the_namespaced_bootstrap_roles(policyc: list[str], model: Path) -> None:
    args = ["get", "configmaps", "extension-apiserver-authentication", "-n", "kube-system", "--from", str(model)]
    assert run([*policyc, "can-i", *args, "--as", "system:serviceaccount:kube-system:metrics-server"]).stdout == "yes\n"
    assert run([*policyc, "can-i", *args, "--as", "system:kube-scheduler"]).stdout == "yes\n"
    r = run([*policyc, "who-can", "get", "secrets", "-n", "kube-system", "--from", str(model)])
    want = "serviceaccount kube-system/token-cleaner: RoleBinding kube-system/system:controller:token-cleaner"
    assert want in r.stdout


def test_import_does_not_call_a_bootstrap_role_missing(policyc: list[str], model: Path, tmp_path: Path) -> None:
    r = run([*policyc, "import", str(model), "-o", str(tmp_path / "out"), "--kubernetes", "1.30", "--verify",
             "--verbose"])  # --verbose: every warning, not one line per code
    assert "does not exist" not in r.stderr
    assert ("RoleBinding kube-system/metrics-server-auth-reader (document 4): its role Role "
            "kube-system/extension-apiserver-authentication-reader is a built-in Role every API server creates"
            in r.stderr)


def test_custom_resources_of_the_model_resolve_by_short_name(policyc: list[str], model: Path, tmp_path: Path) -> None:
    crd = tmp_path / "crd.yaml"
    crd.write_text("""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Namespaced
  names: {plural: certificates, singular: certificate, kind: Certificate, shortNames: [cert]}
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: certs, namespace: ns1}
rules: [{apiGroups: [cert-manager.io], resources: [certificates], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: certs, namespace: ns1}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: certs}
subjects: [{kind: User, name: carol}]
""")
    r = run([*policyc, "can-i", "get", "cert", "--as", "carol", "-n", "ns1", "--from", str(crd)])
    assert (r.stdout, r.stderr) == ("yes\n", "note: `cert` resolved to `certificates.cert-manager.io`\n")

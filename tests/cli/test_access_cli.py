"""`can-i`, `who-can` and `explain` through the installed console script, on the spec folders,
the bundled policies and plain Kubernetes YAML."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, shared_path

YAML = REPO / "tests" / "data" / "access"


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("spec", "args", "answer"),
    [
        ("org", ["create", "pods/exec", "--as", "oidc:alice@example.com", "-n", "payments"], "yes"),
        ("org", ["create", "pods/exec", "--as", "oidc:alice@example.com", "-n", "checkout"], "no"),
        ("org", ["impersonate", "serviceaccounts", "--as", "x", "--as-group", "oidc:payments-devs", "-n", "payments"],
         "yes"),
        ("org", ["impersonate", "users", "--as", "x", "--as-group", "oidc:payments-devs"], "no"),
        ("org", ["get", "/healthz", "--as", "x", "--as-group", "monitoring"], "yes"),
        ("org", ["get", "/metrics", "--as", "x", "--as-group", "monitoring"], "no"),
        ("org", ["list", "pods.metrics.k8s.io", "--as", "anyone", "-n", "checkout"], "yes"),
        ("org", ["update", "deployments.apps/scale", "--as", "system:serviceaccount:ci:runner", "-n", "payments"],
         "yes"),
        ("org", ["get", "secrets", "--as", "system:serviceaccount:ci:runner", "-n", "payments"], "no"),
        ("org", ["delete", "nodes", "--as", "system:serviceaccount:flux-system:kustomize-controller"], "yes"),
        ("org", ["delete", "nodes", "--as", "x", "--as-group", "system:masters"], "yes"),
        ("article", ["get", "pods/log", "--as", "testuser", "-n", "default"], "yes"),
        ("article", ["get", "pods/log", "--as", "testuser", "-n", "development"], "no"),
        ("article", ["get", "configmaps", "app-settings", "--as", "jack@test.com", "-n", "development"], "yes"),
        ("article", ["create", "pods", "--as", "bob", "-n", "development"], "yes"),
        ("article", ["create", "pods", "--as", "bob", "-n", "default"], "no"),
        ("article", ["list", "deployments", "--as", "system:serviceaccount:development:deployer",
                     "-n", "development"], "yes"),
    ],
)
def test_can_i_on_the_spec_folders(policyc: list[str], spec: str, args: list[str], answer: str) -> None:
    r = run([*policyc, "can-i", *args, "--policy", str(shared_path("spec", spec))])
    assert r.stdout.strip() == answer, r.stderr
    assert r.returncode == (0 if answer == "yes" else 1)


def test_can_i_explain_names_binding_role_and_source(policyc: list[str]) -> None:
    # Run from spec/: the source is named relative to the working directory, as in diagnostics.
    r = run([*policyc, "can-i", "impersonate", "serviceaccounts", "--as", "oidc:alice@example.com", "-n", "payments",
             "--explain", "--policy", "org"], cwd=shared_path("spec"))
    assert r.returncode == 0
    out = r.stdout
    assert out.startswith("yes\n")
    assert "RoleBinding payments/policyc:team:payments:edit of ClusterRole edit" in out
    assert "rule from ClusterRole `system:aggregate-to-edit`" in out
    assert "grant of team `payments` at org/teams.policy:7:3" in out


def test_can_i_json(policyc: list[str]) -> None:
    r = run([*policyc, "can-i", "get", "/healthz", "--as", "system:anonymous", "-o", "json",
             "--policy", str(shared_path("spec", "org"))])
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["allowed"] is True
    assert doc["user"] == {"name": "system:anonymous", "groups": ["system:unauthenticated"]}
    assert doc["reasons"][0]["binding"] == {"kind": "ClusterRoleBinding", "name": "system:public-info-viewer"}
    assert doc["reasons"][0]["origin"] == "built-in default binding"


def test_can_i_on_the_bundled_policies_by_default(policyc: list[str], tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    r = run([*policyc, "can-i", "get", "pods", "--as", "bob"], cwd=tmp_path)
    assert r.stdout.strip() == "yes" and r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        (["get", "pods/log", "--as", "u", "--as-group", "developers", "-n", "dev"], "yes"),
        (["get", "pods/log", "--as", "u", "--as-group", "developers", "-n", "prod"], "no"),
        (["list", "pods", "--as", "system:serviceaccount:dev:ci", "-n", "dev"], "yes"),
        (["patch", "deployments.apps/scale", "--as", "system:serviceaccount:dev:ci", "-n", "dev"], "yes"),
        (["get", "deployments.apps", "--as", "system:serviceaccount:dev:ci", "-n", "dev"], "no"),
        (["get", "/version", "--as", "system:anonymous"], "yes"),
    ],
)
def test_can_i_on_plain_yaml(policyc: list[str], args: list[str], answer: str) -> None:
    r = run([*policyc, "can-i", *args, "--from", str(YAML / "roles.yaml"), "--from", str(YAML / "bindings.yaml")])
    assert r.stdout.strip() == answer, r.stderr
    assert r.returncode == (0 if answer == "yes" else 1)


def test_can_i_reads_a_folder(policyc: list[str]) -> None:
    r = run([*policyc, "can-i", "list", "pods", "--as", "system:serviceaccount:dev:ci", "-n", "dev",
             "--from", str(YAML)])
    assert r.stdout.strip() == "yes"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "pods", "--as", "x", "--from", "/nonexistent.yaml"], "no such file or folder"),
        (["get", "pods.", "--as", "x", "--from", str(YAML)], "malformed resource"),
        (["get", "pods"], "Missing option '--as'"),
    ],
)
def test_can_i_errors_exit_2(policyc: list[str], args: list[str], message: str) -> None:
    r = run([*policyc, "can-i", *args])
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_bad_yaml_is_a_diagnostic(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: Role\nmetadata: [\n")
    r = run([*policyc, "can-i", "get", "pods", "--as", "x", "--from", str(tmp_path / "bad.yaml")])
    assert r.returncode == 2
    assert "bad.yaml:3:1: error[PC310]: cannot read document 1: did not find expected node content" in r.stderr


def test_who_can(policyc: list[str]) -> None:
    r = run([*policyc, "who-can", "create", "pods/exec", "-n", "payments", "--policy", str(shared_path("spec", "org"))])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "who can create pods/exec in namespace `payments`:"
    assert any(line.startswith("  group oidc:payments-devs: RoleBinding payments/policyc:team:payments:edit")
               for line in lines)
    assert any(line.startswith("  group oidc:platform-admins: ClusterRoleBinding") for line in lines)
    assert not any("checkout-devs" in line for line in lines)


def test_who_can_json_on_yaml(policyc: list[str]) -> None:
    r = run([*policyc, "who-can", "get", "pods/log", "-n", "dev", "-o", "json", "--from", str(YAML)])
    doc = json.loads(r.stdout)
    subjects = [(s["subject"]["kind"], s["subject"]["name"]) for s in doc["subjects"]]
    assert ("Group", "developers") in subjects and ("ServiceAccount", "ci") in subjects
    assert subjects[0] == ("Group", "system:masters")


def test_explain_team_with_sources_and_escalation(policyc: list[str]) -> None:
    r = run([*policyc, "explain", "team:ci", "--policy", "."], cwd=shared_path("spec", "org"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "serviceaccount `ci/runner`" in out
    assert "namespace payments:" in out and "namespace checkout:" in out
    assert ("update, patch deployments.apps/scale (Role policyc:team:ci)  "
            "[grant of team `ci` at teams.policy:21:3]") in out
    assert "to serviceaccount `payments/default`: can create deployments.apps in namespace `payments`" in out


def test_explain_json_user(policyc: list[str]) -> None:
    r = run([*policyc, "explain", "user:alice@example.com", "-o", "json", "--policy", str(shared_path("spec", "org"))])
    doc = json.loads(r.stdout)
    assert doc["identities"][0]["user"] == "oidc:alice@example.com"
    scoped = {(a["scope"], a["reason"]["role"]["name"]) for a in doc["access"] if a["reason"]["role"]}
    assert ("payments", "edit") in scoped and ("checkout", "view") in scoped


def test_explain_on_yaml_and_bad_subjects(policyc: list[str]) -> None:
    r = run([*policyc, "explain", "serviceaccount:dev/ci", "--from", str(YAML)])
    assert r.returncode == 0 and "namespace dev:" in r.stdout
    assert "create, update, patch deployments.apps, deployments.apps/scale (Role deployer)" in r.stdout
    r = run([*policyc, "explain", "team:x", "--from", str(YAML)])
    assert r.returncode == 2 and "teams exist only in a policy" in r.stderr
    r = run([*policyc, "explain", "alice", "--from", str(YAML)])
    assert r.returncode == 2 and "must be user:NAME" in r.stderr


def test_check_formats_through_the_console_script(policyc: list[str], tmp_path: Path) -> None:
    policy = tmp_path / "policies"
    policy.mkdir()
    (policy / "a.policy").write_text("grant role edit to group dev in app\nforbid create pods/exec for group dev\n")
    r = run([*policyc, "check", "policies", "--format", "github"], cwd=tmp_path)
    assert r.returncode == 1
    assert "::error file=policies/a.policy,line=2,endLine=2,col=1" in r.stdout
    r = run([*policyc, "check", "policies", "--format", "sarif"], cwd=tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]

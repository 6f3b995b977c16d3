"""The objects and files of the article build: schema-valid per release, and safe for `kubectl apply -f out/ -R`."""

from __future__ import annotations

from pathlib import Path

import k8s_schemas as schemas
import pytest
import yaml

import policyc
from conftest import REPO
from helpers import build_credentials, compile_text

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"

POLICY = """\
cluster {
  authentication {
    anonymous no
    certificates ca /etc/kubernetes/pki/ca.crt
  }
}
user testuser auth certificate groups app1
user hvapour auth certificate groups group1, group2 EXPIRES
serviceaccount ci/runner token
serviceaccount default/testserviceaccount
"""

# kubectl reads these extensions when it walks a folder (k8s.io/cli-runtime/pkg/resource, FileExtensions).
KUBECTL_EXTENSIONS = (".json", ".yaml", ".yml")


# 1.19-1.21 are validated with the 1.18 schemas (tests/k8s_schemas.py), which have no certificates.k8s.io/v1:
# v1 is covered from 1.22 (1.24 schemas) on.
@pytest.mark.parametrize("release", ["1.16", "1.18", "1.22", "1.24", "1.25", "1.30", "1.34", "1.37"])
def test_csr_secret_and_serviceaccount_validate(tmp_path: Path, release: str) -> None:
    expires = "expires 90d" if tuple(map(int, release.split("."))) >= (1, 22) else ""
    result = compile_text(POLICY.replace("EXPIRES", expires), kubernetes=release)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    build_credentials(result, tmp_path / "s")
    kinds = sorted({m.kind for m in result.manifests})
    assert {"CertificateSigningRequest", "ServiceAccount"} <= set(kinds)
    assert ("Secret" in kinds) is (release not in ("1.16", "1.18", "1.22"))
    for m in result.manifests:
        if m.kind not in ("CertificateSigningRequest", "Secret", "ServiceAccount"):
            continue
        try:
            errors = schemas.validate(m.body, result.program.release)
        except schemas.SchemaUnavailable as exc:
            pytest.skip(str(exc))
        assert errors == [], f"{m.kind}/{m.name}: {errors}"


def test_kubectl_apply_recursive_reads_only_objects(tmp_path: Path) -> None:
    """Every file kubectl would read is Kubernetes objects listed in the kustomization; the rest it skips."""
    out = tmp_path / "out"
    result = policyc.build(ARTICLE, out, secrets_dir=tmp_path / "secrets")
    assert result.ok
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    read_by_kubectl = [p for p in sorted(out.rglob("*")) if p.is_file() and p.suffix in KUBECTL_EXTENSIONS]
    for path in read_by_kubectl:
        rel = path.relative_to(out).as_posix()
        for doc in yaml.safe_load_all(path.read_text()):
            assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), rel
        assert rel == "kustomization.yaml" or rel in kustomization["resources"], rel
    apiserver = sorted(p.relative_to(out).as_posix() for p in (out / "apiserver").iterdir())
    assert apiserver == ["apiserver/cluster-configuration.kubeadm", "apiserver/kube-apiserver.patch"]
    assert not any(p.startswith("apiserver/") for p in kustomization["resources"])


def test_the_article_builds_with_every_flag_volume_token_line_and_csr(tmp_path: Path) -> None:
    out, secrets = tmp_path / "out", tmp_path / "secrets"
    assert policyc.build(ARTICLE, out, secrets_dir=secrets).ok
    patch = yaml.safe_load((out / "apiserver" / "kube-apiserver.patch").read_text())
    assert set(patch["setFlags"]) == {
        "--anonymous-auth=false",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurityPolicy,NodeRestriction",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--token-auth-file=/etc/kubernetes/auth/tokens.csv",
        "--oidc-issuer-url=https://accounts.example.com",
        "--oidc-client-id=kubernetes",
        "--oidc-username-claim=email",
        "--oidc-groups-claim=groups",
        "--authentication-token-webhook-config-file=/etc/kubernetes/auth/authn-webhook.kubeconfig",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-allowed-names=front-proxy-client",
    }
    assert [v["hostPath"]["path"] for v in patch["volumes"]] == [
        "/etc/kubernetes/auth/authn-webhook.kubeconfig", "/etc/kubernetes/auth/tokens.csv"]
    lines = (secrets / "apiserver" / "tokens.csv").read_text().splitlines()
    assert [line.split(",")[1:] for line in lines] == [["jack@test.com", lines[0].split(",")[2], "dev1"]]
    csrs = yaml.safe_load_all((out / "cluster" / "certificatesigningrequests.yaml").read_text())
    assert sorted(d["metadata"]["name"] for d in csrs) == ["hvapour", "testuser"]


def test_the_org_builds_with_its_oidc_settings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert policyc.build(REPO / "tests" / "golden" / "org" / "policy", out, secrets_dir=tmp_path / "s").ok
    flags = yaml.safe_load((out / "apiserver" / "kube-apiserver.patch").read_text())["setFlags"]
    for flag in ("--oidc-issuer-url=https://login.example.com", "--oidc-client-id=k8s",
                 "--oidc-username-claim=email", "--oidc-groups-claim=groups", "--oidc-username-prefix=oidc:",
                 "--oidc-groups-prefix=oidc:"):
        assert flag in flags
    assert not (tmp_path / "s").exists()  # OIDC users need no credential: no secrets folder is created

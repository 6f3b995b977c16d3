"""`policyc build --secrets`, `policyc apiserver patch`, `policyc kubeconfig` and `policyc rotate`
through the installed console script: files, modes, exit codes, and no secret on stdout, stderr or in out/."""

from __future__ import annotations

import base64
import datetime
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import REPO

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"
FIXTURES = REPO / "tests" / "unit" / "output" / "fixtures"
SERVER = "https://10.0.0.10:6443"


def run(cmd: list[str], cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def secret_values(secrets: Path) -> list[str]:
    """Every token and every line of every private key in the secrets folder."""
    values = []
    for path in secrets.rglob("*"):
        if path.name == "token":
            values.append(path.read_text().strip())
        elif path.name == "key.pem":
            values += [line for line in path.read_text().splitlines() if line and not line.startswith("-----")]
    assert values
    return values


@pytest.fixture
def built(policyc: list[str], tmp_path: Path) -> tuple[Path, Path, subprocess.CompletedProcess]:
    out, secrets = tmp_path / "out", tmp_path / "secrets"
    r = run([*policyc, "build", str(ARTICLE), "-o", str(out), "--secrets", str(secrets)])
    assert r.returncode == 0, r.stderr
    return out, secrets, r


def test_build_writes_credentials_with_safe_modes_and_no_secret_anywhere_else(built) -> None:
    out, secrets, r = built
    assert "credential files" in r.stdout
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    for path in secrets.rglob("*"):
        if path.is_dir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
        elif path.name != ".gitignore":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (secrets / "apiserver" / "tokens.csv").is_file()
    assert not (out / "apiserver" / "tokens.csv").exists()
    tree = b"\n".join(files(out).values()).decode()
    for value in secret_values(secrets):
        assert value not in tree
        assert value not in r.stdout and value not in r.stderr


def test_rebuild_keeps_secrets_and_output_byte_for_byte(policyc: list[str], built) -> None:
    out, secrets, _ = built
    before_out, before_secrets = files(out), files(secrets)
    r = run([*policyc, "build", str(ARTICLE), "-o", str(out), "--secrets", str(secrets)])
    assert r.returncode == 0, r.stderr
    assert files(out) == before_out and files(secrets) == before_secrets
    assert "wrote 6 credential files" not in r.stdout  # nothing new was written
    assert "kept 6 credential files in " in r.stdout and "(none new)" in r.stdout


def test_build_check_in_a_checkout_without_secrets_passes(policyc: list[str], built, tmp_path: Path) -> None:
    out, _, _ = built
    r = run([*policyc, "build", str(ARTICLE), "-o", str(out), "--check", "--secrets", str(tmp_path / "none")])
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (tmp_path / "none").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_build_refuses_secrets_git_would_commit(policyc: list[str], tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / ".gitignore").write_text("# nothing ignored\n")
    r = run([*policyc, "build", str(ARTICLE), "-o", str(tmp_path / "out"), "--secrets", str(secrets)])
    assert r.returncode == 2
    assert "refusing to write secrets" in r.stderr and "git would commit" in r.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in secrets.iterdir()) == [".gitignore"]


# -- apiserver patch ------------------------------------------------------------------------------


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """The article with `anonymous yes`: kubeadm's probes need anonymous requests (PC270)."""
    folder = tmp_path / "policy"
    shutil.copytree(ARTICLE, folder)
    cluster = folder / "cluster.policy"
    cluster.write_text(cluster.read_text().replace("anonymous no", "anonymous yes"))
    return folder


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    target = folder / "kube-apiserver.yaml"
    target.write_bytes((FIXTURES / "kube-apiserver-1.24.yaml").read_bytes())
    os.chmod(target, 0o600)
    return target


def visible(folder: Path) -> list[str]:
    """What the kubelet would load: every file whose name does not start with a dot."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_apiserver_patch_in_place_then_idempotent(policyc: list[str], manifest: Path, policy: Path) -> None:
    original = manifest.read_bytes()
    r = run([*policyc, "apiserver", "patch", str(manifest), "--policy", str(policy)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"patched {manifest} (backup: ")
    patched = manifest.read_bytes()
    assert b"--token-auth-file=/etc/kubernetes/auth/tokens.csv" in patched
    assert visible(manifest.parent) == ["kube-apiserver.yaml"]
    (backup,) = [p for p in manifest.parent.iterdir() if p.name.endswith(".policyc-backup")]
    assert backup.read_bytes() == original and backup.name.startswith(".")
    assert "does not exist on this machine" in r.stderr  # the token file is not on this test machine
    again = run([*policyc, "apiserver", "patch", str(manifest), "--policy", str(policy)])
    assert again.returncode == 0 and "already up to date" in again.stderr
    assert manifest.read_bytes() == patched
    assert len(list(manifest.parent.iterdir())) == 2  # no second backup


def test_apiserver_patch_dry_run_prints_a_diff_and_writes_nothing(policyc: list[str], manifest: Path,
                                                                   policy: Path) -> None:
    original = manifest.read_bytes()
    r = run([*policyc, "apiserver", "patch", str(manifest), "--policy", str(policy), "--dry-run"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("--- a/kube-apiserver.yaml\n+++ b/kube-apiserver.yaml\n")
    assert "+    - --anonymous-auth=true\n" in r.stdout
    assert "-    - --enable-admission-plugins=NodeRestriction\n" in r.stdout
    assert manifest.read_bytes() == original and visible(manifest.parent) == ["kube-apiserver.yaml"]
    assert len(list(manifest.parent.iterdir())) == 1


def test_apiserver_patch_from_the_built_patch_file(policyc: list[str], manifest: Path, policy: Path,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    built = run([*policyc, "build", str(policy), "-o", str(out), "--secrets", str(tmp_path / "secrets")])
    assert built.returncode == 0, built.stderr
    other = tmp_path / "other.yaml"
    other.write_bytes(manifest.read_bytes())
    r1 = run([*policyc, "apiserver", "patch", str(manifest), "--patch-file", str(out / "apiserver" /
                                                                                  "kube-apiserver.patch")])
    r2 = run([*policyc, "apiserver", "patch", str(other), "--policy", str(policy), "--backup-dir",
              str(tmp_path / "backups")])
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    assert manifest.read_bytes() == other.read_bytes()
    (backup,) = (tmp_path / "backups").iterdir()
    assert backup.name.startswith("other.yaml.")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((FIXTURES / "kube-apiserver-1.24.yaml").read_text().replace("kube-apiserver", "kube-scheduler"),
         "not a kube-apiserver static pod"),
        ("apiVersion: v1\nkind: ConfigMap\n", "not a Pod manifest"),
    ],
)
def test_apiserver_patch_refuses_a_wrong_file(policyc: list[str], tmp_path: Path, content: str,
                                              message: str) -> None:
    target = tmp_path / "kube-scheduler.yaml"
    target.write_text(content)
    r = run([*policyc, "apiserver", "patch", str(target), "--policy", str(ARTICLE)])
    assert r.returncode == 2
    assert message in r.stderr and "nothing was changed" in r.stderr and "Traceback" not in r.stderr
    assert target.read_text() == content and sorted(p.name for p in tmp_path.iterdir()) == ["kube-scheduler.yaml"]


def test_apiserver_patch_refuses_to_fail_the_probes(policyc: list[str], manifest: Path) -> None:
    """The article's `anonymous no` on a stock kubeadm pod: its probes would get 401 (kubeadm#798)."""
    original = manifest.read_bytes()
    r = run([*policyc, "apiserver", "patch", str(manifest), "--policy", str(ARTICLE)])
    assert r.returncode == 2
    assert "fail with 401" in r.stderr and "nothing was changed" in r.stderr
    assert manifest.read_bytes() == original and len(list(manifest.parent.iterdir())) == 1
    forced = run([*policyc, "apiserver", "patch", str(manifest), "--policy", str(ARTICLE), "--allow-failing-probes"])
    assert forced.returncode == 0, forced.stderr
    assert b"--anonymous-auth=false" in manifest.read_bytes() and "fail with 401" in forced.stderr


def test_apiserver_patch_with_a_broken_policy_changes_nothing(policyc: list[str], manifest: Path,
                                                              policy: Path) -> None:
    (policy / "broken.policy").write_text("cluster {\n  authorization Node, RBAK\n}\n")
    original = manifest.read_bytes()
    r = run([*policyc, "apiserver", "patch", str(manifest), "--policy", str(policy)])
    assert r.returncode == 1 and "error[PC433]" in r.stderr
    assert manifest.read_bytes() == original and len(list(manifest.parent.iterdir())) == 1


def test_apiserver_patch_of_a_missing_file_is_a_usage_error(policyc: list[str], tmp_path: Path) -> None:
    r = run([*policyc, "apiserver", "patch", str(tmp_path / "nope.yaml"), "--policy", str(ARTICLE)])
    assert r.returncode == 2 and "no such file" in r.stderr


# -- kubeconfig and rotate ------------------------------------------------------------------------


def _ca(tmp_path: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    path = tmp_path / "ca.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def _sign(csr_pem: bytes, ca_key: rsa.RSAPrivateKey, ca: x509.Certificate) -> bytes:
    """What the kube-apiserver-client signer does with an approved request: a client certificate."""
    csr = x509.load_pem_x509_csr(csr_pem)
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_kubeconfig_for_a_token_user(policyc: list[str], built, tmp_path: Path) -> None:
    _, secrets, _ = built
    _, _, ca_path = _ca(tmp_path)
    r = run([*policyc, "kubeconfig", "jack@test.com", "--server", SERVER, "--ca", str(ca_path), "--policy",
             str(ARTICLE), "--secrets", str(secrets)])
    assert r.returncode == 0, r.stderr
    path = secrets / "kubeconfigs" / "jack@test.com.kubeconfig"
    assert r.stdout == f"wrote {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = yaml.safe_load(path.read_text())
    token = (secrets / "users" / "jack@test.com" / "token").read_text().strip()
    assert config["users"] == [{"name": "jack@test.com", "user": {"token": token}}]
    assert config["clusters"][0]["cluster"]["server"] == SERVER
    assert base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]) == ca_path.read_bytes()
    assert token not in r.stdout + r.stderr


def test_kubeconfig_for_a_certificate_user_once_signed(policyc: list[str], built, tmp_path: Path) -> None:
    _, secrets, _ = built
    ca_key, ca, ca_path = _ca(tmp_path)
    base = [*policyc, "kubeconfig", "testuser", "--server", SERVER, "--policy", str(ARTICLE), "--secrets",
            str(secrets)]
    unsigned = run(base)
    assert unsigned.returncode == 2 and "kubectl get csr testuser" in unsigned.stderr
    cert = tmp_path / "testuser.crt"
    cert.write_bytes(_sign((secrets / "users" / "testuser" / "csr.pem").read_bytes(), ca_key, ca))
    r = run([*base, "--cert", str(cert), "--ca", str(ca_path)])
    assert r.returncode == 0, r.stderr
    user = yaml.safe_load((secrets / "kubeconfigs" / "testuser.kubeconfig").read_text())["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == cert.read_bytes()
    assert base64.b64decode(user["client-key-data"]) == (secrets / "users" / "testuser" / "key.pem").read_bytes()
    # A certificate for another user's key is refused.
    wrong = tmp_path / "wrong.crt"
    wrong.write_bytes(_sign((secrets / "users" / "hvapour" / "csr.pem").read_bytes(), ca_key, ca))
    refused = run([*base, "--cert", str(wrong)])
    assert refused.returncode == 2 and "public keys differ" in refused.stderr
    for value in secret_values(secrets):
        assert value not in r.stdout + r.stderr + refused.stderr


def test_kubeconfig_for_a_service_account(policyc: list[str], tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    token = "eyJhbGciOiJSUzI1NiJ9.sa-token-value.sig"
    r = run([*policyc, "kubeconfig", "development/deployer", "--server", SERVER, "--token-file", "-",
             "--policy", str(ARTICLE), "--secrets", str(secrets)], stdin=token + "\n")
    assert r.returncode == 0, r.stderr
    config = yaml.safe_load((secrets / "kubeconfigs" / "serviceaccounts" / "development" /
                             "deployer.kubeconfig").read_text())
    assert config["users"] == [{"name": "system:serviceaccount:development:deployer", "user": {"token": token}}]
    assert config["contexts"][0]["context"]["namespace"] == "development"
    assert token not in r.stdout + r.stderr
    missing = run([*policyc, "kubeconfig", "development/deployer", "--server", SERVER, "--policy", str(ARTICLE),
                   "--secrets", str(secrets)])
    assert missing.returncode == 2 and "--token-file" in missing.stderr


def test_kubeconfig_refuses_an_oidc_user_and_http(policyc: list[str], tmp_path: Path) -> None:
    r = run([*policyc, "kubeconfig", "bob", "--server", SERVER, "--policy", str(ARTICLE), "--secrets",
             str(tmp_path / "s")])
    assert r.returncode == 2 and "logs on with `oidc`" in r.stderr
    r = run([*policyc, "kubeconfig", "jack@test.com", "--server", "http://10.0.0.10:8080", "--policy",
             str(ARTICLE)])
    assert r.returncode == 2 and "https://" in r.stderr


def test_rotate_replaces_the_token_without_printing_it(policyc: list[str], built) -> None:
    _, secrets, _ = built
    token_path = secrets / "users" / "jack@test.com" / "token"
    old = token_path.read_text().strip()
    r = run([*policyc, "rotate", "jack@test.com", "--policy", str(ARTICLE), "--secrets", str(secrets)])
    assert r.returncode == 0, r.stderr
    new = token_path.read_text().strip()
    assert new != old and len(new) >= 32
    assert new in (secrets / "apiserver" / "tokens.csv").read_text()
    assert old not in (secrets / "apiserver" / "tokens.csv").read_text()
    assert new not in r.stdout + r.stderr and old not in r.stdout + r.stderr
    assert "next: copy apiserver/tokens.csv" in r.stdout

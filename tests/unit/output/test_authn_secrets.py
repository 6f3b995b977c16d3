"""The secrets directory and the credentials in it: modes, atomic writes, git safety, tokens, CSRs, stability."""

from __future__ import annotations

import base64
import csv
import io
import os
import shutil
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

import policyc
from conftest import REPO
from helpers import build_credentials, compile_text
from policyc.k8s import credfile
from policyc.output.credentials import TOKEN_FILE, issue_credentials, rotate, static_file
from policyc.output.secrets import SecretsError, SecretStore

ARTICLE = REPO / "tests" / "golden" / "article" / "policy"
POLICY = """\
cluster {
  authentication {
    anonymous no
    certificates ca /etc/kubernetes/pki/ca.crt
    tokens file /etc/kubernetes/auth/tokens.csv
  }
}
user jack@test.com auth token groups dev1
user ann auth token groups dev1, "équipe \\"a\\"", ops
user solo auth token
user testuser auth certificate groups app1
user hvapour auth certificate groups group1, group2 expires 30d
"""

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def compiled(text: str = POLICY, release: str | None = None):
    result = compile_text(text, kubernetes=release)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return result


# -- the store ---------------------------------------------------------------------------------


def test_store_modes_gitignore_and_atomic_writes(tmp_path: Path) -> None:
    os.umask(0o022)
    store = SecretStore(tmp_path / "a" / "secrets")
    store.prepare()
    assert mode(store.root) == 0o700 and mode(store.root.parent) == 0o700
    assert (store.root / ".gitignore").read_text().splitlines()[-1] == "*"
    assert store.write("users/x/token", b"abc\n") is True
    target = store.path("users/x/token")
    assert mode(target) == 0o600 and mode(target.parent) == 0o700
    inode = target.stat().st_ino
    assert store.write("users/x/token", b"abc\n") is False  # same bytes: not rewritten
    assert target.stat().st_ino == inode
    assert store.write("users/x/token", b"def\n") is True
    assert target.read_bytes() == b"def\n" and target.stat().st_ino != inode  # replaced by a rename
    assert sorted(p.name for p in target.parent.iterdir()) == ["token"]  # no temporary file left


def test_store_tightens_an_existing_folder(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    SecretStore(root).prepare()
    assert mode(root) == 0o700


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a//b", "", "a/./b"])
def test_store_refuses_paths_outside(tmp_path: Path, rel: str) -> None:
    with pytest.raises(SecretsError):
        SecretStore(tmp_path).path(rel)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e"})


@needs_git
def test_secrets_in_an_ignored_folder_of_a_repository_are_allowed(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    store = SecretStore(tmp_path / ".policyc" / "secrets")
    store.prepare()
    assert store.committable(["users/a/token", "apiserver/tokens.csv"]) == []  # our .gitignore of `*`


@needs_git
def test_a_tracked_secret_is_refused(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    store = SecretStore(tmp_path / "secrets")
    store.prepare()
    store.write("users/a/token", b"s3cr3t-value\n")
    _git(tmp_path, "add", "-f", "secrets/users/a/token")
    _git(tmp_path, "commit", "-q", "-m", "oops")
    with pytest.raises(SecretsError, match="git would commit users/a/token") as exc:
        store.check_git(["users/a/token", "users/b/token"])
    assert "s3cr3t" not in str(exc.value)


@needs_git
def test_an_untracked_file_git_does_not_ignore_is_refused(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / ".gitignore").write_text("*.pem\n")  # the user's own rules: tokens are not ignored
    store = SecretStore(folder)
    store.prepare()
    assert (folder / ".gitignore").read_text() == "*.pem\n"  # an existing .gitignore is not overwritten
    assert store.committable(["users/a/key.pem", "users/a/token"]) == ["users/a/token"]
    result = compiled()
    with pytest.raises(SecretsError, match="refusing to write secrets"):
        issue_credentials(result.program, store)
    assert not (folder / "users").exists()  # nothing was written


def test_outside_a_repository_nothing_is_committable(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s")
    store.prepare()
    assert store.committable(["users/a/token"]) == []


# -- tokens and the static token file ------------------------------------------------------------


def test_token_file_reads_back_with_csv_as_the_api_server_does(tmp_path: Path) -> None:
    result = compiled()
    store = SecretStore(tmp_path / "s")
    issue_credentials(result.program, store)
    text = store.path(TOKEN_FILE).read_bytes().decode("utf-8")  # non-ASCII names are UTF-8
    rows = list(csv.reader(io.StringIO(text)))
    assert [r.user for r in credfile.read(text)] == [row[1] for row in rows]  # Go's reader and Python's agree
    by_user = {r.user: r for r in credfile.read(text)}
    assert sorted(by_user) == ["ann", "jack@test.com", "solo"]
    for r in by_user.values():
        assert len(r.secret) >= 32 and all(c.isalnum() or c in "-_" for c in r.secret)
        assert store.read(f"users/{r.user}/token").strip().decode() == r.secret
    # The fourth column is split on commas by the API server (tokenfile: strings.Split(record[3], ",")).
    assert by_user["jack@test.com"].groups == ("dev1",)
    assert by_user["ann"].groups == ("dev1", 'équipe "a"', "ops")
    assert by_user["solo"].groups is None  # no groups: no empty fourth column, which would be the group ""
    assert by_user["jack@test.com"].uid == result.program.authn.credential("jack@test.com").uid
    assert len({r.secret for r in by_user.values()}) == 3
    assert '"dev1,équipe ""a"",ops"' in text  # more than one group: double-quoted, quotes doubled


def test_token_file_refuses_to_write_what_would_read_back_differently() -> None:
    """Defence in depth behind PC193: a row whose group holds a comma never reaches the disk."""
    with pytest.raises(SecretsError, match="would not read back"):
        static_file([("t", "eve", "1", ("dev,system:masters",))])
    with pytest.raises(SecretsError):
        static_file([("t", "eve\r\nmallory", "1", ())])  # Go's reader turns \r\n into \n


def test_static_file_format() -> None:
    assert static_file([("t2", "b", "2", ()), ("t1", "a", "1", ("g1", "g2"))]) == 't1,a,1,"g1,g2"\nt2,b,2\n'


def test_rebuild_keeps_every_credential_byte_for_byte(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s")
    first = issue_credentials(compiled().program, store)
    snapshot = {rel: store.read(rel) for rel in first.files}
    inodes = {rel: store.path(rel).stat().st_ino for rel in first.files}
    second = issue_credentials(compiled().program, store)
    assert second.written == []
    assert {rel: store.read(rel) for rel in second.files} == snapshot
    assert {rel: store.path(rel).stat().st_ino for rel in second.files} == inodes
    for rel in first.files:
        assert mode(store.path(rel)) == 0o600


def test_groups_change_rewrites_the_csv_and_the_csr_but_keeps_token_and_key(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s")
    issue_credentials(compiled().program, store)
    key, token = store.read("users/testuser/key.pem"), store.read("users/jack@test.com/token")
    changed = POLICY.replace("groups app1", "groups app1, app2").replace("groups dev1\n", "groups dev2\n", 1)
    report = issue_credentials(compiled(changed).program, store)
    assert sorted(report.written) == ["apiserver/tokens.csv", "users/testuser/csr.pem"]
    assert store.read("users/testuser/key.pem") == key and store.read("users/jack@test.com/token") == token
    csr = x509.load_pem_x509_csr(store.read("users/testuser/csr.pem"))
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["app1", "app2"]


def test_rotate_replaces_one_users_credential(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s")
    program = compiled().program
    issue_credentials(program, store)
    before = {u: store.read(f"users/{u}/token") for u in ("jack@test.com", "ann")}
    key = store.read("users/testuser/key.pem")
    report = rotate(program, store, "jack@test.com")
    assert sorted(report.written) == ["apiserver/tokens.csv", "users/jack@test.com/token"]
    assert store.read("users/jack@test.com/token") != before["jack@test.com"]
    assert store.read("users/ann/token") == before["ann"] and store.read("users/testuser/key.pem") == key
    rotate(program, store, "testuser")
    assert store.read("users/testuser/key.pem") != key
    with pytest.raises(SecretsError, match="no credential"):
        rotate(compiled(POLICY + "cluster {\n  authentication {\n    oidc issuer https://i.example client-id k\n"
                        "  }\n}\nuser bob auth oidc\n").program, store, "bob")


def test_an_unreadable_key_is_an_error_not_a_silent_new_key(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "s")
    store.prepare()
    store.write("users/testuser/key.pem", b"garbage")
    with pytest.raises(SecretsError, match="policyc rotate testuser") as exc:
        issue_credentials(compiled().program, store)
    assert "garbage" not in str(exc.value)
    assert store.read("users/testuser/key.pem") == b"garbage"


# -- certificates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "groups"), [("testuser", ["app1"]), ("hvapour", ["group1", "group2"])])
def test_csr_subject_key_and_object(tmp_path: Path, user: str, groups: list[str]) -> None:
    result = compiled()
    build_credentials(result, tmp_path / "s")
    store = SecretStore(tmp_path / "s")
    key = serialization.load_pem_private_key(store.read(f"users/{user}/key.pem"), password=None)
    assert key.key_size == 2048
    assert store.read(f"users/{user}/key.pem").startswith(b"-----BEGIN PRIVATE KEY-----")
    (obj,) = [m for m in result.manifests if m.kind == "CertificateSigningRequest" and m.name == user]
    pem = base64.b64decode(obj.body["spec"]["request"])
    assert pem == store.read(f"users/{user}/csr.pem")
    csr = x509.load_pem_x509_csr(pem)
    assert csr.is_signature_valid
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == [user]
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == groups
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    assert csr.public_key().public_bytes(serialization.Encoding.DER, pub) == key.public_key().public_bytes(
        serialization.Encoding.DER, pub
    )
    spec = obj.body["spec"]
    assert spec["signerName"] == "kubernetes.io/kube-apiserver-client" and spec["usages"] == ["client auth"]
    assert spec.get("expirationSeconds") == (30 * 86400 if user == "hvapour" else None)


def test_key_size_option(tmp_path: Path) -> None:
    result = compiled(POLICY.replace("groups app1", "groups app1 key-size 3072"))
    build_credentials(result, tmp_path / "s")
    key = serialization.load_pem_private_key(SecretStore(tmp_path / "s").read("users/testuser/key.pem"), None)
    assert key.key_size == 3072


@pytest.mark.parametrize(
    ("release", "api_version", "signer", "expiration"),
    [("1.17", "certificates.k8s.io/v1beta1", False, False), ("1.18", "certificates.k8s.io/v1beta1", True, False),
     ("1.21", "certificates.k8s.io/v1", True, False), ("1.22", "certificates.k8s.io/v1", True, True)],
)
def test_csr_object_per_release(tmp_path: Path, release: str, api_version: str, signer: bool,
                                expiration: bool) -> None:
    text = POLICY.replace(" expires 30d", "") if not expiration else POLICY
    result = compiled(text, release)
    build_credentials(result, tmp_path / "s")
    (obj,) = [m for m in result.manifests if m.kind == "CertificateSigningRequest" and m.name == "hvapour"]
    assert obj.api_version == api_version
    assert ("signerName" in obj.body["spec"]) is signer
    assert ("expirationSeconds" in obj.body["spec"]) is expiration


def test_check_mode_writes_nothing_and_falls_back_to_the_tree(tmp_path: Path) -> None:
    """`build --check` in a checkout without the secrets folder: the committed requests stand in."""
    out = tmp_path / "out"
    built = policyc.build(ARTICLE, out, secrets_dir=tmp_path / "s")
    assert built.ok
    again = policyc.load(ARTICLE)
    report = build_credentials(again, tmp_path / "missing", write=False, out=out)
    assert report.written == [] and not (tmp_path / "missing").exists()
    csrs = sorted(m.name for m in again.manifests if m.kind == "CertificateSigningRequest")
    assert csrs == ["hvapour", "testuser"]
    # A request whose subject no longer matches the policy is not taken from the tree.
    changed = policyc.load(ARTICLE)
    changed.program = replace(changed.program, authn=changed.program.authn.__class__(
        apiserver=changed.program.authn.apiserver,
        credentials=tuple(c if c.name != "testuser" else c.__class__(**{**c.__dict__, "groups": ("other",)})
                          for c in changed.program.authn.credentials),
    ))
    build_credentials(changed, tmp_path / "missing", write=False, out=out)
    assert sorted(m.name for m in changed.manifests if m.kind == "CertificateSigningRequest") == ["hvapour"]


def test_service_account_token_secret_from_1_24(tmp_path: Path) -> None:
    text = "serviceaccount ci/runner token\nserviceaccount ci/plain\n"
    for release, expected in (("1.23", []), ("1.24", ["runner-token"]), ("1.37", ["runner-token"])):
        result = compiled(text, release)
        secrets = [m for m in result.manifests if m.kind == "Secret"]
        assert [m.name for m in secrets] == expected
    (secret,) = [m for m in compiled(text, "1.30").manifests if m.kind == "Secret"]
    assert secret.body["type"] == "kubernetes.io/service-account-token"
    assert secret.body["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "runner"
    assert "data" not in secret.body and "stringData" not in secret.body  # the token controller fills it

"""The secrets folder as an attacker would prepare it (issue 11, "The secrets folder" and "Identities").

Tests run as root here and in CI: "another user" is a chown to uid 65534 (root can), and a
real `git` is asked about a repository owned by that user ("dubious ownership").
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from helpers import compile_text
from policyc.output.credentials import (
    TOKEN_FILE,
    issue_credentials,
    serviceaccount_kubeconfig,
    user_dir,
    user_kubeconfig,
)
from policyc.output.secrets import MAX_COMPONENT, SecretsError, SecretStore, check_apart, file_component

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
NOBODY = 65534

POLICY = """\
cluster {
  authentication {
    anonymous no
    tokens file /etc/kubernetes/auth/tokens.csv
  }
}
user bob auth token groups dev
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def program(text: str = POLICY):
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return result.program


def issued_store(tmp_path: Path) -> SecretStore:
    store = SecretStore(tmp_path / "secrets")
    issue_credentials(program(), store)
    return store


# -- file names: whatever passes `check` builds ---------------------------------------------------


@pytest.mark.parametrize("name", ["a" * 300, "é" * 100, "x/" * 80, "%~" * 70, "a" * 63 + "%" + "b" * 100])
def test_long_names_are_shortened_with_a_hash_and_never_split_an_escape(name: str) -> None:
    component = file_component(name)
    assert len(component.encode()) <= MAX_COMPONENT
    head, marker, digest = component.rpartition("%~")
    assert marker and re.fullmatch(r"[0-9a-f]{32}", digest)
    assert re.fullmatch(r"([^%]|%[0-9A-F]{2})*", head), head  # every % of the kept part is a whole %XX
    assert file_component(name) == component
    assert file_component(name + "!") != component


@pytest.mark.parametrize("name", ["jack@test.com", "ann", "a" * 120, ".hidden", "%~" + "0" * 32])
def test_short_names_keep_their_component_and_cannot_look_shortened(name: str) -> None:
    component = file_component(name)
    assert "%~" not in component  # `quote` writes `%` only as %XX: no short name collides with a long one
    if name == "jack@test.com":
        assert component == name


def test_a_300_character_user_builds_and_keeps_its_name_inside(tmp_path: Path) -> None:
    name = "u" * 300
    text = POLICY.replace("user bob auth token groups dev", f"user {name} auth token groups dev")
    store = SecretStore(tmp_path / "secrets")
    report = issue_credentials(program(text), store)
    assert TOKEN_FILE in report.written
    assert all(len(part.encode()) <= 255 for rel in report.written for part in rel.split("/"))
    assert f",{name}," in (store.root / TOKEN_FILE).read_text()
    assert len(Path(user_kubeconfig(name)).name) < 255
    assert len(Path(serviceaccount_kubeconfig("ci", "r" * 253)).name) < 255


def test_users_differing_only_in_case_are_refused_where_the_file_system_folds_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = POLICY + "user Bob auth token\n"
    store = SecretStore(tmp_path / "secrets")
    monkeypatch.setattr(SecretStore, "ignores_case", lambda self: True)  # macOS, Windows
    with pytest.raises(SecretsError, match="users `Bob` and `bob` would share one folder"):
        issue_credentials(program(text), store)
    assert not (store.root / "users").exists()
    monkeypatch.undo()
    assert user_dir("Bob") != user_dir("bob")
    issue_credentials(program(text), store)  # a case-sensitive file system keeps them apart


# -- the folder itself ----------------------------------------------------------------------------


@needs_root
def test_a_folder_owned_by_another_user_is_refused_and_not_touched(tmp_path: Path) -> None:
    root = tmp_path / "secrets"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    os.chown(root, NOBODY, NOBODY)
    with pytest.raises(SecretsError, match=r"belongs to uid 65534, not to the user running policyc"):
        issue_credentials(program(), SecretStore(root))
    assert mode(root) == 0o755 and os.listdir(root) == []


@pytest.mark.parametrize(("folder_mode", "why"), [
    (0o777, "writable by its group and other users"),
    (0o1777, "and sticky, like /tmp"),
    (0o770, "writable by its group"),
    (0o1700, "sticky"),
])
def test_a_shared_folder_is_refused_never_chmod_ed(tmp_path: Path, folder_mode: int, why: str) -> None:
    root = tmp_path / "secrets"
    root.mkdir()
    os.chmod(root, folder_mode)
    with pytest.raises(SecretsError, match=why) as exc:
        issue_credentials(program(), SecretStore(root))
    assert "--secrets DIR" in str(exc.value)
    assert mode(root) == folder_mode and os.listdir(root) == []


def test_a_folder_readable_by_others_is_tightened(tmp_path: Path) -> None:
    root = tmp_path / "secrets"
    root.mkdir()
    os.chmod(root, 0o755)
    issue_credentials(program(), SecretStore(root))
    assert mode(root) == 0o700


def test_a_secrets_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "secrets").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(SecretsError, match="the secrets folder is a symbolic link"):
        issue_credentials(program(), SecretStore(tmp_path / "secrets"))
    assert os.listdir(tmp_path / "elsewhere") == []


def test_gitignore_and_every_file_are_0600_and_folders_0700(tmp_path: Path) -> None:
    os.umask(0o022)
    store = issued_store(tmp_path)
    for dirpath, _dirnames, filenames in os.walk(store.root):
        assert mode(Path(dirpath)) == 0o700
        for f in filenames:
            assert mode(Path(dirpath) / f) == 0o600, f
    assert (store.root / ".gitignore").exists()


# -- what is inside it: planted files ------------------------------------------------------------


def _plant(store: SecretStore, how: str, tmp_path: Path) -> Path:
    token = store.root / "users" / "bob" / "token"
    token.unlink()
    if how == "symlink":
        outside = tmp_path / "ci-secret"
        outside.write_text("THE-RUNNER-SECRET\n")
        token.symlink_to(outside)
    elif how == "other-owner":
        token.write_text("PLANTED-CONTENT\n")
        os.chmod(token, 0o600)
        os.chown(token, NOBODY, NOBODY)
    elif how == "hard-link":
        outside = tmp_path / "ci-secret"
        outside.write_text("THE-RUNNER-SECRET\n")
        os.chmod(outside, 0o600)
        os.link(outside, token)
    elif how == "writable":
        token.write_text("PLANTED-CONTENT\n")
        os.chmod(token, 0o666)
    elif how == "fifo":
        os.mkfifo(token, 0o600)
    elif how == "folder-other-owner":
        token.write_text("PLANTED-CONTENT\n")
        os.chmod(token, 0o600)
        os.chown(token.parent, NOBODY, NOBODY)
        return token.parent
    elif how == "folder-link":
        shutil.rmtree(token.parent)
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "token").write_text("THE-RUNNER-SECRET\n")
        token.parent.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
        return token.parent  # the refused entry
    return token


@pytest.mark.parametrize(("how", "why"), [
    ("symlink", "it is a symbolic link, not something policyc wrote"),
    pytest.param("other-owner", "the file belongs to uid 65534", marks=needs_root),
    ("hard-link", "it has 2 hard links"),
    ("writable", r"it is writable by its group and other users \(mode 0666\)"),
    ("fifo", "it is not a regular file"),
    ("folder-link", "it is a symbolic link, not something policyc wrote"),
    pytest.param("folder-other-owner", "the folder belongs to uid 65534", marks=needs_root),
])
def test_a_planted_token_is_refused_unread(tmp_path: Path, how: str, why: str) -> None:
    store = issued_store(tmp_path)
    csv_before = (store.root / TOKEN_FILE).read_bytes()
    refused = _plant(store, how, tmp_path)
    for attempt in (lambda: issue_credentials(program(), store), lambda: store.read("users/bob/token")):
        with pytest.raises(SecretsError, match=why) as exc:
            attempt()
        assert "THE-RUNNER-SECRET" not in str(exc.value) and "PLANTED-CONTENT" not in str(exc.value)
        assert f"refusing {refused}: " in str(exc.value)
    assert (store.root / TOKEN_FILE).read_bytes() == csv_before  # nothing rewritten from the planted file


def test_a_file_readable_by_others_is_tightened_and_kept(tmp_path: Path) -> None:
    store = issued_store(tmp_path)
    token = store.root / "users" / "bob" / "token"
    before = token.read_bytes()
    os.chmod(token, 0o644)
    os.chmod(token.parent, 0o755)
    issue_credentials(program(), store)
    assert mode(token) == 0o600 and mode(token.parent) == 0o700 and token.read_bytes() == before


def test_temporary_files_of_a_killed_write_are_removed(tmp_path: Path) -> None:
    store = issued_store(tmp_path)
    leftover = store.root / "users" / "bob" / ".token.0123456789abcdef.policyc-tmp"
    leftover.write_bytes(b"half a tok")
    store.prepare()
    assert not leftover.exists()


# -- git must answer ------------------------------------------------------------------------------


@pytest.fixture
def no_user_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No `safe.directory = *` from the machine's git configuration."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_DIR", raising=False)


@needs_git
@needs_root
@pytest.mark.usefixtures("no_user_git_config")
def test_dubious_ownership_fails_closed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for dirpath, _dirnames, filenames in os.walk(repo):
        for p in [dirpath, *(os.path.join(dirpath, f) for f in filenames)]:
            os.chown(p, NOBODY, NOBODY)
    probe = subprocess.run(["git", "-C", str(repo), "rev-parse", "--is-inside-work-tree"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("this git predates the ownership check (2.35.2)")
    store = SecretStore(repo / "secrets")
    with pytest.raises(SecretsError, match="git cannot tell whether it is ignored .*dubious ownership") as exc:
        issue_credentials(program(), store)
    assert "safe.directory" in str(exc.value)
    assert not (store.root / "users").exists()


@pytest.mark.usefixtures("no_user_git_config")
def test_no_git_inside_a_repository_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    store = SecretStore(tmp_path / "repo" / "secrets")
    with pytest.raises(SecretsError, match="git is not installed or did not answer"):
        issue_credentials(program(), store)
    assert not (store.root / "users").exists()


def test_outside_any_repository_git_is_not_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("GIT_DIR", raising=False)
    issue_credentials(program(), SecretStore(tmp_path / "secrets"))


# -- secrets and the output tree ------------------------------------------------------------------


@pytest.mark.parametrize(("secrets", "out", "refused"), [
    ("out/secrets", "out", "the secrets folder"),
    ("out", "out", "the secrets folder"),
    ("out/./x/../secrets", "out", "the secrets folder"),
    ("s", "s/out", "the output folder"),
])
def test_secrets_inside_the_output_folder_are_refused(tmp_path: Path, secrets: str, out: str, refused: str) -> None:
    with pytest.raises(SecretsError, match=f"refusing {refused}"):
        check_apart(tmp_path / secrets, tmp_path / out)
    check_apart(tmp_path / "s", tmp_path / "out")


def test_build_refuses_secrets_in_out_before_writing(tmp_path: Path, policyc: list[str]) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.policy").write_text(POLICY)
    link = tmp_path / "alias"
    link.symlink_to(tmp_path / "out", target_is_directory=True)  # the same folder under another name
    r = subprocess.run([*policyc, "build", "p", "-o", "out", "--secrets", "alias/secrets"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "is inside the output folder" in r.stderr
    assert not (tmp_path / "out").exists()


def test_two_builds_issuing_credentials_at_once_are_serialised(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from policyc.output import secrets as secrets_module

    store = SecretStore(tmp_path / "secrets")
    monkeypatch.setattr(secrets_module, "LOCK_TIMEOUT", 0.2)
    with store.locked():  # another build is issuing
        with pytest.raises(SecretsError, match="another policyc is writing"):
            issue_credentials(program(), SecretStore(tmp_path / "secrets"))
        assert not (store.root / "users").exists()
    issue_credentials(program(), store)
    assert (store.root / TOKEN_FILE).exists()


def test_a_token_copied_to_another_user_is_refused(tmp_path: Path) -> None:
    """kube-apiserver keys the token file by token: the later line of a duplicate wins (tokenfile.go)."""
    text = POLICY + "user carol auth token\n"
    store = SecretStore(tmp_path / "secrets")
    issue_credentials(program(text), store)
    token = (store.root / "users" / "bob" / "token").read_bytes()
    store.write("users/carol/token", token)  # policyc's own kind of file, with bob's token in it
    before = (store.root / TOKEN_FILE).read_bytes()
    with pytest.raises(SecretsError, match="users `bob` and `carol` have the same secret") as exc:
        issue_credentials(program(text), store)
    assert token.decode().strip() not in str(exc.value)
    assert (store.root / TOKEN_FILE).read_bytes() == before

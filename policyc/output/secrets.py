"""The one secrets writer: a directory of credentials kept out of `out/`, out of git and off stdout.

Rules (docs/authentication.md, "Secrets"):

* the directory (default `.policyc/secrets` in the working directory) and every directory below
  it are mode 0700, and it holds a `.gitignore` of `*` so git ignores its content;
* every file is mode 0600 and written atomically (a hidden temporary file in the same
  directory, fsync, rename), and a file whose bytes would not change is not rewritten;
* nothing is written to a path that git would commit: tracked, or untracked and not ignored
  (asked of `git check-ignore` in the repository that holds the directory);
* error messages name paths, never contents.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from policyc.output.atomic import write_atomic

__all__ = ["DEFAULT_SECRETS_DIR", "SecretStore", "SecretsError", "file_component"]

DEFAULT_SECRETS_DIR = Path(".policyc") / "secrets"
GITIGNORE = ".gitignore"
GITIGNORE_TEXT = "# Written by policyc: nothing in this folder may be committed.\n*\n"
DIR_MODE = 0o700
FILE_MODE = 0o600


class SecretsError(Exception):
    """A secret could not be read or written safely. The message names paths, never secrets."""


def file_component(name: str) -> str:
    """A user or object name as one safe file-name component (`jack@test.com` stays as it is)."""
    encoded = quote(name, safe="@._-+=:")
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    return encoded or "%00"


class SecretStore:
    """A secrets directory: relative paths inside it are read and written with the rules above."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(root))

    # -- paths -------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """The absolute path of `rel`; refuses paths that would leave the directory."""
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise SecretsError(f"invalid secret path {rel!r}")
        return self.root.joinpath(*parts)

    def exists(self) -> bool:
        """Whether the directory exists."""
        return self.root.is_dir()

    # -- setup -------------------------------------------------------------------------------
    def _mkdir(self, directory: Path) -> None:
        missing = []
        d = directory
        while not d.exists():
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            os.mkdir(d, DIR_MODE)
            os.chmod(d, DIR_MODE)  # the umask must not widen it
        if not directory.is_dir():
            raise SecretsError(f"{directory} exists and is not a folder")

    def prepare(self) -> None:
        """Create the directory (0700) with its `.gitignore`; tighten an existing one to 0700."""
        try:
            self._mkdir(self.root)
            if self.root.stat().st_mode & 0o777 != DIR_MODE:
                os.chmod(self.root, DIR_MODE)
            gitignore = self.root / GITIGNORE
            if not gitignore.exists():
                write_atomic(gitignore, GITIGNORE_TEXT.encode(), 0o644)
        except OSError as exc:
            raise SecretsError(f"cannot prepare the secrets folder {self.root}: {exc.strerror or exc}") from None

    # -- git ---------------------------------------------------------------------------------
    def _git(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(
                ["git", "-C", str(self.root), *args],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            )
        except (FileNotFoundError, subprocess.TimeoutExpired):
            return None  # no git: nothing can be committed by it

    def committable(self, rels: Iterable[str]) -> list[str]:
        """The paths among `rels` that git would commit: tracked, or untracked and not ignored.

        `git check-ignore` never reports a tracked file as ignored, so one question covers both.
        Outside a work tree (or without git) nothing is committable.
        """
        rels = sorted(set(rels))
        top = self._git("rev-parse", "--is-inside-work-tree")
        if top is None or top.returncode != 0 or top.stdout.strip() != "true":
            return []
        answer = self._git("check-ignore", "-z", "--stdin", stdin="".join(r + "\0" for r in rels))
        if answer is None or answer.returncode not in (0, 1):
            reason = answer.stderr.strip() if answer else "git did not answer"
            raise SecretsError(f"cannot ask git whether {self.root} is ignored: {reason}")
        ignored = {p for p in answer.stdout.split("\0") if p}
        return [r for r in rels if r not in ignored]

    def check_git(self, rels: Iterable[str]) -> None:
        """Raise SecretsError when git would commit any of `rels` (call after `prepare`)."""
        exposed = self.committable(rels)
        if exposed:
            listed = ", ".join(exposed[:5]) + (", ..." if len(exposed) > 5 else "")
            raise SecretsError(
                f"refusing to write secrets into {self.root}: git would commit {listed}; "
                "choose a folder outside the repository or ignored by it (--secrets DIR), "
                "and untrack any secret already committed (git rm --cached)"
            )

    # -- files -------------------------------------------------------------------------------
    def read(self, rel: str) -> bytes | None:
        """The bytes of `rel`, or None when it does not exist."""
        try:
            return self.path(rel).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretsError(f"cannot read {self.path(rel)}: {exc.strerror or exc}") from None

    def write(self, rel: str, data: bytes) -> bool:
        """Write `rel` (0600, atomically) unless it already holds `data`; whether it changed."""
        target = self.path(rel)
        if self.read(rel) == data:
            if target.stat().st_mode & 0o777 != FILE_MODE:
                os.chmod(target, FILE_MODE)
            return False
        try:
            self._mkdir(target.parent)
            write_atomic(target, data, FILE_MODE)
        except OSError as exc:
            raise SecretsError(f"cannot write {target}: {exc.strerror or exc}") from None
        return True

    def remove(self, rel: str) -> bool:
        """Delete `rel`; whether it existed."""
        try:
            self.path(rel).unlink()
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise SecretsError(f"cannot delete {self.path(rel)}: {exc.strerror or exc}") from None

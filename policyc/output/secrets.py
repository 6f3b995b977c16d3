"""The one secrets writer: a directory of credentials kept out of `out/`, out of git and off stdout.

Rules (docs/authentication.md, "Secrets"):

* the directory (its default place: policyc/cli/secrets_dir.py) must be a real folder
  (not a symbolic link) owned by the user running policyc and writable by no one else, nor
  sticky like /tmp: such a folder is refused, never adopted or chmod-ed. One merely readable by
  others is tightened to 0700, and so is every folder below it;
* every file is mode 0600 and written atomically (a hidden temporary file in the same
  directory, fsync, rename), and a file whose bytes would not change is not rewritten;
* policyc trusts only files it could have written: a regular file, not a symbolic link, one
  link, owned by the user, writable by no one else. Anything else (a planted token or key) is
  refused, naming it; a file readable by others is tightened to 0600. Every file and folder
  is opened relative to an already-checked parent with O_NOFOLLOW, so a link swapped in
  between the check and the use is not followed;
* nothing is written to a path that git would commit: tracked, or untracked and not ignored
  (asked of `git check-ignore` in the repository that holds the directory). When the folder is
  inside a repository and git cannot answer (not installed, "dubious ownership"), nothing is
  written: the check fails closed;
* error messages name paths, never contents.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from policyc.output.atomic import BuildLockedError, locked_folder

__all__ = ["DEFAULT_SECRETS_DIR", "SecretStore", "SecretsError", "check_apart", "file_component"]

DEFAULT_SECRETS_DIR = Path(".policyc") / "secrets"
GITIGNORE = ".gitignore"
GITIGNORE_TEXT = "# Written by policyc: nothing in this folder may be committed.\n*\n"
DIR_MODE = 0o700
FILE_MODE = 0o600
TMP_SUFFIX = ".policyc-tmp"
LOCK_TIMEOUT = 300.0  # seconds to wait for another policyc writing the same folder

# A file-name component stays under this many bytes: NAME_MAX is 255 on Linux and macOS, and a
# component also gets suffixes (`.kubeconfig`) and temporary-file decorations.
MAX_COMPONENT = 120
_KEEP = 64  # characters of a long name kept readable before its hash

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC


class SecretsError(Exception):
    """A secret could not be read or written safely. The message names paths, never secrets."""


def file_component(name: str) -> str:
    """A user or object name as one safe file-name component (`jack@test.com` stays as it is).

    Percent-encoded (so `/`, `..`, control characters cannot form a path), a leading dot
    encoded (no hidden files). A name longer than MAX_COMPONENT bytes once encoded keeps its
    first characters, then `%~` and a SHA-256 of the whole name: `quote` never writes `%~`, so
    no short name can collide with a shortened one. The full name is kept inside the files
    (the token CSV, the CSR subject, the kubeconfig).
    """
    encoded = quote(name, safe="@._-+=:")
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if len(encoded) > MAX_COMPONENT:
        cut = _KEEP
        while "%" in encoded[cut - 2 : cut]:  # never split a %XX triple
            cut -= 1
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        encoded = f"{encoded[:cut]}%~{digest}"
    return encoded or "%00"


def check_apart(secrets_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> None:
    """Refuse a secrets folder inside (or equal to) the output folder, or the other way round.

    `out/` is committed and applied; secrets there would be published with it. Compared after
    resolving links, before anything is written.
    """
    sec = os.path.realpath(os.path.abspath(secrets_dir))
    out = os.path.realpath(os.path.abspath(out_dir))

    def within(a: str, b: str) -> bool:
        return a == b or a.startswith(b.rstrip(os.sep) + os.sep)

    if within(sec, out):
        raise SecretsError(f"refusing the secrets folder {secrets_dir}: it is inside the output folder {out_dir}, "
                           "which is committed and applied; choose --secrets outside it")
    if within(out, sec):
        raise SecretsError(f"refusing the output folder {out_dir}: it is inside the secrets folder {secrets_dir}; "
                           "choose --out outside it")


def _who(mode: int) -> str:
    return " and ".join(w for w, bit in (("its group", 0o020), ("other users", 0o002)) if mode & bit)


class SecretStore:
    """A secrets directory: relative paths inside it are read and written with the rules above."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(root))
        self._euid = os.geteuid() if hasattr(os, "geteuid") else None

    # -- paths -------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """The absolute path of `rel`; refuses paths that would leave the directory."""
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") or "\0" in p for p in parts):
            raise SecretsError(f"invalid secret path {rel!r}")
        return self.root.joinpath(*parts)

    def exists(self) -> bool:
        """Whether the directory exists (a link in its place counts: it is refused when used)."""
        return os.path.lexists(self.root)

    # -- what policyc trusts -----------------------------------------------------------------
    def _refuse(self, path: Path, why: str, fix: str) -> SecretsError:
        return SecretsError(f"refusing {path}: {why}; {fix}")

    def _check_owner(self, path: Path, st: os.stat_result, what: str) -> None:
        if self._euid is not None and st.st_uid != self._euid:
            raise self._refuse(path, f"the {what} belongs to uid {st.st_uid}, not to the user running policyc "
                               f"(uid {self._euid})", "policyc only trusts what it could have written; "
                               "remove it, or use a folder of your own (--secrets DIR)")

    def _check_root(self, fd: int) -> None:
        st = os.fstat(fd)
        self._check_owner(self.root, st, "secrets folder")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o022 or mode & stat.S_ISVTX:
            shared = f"writable by {_who(mode)}" if mode & 0o022 else "sticky"
            if mode & stat.S_ISVTX and mode & 0o022:
                shared += " and sticky, like /tmp"
            raise self._refuse(self.root, f"the secrets folder is {shared} (mode {mode:04o}), so other users could "
                               "plant or swap credentials in it", "policyc does not adopt or chmod a shared folder: "
                               "use a folder of your own (--secrets DIR)")
        if mode != DIR_MODE:
            os.fchmod(fd, DIR_MODE)  # ours and only readable by others: tightened

    def _open_root(self, create: bool) -> int:
        """The root, checked, as a directory descriptor (created with its parents if `create`)."""
        if create and not os.path.lexists(self.root):
            missing = []
            d = self.root
            while not os.path.lexists(d):
                missing.append(d)
                d = d.parent
            for d in reversed(missing):
                with contextlib.suppress(FileExistsError):  # made meanwhile: checked below
                    os.mkdir(d, DIR_MODE)
        try:
            fd = os.open(self.root, _DIR_FLAGS)
        except OSError:
            if os.path.islink(self.root):
                raise self._refuse(self.root, "the secrets folder is a symbolic link",
                                   "name the folder itself (--secrets DIR); a link in a repository could send "
                                   "credentials anywhere") from None
            if os.path.lexists(self.root) and not os.path.isdir(self.root):
                raise SecretsError(f"{self.root} exists and is not a folder") from None
            raise
        try:
            self._check_root(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _check_file(self, path: Path, fd: int) -> None:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise self._refuse(path, "it is not a regular file", "remove it; policyc writes only regular files")
        self._check_owner(path, st, "file")
        if st.st_nlink != 1:
            raise self._refuse(path, f"it has {st.st_nlink} hard links, so it is not a file policyc wrote",
                               "remove it; policyc issues a new credential on the next build")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o022:
            raise self._refuse(path, f"it is writable by {_who(mode)} (mode {mode:04o}), so its content cannot be "
                               "trusted", "remove it; policyc issues a new credential on the next build")
        if mode != FILE_MODE:
            os.fchmod(fd, FILE_MODE)

    def _open_at(self, dir_fd: int, parent: Path, name: str, flags: int) -> int:
        try:
            return os.open(name, flags, dir_fd=dir_fd)
        except OSError:
            if _is_link_at(dir_fd, name):  # O_NOFOLLOW refused it (ELOOP, or ENOTDIR for a folder)
                raise self._refuse(parent / name, "it is a symbolic link, not something policyc wrote",
                                   "remove it; policyc issues a new credential on the next build") from None
            raise

    def _open_dirs(self, parts: list[str], create: bool) -> int | None:
        """A descriptor of the folder `parts` below the root (None when absent and not `create`)."""
        fd = self._open_root(create)
        path = self.root
        try:
            for part in parts:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, DIR_MODE, dir_fd=fd)
                try:
                    sub = self._open_at(fd, path, part, _DIR_FLAGS)
                except FileNotFoundError:
                    return None
                except NotADirectoryError:
                    raise SecretsError(f"{path / part} exists and is not a folder") from None
                os.close(fd)
                fd, path = sub, path / part
                st = os.fstat(fd)
                self._check_owner(path, st, "folder")
                if stat.S_IMODE(st.st_mode) != DIR_MODE:
                    os.fchmod(fd, DIR_MODE)
            result, fd = fd, -1
            return result
        finally:
            if fd >= 0:
                os.close(fd)

    # -- setup -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock (created and checked first): two builds issuing credentials at
        once would each make a token and keep the other's CSV line."""
        try:
            os.close(self._open_root(create=True))
        except OSError as exc:
            raise SecretsError(f"cannot prepare the secrets folder {self.root}: {exc.strerror or exc}") from None
        try:
            with locked_folder(self.root, f"another policyc is writing {self.root}", LOCK_TIMEOUT):
                yield
        except BuildLockedError as exc:
            raise SecretsError(str(exc)) from None

    def prepare(self) -> None:
        """Create the directory (0700) with its `.gitignore` (0600), or check an existing one.

        Every entry below it is audited (see the module text); temporary files left by a
        killed write are removed.
        """
        try:
            fd = self._open_root(create=True)
            try:
                self._ensure_gitignore(fd)
                self._audit(fd, self.root)
            finally:
                os.close(fd)
        except OSError as exc:
            raise SecretsError(f"cannot prepare the secrets folder {self.root}: {exc.strerror or exc}") from None

    def _ensure_gitignore(self, fd: int) -> None:
        path = self.root / GITIGNORE
        try:
            gfd = self._open_at(fd, self.root, GITIGNORE, _READ_FLAGS)
        except FileNotFoundError:
            _write_at(fd, GITIGNORE, GITIGNORE_TEXT.encode())
            return
        try:
            self._check_file(path, gfd)  # the user's own rules are kept; the git check judges them
        finally:
            os.close(gfd)

    def _audit(self, fd: int, path: Path) -> None:
        for entry in _entries(fd):
            full = path / entry
            st = os.lstat(entry, dir_fd=fd)
            if stat.S_ISLNK(st.st_mode):
                raise self._refuse(full, "it is a symbolic link, not something policyc wrote",
                                   "remove it; policyc issues a new credential on the next build")
            if stat.S_ISDIR(st.st_mode):
                sub = self._open_at(fd, path, entry, _DIR_FLAGS)
                try:
                    self._check_owner(full, os.fstat(sub), "folder")
                    if stat.S_IMODE(st.st_mode) != DIR_MODE:
                        os.fchmod(sub, DIR_MODE)
                    self._audit(sub, full)
                finally:
                    os.close(sub)
            elif entry.startswith(".") and entry.endswith(TMP_SUFFIX) and st.st_uid == self._euid:
                os.unlink(entry, dir_fd=fd)  # a write killed before its rename
            elif not stat.S_ISREG(st.st_mode):
                raise self._refuse(full, "it is not a regular file", "remove it; policyc writes only regular files")
            else:
                ffd = self._open_at(fd, path, entry, _READ_FLAGS)
                try:
                    self._check_file(full, ffd)
                finally:
                    os.close(ffd)

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
            return None

    def _repository(self) -> Path | None:
        """The folder holding `.git` above the secrets folder, or None (GIT_DIR set counts too)."""
        if os.environ.get("GIT_DIR"):
            return Path(os.environ["GIT_DIR"])
        for d in (self.root, *self.root.parents):
            if os.path.lexists(d / ".git"):
                return d
        return None

    def committable(self, rels: Iterable[str]) -> list[str]:
        """The paths among `rels` that git would commit: tracked, or untracked and not ignored.

        `git check-ignore` never reports a tracked file as ignored, so one question covers both.
        Outside any repository nothing is committable; inside one, git must answer: when it
        cannot (not installed, "dubious ownership", a broken repository) SecretsError says why.
        """
        rels = sorted(set(rels))
        repo = self._repository()
        if repo is None:
            return []

        def unproven(reason: str) -> SecretsError:
            return SecretsError(
                f"refusing to write secrets into {self.root}: it is inside the git repository {repo}, and git cannot "
                f"tell whether it is ignored ({reason}); fix git (for \"dubious ownership\": "
                "git config --global --add safe.directory PATH), or choose --secrets outside the repository"
            )

        top = self._git("rev-parse", "--is-inside-work-tree")
        if top is None:
            raise unproven("git is not installed or did not answer")
        if top.returncode != 0:
            raise unproven(top.stderr.strip().splitlines()[0] if top.stderr.strip() else f"exit {top.returncode}")
        if top.stdout.strip() != "true":
            return []  # inside the .git folder itself: nothing there is committed
        answer = self._git("check-ignore", "-z", "--stdin", stdin="".join(r + "\0" for r in rels))
        if answer is None or answer.returncode not in (0, 1):
            raise unproven(answer.stderr.strip() if answer else "git did not answer")
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

    def ignores_case(self) -> bool:
        """Whether the folder's file system folds case: the nearest existing folder, named in the other case."""
        for d in (self.root, *self.root.parents):
            if d.name.lower() != d.name.upper() and os.path.lexists(d):
                other = d.parent / d.name.swapcase()
                try:
                    return os.path.samefile(d, other)
                except OSError:
                    return False
        return False

    def listing(self) -> list[str]:
        """Every non-hidden file already in the directory (relative paths, sorted); links are not followed."""
        if not os.path.isdir(self.root) or os.path.islink(self.root):
            return []
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
            rel = Path(dirpath).relative_to(self.root)
            found += [(rel / f).as_posix() for f in filenames if not f.startswith(".")]
        return sorted(found)

    # -- files -------------------------------------------------------------------------------
    def read(self, rel: str) -> bytes | None:
        """The bytes of `rel`, or None when it does not exist; refuses a file policyc did not write."""
        target = self.path(rel)
        *parents, name = rel.split("/")
        try:
            if not os.path.lexists(self.root):
                return None
            dfd = self._open_dirs(parents, create=False)
            if dfd is None:
                return None
            try:
                try:
                    fd = self._open_at(dfd, target.parent, name, _READ_FLAGS)
                except FileNotFoundError:
                    return None
                try:
                    self._check_file(target, fd)
                    return _read_all(fd)
                finally:
                    os.close(fd)
            finally:
                os.close(dfd)
        except OSError as exc:
            raise SecretsError(f"cannot read {target}: {exc.strerror or exc}") from None

    def write(self, rel: str, data: bytes) -> bool:
        """Write `rel` (0600, atomically) unless it already holds `data`; whether it changed."""
        target = self.path(rel)
        if self.read(rel) == data:
            return False
        *parents, name = rel.split("/")
        try:
            dfd = self._open_dirs(parents, create=True)
            assert dfd is not None
            try:
                _write_at(dfd, name, data)
            finally:
                os.close(dfd)
        except OSError as exc:
            raise SecretsError(f"cannot write {target}: {exc.strerror or exc}") from None
        return True

    def remove(self, rel: str) -> bool:
        """Delete `rel`; whether it existed."""
        target = self.path(rel)
        *parents, name = rel.split("/")
        try:
            dfd = self._open_dirs(parents, create=False) if os.path.lexists(self.root) else None
            if dfd is None:
                return False
            try:
                os.unlink(name, dir_fd=dfd)  # a link is removed, never followed
                return True
            except FileNotFoundError:
                return False
            finally:
                os.close(dfd)
        except OSError as exc:
            raise SecretsError(f"cannot delete {target}: {exc.strerror or exc}") from None


def _is_link_at(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _entries(dir_fd: int) -> Iterator[str]:
    dup = os.dup(dir_fd)  # scandir(fd) takes the descriptor over
    with os.scandir(dup) as it:
        names = sorted(e.name for e in it)
    yield from names


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_at(dir_fd: int, name: str, data: bytes) -> None:
    """Replace `name` in the folder `dir_fd` through a hidden temporary file (0600, fsynced, renamed)."""
    tmp = f".{name[:80]}.{secrets.token_hex(8)}{TMP_SUFFIX}"
    fd = os.open(tmp, _CREATE_FLAGS, FILE_MODE, dir_fd=dir_fd)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask must not change it
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    with contextlib.suppress(OSError):
        os.fsync(dir_fd)

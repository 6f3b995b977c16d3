"""Reading a policy folder from disk: every `*.policy` file below it, in sorted path order.

A pull request can change the folder, so what is read is decided here and nowhere else
(docs/diagnostics.md, PC005 and PC006):

* a symbolic link is followed only while its target stays inside the policy folder (the
  folder named on the command line, resolved once); a `.policy` link or a linked folder that
  leads outside is refused, and its target is never opened, so its content cannot be echoed
  in a diagnostic or a CI annotation;
* a linked folder inside the policy folder is not walked twice (its files are read at their
  real path); a link back to the folder that holds it, or to one of its parents, loops;
* a dangling or looping link, a `.policy` entry that is not a regular file (a FIFO would
  block the read), a file or folder that cannot be read: each is an error naming it, never a
  silent skip, since a skipped guard file would let a build pass without it;
* files are opened with O_NOFOLLOW and O_NONBLOCK, and checked to be regular after opening;
* folders that are never policy are not walked: policyc's own `.policyc` (the secrets folder
  and its private keys, which `policyc build` may keep inside the policy folder) and version
  control metadata (`.git`, `.hg`, `.svn`: a branch named `x.policy` is a file
  `.git/refs/heads/x.policy`). Every other folder is, hidden or not (a policy is every
  `*.policy` file below the folder, LANGUAGE.md), so a guard in `.guards/` still counts.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from policyc.diagnostics import Diagnostic, error
from policyc.rules import ERROR, Rule, register
from policyc.source import SourceFile, Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC004", ERROR, "the file is not valid UTF-8 (the offset of the bad byte is given)", example="a Latin-1 `é`"),
    Rule(
        "PC005", ERROR, "a `.policy` symbolic link, or a linked folder, that leads outside the policy folder: "
        "refused, its target is never opened (so no message or CI annotation can echo it)",
        example="`leak.policy -> ~/.docker/config.json`",
    ),
    Rule(
        "PC006", ERROR, "a policy entry that cannot be read: a dangling or looping symbolic link, a link to the "
        "folder that holds it, a `.policy` entry that is not a regular file (a FIFO, a device), a file or folder "
        "without read permission. Never skipped silently: a guard file that vanished would let the build pass",
        example="`guard.policy -> deleted.policy`",
    ),
)


class UsageError(Exception):
    """A problem with the command itself (missing path, no policy files): exit code 2."""


SUFFIX = ".policy"
# Emacs marks a file it edits with a dangling symlink `.#NAME`: a lock, not a policy file.
_EDITOR_LOCK = ".#"
# Folders that hold no policy, whatever their files are named (see the module text).
NOT_POLICY_FOLDERS = frozenset({".policyc", ".git", ".hg", ".svn"})


def in_skipped_folder(name: str) -> bool:
    """Whether a `/`-separated name (relative to the policy folder) lies in a folder never walked."""
    return any(part in NOT_POLICY_FOLDERS for part in name.split("/")[:-1])
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _decode(name: str, data: bytes) -> tuple[SourceFile, list[Diagnostic]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        text = data.decode("utf-8", errors="replace")
        src = SourceFile(name, text)
        line, col = src.position(len(good))
        span = Span(name, line, col, line, col + 1, len(good), len(good) + 1)
        return src, [
            error(
                "PC004",
                f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                span,
                "save the file as UTF-8",
            )
        ]
    return SourceFile(name, text.removeprefix("\ufeff")), []


def _file_span(name: str) -> Span:
    """A diagnostic about a whole entry: its name, no source line (the content is not read)."""
    return Span(name, 1, 1, 1, 1)


def _outside(name: str, what: str) -> Diagnostic:
    return error(
        "PC005",
        f"`{name}` is a symbolic link to {what} outside the policy folder; policyc does not read it",
        _file_span(name),
        "copy the file into the policy folder, or point the link at a file inside it",
    )


def _unreadable(name: str, reason: str, help: str) -> Diagnostic:
    return error("PC006", f"cannot read `{name}`: {reason}", _file_span(name), help)


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _link_problem(name: str, exc: OSError) -> Diagnostic:
    if exc.errno == errno.ELOOP:
        return _unreadable(name, "it is a symbolic link that loops", "point the link at a file, or remove it")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return _unreadable(name, "it is a symbolic link whose target does not exist",
                           "restore the file it points to, or remove the link")
    return _unreadable(name, f"its symbolic link cannot be followed ({exc.strerror or exc})",
                       "make the target readable, or remove the link")


@dataclass
class _Found:
    """What a walk found: (name, real path) of each file to read, and the refusals."""

    root: str
    files: list[tuple[str, str]] = field(default_factory=list)
    diags: list[Diagnostic] = field(default_factory=list)


def _walk(found: _Found, directory: str, prefix: str) -> None:
    """Every entry below the real folder `directory` (named `prefix` relative to the policy folder).

    A stack, not recursion: a pull request can commit a tree a thousand folders deep.
    """
    stack = [(directory, prefix)]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            reason = f"the folder cannot be listed ({exc.strerror or exc})"
            found.diags.append(_unreadable(prefix.rstrip("/") or ".", reason,
                                           "make the folder readable by the user running policyc"))
            continue
        for entry in entries:
            name = prefix + entry.name
            policy_name = entry.name.endswith(SUFFIX)
            if entry.name in NOT_POLICY_FOLDERS:
                continue
            try:
                if entry.is_symlink():
                    _follow(found, entry, name, policy_name)
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, name + "/"))
                elif policy_name:
                    if entry.is_file(follow_symlinks=False):
                        found.files.append((name, entry.path))
                    else:
                        found.diags.append(_not_regular(name))
            except OSError as exc:
                found.diags.append(_unreadable(name, exc.strerror or str(exc), "make it readable, or remove it"))


def _not_regular(name: str) -> Diagnostic:
    return _unreadable(name, "it is not a regular file", "a policy file must be a regular file; remove it")


def _follow(found: _Found, entry: os.DirEntry, name: str, policy_name: bool) -> None:
    """A symbolic link in the folder: followed only to a file or folder inside the policy folder."""
    if entry.name.startswith(_EDITOR_LOCK):
        return
    try:
        target = os.path.realpath(entry.path, strict=True)
        st = os.stat(target)
    except OSError as exc:
        found.diags.append(_link_problem(name, exc))
        return
    inside = _within(target, found.root)
    if stat.S_ISDIR(st.st_mode):
        here = os.path.dirname(os.path.join(found.root, name))
        if inside and _within(here, target):
            found.diags.append(_unreadable(name, "it is a symbolic link to a folder that holds it, so it loops",
                                           "remove the link"))
        elif not inside:
            found.diags.append(_outside(name, "a folder"))
        # A folder inside: its files are read at their real path, by the walk itself.
        return
    if not policy_name:
        return  # not a policy file, wherever it points
    if not inside:
        found.diags.append(_outside(name, "a file"))
    elif not stat.S_ISREG(st.st_mode):
        found.diags.append(_not_regular(name))
    else:
        found.files.append((name, target))


def _read(name: str, path: str) -> bytes | Diagnostic:
    """The bytes of a regular file, opened without following a link and without blocking."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since the walk
            return _unreadable(name, "it became a symbolic link while policyc read the folder", "run again")
        return _unreadable(name, exc.strerror or str(exc), "make the file readable by the user running policyc")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return _not_regular(name)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return _unreadable(name, exc.strerror or str(exc), "make the file readable by the user running policyc")
    finally:
        os.close(fd)


def _find(path: Path) -> _Found:
    """The files to read for `path` (a folder, or one file), or UsageError."""
    if not os.path.lexists(path):
        raise UsageError(f"no such file or folder: {path}")
    try:
        real = os.path.realpath(path, strict=True)
        st = os.stat(real)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        # The folder named on the command line is the boundary, wherever it really is.
        found = _Found(real)
        _walk(found, real, "")
        return found
    # One file: it must stay inside the folder that holds it (a link out of it is refused).
    found = _Found(os.path.realpath(os.path.dirname(os.path.abspath(path))))
    name = path.name
    if not _within(real, found.root):
        found.diags.append(_outside(name, "a file"))
    elif not stat.S_ISREG(st.st_mode):
        found.diags.append(_not_regular(name))
    else:
        found.files.append((name, real))
    return found


def read_sources(path: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every policy file of `path` (a folder, or one file), named relative to the folder.

    Entries that are refused or cannot be read are PC005/PC006 errors (see the module text).
    Raises UsageError when the path does not exist or cannot be read, or when it holds no
    policy files and nothing was refused.
    """
    found = _find(Path(path))
    if not found.files and not found.diags:
        raise UsageError(f"no .policy files in {path}")
    sources: list[SourceFile] = []
    diags = list(found.diags)
    for name, real in sorted(found.files):
        data = _read(name, real)
        if isinstance(data, Diagnostic):
            diags.append(data)
            continue
        src, ds = _decode(name, data)
        sources.append(src)
        diags += ds
    return sources, sorted(diags, key=lambda d: d.sort_key)

"""Atomic replacement of one file: the only way policyc rewrites a file in place."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a link), else None.

    `out/` is committed, so a pull request can put a link to `/dev/zero` or a FIFO where a
    manifest was: read as a file it would never end. policyc never writes links: such an entry
    simply differs from what policyc would write.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class BuildLockedError(OSError):
    """Another policyc process holds the lock of a folder it is writing; nothing was changed."""


@contextlib.contextmanager
def locked_folder(folder: Path, busy: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive flock on `folder` itself while the block runs.

    Locking the folder (not a lock file) leaves nothing behind to commit, and the lock goes with
    the process however it dies (SIGKILL included). A second policyc waits for the first, so
    the two are serialised; after `timeout` seconds it gives up with BuildLockedError(`busy`).
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; not serialised there
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLockedError(f"{busy}; waited {timeout:g} s, nothing was changed") from None
                time.sleep(0.05)
            except OSError as exc:
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                    break  # a file system without flock (some NFS): the swap stays atomic, unserialised
                raise
        yield
    finally:
        os.close(fd)  # releases the lock


def write_atomic(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None = None) -> None:
    """Replace `path` with `data` (mode `mode`, optionally chowned) through a hidden temporary file.

    The temporary file is a dot-file in the same directory, so a crash never leaves a
    half-written file under the real name, and the kubelet (which loads every non-dot file of
    the static-pod directory) never sees it. The file and its directory are fsynced.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".policyc-tmp")
    try:
        os.fchmod(fd, mode)
        if owner is not None:
            with contextlib.suppress(PermissionError):
                os.fchown(fd, *owner)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

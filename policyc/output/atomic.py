"""Atomic replacement of one file: the only way policyc rewrites a file in place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


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

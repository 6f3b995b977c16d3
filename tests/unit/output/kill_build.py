"""Run `policyc ARGS...` and SIGKILL it at one step of replacing the output tree (a test driver).

    python kill_build.py STEP COUNT -- build POLICY -o OUT

STEP is where the process kills itself, COUNT which occurrence of it (1-based):
  write      after COUNT files of the new tree are written
  exchange   just before the old and new trees are exchanged
  exchanged  just after the exchange, before the old tree is deleted
  rmtree     in the middle of deleting the old tree (after COUNT files are deleted)
  renamed    two-rename fallback (no exchange): after the old tree is renamed away
  locked     right after taking the lock
  sleep      not killed: sleeps COUNT tenths of a second after writing the new tree (for races)
Nothing here is in policyc itself: the functions are wrapped from outside, as a debugger would.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from policyc.cli.main import run
from policyc.output import tree

STEP, COUNT = sys.argv[1], int(sys.argv[2])
sys.argv = ["policyc", *sys.argv[4:]]
seen = {"n": 0}


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def counted() -> None:
    seen["n"] += 1
    if seen["n"] == COUNT:
        die()


if STEP == "write":
    real_write = tree._write_file

    def write(path, data):  # noqa: ANN001, ANN202
        real_write(path, data)
        counted()

    tree._write_file = write
elif STEP in ("exchange", "exchanged"):
    real_exchange = tree._exchange

    def exchange(a, b):  # noqa: ANN001, ANN202
        if STEP == "exchange":
            die()
        done = real_exchange(a, b)
        die()
        return done

    tree._exchange = exchange
elif STEP == "rmtree":
    real_rmtree = tree.shutil.rmtree

    def rmtree(path, ignore_errors=False):  # noqa: ANN001, ANN202, FBT002
        for dirpath, _dirs, files in os.walk(path):
            for f in files:
                os.unlink(os.path.join(dirpath, f))
                counted()
        return real_rmtree(path, ignore_errors=ignore_errors)

    tree.shutil.rmtree = rmtree
elif STEP == "renamed":
    tree._exchange = lambda a, b: False
    real_replace = os.replace

    def replace(src, dst):  # noqa: ANN001, ANN202
        real_replace(src, dst)
        if str(dst).endswith(".policyc-old"):
            die()

    tree.os.replace = replace
elif STEP == "locked":
    real_locked = tree._locked

    def locked(parent, out_dir):  # noqa: ANN001, ANN202
        with real_locked(parent, out_dir):
            die()
            yield

    import contextlib

    tree._locked = contextlib.contextmanager(locked)
elif STEP == "sleep":
    real_materialise = tree._materialise

    def materialise(root, files):  # noqa: ANN001, ANN202
        real_materialise(root, files)
        time.sleep(COUNT / 10)

    tree._materialise = materialise

run()

"""Pausing Python's cyclic garbage collector while the compiler builds its data.

A compilation allocates millions of objects (syntax trees, model nodes, manifests) that stay
alive until it ends and form next to no reference cycles, so every collection the interpreter
starts meanwhile scans them and frees nothing: on a 3,000-namespace organisation that was a
quarter of the build time (docs/performance.md). Reference counting still frees everything as
usual; only the cycle detector waits until the outermost paused call returns, then runs as
normal, with what the compilation built counted as old objects.

The pause nests and is shared between threads (a counter under a lock), so a language server
compiling on several threads never re-enables the collector under another compilation.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "paused_gc"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the duration of the block (nesting, thread-safe).

    The collector is re-enabled when the outermost block exits, and only if it was enabled
    when that block was entered.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                _promote()
                gc.enable()


def _promote() -> None:
    """Move every tracked object to the oldest generation, without a collection.

    Left in the youngest generation, the objects built during the pause would be scanned by
    the next young collection and again by the one after (each a pass over the whole
    compiled program); `gc.freeze()` then `gc.unfreeze()` is documented to put them in the
    oldest generation instead, where only a full collection looks at them. Skipped when the
    process has frozen objects of its own (a pre-fork server), which unfreezing would release.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def gc_paused(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorator: run `fn` inside `paused_gc()`."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with paused_gc():
            return fn(*args, **kwargs)

    return wrapper

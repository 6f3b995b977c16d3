"""A cache of data policyc derives from its bundled data, for start-up (issue 19).

`bootstrap_objects(release)` derives a release's built-in roles from the bootstrap snapshots and
the tables of every supported release: about 30 ms of YAML and JSON parsing in every `policyc
can-i --from` a script runs in a loop. `cached()` keeps such a result as JSON in the user's cache
folder (`$POLICYC_CACHE_DIR`, else `$XDG_CACHE_HOME/policyc`, else `~/.cache/policyc`), named by
a SHA-256 over everything the result is derived from: the bundled data (`policyc/data/bootstrap`,
`policyc/data/releases`, `policyc/data/cis`), the code that derives it (`policyc/k8s/*.py`).
Any change to them names another file, so a stale result is never read; the data stays plain
YAML that people and other tools edit. A result is written only if JSON gives it back equal;
a cache that cannot be read or written is ignored (the result is derived, as without a cache).
`POLICYC_NO_CACHE=1` turns it off. Writing a result removes the results of the same name that
other inputs (an older or another installed policyc) wrote and nobody rewrote for `STALE_DAYS`:
the folder does not grow with every upgrade, and two versions used side by side do not evict
each other on every run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent.parent  # policyc/
_INPUTS = ("data/bootstrap", "data/releases", "data/cis", "k8s")
STALE_DAYS = 30


def cache_dir() -> Path | None:
    """Where cached results live (None when caching is off)."""
    if os.environ.get("POLICYC_NO_CACHE"):
        return None
    if base := os.environ.get("POLICYC_CACHE_DIR"):
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "policyc"


@functools.cache
def inputs_digest() -> str:
    """SHA-256 over the bundled data and the code results are derived from (names and bytes)."""
    h = hashlib.sha256(b"policyc datacache 1\n")
    for folder in _INPUTS:
        root = _PACKAGE / folder
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            if path.suffix in (".pyc", ".pyo"):
                continue
            data = path.read_bytes()
            h.update(f"{path.relative_to(_PACKAGE).as_posix()} {len(data)}\n".encode())
            h.update(data)
    return h.hexdigest()


def cached(name: str, derive: Callable[[], Any], keep_order: bool = False) -> Any:
    """`derive()`, or what it gave for the same `name` and the same inputs before (as JSON).

    Mappings are written with sorted keys unless `keep_order` (a table whose order means something).
    """
    folder = cache_dir()
    if folder is None:
        return derive()
    try:
        path = folder / f"{name}-{inputs_digest()[:32]}.json"
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        text = None
    if text is not None:
        try:
            return json.loads(text)
        except ValueError:
            pass  # a damaged file: derived again and rewritten
    value = derive()
    try:
        text = json.dumps(value, sort_keys=not keep_order, separators=(",", ":"))
        if json.loads(text) != value:
            return value  # not plain JSON (tuples, sets, ...): not cached
        import tempfile  # only when writing: start-up

        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)  # readers see the old file or the whole new one
        prune(folder, name, keep=path)
    except (OSError, TypeError, ValueError):
        pass
    return value


def prune(folder: Path, name: str, keep: Path) -> None:
    """Remove `name`'s results for other inputs, and abandoned temporary files, older than STALE_DAYS."""
    import re  # only when writing: start-up
    import time

    own = re.compile(rf"(?:{re.escape(name)}-[0-9a-f]{{32}}\.json|\.{re.escape(name)}-.*\.tmp)")
    cutoff = time.time() - STALE_DAYS * 86400
    for entry in os.scandir(folder):
        if entry.name == keep.name or not own.fullmatch(entry.name):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            pass  # removed by another process meanwhile, or not ours to remove

#!/usr/bin/env python3
"""Digests of what `policyc.build` writes, to prove an optimisation changes no byte.

For each policy folder (and each generated organisation asked for), build into a temporary
folder and print one SHA-256 over every written file (path and bytes), one over the rendered
diagnostics and one over the diagnostics with the access lints on (as `policyc build` has
them). Run it with the code before and after a change and compare:

    git worktree add /tmp/before HEAD~1
    PYTHONPATH=/tmp/before .venv/bin/python bench/digest.py --generated 300 --generated 3000 ../shared/spec/* > /tmp/a
    .venv/bin/python bench/digest.py --generated 300 --generated 3000 ../shared/spec/* > /tmp/b
    diff /tmp/a /tmp/b && echo identical
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import tempfile
from pathlib import Path

import policyc
from policyc.diagnostics import render_text
from policyc.pipeline import compile_path

HERE = Path(__file__).resolve().parent


def tree_digest(root: Path) -> str:
    """SHA-256 over the relative path and bytes of every file under `root`, in sorted order."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _diagnostics_digest(result: policyc.Result) -> str:
    return hashlib.sha256(render_text(result.diagnostics, result.sources).encode()).hexdigest()


def digest(folder: Path, out: Path) -> str:
    """One line: digests of the output tree, of the diagnostics, of the diagnostics with the
    access lints on (as the console script runs), then counts and the folder's name."""
    result = policyc.build(folder, out)
    files = tree_digest(out) if out.exists() else "-"
    linted = compile_path(folder, lints=True)
    return (f"{files[:16]} {_diagnostics_digest(result)[:16]} {_diagnostics_digest(linted)[:16]} "
            f"objects={len(result.manifests)} warnings={len(linted.diagnostics)} ok={result.ok} {folder.name}")


def main(argv: list[str] | None = None) -> int:
    """Print one digest line per folder."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="*", type=Path, help="policy folders to build")
    ap.add_argument("--generated", action="append", default=[], metavar="[SHAPE:]N",
                    help="also build a bench/gen_org.py organisation of N namespaces (seed 1; shape `mixed` "
                         "unless SHAPE: is given); repeatable")
    args = ap.parse_args(argv)
    spec = importlib.util.spec_from_file_location("gen_org", HERE / "gen_org.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    print(f"# policyc from {Path(policyc.__file__).parent}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="policyc-digest-") as tmp:
        root = Path(tmp)
        folders = list(args.folders)
        for item in args.generated:
            shape, _, n = item.rpartition(":")
            org = root / f"generated-{shape or 'mixed'}-{n}"
            gen.write(org, gen.generate(int(n), 1, shape or "mixed"))
            folders.append(org)
        for i, folder in enumerate(folders):
            print(digest(folder, root / f"out-{i}"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

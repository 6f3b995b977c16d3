#!/usr/bin/env python3
"""Benchmark `policyc build` against the serialisation floor, at N and 10N namespaces.

For each size the generated organisation (bench/gen_org.py) is built through the real
pipeline functions, timing each stage, and end to end with `policyc.build`. The floor is the
time PyYAML's C dumper needs to write the same objects (the manifests' bodies) to a string:
`yaml.dump_all(bodies, Dumper=yaml.CSafeDumper)`. Every figure is the best of `--repeat` runs.

Targets (issue 2, item 9): build / floor <= 1.5 at 3,000 namespaces, and build time at 10N at
most 12x the time at N.

Usage: .venv/bin/python bench/run.py [--namespaces 300] [--repeat 5] [--json [PATH]] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import importlib.util
import json
import operator
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lark
import yaml

import policyc
from policyc import backends
from policyc.check import check, check_emitted
from policyc.loader import read_sources
from policyc.output.tree import layout, write_tree
from policyc.output.yaml import render_file
from policyc.syntax.lower import lower

try:
    from policyc.gcpause import paused_gc
except ImportError:  # a checkout from before the pause (to measure it with this script)
    paused_gc = contextlib.nullcontext

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
STAGES = ("read", "parse+lower", "check", "emit", "guards", "layout/yaml", "write")
FLOOR_TARGET = 1.5
GROWTH_TARGET = 12.0


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_org", HERE / "gen_org.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Timing:
    """Best wall-clock and best CPU time (this process: user + system) of repeated runs."""

    wall: float = float("inf")
    cpu: float = float("inf")

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[Timing, Any]:
    """The best times of `repeat` calls of `fn`, and the last result (a full collection precedes each)."""
    best = Timing()
    result = None
    for _ in range(repeat):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        best = Timing(min(best.wall, wall), min(best.cpu, cpu))
    return best, result


def paused(fn: Callable[[], Any]) -> Callable[[], Any]:
    """`fn` run with the cyclic collector paused, as the pipeline runs it."""

    def run() -> Any:
        with paused_gc():
            return fn()

    return run


class _Scratch:
    """Fresh output folders under one temporary directory.

    Trees are only deleted when the run ends: ext4 skips inodes deleted in the last minute when
    it allocates new ones, so writing right after deleting a tree of 10,000 files measures
    that search more than policyc (docs/performance.md).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def fresh(self) -> Path:
        self.count += 1
        return self.root / f"out-{self.count}"


def measure(policy_dir: Path, repeat: int, scratch: _Scratch) -> dict[str, Any]:
    """Stage times, end-to-end build time and floor for one organisation folder."""
    # The stages of policyc.pipeline.compile_path and policyc.build, one at a time.
    times: dict[str, Timing] = {}
    times["read"], (sources, diags) = best_of(repeat, lambda: read_sources(policy_dir))
    assert not diags, diags
    times["parse+lower"], (policy, diags) = best_of(repeat, lambda: lower(sources))
    assert not any(d.is_error for d in diags), diags[:3]
    # compile_lowered runs check, emit and guards with the collector paused (policyc/gcpause.py).
    times["check"], (program, diags) = best_of(repeat, paused(lambda: check(policy)))
    errors = [d for d in diags if d.is_error]
    assert program is not None and not errors, errors[:3]

    def emit() -> tuple[list, dict]:
        emitted = backends.emit(program)
        return list(emitted.manifests), {f.path: render_file(f) for f in emitted.files}

    times["emit"], (manifests, extra) = best_of(repeat, paused(emit))
    times["guards"], diags = best_of(repeat, paused(lambda: check_emitted(program, manifests)))
    errors = [d for d in diags if d.is_error]
    assert not errors, errors[:3]
    times["layout/yaml"], files = best_of(repeat, lambda: layout(manifests, extra))
    times["write"], _ = best_of(repeat, lambda: write_tree(scratch.fresh(), files))

    def build() -> policyc.Result:
        return policyc.build(policy_dir, scratch.fresh())

    build_time, result = best_of(repeat, build)
    assert result.ok and len(result.manifests) == len(manifests)

    bodies = [m.body for m in manifests]
    floor_time, floor_text = best_of(repeat, lambda: yaml.dump_all(bodies, Dumper=yaml.CSafeDumper))
    cli_time = console_build(policy_dir, scratch, min(repeat, 3))
    return {
        "namespaces": None,
        "files_in": len(sources),
        "lines_in": sum(s.text.count("\n") for s in sources),
        "objects": len(manifests),
        "files_out": len(files),
        "bytes_out": sum(len(t) for t in files.values()),
        "floor_bytes": len(floor_text),
        "stages": {k: asdict(v) for k, v in times.items()},
        "stage_sum": asdict(functools.reduce(operator.add, times.values())),
        "build": asdict(build_time),
        "floor": asdict(floor_time),
        "ratio": {"wall": build_time.wall / floor_time.wall, "cpu": build_time.cpu / floor_time.cpu},
        "cli": asdict(cli_time),
    }


def console_build(policy_dir: Path, scratch: _Scratch, repeat: int) -> Timing:
    """Best times of the console script `policyc build DIR -o OUT` in a new process each time.

    What a user waits for: interpreter start-up and imports, the access lints the command
    adds, the report of the warnings on stderr, and the write. CPU time is the child's.
    """
    script = Path(sys.executable).parent / "policyc"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "policyc"]
    best = Timing()
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([*command, "build", str(policy_dir), "-o", str(scratch.fresh())],
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"policyc build failed:\n{done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = Timing(min(best.wall, wall), min(best.cpu, cpu))
    return best


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "lark": lark.__version__,
        "pyyaml": yaml.__version__,
        "libyaml": getattr(yaml, "__with_libyaml__", False),
        "system": f"{platform.system()} {platform.release()}",
    }


def _table(rows: list[dict[str, Any]], clock: str) -> str:
    head = ["namespaces", "lines in", "objects", *STAGES, "build", "floor", "ratio"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for r in rows:
        cells = [str(r["namespaces"]), str(r["lines_in"]), str(r["objects"])]
        cells += [f"{r['stages'][s][clock]:.3f}" for s in STAGES]
        cells += [f"{r['build'][clock]:.3f}", f"{r['floor'][clock]:.3f}", f"{r['ratio'][clock]:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def profile(policy_dir: Path, out: Path, top: int) -> None:
    """cProfile one end-to-end build; print the `top` functions by own time and by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    policyc.build(policy_dir, out)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (and JSON if asked)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--namespaces", type=int, default=300, help="the small size N (the large one is 10N)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is kept")
    ap.add_argument("--seed", type=int, default=1, help="generator seed")
    ap.add_argument("--json", nargs="?", const=RESULTS / "bench.json", type=Path, metavar="PATH",
                    help=f"also write the figures as JSON (default path {RESULTS / 'bench.json'})")
    ap.add_argument("--profile", action="store_true", help="cProfile one build of the 10N organisation")
    ap.add_argument("--top", type=int, default=30, help="functions shown per profile listing")
    ap.add_argument("--scratch", type=Path, default=None,
                    help="where the organisations and output trees go (default: the system's temporary folder)")
    args = ap.parse_args(argv)

    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    gen = _load_generator()
    sizes = (args.namespaces, 10 * args.namespaces)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="policyc-bench-", dir=args.scratch) as tmp:
        root = Path(tmp)
        scratch = _Scratch(root / "scratch")
        scratch.root.mkdir()
        for n in sizes:
            org = root / f"org-{n}"
            gen.write(org, gen.generate(n, args.seed))
            row = measure(org, args.repeat, scratch)
            row["namespaces"] = n
            rows.append(row)
            print(f"measured {n} namespaces: build {row['build']['wall']:.3f} s, "
                  f"floor {row['floor']['wall']:.3f} s (wall clock)", flush=True)
        if args.profile:
            profile(root / f"org-{sizes[1]}", scratch.fresh(), args.top)

    small, large = rows
    growth = {clock: large["build"][clock] / small["build"][clock] for clock in ("wall", "cpu")}
    info = machine()
    print()
    print(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
          f"lark {info['lark']}, PyYAML {info['pyyaml']} (libyaml: {info['libyaml']}), "
          f"load average before: {load_before}")
    print(f"best of {args.repeat} runs; seconds; ratio = build / floor; stages as in policyc.build")
    for clock, title in (("wall", "wall-clock time"), ("cpu", "CPU time of the process (user + system)")):
        print(f"\n{title}:\n")
        print(_table(rows, clock))
        ratio = large["ratio"][clock]
        print("\nconsole script (`policyc build`, a new process, access lints on): "
              + ", ".join(f"{r['cli'][clock]:.3f} s at {r['namespaces']}" for r in rows))
        print(f"ratio to floor at {large['namespaces']}: {ratio:.2f} (target <= {FLOOR_TARGET}: "
              f"{'met' if ratio <= FLOOR_TARGET else 'NOT met'}); growth {small['namespaces']} -> "
              f"{large['namespaces']}: {growth[clock]:.2f}x (target <= {GROWTH_TARGET:g}x: "
              f"{'met' if growth[clock] <= GROWTH_TARGET else 'NOT met'})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"machine": info, "load_before": load_before, "repeat": args.repeat, "seed": args.seed,
                  "rows": rows, "growth": growth,
                  "targets": {"ratio": FLOOR_TARGET, "growth": GROWTH_TARGET}}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The build's growth pooled over several runs of bench/commands.py, with how far it could move.

One run's growth is the median CPU time of the build at 10N over that at N, each median over the
pairs of every process of that size (`--rounds` processes, `--repeat` pairs each). A process's own
layout moves its builds together (the salt of its string hashes, where its heap lies: up to 16 %
at N between processes), so the process, not the pair, is the unit of the noise. This pools the
pairs of several runs' JSON (`commands.py --json`) per shape and size, and resamples whole
processes (a bootstrap: each draw takes as many processes of each size as there are, with
replacement, and takes the growth of the medians of their pairs) to give an interval.

Usage: .venv/bin/python bench/pool.py RUN.json [RUN.json ...] [--draws 4000] [--level 0.9]
Only shapes present in every run are pooled; each run keeps its own sizes, which must agree.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path
from typing import Any

Process = list[float]  # the CPU seconds of one process's builds, one per pair


def processes(run: dict[str, Any], shape: str, size: int) -> list[Process]:
    """The build's CPU times of one shape and size, grouped by the process that measured them:
    `measure_shape` appends the pairs round by round, `repeat` per round."""
    pairs = run["shapes"][shape][str(size)]["commands"]["build"]["pairs"]
    repeat = run["repeat"]
    cpu = [pair[0][1] for pair in pairs]  # (command (wall, CPU), floor (wall, CPU))
    return [cpu[k:k + repeat] for k in range(0, len(cpu), repeat)]


def growth(small: list[Process], large: list[Process]) -> float:
    """Median CPU at 10N over median CPU at N, over every pair of the given processes."""
    return statistics.median(t for p in large for t in p) / statistics.median(t for p in small for t in p)


def interval(small: list[Process], large: list[Process], draws: int, level: float,
             rng: random.Random) -> tuple[float, float]:
    """The central `level` of the growths of `draws` resamplings of the processes of each size."""
    found = sorted(growth(rng.choices(small, k=len(small)), rng.choices(large, k=len(large)))
                   for _ in range(draws))
    cut = int(draws * (1 - level) / 2)
    return found[cut], found[draws - 1 - cut]


def pool(runs: list[dict[str, Any]], draws: int = 4000, level: float = 0.9,
         seed: int = 19) -> dict[str, dict[str, float]]:
    """Per shape present in every run: the pooled growth, its interval and the processes per size."""
    sizes = {tuple(r["sizes"]) for r in runs}
    if len(sizes) != 1:
        raise ValueError(f"the runs measured different sizes: {sorted(sizes)}")
    n, ten_n = sizes.pop()
    rng = random.Random(seed)  # the same runs give the same interval
    out: dict[str, dict[str, float]] = {}
    for shape in runs[0]["shapes"]:
        if not all(shape in r["shapes"] for r in runs):
            continue
        small = [p for r in runs for p in processes(r, shape, n)]
        large = [p for r in runs for p in processes(r, shape, ten_n)]
        low, high = interval(small, large, draws, level, rng)
        out[shape] = {"growth": growth(small, large), "low": low, "high": high, "processes": len(small)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="JSON written by bench/commands.py --json")
    ap.add_argument("--draws", type=int, default=4000, help="bootstrap draws")
    ap.add_argument("--level", type=float, default=0.9, help="the interval's coverage")
    args = ap.parse_args(argv)
    runs = [json.loads(p.read_text("utf-8")) for p in args.runs]
    pooled = pool(runs, args.draws, args.level)
    print(f"{'shape':16} {'growth':>7} {int(args.level * 100)}% interval  processes per size")
    for shape, f in pooled.items():
        print(f"{shape:16} {f['growth']:6.2f}x {f['low']:6.2f}-{f['high']:.2f}x  {f['processes']:>3}"
              f"  {'met' if f['high'] <= 11 else 'not shown'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

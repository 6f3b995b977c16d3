#!/usr/bin/env python3
"""The machine's own growth for linear Python work: the build's growth target in context (issue 19).

The build's target (10x input at most 11x time) holds if each object costs the same at both
sizes. It does not on a machine whose L2 cache is a few megabytes: the same step of linear work
costs more in a heap ten times bigger (a lookup by name in a dict of ten times the entries, a
pass over objects spread over ten times the memory). This script times three linear workloads
at n and 10n objects, per object, so that the build's growth can be read against the machine's:

- pass:   read two attributes and a dict entry of each object, in the order they were made;
- lookup: resolve four names per object in a dict of every object's name, the names near each
          other (as a namespace's grants name its own team's roles and accounts);
- build:  make a manifest-like nested dict per object (what the emitter does).

Each figure is the best of `--repeat` runs with the cyclic collector off (as the build runs).

Usage: .venv/bin/python bench/hierarchy.py [--objects N] [--repeat R] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from policyc.gcpause import paused_gc


class Node:
    """A model node: a name, its team's name, names it refers to, a small dict."""

    __slots__ = ("name", "team", "refs", "attrs")

    def __init__(self, name: str, team: str, refs: list[str]) -> None:
        self.name, self.team, self.refs = name, team, refs
        self.attrs = {"name": name, "refs": len(refs)}


def make(n: int) -> tuple[list[Node], dict[str, Node]]:
    """`n` nodes, each referring to four names among the next eight, and the table of names."""
    rnd = random.Random(1)
    names = [f"team-{i // 10:06d}-ns-{i:07d}" for i in range(n)]
    nodes = [Node(names[i], names[i - i % 10], [names[min(n - 1, i + rnd.randrange(8))] for _ in range(4)])
             for i in range(n)]
    return nodes, {x.name: x for x in nodes}


def pass_over(nodes: list[Node], table: dict[str, Node]) -> int:
    return sum(len(x.name) + len(x.team) + x.attrs["refs"] for x in nodes)


def lookup(nodes: list[Node], table: dict[str, Node]) -> int:
    total = 0
    for x in nodes:
        for ref in x.refs:
            total += table[ref].attrs["refs"]
    return total


def build(nodes: list[Node], table: dict[str, Node]) -> int:
    out = [{"apiVersion": "v1", "kind": "Thing", "metadata": {"name": x.name, "labels": {"team": x.team}},
            "refs": list(x.refs)} for x in nodes]
    return len(out)


WORKLOADS: dict[str, Callable[[list[Node], dict[str, Node]], int]] = {
    "pass": pass_over, "lookup": lookup, "build": build}


def measure(n: int, repeat: int) -> dict[str, float]:
    """Nanoseconds per object of each workload at `n` objects (best of `repeat`, CPU time)."""
    nodes, table = make(n)
    out = {}
    for name, work in WORKLOADS.items():
        best = float("inf")
        for _ in range(repeat):
            t0 = time.process_time()
            work(nodes, table)
            best = min(best, time.process_time() - t0)
        out[name] = best / n * 1e9
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=30_000,
                    help="the small size n (the large one is 10n); default 30,000, about the model nodes at 300 "
                         "namespaces")
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (best)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    n = args.objects
    with paused_gc():  # as the build's stages run (policyc/gcpause.py)
        figures = {str(size): measure(size, args.repeat) for size in (n, 10 * n)}
    small, large = figures[str(n)], figures[str(10 * n)]
    print(f"workload | ns per object at {n:,} | at {10 * n:,} | growth for 10x the objects")
    print("---|---:|---:|---:")
    for name in WORKLOADS:
        print(f"{name} | {small[name]:.0f} | {large[name]:.0f} | {10 * large[name] / small[name]:.1f}x")
    if args.json:
        args.json.write_text(json.dumps({"objects": [n, 10 * n], "ns_per_object": figures}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

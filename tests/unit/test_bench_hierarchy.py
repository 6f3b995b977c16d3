"""bench/hierarchy.py times three linear workloads at n and 10n objects, per object."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import bench_module


def test_lookup_resolves_every_reference_and_figures_cover_both_sizes(tmp_path: Path, capsys) -> None:
    hierarchy = bench_module("hierarchy")
    nodes, table = hierarchy.make(50)
    assert len(table) == 50 and all(ref in table for x in nodes for ref in x.refs)
    assert all(x.team == nodes[i - i % 10].name for i, x in enumerate(nodes))
    assert hierarchy.lookup(nodes, table) == 4 * 4 * 50  # four names per node, each node has four refs
    out = tmp_path / "h.json"
    assert hierarchy.main(["--objects", "2000", "--repeat", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text("utf-8"))
    assert figures["objects"] == [2000, 20000]
    for size in ("2000", "20000"):
        assert set(figures["ns_per_object"][size]) == {"pass", "lookup", "build"}
        assert all(v > 0 for v in figures["ns_per_object"][size].values())
    printed = capsys.readouterr().out
    assert "growth for 10x the objects" in printed and printed.count("x\n") == 3

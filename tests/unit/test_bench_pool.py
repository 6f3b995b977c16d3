"""bench/pool.py: the build's growth pooled over runs of bench/commands.py, resampled by process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import bench_module

pool = bench_module("pool")


def _run(times: dict[str, dict[int, list[list[float]]]], repeat: int, sizes: tuple[int, int] = (300, 3000)) -> dict:
    """A run's JSON as bench/commands.py writes it: per shape and size, the build's pairs in the
    order the processes measured them (`repeat` per process), each ((wall, CPU), (wall, CPU))."""
    return {
        "sizes": list(sizes), "repeat": repeat, "rounds": 2,
        "shapes": {
            shape: {str(size): {"commands": {"build": {"pairs": [
                [[cpu + 0.5, cpu], [1.0, 0.9]] for process in per_process for cpu in process]}}}
                for size, per_process in by_size.items()}
            for shape, by_size in times.items()},
    }


def test_pairs_are_grouped_by_the_process_that_measured_them() -> None:
    run = _run({"teams": {300: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 3000: [[10.0] * 3, [11.0] * 3]}}, repeat=3)
    assert pool.processes(run, "teams", 300) == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_pooled_growth_is_the_ratio_of_the_medians_over_every_run() -> None:
    a = _run({"identity": {300: [[1.0, 1.0], [1.0, 1.0]], 3000: [[10.0, 10.0], [10.0, 10.0]]}}, repeat=2)
    b = _run({"identity": {300: [[2.0, 2.0], [2.0, 2.0]], 3000: [[24.0, 24.0], [24.0, 24.0]]}}, repeat=2)
    # Alone: 10x and 12x; pooled, the medians of all pairs: (10 + 24) / 2 over (1 + 2) / 2.
    assert pool.pool([a])["identity"]["growth"] == pytest.approx(10.0)
    assert pool.pool([b])["identity"]["growth"] == pytest.approx(12.0)
    pooled = pool.pool([a, b])["identity"]
    assert pooled["growth"] == pytest.approx(17.0 / 1.5)
    assert pooled["processes"] == 4
    # Resampled processes mix the runs: any draw lies between 10 / 2 and 24 / 1.
    assert 5.0 <= pooled["low"] < pooled["growth"] < pooled["high"] <= 24.0


def test_identical_processes_leave_no_interval_and_the_seed_fixes_the_draws() -> None:
    run = _run({"all": {300: [[0.5, 0.5, 0.5]] * 5, 3000: [[5.2, 5.2, 5.2]] * 5}}, repeat=3)
    assert pool.pool([run])["all"] == {"growth": pytest.approx(10.4), "low": pytest.approx(10.4),
                                       "high": pytest.approx(10.4), "processes": 5}
    noisy = _run({"all": {300: [[0.5 + k / 50] * 3 for k in range(5)], 3000: [[5.0 + k / 7] * 3 for k in range(5)]}},
                 repeat=3)
    assert pool.pool([noisy]) == pool.pool([noisy])
    f = pool.pool([noisy])["all"]
    assert f["low"] < f["growth"] < f["high"]


def test_only_shapes_in_every_run_and_sizes_must_agree() -> None:
    a = _run({"teams": {300: [[1.0]], 3000: [[10.0]]}, "roles": {300: [[1.0]], 3000: [[9.0]]}}, repeat=1)
    b = _run({"teams": {300: [[1.0]], 3000: [[11.0]]}}, repeat=1)
    assert list(pool.pool([a, b])) == ["teams"]
    other = _run({"teams": {30: [[1.0]], 300: [[10.0]]}}, repeat=1, sizes=(30, 300))
    with pytest.raises(ValueError, match="different sizes"):
        pool.pool([a, other])


def test_the_script_prints_a_verdict_per_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_run({"identity": {300: [[1.0, 1.0]] * 3, 3000: [[10.5, 10.5]] * 3},
                                     "all": {300: [[1.0, 1.0]] * 3, 3000: [[11.5, 11.5]] * 3}}, repeat=2)))
    assert pool.main([str(path), "--draws", "200"]) == 0
    out = capsys.readouterr().out
    assert "identity          10.50x" in out and out.splitlines()[1].endswith("met")
    assert "all               11.50x" in out and out.splitlines()[2].endswith("not shown")


def test_one_run_pooled_is_the_growth_commands_py_reports() -> None:
    # The growth of one run is the ratio of the CPU medians bench/commands.py's `summarise` keeps.
    commands = bench_module("commands")
    run = _run({"teams": {300: [[0.19, 0.21, 0.2], [0.18, 0.25, 0.22]], 3000: [[2.0, 2.3, 2.1], [1.9, 2.6, 2.2]]}},
               repeat=3)
    by_size = {size: commands.summarise(run["shapes"]["teams"][size]["commands"]["build"]["pairs"])["cpu"]
               for size in ("300", "3000")}
    assert pool.pool([run])["teams"]["growth"] == pytest.approx(by_size["3000"] / by_size["300"])

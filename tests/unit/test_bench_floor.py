"""The build's floor in bench/commands.py writes the same objects into the same files as the build."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import bench_module


def _docs(root: Path) -> dict[str, list[object]]:
    out = {}
    for p in sorted(root.rglob("*.yaml")):
        rel = p.relative_to(root).as_posix()
        if rel != "kustomization.yaml":
            out[rel] = list(yaml.safe_load_all(p.read_text("utf-8")))
    return out


def test_write_floor_writes_the_builds_files(tmp_path: Path) -> None:
    commands = bench_module("commands")
    org = commands.Org(tmp_path, "mixed", 10)
    n = org._n
    wall, cpu = org.write_floor()
    floor = org.scratch / f"o{n + 1}"  # a folder of its own (fresh)
    assert wall > 0 and cpu >= 0
    built, written = _docs(org.out), _docs(floor)
    assert sorted(written) == sorted(built) and len(written) > 10  # the same files, folder by folder
    assert written == built  # the same objects in the same order in each
    assert stat.S_IMODE(os.stat(floor / sorted(written)[0]).st_mode) == 0o600


def test_build_and_check_are_measured_as_the_commands_run(tmp_path: Path, capfd) -> None:
    # The command's tree (the one the floor copies) and its messages: to /dev/null, not to the table.
    commands = bench_module("commands")
    org = commands.Org(tmp_path, "mixed", 10)
    build, check = commands.in_process("build"), commands.in_process("check")
    out = tmp_path / "cmd-out"
    build([str(org.policy), "-o", str(out), "--secrets", str(tmp_path / "secrets")])
    check([str(org.policy)])
    assert _docs(out) == _docs(org.out)
    assert capfd.readouterr() == ("", "")
    bad = tmp_path / "bad.policy"
    bad.write_text("namespace {\n", encoding="utf-8")
    for command, args in ((build, ["-o", str(tmp_path / "bad-out")]), (check, [])):
        with pytest.raises(RuntimeError, match="exited 1"):
            command([str(bad), *args])


def test_the_table_and_json_are_out_before_the_folder_is_removed(tmp_path: Path, monkeypatch, capsys) -> None:
    """Removing the organisations' folders takes minutes at full size: main prints and writes first."""
    commands = bench_module("commands")
    seen = {}
    real_clean = commands.clean

    def clean(root: Path) -> None:
        seen["json"] = out.exists()
        seen["printed"] = capsys.readouterr().out
        seen["root"] = root
        seen["files"] = any(root.rglob("*.yaml"))  # the outputs were kept until now
        real_clean(root)

    monkeypatch.setattr(commands, "clean", clean)
    out = tmp_path / "bench.json"
    skip = "build,check,can-i,who-can,explain,diff,import,lsp,batch,rules,startup,verify"
    assert commands.main(["--shapes", "mixed", "--namespaces", "10", "--repeat", "1", "--skip", skip,
                          "--json", str(out)]) == 0
    assert seen["json"] and seen["files"]
    assert "machine:" in seen["printed"] and f"wrote {out}" in seen["printed"]
    assert not seen["root"].exists()


def test_each_size_of_each_shape_is_measured_by_a_process_of_its_own(tmp_path: Path) -> None:
    """No shape or size is measured on the heap another one left (`SizeWorker`), and the builds of
    the two sizes are timed in turns (`measure_shape`)."""
    commands = bench_module("commands")
    out = tmp_path / "bench.json"
    skip = "check,can-i,who-can,explain,diff,import,lsp,batch,rules,startup,verify"
    assert commands.main(["--shapes", "mixed,teams", "--namespaces", "10", "--repeat", "2", "--rounds", "2",
                          "--skip", skip, "--json", str(out)]) == 0
    shapes = json.loads(out.read_text("utf-8"))["shapes"]
    assert sorted(shapes) == ["mixed", "teams"]
    pids = [pid for sizes in shapes.values() for n in ("10", "100") for pid in sizes[n]["pid"]]
    assert len(set(pids)) == 8 and os.getpid() not in pids  # new processes each round
    build = [shapes[s][n]["commands"]["build"] for s in shapes for n in ("10", "100")]
    assert all(b["cpu"] > 0 and len(b["pairs"]) == 4 for b in build)  # both rounds' pairs in the medians
    assert shapes["teams"]["100"]["objects"] > 5 * shapes["teams"]["10"]["objects"]


def test_the_two_sizes_are_timed_in_turns(tmp_path: Path, monkeypatch) -> None:
    """A pair at N, a pair at 10N, then 10N first: each growth's medians see the same minutes."""
    commands = bench_module("commands")
    asked: list[tuple[int, str]] = []

    class Worker:
        def __init__(self, root: Path, shape: str, size: int, repeat: int, skip: set[str]) -> None:
            self.size, self.info = size, {"pid": size, "lines": size, "objects": size}

        def ask(self, request: str) -> object:
            asked.append((self.size, request))
            return {} if request == "rest" else [(1.0, float(self.size)), (1.0, 1.0)]

        def close(self) -> None:
            pass

    monkeypatch.setattr(commands, "SizeWorker", Worker)
    figures = commands.measure_shape(tmp_path, "mixed", 3, 3, {"check"})
    assert asked == [(3, "build"), (30, "build"), (30, "build"), (3, "build"), (3, "build"), (30, "build"),
                     (3, "rest"), (30, "rest")]
    asked.clear()
    commands.measure_shape(tmp_path, "mixed", 3, 1, {"check"}, rounds=2)
    assert asked == [(3, "build"), (30, "build"), (3, "build"), (30, "build"), (3, "rest"), (30, "rest")]
    assert figures["30"]["commands"]["build"]["cpu"] / figures["3"]["commands"]["build"]["cpu"] == 10


def test_a_size_worker_answers_each_request_with_one_line(tmp_path: Path) -> None:
    """The real worker process: the organisation's size, one pair per request, the rest as figures;
    nothing the commands print gets among the replies."""
    commands = bench_module("commands")
    skip = {"can-i", "who-can", "explain", "diff", "import"}
    worker = commands.SizeWorker(tmp_path, "mixed", 10, 1, skip)
    assert worker.info["objects"] > 10 and worker.info["pid"] != os.getpid()
    (build_wall, build_cpu), (floor_wall, floor_cpu) = worker.ask("build")
    assert build_wall > 0 and build_cpu > 0 and floor_wall > 0
    assert set(worker.ask("rest")) == set()  # build and check are the pairs', the rest skipped
    with pytest.raises(RuntimeError, match="exited"):
        worker.ask("nonsense")  # the worker stops on a request it does not know, and says so
    worker.proc.wait()


def test_on_tmpfs_agrees_with_df() -> None:
    """`isolated` removes a shape's outputs when they are memory (tmpfs); `df -t tmpfs` is the oracle."""
    if shutil.which("df") is None:
        pytest.skip("no `df` on this machine to compare with")
    commands = bench_module("commands")
    for path in (Path("/dev/shm"), Path("/proc/self"), Path.cwd()):
        if not path.exists():
            continue
        df = subprocess.run(["df", "-t", "tmpfs", str(path)], capture_output=True, check=False)
        assert commands.on_tmpfs(path) == (df.returncode == 0), path

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


def test_each_shape_is_measured_by_a_process_of_its_own(tmp_path: Path) -> None:
    """With several shapes, no shape is measured on the heap another one left (`isolated`)."""
    commands = bench_module("commands")
    out = tmp_path / "bench.json"
    skip = "check,can-i,who-can,explain,diff,import,lsp,batch,rules,startup,verify"
    assert commands.main(["--shapes", "mixed,teams", "--namespaces", "10", "--repeat", "1", "--skip", skip,
                          "--json", str(out)]) == 0
    shapes = json.loads(out.read_text("utf-8"))["shapes"]
    assert sorted(shapes) == ["mixed", "teams"]
    pids = {shape: {sizes[n]["pid"] for n in ("10", "100")} for shape, sizes in shapes.items()}
    assert all(len(p) == 1 for p in pids.values())  # both sizes of a shape in one child
    assert pids["mixed"] != pids["teams"] and os.getpid() not in pids["mixed"] | pids["teams"]
    assert all(shapes[s]["100"]["commands"]["build"]["time"] > 0 for s in shapes)


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

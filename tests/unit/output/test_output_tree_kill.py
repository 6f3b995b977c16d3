"""Replacing `out/` when the build is killed at any instant, or two builds run at once (issue 11).

A real `policyc build` runs in a subprocess and SIGKILLs itself at one step (kill_build.py wraps
policyc's functions from outside). After each kill the folder must hold exactly the old tree or
exactly the new one, and the next build must leave the new tree and no temporary trees.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.output import tree
from policyc.output.tree import BuildLockedError, write_tree

DRIVER = Path(__file__).with_name("kill_build.py")
OLD = "role r {\n  get pods\n}\n" + "".join(f"grant role r to user u{i} in ns{i}\n" for i in range(4))
NEW = "role r {\n  list pods\n}\n" + "".join(f"grant role r to user u{i} in team{i}\n" for i in range(5))


def snapshot(root: Path) -> dict[str, bytes] | None:
    if not root.exists():
        return None
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def build(policyc: list[str], policy: Path, out: Path) -> None:
    r = subprocess.run([*policyc, "build", str(policy), "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def killed(step: str, count: int, policy: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DRIVER), step, str(count), "--", "build", str(policy), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def trees(tmp_path: Path, policyc: list[str]) -> tuple[Path, Path, dict, dict]:
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, text in ((old, OLD), (new, NEW)):
        folder.mkdir()
        (folder / "a.policy").write_text(text)
    build(policyc, old, tmp_path / "ref-old")
    build(policyc, new, tmp_path / "ref-new")
    return old, new, snapshot(tmp_path / "ref-old"), snapshot(tmp_path / "ref-new")


@pytest.mark.parametrize(("step", "count"), [
    ("locked", 1), ("write", 1), ("write", 4), ("exchange", 1), ("exchanged", 1), ("rmtree", 1), ("rmtree", 3),
])
def test_killed_at_any_step_out_is_old_or_new_and_the_next_build_cleans_up(
    tmp_path: Path, policyc: list[str], trees, step: str, count: int
) -> None:
    old, new, old_tree, new_tree = trees
    out = tmp_path / "out"
    build(policyc, old, out)
    r = killed(step, count, new, out)
    assert r.returncode == -signal.SIGKILL, r.stderr
    after = snapshot(out)
    assert after in (old_tree, new_tree), f"{step} {count}: neither tree"
    if step in ("exchanged", "rmtree"):
        assert after == new_tree and leftovers(out)  # the old tree is left under a temporary name
    build(policyc, new, out)
    assert snapshot(out) == new_tree
    assert leftovers(out) == []


def test_killed_while_writing_the_first_tree_leaves_no_out_and_no_leftovers_after(
    tmp_path: Path, policyc: list[str], trees
) -> None:
    _, new, _, new_tree = trees
    out = tmp_path / "out"
    assert killed("write", 2, new, out).returncode == -signal.SIGKILL
    assert not out.exists() and leftovers(out)
    build(policyc, new, out)
    assert snapshot(out) == new_tree and leftovers(out) == []


def test_without_an_atomic_exchange_a_stranded_old_tree_is_put_back(tmp_path: Path, policyc: list[str], trees) -> None:
    """Where the system cannot exchange two folders, the two renames leave a gap; the next build closes it."""
    old, new, old_tree, new_tree = trees
    out = tmp_path / "out"
    build(policyc, old, out)
    assert killed("renamed", 1, new, out).returncode == -signal.SIGKILL
    assert not out.exists()
    tree._recover(out, tree._leftovers(out.parent, out.name))
    assert snapshot(out) == old_tree
    build(policyc, new, out)
    assert snapshot(out) == new_tree and leftovers(out) == []


def test_two_builds_at_once_are_serialised(tmp_path: Path, trees) -> None:
    old, new, old_tree, new_tree = trees
    out = tmp_path / "out"
    runs = [subprocess.Popen([sys.executable, str(DRIVER), "sleep", "10", "--", "build", str(p), "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in (old, new, old)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    assert [rc for rc, _ in results] == [0, 0, 0], results
    assert snapshot(out) in (old_tree, new_tree)
    assert leftovers(out) == []


def test_a_build_that_cannot_get_the_lock_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a.yaml": "a: 1\n"})
    before = snapshot(out)
    monkeypatch.setattr(tree, "LOCK_TIMEOUT", 0.2)
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another build holds the folder
        with pytest.raises(BuildLockedError, match="another policyc build is writing"):
            write_tree(out, {"b.yaml": "b: 1\n"})
    finally:
        os.close(fd)
    assert snapshot(out) == before and leftovers(out) == []
    write_tree(out, {"b.yaml": "b: 1\n"})  # the lock went with its holder


@pytest.mark.parametrize("plant", ["zero", "fifo", "list-zero"])
def test_a_committed_link_to_dev_zero_or_a_fifo_in_out_does_not_hang(
    tmp_path: Path, policyc: list[str], trees, plant: str
) -> None:
    """`out/` is committed: a pull request can replace a manifest (or the file list) with an endless file."""
    old, _, old_tree, _ = trees
    out = tmp_path / "out"
    build(policyc, old, out)
    victim = out / ("kustomization.yaml" if plant != "list-zero" else ".policyc-files")
    victim.unlink()
    if plant == "fifo":
        os.mkfifo(victim)
    else:
        victim.symlink_to("/dev/zero")
    r = subprocess.run([*policyc, "build", str(old), "-o", str(out), "--check"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and f"  {victim.name}\n" in r.stdout, r.stdout + r.stderr  # named, never read
    r = subprocess.run([*policyc, "build", str(old), "-o", str(out)], capture_output=True, text=True, timeout=60)
    if plant == "list-zero":  # without a readable file list nothing in OUT is known to be policyc's
        assert r.returncode == 2 and "policyc did not write" in r.stderr
    else:
        assert r.returncode == 0, r.stderr
        assert snapshot(out) == old_tree


def test_a_hand_made_file_list_cannot_name_paths_outside_or_escapes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a.yaml": "a: 1\n"})
    (tmp_path / "victim").write_text("keep\n")
    (out / tree.MANIFEST_LIST).write_text("a.yaml\n../victim\n/etc/passwd\nx\x1b[2J.yaml\n")
    assert tree.diff_tree(out, {"a.yaml": "a: 1\n"}) == [tree.MANIFEST_LIST]  # nothing outside is named
    write_tree(out, {"b.yaml": "b: 1\n"})
    assert (tmp_path / "victim").read_text() == "keep\n" and snapshot(out)["b.yaml"] == b"b: 1\n"


def test_a_file_system_without_flock_still_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def no_locks(fd: int, op: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # what some NFS mounts answer

    monkeypatch.setattr(fcntl, "flock", no_locks)
    write_tree(tmp_path / "out", {"a.yaml": "a: 1\n"})
    assert snapshot(tmp_path / "out")["a.yaml"] == b"a: 1\n"


def test_build_check_without_secrets_does_not_follow_a_committed_csr_link(tmp_path: Path) -> None:
    """The CSR file of `out/` stands in for a missing secrets folder; a link there is not read."""
    from policyc.output.credentials import requests_in_tree

    out = tmp_path / "out"
    (out / "cluster").mkdir(parents=True)
    (out / "cluster" / "certificatesigningrequests.yaml").symlink_to("/dev/zero")
    assert requests_in_tree(out, None) == {}  # returns at once: nothing read, nothing matched

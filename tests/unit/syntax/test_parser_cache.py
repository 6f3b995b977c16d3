"""policyc/syntax/parser.py: Lark's grammar analysis is kept in policyc's cache folder, read back by
later processes, and a damaged or missing file changes nothing but the time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

CODE = (
    "from pathlib import Path\n"
    "from policyc.syntax.parser import parse_text, to_lark\n"
    "from policyc.syntax import parser\n"
    "for p in sorted(Path(sys.argv[1]).rglob('*.policy')):\n"
    "    print(p.name, to_lark(parse_text(p.read_text(encoding='utf-8'))).pretty())\n"
    "print('lark', parser.parser().options.cache)\n"
)


def _parse(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", "import sys\n" + CODE, str(REPO / "policies")],
                          capture_output=True, text=True, env=env, check=True, timeout=120)
    assert done.stderr == ""
    return done.stdout


def _env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("POLICYC_NO_CACHE", "POLICYC_CACHE_DIR")}
    return {**env, **more}


def test_the_analysis_is_written_once_and_read_back(tmp_path: Path) -> None:
    env = _env(POLICYC_CACHE_DIR=str(tmp_path))
    first = _parse(env)
    [cached] = tmp_path.glob("lark-policy-*.pickle")
    written = cached.stat().st_mtime_ns
    assert _parse(env) == first  # read back: the same trees
    assert cached.stat().st_mtime_ns == written  # not written again
    assert first.rstrip().endswith(f"lark {cached}")


@pytest.mark.parametrize("damage", [b"", b"not the digest\n", None])
def test_a_damaged_file_is_analysed_again(tmp_path: Path, damage: bytes | None) -> None:
    env = _env(POLICYC_CACHE_DIR=str(tmp_path))
    expected = _parse(env)
    [cached] = tmp_path.glob("lark-policy-*.pickle")
    data = cached.read_bytes()
    cached.write_bytes(data[: len(data) // 2] if damage is None else damage)  # truncated, empty, foreign
    assert _parse(env) == expected
    rewritten = cached.read_bytes()  # whole again (pickles differ from run to run: set order)
    assert rewritten.split(b"\n", 1)[0] == data.split(b"\n", 1)[0] and len(rewritten) > len(data) // 2
    mtime = cached.stat().st_mtime_ns
    assert _parse(env) == expected and cached.stat().st_mtime_ns == mtime  # and read back


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    out = _parse(_env(POLICYC_CACHE_DIR=str(tmp_path), POLICYC_NO_CACHE="1"))
    assert list(tmp_path.iterdir()) == []
    assert out.rstrip().endswith("lark False")

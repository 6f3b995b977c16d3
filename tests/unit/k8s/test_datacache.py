"""policyc/k8s/datacache.py: the cached bootstrap roles are what the bundled YAML derives, and a change
to the data or the code is never answered from an old file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from policyc.k8s import bootstrap, cis, datacache, releases


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLICYC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("POLICYC_NO_CACHE", raising=False)
    return tmp_path


def _derived(version: tuple[int, int]) -> list[dict]:
    return bootstrap._derive(version)  # RELEASE_CHANGES, then the served resources


@pytest.mark.parametrize("version", [releases.OLDEST, (1, 26), releases.NEWEST])
def test_a_cached_release_is_the_one_the_yaml_derives(cache: Path, version: tuple[int, int]) -> None:
    name = f"bootstrap-{version[0]}.{version[1]}"
    first = datacache.cached(name, lambda: _derived(version))
    [written] = cache.glob(f"{name}-*.json")
    again = datacache.cached(name, lambda: pytest.fail("derived again although cached"))
    assert again == first == _derived(version)
    assert json.loads(written.read_text("utf-8")) == _derived(version)


def test_bootstrap_objects_read_through_the_cache_equal_the_derivation(cache: Path) -> None:
    bootstrap.bootstrap_objects.cache_clear()
    try:
        for version in releases.SUPPORTED:
            assert list(bootstrap.bootstrap_objects(version)) == _derived(version), version
        assert len(list(cache.glob("bootstrap-*.json"))) == len(releases.SUPPORTED)
    finally:
        bootstrap.bootstrap_objects.cache_clear()


def test_cis_benchmarks_read_through_the_cache_equal_the_yaml(cache: Path) -> None:
    cis._data.cache_clear()
    try:
        assert cis._data() == cis._read()
        cis._data.cache_clear()
        assert json.dumps(cis._data()) == json.dumps(cis._read())  # read back, in the YAML's order
        [written] = cache.glob("cis-benchmarks-*.json")
        written.write_text(json.dumps({"releases": {}, "benchmarks": {}, "source": {}}), "utf-8")
        cis._data.cache_clear()
        assert cis._data() == {"releases": {}, "benchmarks": {}, "source": {}}  # read back, not derived
    finally:
        cis._data.cache_clear()


def test_the_digest_covers_the_data_and_the_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = tmp_path / "policyc"
    for folder in datacache._INPUTS:
        (package / folder).mkdir(parents=True)
    (package / "data/bootstrap/cluster-roles.yaml").write_text("items: []\n", "utf-8")
    (package / "k8s/bootstrap.py").write_text("x = 1\n", "utf-8")
    monkeypatch.setattr(datacache, "_PACKAGE", package)
    digests = []
    for path, text in (("data/bootstrap/cluster-roles.yaml", "items: [{}]\n"), ("k8s/bootstrap.py", "x = 2\n"),
                       ("data/bootstrap/per-release/1.30.yaml", "items: []\n"), ("data/releases/1.99.json", "{}"),
                       ("data/cis/benchmarks.yaml", "releases: {}\n")):
        datacache.inputs_digest.cache_clear()
        digests.append(datacache.inputs_digest())
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text(text, "utf-8")
    datacache.inputs_digest.cache_clear()
    digests.append(datacache.inputs_digest())
    datacache.inputs_digest.cache_clear()
    assert len(set(digests)) == len(digests)


def test_a_damaged_file_is_derived_again_and_no_cache_derives_always(cache: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert datacache.cached("t", lambda: {"a": [1]}) == {"a": [1]}
    [written] = cache.glob("t-*.json")
    written.write_text("{not json", "utf-8")
    assert datacache.cached("t", lambda: {"a": [2]}) == {"a": [2]}
    assert json.loads(written.read_text("utf-8")) == {"a": [2]}
    assert datacache.cached("u", lambda: (1, 2)) == (1, 2)  # not JSON-exact: never written
    assert not list(cache.glob("u-*.json"))
    monkeypatch.setenv("POLICYC_NO_CACHE", "1")
    assert datacache.cached("t", lambda: {"a": [3]}) == {"a": [3]}


def test_an_unwritable_cache_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv("POLICYC_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.delenv("POLICYC_NO_CACHE", raising=False)
    assert datacache.cached("t", lambda: [1]) == [1]


def test_writing_prunes_stale_results_of_the_same_name_only(cache: Path) -> None:
    """Results other inputs wrote are removed once nobody rewrote them for STALE_DAYS; recent ones
    (another installed version in use) and other names' files stay."""
    day = 86400.0
    old_other = cache / f"t-{'a' * 32}.json"
    recent_other = cache / f"t-{'b' * 32}.json"
    old_tmp = cache / ".t-xyz.tmp"
    other_name = cache / f"u-{'c' * 32}.json"
    not_ours = cache / "notes.txt"
    for path in (old_other, recent_other, old_tmp, other_name, not_ours):
        path.write_text("{}", "utf-8")
    stale = time.time() - (datacache.STALE_DAYS + 1) * day
    for path in (old_other, old_tmp, other_name, not_ours):
        os.utime(path, (stale, stale))
    assert datacache.cached("t", lambda: {"a": [1]}) == {"a": [1]}
    assert not old_other.exists() and not old_tmp.exists()
    assert recent_other.exists() and other_name.exists() and not_ours.exists()
    [current] = [p for p in cache.glob("t-*.json") if p != recent_other]
    assert json.loads(current.read_text("utf-8")) == {"a": [1]}

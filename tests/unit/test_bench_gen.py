"""bench/gen_org.py: a small generated organisation compiles without errors, deterministically.

The benchmark is only meaningful if what it builds is a valid program that uses the language
broadly; these tests check that through the real pipeline (no timing assertions).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO, bench_module
from policyc.pipeline import compile_path

GEN = REPO / "bench" / "gen_org.py"



@pytest.fixture(scope="module")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60-namespace organisation written by the command line, as bench/run.py does."""
    out = tmp_path_factory.mktemp("org") / "policy"
    done = subprocess.run(
        [sys.executable, str(GEN), "--namespaces", "60", "--seed", "7", "-o", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "60 namespaces" in done.stdout
    return out


def test_small_organisation_compiles_without_errors(small_org: Path) -> None:
    result = compile_path(small_org)
    errors = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.is_error]
    assert errors == []
    assert result.ok and result.manifests


def test_it_uses_the_language_broadly(small_org: Path) -> None:
    result = compile_path(small_org)
    policy = result.policy
    assert policy is not None and result.program is not None
    assert len(policy.namespaces) == 60
    assert len({ns.name.text for ns in policy.namespaces}) == 60, "namespace names are unique"
    assert len(policy.teams) >= 6 + 2  # one team per ten namespaces, plus platform and auditors
    assert policy.kubernetes is not None and policy.kubernetes.text == "1.30"
    assert any(r.is_aggregate for r in policy.roles), "aggregated roles"
    assert any(r.aggregate_to and r.aggregate_to[0].text == "view" for r in policy.roles), "aggregate-to view"
    assert any(r.namespace is not None for r in policy.roles), "namespaced roles"
    assert any(g.cluster for g in policy.grants), "cluster grants"
    assert any(g.rule is not None and g.rule.names for g in policy.grants), "inline grants with `named`"
    assert any(r.is_nonresource for role in policy.roles for r in role.rules), "non-resource URLs"
    kinds = Counter(s.kind for t in policy.teams for s in t.members)
    assert {"user", "group", "serviceaccount", "team"} <= set(kinds)
    assert policy.guards, "guards"
    assert len(policy.files) > 10, "spread over many files"
    emitted = Counter(m.kind for m in result.manifests)
    for kind in ("Namespace", "ServiceAccount", "ClusterRole", "Role", "RoleBinding", "ClusterRoleBinding"):
        assert emitted[kind] > 0, kind
    aggregated = [m for m in result.manifests if m.kind == "ClusterRole" and "aggregationRule" in m.body]
    assert aggregated


def test_same_seed_same_files_other_seed_other_files() -> None:
    gen = bench_module("gen_org")
    first = gen.generate(30, seed=5)
    assert gen.generate(30, seed=5) == first
    assert gen.generate(30, seed=6) != first


def test_everything_scales_with_the_namespaces() -> None:
    gen = bench_module("gen_org")
    small, large = gen.generate(50), gen.generate(500)
    small_lines = sum(t.count("\n") for t in small.values())
    large_lines = sum(t.count("\n") for t in large.values())
    assert 8 * small_lines < large_lines < 12 * small_lines
    assert sum(p.startswith("teams/") for p in small) == 5
    assert sum(p.startswith("teams/") for p in large) == 50
    assert sum(p.startswith("namespaces/") for p in large) == 50


def test_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, str(GEN), "--namespaces", "10", "-o", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    assert "not empty" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        bench_module("gen_org").generate(5)


# ------------------------------------------------------------------ shapes (issue 19)


def test_mixed_is_the_default_and_unchanged() -> None:
    gen = bench_module("gen_org")
    assert gen.generate(40) == gen.generate(40, 1, "mixed") == gen.generate(40, 1, gen.Shape())


def test_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown shape `wide`"):
        bench_module("gen_org").generate(20, 1, "wide")


def _counts(files: dict[str, str]) -> Counter:
    """What a generated organisation holds, counted from its text."""
    c: Counter = Counter()
    c["files"] = len(files)
    for text in files.values():
        for line in text.splitlines():
            s = line.strip()
            c["teams"] += line.startswith("team ")
            c["users"] += line.startswith("user ")
            c["serviceaccounts"] += line.startswith("serviceaccount ")
            c["guards"] += line.startswith("forbid ")
            c["everyone guards"] += line.startswith("forbid ") and " for everyone" in line
            c["grants"] += s.startswith("grant ")
            c["roles"] += line.startswith("role ")
            c["rules"] += line.startswith("  ") and not s.startswith(("grant", "members", "labels", "pod-security",
                                                                       "quota", "limits", "container", "}"))
            if s.startswith("members "):
                members = s[len("members "):].split(", ")
                c["members"] += len(members)
                c["groups"] += sum(m.startswith("group ") for m in members)
    return c


# Which count each shape makes heavy, and by at least how much against `mixed` at the same size.
HEAVY = {
    "namespaces": ("teams", 1 / 2),  # fewer, larger teams: namespaces per team is the dimension
    "teams": ("teams", 4),
    "users": ("users", 10),
    "groups": ("groups", 5),
    "serviceaccounts": ("serviceaccounts", 3),
    "members": ("members", 5),
    "guards": ("guards", 5),
    "grants": ("grants", 2),
    "roles": ("roles", 3),
    "rules": ("rules", 2),
    "files": ("files", 3),
}


@pytest.mark.parametrize("shape", sorted(HEAVY))
def test_each_shape_makes_its_dimension_heavy(shape: str) -> None:
    gen = bench_module("gen_org")
    base, heavy = _counts(gen.generate(300)), _counts(gen.generate(300, 1, shape))
    what, factor = HEAVY[shape]
    if factor < 1:
        assert heavy[what] <= base[what] * factor, (what, heavy[what], base[what])
    else:
        assert heavy[what] >= base[what] * factor, (what, heavy[what], base[what])


def test_identity_shape_is_the_organisation_of_issue_19() -> None:
    gen = bench_module("gen_org")
    files = gen.generate(3000, 1, "identity")
    c = _counts(files)
    assert c["teams"] == 1000 + 2  # one per 3 namespaces, plus platform and auditors
    assert c["users"] == 9000  # nine declared users per team
    assert c["serviceaccounts"] == 2 * 3000 + 1000  # per namespace the app's and one more; per team its CI account
    assert c["everyone guards"] == 3
    lines = sum(t.count("\n") for t in files.values())
    assert 40_000 <= lines <= 60_000


def test_every_dimension_scales_tenfold() -> None:
    gen = bench_module("gen_org")
    for shape in ("identity", "all"):
        small, large = _counts(gen.generate(50, 1, shape)), _counts(gen.generate(500, 1, shape))
        for what in ("teams", "users", "serviceaccounts", "grants", "members"):
            assert 8 * small[what] <= large[what] <= 12 * small[what] + 20, (shape, what)


@pytest.mark.parametrize("shape", ["namespaces", "teams", "users", "groups", "serviceaccounts", "members", "guards",
                                   "grants", "roles", "rules", "files", "identity", "all"])
def test_every_shape_compiles_without_errors(shape: str, tmp_path: Path) -> None:
    gen = bench_module("gen_org")
    gen.write(tmp_path / "org", gen.generate(30, 1, shape))
    result = compile_path(tmp_path / "org", lints=True)
    errors = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.is_error]
    assert errors == []
    assert result.ok and result.manifests

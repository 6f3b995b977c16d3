"""The check stage and the redundancy lint do no work per team member per grant (issue 19),
counted, not timed.

Two paths rebuilt per subject what is the same for a whole team: every grant `to team T`
expanded T's members again (`rbac_subjects`; now `SubjectSets.of`), and PC520 asked, for every member of a grant's
team, whether that member's other grants cover it (`_covered`), although the members share
those grants. These tests count calls of the real functions on generated organisations
(bench/gen_org.py) that differ only in one dimension and require the count not to follow it.
Timing is bench/commands.py's business.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import bench_module
from policyc.check import access_lints, grants
from policyc.pipeline import compile_path, compile_sources
from policyc.source import SourceFile


def _count(mp: pytest.MonkeyPatch, owner: object, name: str, counts: Counter, key: Callable[..., str]) -> None:
    """Replace `owner.name` by the real function counting its calls in `counts[key(*args)]`."""
    real = getattr(owner, name)

    def spy(*args):  # type: ignore[no-untyped-def]
        counts[key(*args)] += 1
        return real(*args)

    mp.setattr(owner, name, spy)


def _compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, **shape: int) -> tuple[Counter, object]:
    gen = bench_module("gen_org")
    org = tmp_path / name
    gen.write(org, gen.generate(40, 1, gen.Shape(**shape)))
    counts: Counter = Counter()
    with monkeypatch.context() as mp:
        # `SubjectSets.of` asks for a subject's fields once per (kind, name): None for a team, which
        # it then expands from its members.
        _count(mp, grants, "subject_fields", counts, lambda kind, *_: f"expand {kind}")
        _count(mp, access_lints, "_covered", counts, lambda *_: "covered")
        result = compile_path(org, lints=True)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return counts, result


def test_each_team_is_expanded_once_however_many_grants_name_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    few, result = _compile(tmp_path, monkeypatch, "few")
    many, _ = _compile(tmp_path, monkeypatch, "many", grants_per_ns=6)
    teams = len(result.program.teams)  # type: ignore[attr-defined]
    assert 0 < few["expand team"] <= teams
    assert many["expand team"] == few["expand team"]  # six more grants per namespace, no more expansions
    # The grants still bind every member: a team grant's binding names the team's members.
    bindings = result.program.bindings  # type: ignore[attr-defined]
    members = result.program.team_members  # type: ignore[attr-defined]
    team_grants = [(b, g) for b in bindings for g in b.grants if any(s.kind == "team" for s in g.subjects)]
    assert team_grants
    for b, g in team_grants:
        for s in g.subjects:
            if s.kind == "team":
                assert set(members[s.name]) <= set(b.subjects)


def _team(members: int) -> str:
    """A team whose later grant is covered by its earlier one (PC520) for every member alike."""
    names = ", ".join(f"user u{i}@example.com" for i in range(members))
    return (f"team t {{\n  members {names}\n  grant role edit in a, b\n  grant read pods/log in a\n"
            "  grant read events in b\n}\n")


def _pc520(members: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[tuple[str, str, tuple[str, ...]]]]:
    counts: Counter = Counter()
    with monkeypatch.context() as mp:
        _count(mp, access_lints, "_covered", counts, lambda *_: "covered")
        result = compile_sources([SourceFile("team.policy", _team(members))], lints=True)
    found = [(str(d.span), d.message, tuple(str(label.span) for label in d.labels))
             for d in result.diagnostics if d.code == "PC520"]
    return counts["covered"], found


def test_redundancy_lint_work_does_not_follow_the_members_of_a_team(monkeypatch: pytest.MonkeyPatch):
    few, reported = _pc520(2, monkeypatch)
    many, reported_many = _pc520(60, monkeypatch)
    # Both later grants are covered by `edit`, for every member: reported, naming `edit`.
    assert [(span, labels) for span, _, labels in reported] == [
        ("team.policy:4:3", ("team.policy:3:3",)), ("team.policy:5:3", ("team.policy:3:3",))]
    assert reported_many == reported
    # The members share their other grants, so one answer per grant and scope serves them all:
    # 30 times the members, the same number of questions (before: one per member, 30 times as many).
    assert 0 < many == few


def _teams(count: int) -> str:
    """`count` teams granting the same inline rules (and `edit`) in their own namespace."""
    return "".join(f"team t{i} {{\n  members user u{i}@example.com\n  grant role edit in ns{i}\n"
                   f"  grant read pods/log, events in ns{i}\n  grant create pods/exec in ns{i}\n}}\n"
                   for i in range(count))


def _lint_work(count: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[tuple[str, str]]]:
    counts: Counter = Counter()
    with monkeypatch.context() as mp:
        _count(mp, access_lints, "_meets", counts, lambda *_: "meets")
        result = compile_sources([SourceFile("teams.policy", _teams(count))], lints=True)
    return counts["meets"], [(d.code, d.message) for d in result.diagnostics if d.code.startswith("PC5")]


def test_cis_lints_plan_equal_inline_rules_once(monkeypatch: pytest.MonkeyPatch):
    few, lints_few = _lint_work(2, monkeypatch)
    many, lints_many = _lint_work(20, monkeypatch)
    # Every team's grants get their lints (PC504 for pods/exec, PC520 for the covered read) ...
    assert {code for code, _ in lints_few} >= {"PC502", "PC520"}
    assert len(lints_many) == 10 * len(lints_few)
    # ... but equal inline rules are planned once: 10x the teams, not 10x the rule tests.
    assert 0 < many == few


def _role_lint_work(namespaces: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Counter, int]:
    """Rule tests of the access lints on a generated organisation with roles per team (their rules
    are the same from one team to the next: bench/gen_org.py `roles`)."""
    gen = bench_module("gen_org")
    org = tmp_path / f"roles{namespaces}"
    gen.write(org, gen.generate(namespaces, 1, gen.Shape(roles_per_team=3)))
    counts: Counter = Counter()
    with monkeypatch.context() as mp:
        _count(mp, access_lints, "_meets", counts, lambda *_: "meets")
        _count(mp, access_lints.matching, "rule_covers", counts, lambda *_: "covers")
        result = compile_path(org, lints=True)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return counts, sum(d.code.startswith("PC5") for d in result.diagnostics)


def test_lints_test_equal_role_rules_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    few, lints_few = _role_lint_work(20, tmp_path, monkeypatch)
    many, lints_many = _role_lint_work(200, tmp_path, monkeypatch)
    assert lints_many > 5 * lints_few > 0  # every team's grants are still linted
    # Roles of equal rules share one plan (CIS lints) and one coverage answer per rule and piece
    # (PC520). 10 times the teams draw more distinct rule sets, so the tests still grow, but
    # 2.6x and 3.8x here (before: 5.4x and 7.2x, one plan per role and a test per piece and grant).
    assert 0 < many["meets"] < 4 * few["meets"]
    assert 0 < many["covers"] < 5 * few["covers"]

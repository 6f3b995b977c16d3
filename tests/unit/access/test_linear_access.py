"""Guard checking and the access diff stay linear in the subjects (issue 19), counted, not timed.

A quadratic path shows as work per subject that grows with the number of subjects: the user
table rebuilt for every identity, the service accounts of a namespace found by scanning all of
them, a guard's permissions re-sorted for every subject that reaches them. These tests count
calls of the real functions on generated organisations of two sizes (bench/gen_org.py,
identity-heavy: guards `for everyone`) and require the counts to grow like the input. Timing
is bench/commands.py's business.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO
from policyc.access import guards as guards_mod
from policyc.access.authorizer import AccessModel
from policyc.access.diff import same_urls
from policyc.access.escalation import EscalationGraph
from policyc.access.matching import breakdown, rule_covers
from policyc.model.program import Program
from policyc.pipeline import compile_path


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_org", REPO / "bench" / "gen_org.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _counted(monkeypatch: pytest.MonkeyPatch, counts: Counter, cls: type, name: str) -> None:
    real = getattr(cls, name)

    def spy(*args: object, **kwargs: object) -> object:
        counts[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(cls, name, spy)


def _work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, namespaces: int) -> tuple[Counter, int]:
    gen = _gen()
    org = tmp_path / f"org-{namespaces}"
    gen.write(org, gen.generate(namespaces, 1, "identity"))
    counts: Counter = Counter()
    with monkeypatch.context() as mp:
        _counted(mp, counts, Program, "user_name")
        _counted(mp, counts, EscalationGraph, "serviceaccounts_in")
        _counted(mp, counts, guards_mod.GuardSpec, "forbids")
        result = compile_path(org)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    assert result.program is not None
    return counts, len(result.program.users)


def test_guard_checking_grows_like_the_organisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small, users_small = _work(tmp_path, monkeypatch, 30)
    large, users_large = _work(tmp_path, monkeypatch, 120)
    assert users_large == 4 * users_small
    # The user table is built once per program: one name per declared user (and per subject
    # named in the policy), not one per user per identity.
    assert large["user_name"] <= 2 * users_large + 50
    for name in ("user_name", "serviceaccounts_in", "forbids"):
        assert small[name] > 0, name
        # 4x the organisation: about 4x the calls (quadratic would be 16x).
        assert large[name] <= 5 * small[name], (name, small[name], large[name])


def test_serviceaccounts_in_is_an_index_lookup() -> None:
    sas = [(f"ns{i}", f"sa{j}") for i in range(50) for j in range(3)]
    model = AccessModel({}, [], sas, [])
    assert model.serviceaccounts_in("ns7") == [("ns7", "default"), ("ns7", "sa0"), ("ns7", "sa1"), ("ns7", "sa2")]
    assert model.serviceaccounts_in("elsewhere") == [("elsewhere", "default")]
    # Callers may change the list they get without changing the index.
    model.serviceaccounts_in("ns7").clear()
    assert len(model.serviceaccounts_in("ns7")) == 4


def test_a_rule_covers_each_of_its_pieces() -> None:
    """What the access diff's shortcut relies on: a permission held unchanged on the other side
    covers every piece of itself, so its pieces need not be looked up one by one."""
    from policyc.access.policy import builtin_roles

    rules = [r for role in builtin_roles().values() for r in role.rules]
    assert len(rules) > 50
    for rule in rules:
        rule = same_urls(rule)
        assert all(rule_covers(rule, piece) for piece in breakdown(rule)), rule

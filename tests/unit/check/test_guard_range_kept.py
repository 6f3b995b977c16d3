"""`guard_range` keeps each range per program by the kinds and names of the guard's subjects and
excepts: every guard's kept range equals the one computed for that guard alone, on the spec
examples and on guards that share subjects but differ in excepts, spans or order."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import case_folders, shared_path
from policyc.check import access_guards
from policyc.pipeline import compile_path, compile_sources
from policyc.source import SourceFile

GUARDS = """\
team ops { members user alice, group admins, serviceaccount ops/bot }
team dev { members user bob, group devs }
user alice auth certificate groups admins
user carol auth certificate groups devs
namespace ops {
  grant role view to team dev
  grant role edit to team ops
}
serviceaccount ops/bot
forbid delete secrets for everyone except team ops
forbid delete secrets for everyone except team ops in ops
forbid create pods for everyone except team dev
forbid create pods for everyone except group devs
forbid create pods for team ops, team dev except user alice
forbid create pods for team dev, team ops except user alice
forbid get nodes for everyone
"""


def _assert_kept_equal_alone(program) -> int:
    for g in program.policy.guards:
        assert access_guards.guard_range(g, program) == access_guards._range(g, program), g
    return len(program.policy.guards)


def test_kept_ranges_equal_each_guard_alone() -> None:
    result = compile_sources([SourceFile("a.policy", GUARDS)])
    assert result.program is not None, result.diagnostics
    assert _assert_kept_equal_alone(result.program) == 7
    guards = result.program.policy.guards
    ranges = [access_guards.guard_range(g, result.program) for g in guards]
    assert ranges[0] == ranges[1]  # the same subjects and excepts, another namespace: one range
    assert ranges[2] != ranges[3]  # other excepts: another range
    assert ranges[4] != ranges[5]  # the order of the subjects is the range's order
    assert sorted(ranges[4]) == sorted(ranges[5])
    ranges[0].clear()  # a caller's list is its own
    assert access_guards.guard_range(guards[0], result.program) == ranges[1]


@pytest.mark.parametrize("name", ["article", "org"])
def test_kept_ranges_on_the_spec_examples(name: str) -> None:
    folder = shared_path("spec", name)
    assert folder in case_folders(folder.parent)
    result = compile_path(Path(folder))
    assert result.program is not None
    assert _assert_kept_equal_alone(result.program) > 0

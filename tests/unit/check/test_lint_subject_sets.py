"""The access lints read each tuple of subjects once: `grant_uses` gives the grants of one tuple one
set (a team's grants share theirs), `_by_subject` finds each set's lists once, and `_Flagger.concerned`
lists the lints a grant's plan has something for. Each equals what the plain loops give."""

from __future__ import annotations

from collections import defaultdict

from helpers import compile_text
from policyc.access.policy import model_from_program
from policyc.check.access_lints import _LINTS, _by_subject, _Flagger, grant_uses

POLICY = """
team web {
  members group devs, user ann, serviceaccount apps/ci
  grant role view in a, b
  grant get, list secrets in a
  grant create pods in b
}
grant role edit to user ann in a
grant role edit to user ann, group ops in b
namespace a {}
namespace b {}
"""


def test_grant_uses_share_sets_and_the_index_is_the_plain_one() -> None:
    result = compile_text(POLICY)
    program = result.program
    assert program is not None
    uses = grant_uses(program, model_from_program(program, result.manifests))
    for u in uses:
        expected = {s for b in program.bindings if any(g is u.grant for g in b.grants) for s in b.subjects}
        assert u.subjects == expected
    team = [u for u in uses if u.grant.team == "web"]
    assert len(team) == 3 and all(u.subjects is team[0].subjects for u in team)
    plain: dict = defaultdict(list)
    for u in uses:
        for s in u.subjects:
            plain[s].append(u)
    assert _by_subject(uses) == plain
    flag = _Flagger(uses, program.release)
    for u in uses:
        plan = flag._plan(u)
        assert flag.concerned(u) == [lint for lint in _LINTS if plan[lint.code][0] or plan[lint.code][1]]
    assert any(flag.concerned(u) for u in uses)

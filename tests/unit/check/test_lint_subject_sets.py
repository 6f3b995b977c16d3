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


SHARED = """
role everything {
  * *
}
team web {
  members group devs, serviceaccount apps/default, serviceaccount b/default, serviceaccount apps/ci
  grant role view in a, b
  grant role everything in a
  grant get pods in b
}
grant role everything to user ann in b
grant role view to serviceaccount a/default in a
namespace a {}
namespace b {}
namespace apps {}
"""


def test_per_tuple_answers_are_the_plain_ones() -> None:
    """`_Flagger.everything` and `default_accounts` answer once per tuple or set what `_cis_of` asked per grant."""
    from policyc.check.access_lints import _is_everything
    from policyc.pipeline import compile_sources
    from policyc.source import SourceFile

    result = compile_sources([SourceFile("test.policy", SHARED)], lints=True)
    program = result.program
    assert program is not None
    uses = grant_uses(program, model_from_program(program, result.manifests))
    flag = _Flagger(uses, program.release)
    for u in uses:
        assert flag.everything(u.rules) == _is_everything(u.rules)
        plain = sorted([s for s in u.subjects if s.kind == "ServiceAccount" and s.name == "default"])
        assert flag.default_accounts(u.subjects) == plain
    found = sorted((d.span.line, d.message) for d in result.diagnostics if d.code in ("PC501", "PC505"))
    # Each team grant names the team's two `default` accounts, but the one giving every permission (PC501
    # only); the grant of `a/default` its own.
    assert [(line, m) for line, m in found if "default" in m] == [
        (7, "grant of role `view` gives rights to the `default` service account of `apps`"),
        (7, "grant of role `view` gives rights to the `default` service account of `b`"),
        (9, "grant gives rights to the `default` service account of `apps`"),
        (9, "grant gives rights to the `default` service account of `b`"),
        (12, "grant of role `view` gives rights to the `default` service account of `a`"),
    ]
    assert [line for line, m in found if "every permission" in m] == [8, 11]

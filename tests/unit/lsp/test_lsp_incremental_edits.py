"""After a sequence of edits, the server's diagnostics equal a fresh `policyc check` (lints on) of the
same text, with everything kept between analyses turned on (escalation searches, the grant lints
per class): breaking and restoring a grant, breaking and restoring a guard, new RBAC objects, a
role many grants use, text moving under other grants, and undo."""

from __future__ import annotations

from pathlib import Path

from conftest import bench_module
from helpers import same_as_fresh
from policyc.check import access_lints
from policyc.lsp.workspace import PolicyFolder

TEAM = "teams/t000-logistics.policy"
ROLES = "roles/roles-00.policy"




def _edits(team: str, roles: str) -> list[tuple[str, str, str]]:
    """(what, file, text): each applied on top of the previous ones."""
    assert "grant role edit in" in team and "get, watch, list pods, pods/log" in roles
    impersonate = team.replace("  grant read nodes, namespaces in cluster",
                               "  grant read nodes, namespaces in cluster\n  grant impersonate users in cluster")
    return [
        ("broken grant", TEAM, team.replace("grant role edit in", "grant role no-such-role in", 1)),
        ("restored", TEAM, team),
        ("guard broken", TEAM, impersonate),
        ("guard restored", TEAM, team),
        ("new RBAC", TEAM, team.replace("grant read pods/log, events in", "grant read pods/log, events, pods in", 1)),
        ("role of many grants reads secrets", ROLES, roles.replace("get, watch, list pods, pods/log",
                                                                    "get, watch, list pods, pods/log, secrets", 1)),
        ("text moves under every grant of the file", ROLES, "# a comment\n\n" + roles),
        ("role restored", ROLES, roles),
        ("undo", TEAM, team),
        ("guard broken again", TEAM, impersonate),
    ]


def test_diagnostics_after_each_edit_equal_a_fresh_check(tmp_path: Path, kept: None) -> None:
    gen = bench_module("gen_org")
    gen.write(tmp_path, gen.generate(20, 1, "identity"))
    program = PolicyFolder(tmp_path)
    program.scan()
    program.analyse()
    codes = {}
    for version, (what, name, text) in enumerate(_edits(program.disk[TEAM], program.disk[ROLES]), start=2):
        program.open(name, text, version)
        before = access_lints._KEPT.computed
        found = same_as_fresh(program, what)
        codes[what] = (found, access_lints._KEPT.computed - before)
    # The edits did what they say (so that the comparison above covers them).
    assert "PC101" in codes["broken grant"][0]
    assert {"PC301", "PC302"} & codes["guard broken"][0] and not {"PC301", "PC302"} & codes["restored"][0]
    assert {"PC301", "PC302"} & codes["guard broken again"][0]
    assert codes["restored"][1] == 0 and codes["undo"][1] <= 1  # kept from earlier analyses
    assert codes["role of many grants reads secrets"][1] > 10  # every class with a grant of the role

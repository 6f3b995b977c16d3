"""After every edit of a sequence (hand-picked, then random), the language server's diagnostics equal
a fresh `policyc check` (lints on) of the same files, byte for byte when rendered, with everything
the server keeps between analyses turned on: the escalation searches and carried guard verdicts,
the grant lints per class, each guard range per program and the results of the last analyses of
the same texts (policyc/lsp/workspace.py `PolicyFolder._compiled`)."""

from __future__ import annotations

import random
import re
from pathlib import Path

from conftest import bench_module
from helpers import same_as_fresh
from policyc.lsp.workspace import PolicyFolder
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

TEAM = "teams/t000-logistics.policy"
OTHER = "teams/t001-finance.policy"
ROLES = "roles/roles-00.policy"


def _folder(tmp_path: Path, namespaces: int = 20) -> PolicyFolder:
    gen = bench_module("gen_org")
    gen.write(tmp_path, gen.generate(namespaces, 1, "identity"))
    program = PolicyFolder(tmp_path)
    program.scan()
    program.analyse()
    return program




def _set(program: PolicyFolder, name: str, text: str, version: int) -> None:
    """The editor's text of one file (the file is opened, or its text replaced)."""
    program.open(name, text, version)


def _delete(program: PolicyFolder, name: str) -> None:
    """The file is closed and deleted on disk (the server rereads it: gone)."""
    program.path_of(name).unlink()
    program.close(name)


def test_hand_picked_edits_equal_a_fresh_check(tmp_path: Path, kept: None) -> None:
    program = _folder(tmp_path)
    team, other, roles = program.disk[TEAM], program.disk[OTHER], program.disk[ROLES]
    assert "grant role edit in" in team and "role app-operator-00" in roles
    renamed = {n: t.replace("app-operator-00", "app-runner-00") for n, t in program.disk.items()}
    broken = team.replace("grant role edit in", "grant role no-such-role in", 1)
    guard_broken = team.replace("  grant read nodes, namespaces in cluster",
                                "  grant read nodes, namespaces in cluster\n  grant impersonate users in cluster")
    steps: list[tuple[str, str, str]] = [
        ("comment", TEAM, "# a comment\n" + team),
        ("broken", TEAM, broken),
        ("restored", TEAM, team),
        ("new RBAC", TEAM, team.replace("grant read pods/log, events in", "grant read pods/log, events, pods in", 1)),
        ("comment after new RBAC", TEAM, "# one\n# two\n" + team.replace(
            "grant read pods/log, events in", "grant read pods/log, events, pods in", 1)),
        ("broken again (a state seen before)", TEAM, broken),
        ("restored again (a state seen before)", TEAM, team),
        ("comment in the other team", OTHER, other.replace("\n", "\n# note\n", 3)),
        ("guard broken", TEAM, guard_broken),
        ("undo", TEAM, team),
    ]
    codes: dict[str, set[str]] = {}
    version = 2
    for what, name, text in steps:
        _set(program, name, text, version)
        version += 1
        codes[what] = same_as_fresh(program, what)
    # A role renamed in every file (declaration and uses), then half of it undone (PC101).
    for name, text in renamed.items():
        if text != program.disk[name] or name in program.overlays:
            _set(program, name, text, version)
            version += 1
    codes["renamed"] = same_as_fresh(program, "renamed")
    _set(program, ROLES, roles, version)
    version += 1
    codes["rename half undone"] = same_as_fresh(program, "rename half undone")
    _set(program, ROLES, renamed[ROLES], version)
    version += 1
    codes["rename done again"] = same_as_fresh(program, "rename done again")
    # A file deleted: its grants and users are gone.
    _delete(program, OTHER)
    codes["file deleted"] = same_as_fresh(program, "file deleted")
    # A file renamed: the same text under another name (every span names the new file).
    program.path_of("teams/moved.policy").write_text(other)
    program.reread("teams/moved.policy")
    codes["file renamed"] = same_as_fresh(program, "file renamed")
    # The edits did what they say (so that the comparisons above cover them).
    assert "PC101" in codes["broken"] and "PC101" in codes["broken again (a state seen before)"]
    assert {"PC301", "PC302"} & codes["guard broken"] and not {"PC301", "PC302"} & codes["undo"]
    assert "PC101" not in codes["renamed"] and "PC101" in codes["rename half undone"]
    assert "PC101" not in codes["rename done again"]


def test_a_state_seen_again_gets_its_earlier_result(tmp_path: Path, kept: None) -> None:
    program = _folder(tmp_path, 12)
    team = program.disk[TEAM]
    first = program.analyse().result
    program.open(TEAM, "# x\n" + team, 2)
    edited = program.analyse().result
    assert edited is not first
    program.open(TEAM, team, 3)
    assert program.analyse().result is first  # the texts of two analyses before
    for k in range(5):  # more states than are kept: the first one is computed again
        program.open(TEAM, f"# {k}\n" + team, 4 + k)
        program.analyse()
    program.open(TEAM, team, 9)
    again = program.analyse().result
    assert again is not first and again.diagnostics == first.diagnostics
    # Another release is another compilation, even for the same texts.
    program.kubernetes = "1.29"
    other = program.analyse().result
    assert other is not again
    assert _same_as_fresh_release(program, "1.29") == other.diagnostics


def _same_as_fresh_release(program: PolicyFolder, release: str) -> list:
    texts = {**program.disk, **program.overlays}
    return compile_sources([SourceFile(n, texts[n]) for n in sorted(texts)], release, lints=True).diagnostics


def _random_edit(rng: random.Random, text: str) -> str:
    """One edit a person might make: a comment or blank line, a line deleted or duplicated, a
    resource added to a grant, a role name or a verb changed, a word typed half-way."""
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.randrange(7)
    if kind == 0:
        lines.insert(i, rng.choice(["# random comment", "", "  # indented comment"]))
    elif kind == 1 and len(lines) > 3:
        del lines[i]
    elif kind == 2:
        lines.insert(i, lines[i])
    elif kind == 3:
        grants = [j for j, line in enumerate(lines) if re.match(r"\s*grant (?!role )", line) and " in " in line]
        if grants:
            j = rng.choice(grants)
            lines[j] = lines[j].replace(" in ", rng.choice([", secrets in ", ", pods/exec in ", ", services in "]), 1)
    elif kind == 4:
        lines[i] = lines[i].replace("role edit", rng.choice(["role view", "role admin", "role nosuch"]), 1)
    elif kind == 5:
        lines[i] = lines[i].replace("read", rng.choice(["get", "create", "delete", "impersonate"]), 1)
    else:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    return "\n".join(lines)


def test_random_edits_equal_a_fresh_check(tmp_path: Path, kept: None) -> None:
    program = _folder(tmp_path, 12)
    rng = random.Random(19)
    names = [TEAM, OTHER, ROLES, "guards.policy"]
    originals = {n: program.disk[n] for n in names}
    current = dict(originals)
    for version in range(2, 32):
        name = rng.choice(names)
        # A quarter of the edits undo: a state seen before, mostly.
        text = originals[name] if rng.random() < 0.25 else _random_edit(rng, current[name])
        current[name] = text
        _set(program, name, text, version)
        same_as_fresh(program, f"random edit {version} of {name}")

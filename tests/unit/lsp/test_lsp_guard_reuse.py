"""Guard verdicts carried from one analysis to the next when the emitted RBAC differs (policyc/access/reuse.py):
after each of many edits, hand-picked and random, the server's diagnostics equal a fresh `policyc check`
(lints on) of the same text, rendered text included; and the edits that may carry did carry."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from conftest import bench_module
from policyc.access.reuse import COUNTS
from policyc.diagnostics import render_text
from policyc.lsp.workspace import PolicyFolder
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

TEAM = "teams/t000-logistics.policy"
ROLES = "roles/roles-00.policy"
GUARDS = "guards.policy"
NS = "namespaces/t000-logistics.policy"



def _sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _hand_picked(files: dict[str, str]) -> list[tuple[str, str, str]]:
    """(what, file, text), each on top of the previous ones: every kind of change the carry must
    see (roles' rules, bindings added and removed, what forces a whole check)."""
    team, roles, guards, ns = files[TEAM], files[ROLES], files[GUARDS], files[NS]
    viewer = "role widgets-00-viewer aggregate-to view {\n  read widgets.a0.example.com\n"
    bind = _sub(team, "  grant read nodes, namespaces in cluster",
                "  grant read nodes, namespaces in cluster\n"
                "  grant bind, escalate roles.rbac.authorization.k8s.io in t000-logistics-api-prod")
    return [
        ("new RBAC (a role's rules)", TEAM, _sub(team, "grant read pods/log, events in",
                                                 "grant read pods/log, events, services in")),
        ("a role aggregated into view given impersonate", ROLES, _sub(roles, viewer, viewer + "  impersonate users\n")),
        ("and secrets", ROLES, _sub(roles, viewer, viewer + "  impersonate users\n  read secrets\n")),
        ("role restored", ROLES, roles),
        ("pod-reader given pods/exec", ROLES, _sub(roles, "  get, watch, list pods, pods/log\n",
                                                    "  get, watch, list pods, pods/log\n  create pods/exec\n")),
        ("bind/escalate in an existing role", TEAM, bind),
        ("team restored", TEAM, team),
        ("new grant (a binding)", TEAM, _sub(team, "  grant read nodes, namespaces in cluster",
                                             "  grant read nodes, namespaces in cluster\n"
                                             "  grant role view in t000-logistics-api-dev")),
        ("removed grant (a binding)", TEAM, _sub(team, "  grant role edit in t000-logistics-api-dev, "
                                                   "t000-logistics-api-staging\n", "")),
        ("removed grant (a role's rules)", TEAM, _sub(team, "  grant create pods/portforward in "
                                                      "t000-logistics-api-prod, t000-logistics-web-dev\n", "")),
        ("impersonate (a new role)", TEAM, _sub(team, "  grant read nodes, namespaces in cluster",
                                                "  grant read nodes, namespaces in cluster\n"
                                                "  grant impersonate users in cluster")),
        ("team restored again", TEAM, team),
        ("new service account", NS, ns + "serviceaccount t000-logistics-api-dev/extra\n"),
        ("a grant to the new service account", NS, ns + "serviceaccount t000-logistics-api-dev/extra\n"
         "grant role edit to serviceaccount t000-logistics-api-dev/extra in t000-logistics-api-dev\n"),
        ("namespaces restored", NS, ns),
        ("a guard changed", GUARDS, _sub(guards, "forbid read secrets for team auditors",
                                         "forbid read secrets, configmaps for team auditors")),
        ("an except changed", GUARDS, _sub(guards, "for everyone except team platform\nforbid impersonate",
                                           "for everyone except team platform, team auditors\nforbid impersonate")),
        ("guards restored", GUARDS, guards),
        ("pod-reader given impersonate", ROLES, _sub(roles, "  get, watch, list pods, pods/log\n",
                                                      "  get, watch, list pods, pods/log\n  impersonate users\n")),
    ]


_RESOURCES = ("services", "configmaps", "secrets", "pods/exec", "serviceaccounts/token",
              "rolebindings.rbac.authorization.k8s.io", "deployments.apps", "users", "nodes")
_VERBS = ("get", "create", "update", "bind", "escalate", "impersonate")


def _random_edit(rng: random.Random, files: dict[str, str], now: dict[str, str]) -> tuple[str, str, str]:
    """One random edit of the current texts: a resource more in a grant of rules or a role, a grant
    line removed, a grant of a role added, or a file restored."""
    name = rng.choice(sorted(n for n in files if n.startswith(("teams/", "namespaces/", "roles/"))))
    text = now[name]
    kind = rng.randrange(5)
    if kind == 0:
        lines = [m for m in re.finditer(r"^(\s*grant (?!role )[^\n]*?) (in|to) ", text, re.M)]
        if lines:
            m = rng.choice(lines)
            resource = rng.choice(_RESOURCES)
            return f"{name}: {resource} in a grant", name, text[: m.end(1)] + f", {resource}" + text[m.end(1):]
    if kind == 1:
        lines = [m for m in re.finditer(r"^  grant [^\n]*\n", text, re.M)]
        if lines:
            m = rng.choice(lines)
            return f"{name}: grant removed", name, text[: m.start()] + text[m.end():]
    if kind == 2:
        rules = [m for m in re.finditer(r"^role [^\n]*\{\n", text, re.M)]
        if rules:
            m = rng.choice(rules)
            line = f"  {rng.choice(_VERBS)} {rng.choice(_RESOURCES)}\n"
            return f"{name}: a role given {line.strip()}", name, text[: m.end()] + line + text[m.end():]
    if kind == 3 and name.startswith("teams/"):
        m = re.search(r"^  grant read nodes, namespaces in cluster\n", text, re.M)
        if m:
            ns = re.search(r"grant role \S+ in (\S+?)[,\n]", text)
            if ns:
                line = f"  grant role {rng.choice(('view', 'edit', 'pod-reader', 'admin'))} in {ns.group(1)}\n"
                return f"{name}: {line.strip()}", name, text[: m.end()] + line + text[m.end():]
    return f"{name}: restored", name, files[name]


def _check_all(tmp_path: Path, edits: list[tuple[str, str, str]] | None, rounds: int = 0, seed: int = 0,
               ) -> dict[str, tuple[set[str], int, int]]:
    gen = bench_module("gen_org")
    files = gen.generate(20, 1, "identity")
    gen.write(tmp_path, files)
    program = PolicyFolder(tmp_path)
    program.scan()
    program.analyse()
    rng = random.Random(seed)
    now = dict(program.disk)
    plan = edits if edits is not None else []
    seen: dict[str, tuple[set[str], int, int]] = {}
    for version in range(2, 2 + (len(plan) if edits is not None else rounds)):
        what, name, text = plan[version - 2] if edits is not None else _random_edit(rng, files, now)
        now[name] = text
        program.open(name, text, version)
        before = (COUNTS.carried, COUNTS.checked)
        analysis = program.analyse()
        fresh = compile_sources([SourceFile(n, now[n]) for n in sorted(now)], lints=True)
        assert analysis.result.diagnostics == fresh.diagnostics, what
        assert render_text(analysis.result.diagnostics, analysis.result.sources) == render_text(
            fresh.diagnostics, fresh.sources), what
        seen[what] = ({d.code for d in fresh.diagnostics}, COUNTS.carried - before[0], COUNTS.checked - before[1])
    return seen


def test_hand_picked_edits_equal_a_fresh_check(tmp_path: Path, kept: None) -> None:
    gen = bench_module("gen_org")
    seen = _check_all(tmp_path, _hand_picked(gen.generate(20, 1, "identity")))
    guards = {"PC301", "PC302"}
    # The comparison covers broken guards, carried verdicts and whole checks.
    assert guards & seen["a role aggregated into view given impersonate"][0]
    assert guards & seen["bind/escalate in an existing role"][0]
    assert not guards & seen["role restored"][0]
    for what in ("new RBAC (a role's rules)", "a role aggregated into view given impersonate",
                 "bind/escalate in an existing role", "new grant (a binding)", "removed grant (a binding)",
                 "pod-reader given impersonate"):
        carried, checked = seen[what][1:]
        assert carried > 0 and checked > 0, what  # some verdicts carried, the affected ones checked again
    # A service account more: the searches' service accounts differ, nothing is carried.
    assert seen["new service account"][1:] == (0, 0)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_equal_a_fresh_check(tmp_path: Path, kept: None, seed: int) -> None:
    seen = _check_all(tmp_path, None, rounds=14, seed=seed)
    assert any(carried > 0 for _codes, carried, _checked in seen.values())


def test_the_benchmark_cycle_equals_a_fresh_check(tmp_path: Path, kept: None) -> None:
    # bench/lsp_latency.py's edits: broken grant, restored, a resource more in a grant (a different
    # one each cycle, carried from the same earlier graph with the same difference), a comment line.
    latency = bench_module("lsp_latency")
    gen = bench_module("gen_org")
    gen.write(tmp_path, gen.generate(20, 1, "identity"))
    program = PolicyFolder(tmp_path)
    program.scan()
    program.analyse()
    carried = []
    for version, (kind, text) in enumerate(latency.edits(program.disk[TEAM], 12), start=2):
        program.open(TEAM, text, version)
        before = COUNTS.carried
        analysis = program.analyse()
        texts = {**program.disk, **program.overlays}
        fresh = compile_sources([SourceFile(n, texts[n]) for n in sorted(texts)], lints=True)
        assert render_text(analysis.result.diagnostics, analysis.result.sources) == render_text(
            fresh.diagnostics, fresh.sources), (version, kind)
        if kind == "new rbac":
            carried.append(COUNTS.carried - before)
    assert len(carried) == 3 and all(n > 0 for n in carried)

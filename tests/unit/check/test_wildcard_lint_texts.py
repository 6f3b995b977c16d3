"""PC503 reads a rule's words only when the texts the compile kept for it (check/grants.py
`rule_text`) hold a `*` (access_lints.py `wildcard_lints`): the same diagnostics, in the same order,
as reading every word of every rule, whether or not the texts are still kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import generated_org
from helpers import compile_text
from policyc.check import grants as grants_mod
from policyc.check.access_lints import _HELP, wildcard_lints
from policyc.diagnostics import Diagnostic, warning
from policyc.model.program import Program
from policyc.pipeline import compile_path

POLICY = """\
kubernetes 1.30
role wide {
  get, list pods, services
  * deployments.apps
  get *.apps
  get pods/*
  read * except secrets
}
role plain {
  get configmaps
}
grant role wide to group g in a
grant role plain to group g in a
grant * pods to group ops in b
grant get, * * to group ops in c
grant read * except pods to group auditors in cluster
grant get secrets named db to group g in a
"""


def _plain(program: Program) -> list[Diagnostic]:
    """The lint as it read every word of every rule."""
    rules = [r for role in program.policy.roles for r in role.rules]
    rules += [g.rule for g in program.policy.grants if g.rule is not None]
    out = []
    for r in rules:
        words = [w for w in (*r.verbs, *r.resources) if "*" in w.text and not r.has_exclusion]
        if words:
            out.append(warning("PC503", f"rule uses the wildcard `{words[0].text}`", words[0].span, _HELP["PC503"]))
    return out


def _key(d: Diagnostic) -> tuple:
    return (d.code, d.message, d.span, d.help)


def _programs(tmp: Path) -> list[Program]:
    out = []
    result = compile_text(POLICY)
    assert result.program is not None and not [d for d in result.diagnostics if d.is_error]
    out.append(result.program)
    for shape in ("teams", "members", "all"):
        found = compile_path(generated_org(tmp, 20, shape=shape)).program
        assert found is not None
        out.append(found)
    return out


@pytest.mark.parametrize("kept", [True, False])
def test_wildcard_lint_reads_the_kept_texts(tmp_path: Path, kept: bool) -> None:
    programs = _programs(tmp_path)
    if not kept:
        grants_mod._TEXTS.clear()  # texts made again from the words
    found = [list(map(_key, wildcard_lints(p))) for p in programs]
    assert found == [list(map(_key, _plain(p))) for p in programs]
    first = found[0]
    assert [m for _, m, _, _ in first] == [
        "rule uses the wildcard `*`", "rule uses the wildcard `*.apps`", "rule uses the wildcard `pods/*`",
        "rule uses the wildcard `*`", "rule uses the wildcard `*`"]

"""Issue 12 move 5, "thin tools", as structure checks over the source (imports and calls, by AST).

- lark is imported only in policyc/syntax/ (fmt and lsp use its API: parse, lex, lower, merge);
- the language server resolves no role and aggregates nothing itself (it asks check/ and access/);
- can-i, who-can and explain keep no engine logic (policyc/access/session.py holds it);
- one GC-pause helper: only policyc/gcpause.py switches the cyclic collector.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "policyc"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (`from a.b import c` gives `a.b` and `a.b.c`)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_lark_only_in_syntax() -> None:
    offenders = [
        str(p.relative_to(REPO)) for p in _files(PACKAGE)
        if "syntax" not in p.relative_to(PACKAGE).parts[:1]
        and any(m == "lark" or m.startswith("lark.") for m in _imports(p))
    ]
    assert offenders == []
    assert any(m.startswith("lark") for m in _imports(PACKAGE / "syntax" / "parser.py"))  # the check can fail


def test_the_language_server_takes_roles_from_the_compiler() -> None:
    for p in _files(PACKAGE / "lsp"):
        imported = _imports(p)
        assert "policyc.access.aggregation" not in imported, p.name
        assert "policyc.k8s.bootstrap.bootstrap_objects" not in imported, p.name
    index = _imports(PACKAGE / "lsp" / "index.py")
    assert "policyc.check.grants.declared_role" in index


@pytest.mark.parametrize("name", ["can_i.py", "who_can.py", "explain.py", "access_common.py"])
def test_access_commands_keep_no_engine_logic(name: str) -> None:
    imported = _imports(PACKAGE / "cli" / name)
    # (reading YAML files, policyc.k8s.yamlread, is input, not engine logic)
    engine = [m for m in imported if m.startswith(("policyc.k8s.releases", "policyc.k8s.rules", "policyc.k8s.bootstrap",
                                                   "policyc.access.policy", "policyc.access.aggregation",
                                                   "policyc.access.matching", "policyc.check"))]
    assert engine == []
    tree = ast.parse((PACKAGE / "cli" / name).read_text(encoding="utf-8"))
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    # No REST mapping (release lookups) and no walking of the escalation graph in the CLI.
    assert not [f.attr for f in calls if f.attr in ("groups_with", "lookup", "check_resource")]
    assert not [f.attr for f in calls if isinstance(f.value, ast.Attribute) and f.value.attr in ("graph", "release")]


def test_one_gc_pause_helper() -> None:
    switches = {"disable", "enable", "freeze", "unfreeze"}
    offenders = []
    for p in _files(PACKAGE) + _files(REPO / "bench"):
        if p == PACKAGE / "gcpause.py":
            continue
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in switches
                    and isinstance(n.func.value, ast.Name) and n.func.value.id == "gc"):
                offenders.append(f"{p.relative_to(REPO)}:{n.lineno}")
    assert offenders == []

"""The shape of the house (docs/contributing.md): which layer may import which.

Read with `ast` from the source files, so a lazy import inside a function counts as much as
one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "policyc"


def _imports(path: Path) -> set[str]:
    """Every policyc module `path` imports (`from policyc import x` counts as `policyc.x`)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "policyc")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "policyc":
                out.update(f"policyc.{a.name}" for a in node.names)
            elif node.module.split(".")[0] == "policyc":
                out.add(node.module)
    return out


def _modules(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (PACKAGE / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("access", "backends", "model", "k8s", "output"),
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_later_stages_read_the_checked_model_not_the_checker(path: Path) -> None:
    """The checked model lives in policyc/model/: nothing after the check stage imports policyc.check."""
    bad = sorted(m for m in _imports(path) if m == "policyc.check" or m.startswith("policyc.check."))
    assert bad == [], f"{path.relative_to(PACKAGE)} imports {bad}"

"""The shape of the house (docs/contributing.md): which layer may import which.

Imports are read with `ast` from the source files, so a lazy import inside a function counts
as much as one at the top of a module; imports under `if TYPE_CHECKING:` are annotations only
and do not count.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "policyc"

# Layers from the bottom up (docs/contributing.md): a module imports from its own layer or below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("source", "diagnostics", "gcpause", "docblocks", "slotted"),
    ("k8s", "rules"),  # rules.py: the rule registry, declared into from every layer above
    ("model",),
    ("syntax", "loader"),
    ("access",),
    ("check",),
    ("backends",),
    ("output",),
    ("pipeline", "policyc"),  # policyc/__init__.py: the public API
    ("review", "importer", "fmt", "lsp", "rules_docs"),
    ("cli", "__main__"),
)
# The one import allowed from a lower layer to a higher one: `__version__` lives in
# policyc/__init__.py, and the SARIF log names the tool's version.
UPWARD_ALLOWED = {("policyc.output.sarif", "policyc")}
# Modules outside policyc/syntax/ that import lark: none since issue 12 move 5 (fmt and lsp use
# policyc.syntax.tokens). A new one fails the test.
LARK_OUTSIDE_SYNTAX: set[str] = set()


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _nodes(tree: ast.AST):
    """Every node, skipping the bodies of `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in [child, *_nodes(child)])
            continue
        yield node
        yield from _nodes(node)


@cache
def imports(module: str) -> frozenset[str]:
    """The names `module` imports (`from policyc import x` gives `policyc.x` when x is a module)."""
    out: set[str] = set()
    for node in _nodes(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in MODULES else node.module)
    return frozenset(out)


def policyc_imports(module: str) -> set[str]:
    """The policyc modules `module` imports (a name is resolved to the module defining it)."""
    out = set()
    for name in imports(module):
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            out.add(name)
    return out


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else module
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS: add its package to docs/contributing.md and here")


def _in(package: str) -> list[str]:
    return [m for m in MODULES if m == f"policyc.{package}" or m.startswith(f"policyc.{package}.")]


@pytest.mark.parametrize("module", [m for pkg in ("access", "backends", "model", "k8s", "output") for m in _in(pkg)])
def test_later_stages_read_the_checked_model_not_the_checker(module: str) -> None:
    """The checked model lives in policyc/model/: nothing after the check stage imports policyc.check."""
    bad = sorted(m for m in policyc_imports(module) if m == "policyc.check" or m.startswith("policyc.check."))
    assert bad == [], f"{module} imports {bad}"


def test_lark_only_in_syntax() -> None:
    users = {m for m in MODULES if any(n == "lark" or n.startswith("lark.") for n in imports(m))}
    outside = {m for m in users if not m.startswith("policyc.syntax")}
    assert outside - LARK_OUTSIDE_SYNTAX == set(), "lark is for policyc/syntax/ only"
    assert LARK_OUTSIDE_SYNTAX - outside == set(), "no longer imports lark: take it off LARK_OUTSIDE_SYNTAX"


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_at_most_one_import_runs_up_the_layers() -> None:
    upward = sorted((m, t) for m in MODULES for t in policyc_imports(m) if layer_of(t) > layer_of(m))
    assert set(upward) <= UPWARD_ALLOWED and len(UPWARD_ALLOWED) <= 1, upward


def test_no_import_cycle() -> None:
    """Strongly connected components of the module graph (Tarjan), each of one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(policyc_imports(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_checks_can_fail() -> None:
    """The helpers see a lazy import, and skip one under TYPE_CHECKING."""
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import policyc.cli\n" \
             "def f():\n    from policyc.check import grants\n"
    tree = ast.parse(source)
    names = {n.module or n.names[0].name for n in _nodes(tree) if isinstance(n, ast.Import | ast.ImportFrom)}
    assert names == {"typing", "policyc.check"}
    assert layer_of("policyc.check.grants") > layer_of("policyc.model.rbac")


UNIT = Path(__file__).resolve().parent
TESTS = UNIT.parent


def test_unit_tests_mirror_the_package_layout() -> None:
    """Every folder of tests/unit/ is a package of policyc/ (or `editors`, the editor extensions)."""
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    folders = {p.name for p in UNIT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - packages - {"editors"} == set(), "tests/unit/ folders that are no policyc package"


def test_test_module_basenames_are_unique() -> None:
    """pytest imports test files by basename (no __init__.py): two of one name collide."""
    seen: dict[str, Path] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if "golden" in path.parts or "fixtures" in path.parts or path.name == "conftest.py":
            continue
        assert path.name not in seen, f"{path} and {seen[path.name]} share a basename"
        seen[path.name] = path

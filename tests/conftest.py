"""Shared test fixtures: where the repository, the shared folder and the console script are."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _private_cache() -> None:
    """Point every cache policyc writes (k8s/datacache.py, the LSP's built-in role files) at a
    folder of this test run, for the tests and the console scripts they start, so that a test
    run neither reads a developer's ~/.cache/policyc nor leaves files in it."""
    folder = tempfile.mkdtemp(prefix="policyc-test-cache-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ.pop("POLICYC_CACHE_DIR", None)
    os.environ["XDG_CACHE_HOME"] = folder


_private_cache()


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared sits beside a developer's or CI's checkout only)")
    return path


def case_folders(parent: Path) -> list[Path]:
    """The policy folders directly under `parent` (e.g. ../shared/spec), sorted.

    A dot-folder is no case: a stray `.policyc` secrets folder, `.git`. The loader does not walk
    `.policyc` or version control folders inside a policy either (policyc/loader.py).
    """
    return sorted(p for p in parent.glob("*") if p.is_dir() and not p.name.startswith("."))


def bench_module(name: str) -> ModuleType:
    """bench/NAME.py loaded as a new module (bench/ holds scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated_org(folder: Path, namespaces: int, extra: str = "", shape: str = "identity") -> Path:
    """A bench/gen_org.py organisation (seed 1) written under `folder`, with `extra` policy text in
    `breaks.policy` when given."""
    gen = bench_module("gen_org")
    org = folder / f"org-{shape}-{namespaces}{'-x' if extra else ''}"
    gen.write(org, gen.generate(namespaces, 1, shape))
    if extra:
        (org / "breaks.policy").write_text(extra)
    return org


def equivalence_folders(tmp_path: Path, extra: str) -> list[Path]:
    """The inputs a fast path is compared with its plain algorithm on: a generated identity-heavy
    organisation with `extra` (guards broken on purpose), the golden policy, and the spec's
    `article` and `org` when ../shared is beside the clone."""
    spec = REPO.parent / "shared" / "spec"
    out = [generated_org(tmp_path, 30, extra), REPO / "tests" / "golden" / "rbac" / "policy"]
    return out + [spec / name for name in ("article", "org") if (spec / name).is_dir()]

def policyc_command() -> list[str]:
    """The installed console script (the real entry point users run)."""
    script = Path(sys.executable).parent / "policyc"
    if script.exists():
        return [str(script)]
    found = shutil.which("policyc")
    if found is None:
        pytest.skip("the policyc console script is not installed (run `pip install -e .`)")
    return [found]


@pytest.fixture
def policyc() -> list[str]:
    """The console script as an argv prefix."""
    return policyc_command()


@pytest.fixture
def kept() -> Iterator[None]:
    """The language server's mode that keeps work between analyses (policyc/lsp/workspace.py
    `keep_between_analyses`), on for the test and off after it."""
    from policyc.lsp.workspace import keep_between_analyses

    keep_between_analyses()
    try:
        yield
    finally:
        keep_between_analyses(False)


def _registered_diagnostics_only() -> None:
    """Make every test fail that reports a code the rule registry does not declare, or declares with
    another severity (policyc/rules.py; tests/unit/test_rule_registry.py checks the rest)."""
    from policyc import rules
    from policyc.diagnostics import Diagnostic, Severity

    original = Diagnostic.__init__
    if getattr(original, "_registry_checked", False):
        return

    def __init__(self: Diagnostic, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        rule = rules.get(self.code)
        if rule is None:
            raise AssertionError(f"{self.code} is reported but not registered: declare it with rules.register()")
        promoted = rule.severity is Severity.WARNING and self.severity is Severity.ERROR  # --deny-warnings
        if rule.severity is not self.severity and not promoted:
            raise AssertionError(f"{self.code} is registered as {rule.severity.value} but reported as "
                                 f"{self.severity.value}")

    __init__._registry_checked = True  # type: ignore[attr-defined]
    Diagnostic.__init__ = __init__  # type: ignore[method-assign]


_registered_diagnostics_only()

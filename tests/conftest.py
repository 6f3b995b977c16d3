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
# ../shared: the language spec, the upstream fixtures, the schemas. Read only: tests never write
# there (`shared_untouched` below fails the run when they do). POLICYC_TEST_SHARED points the
# tests at another copy (how the guard's own failure is shown without touching the real one).
SHARED = Path(os.environ.get("POLICYC_TEST_SHARED") or REPO.parent / "shared")


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


def spec_copy(tmp_path: Path, case: str) -> Path:
    """A copy of ../shared/spec/CASE under `tmp_path` (skip when absent), for anything that builds it:
    `policyc build DIR` keeps the users' keys beside DIR when DIR is in no git work tree
    (policyc/cli/secrets_dir.py), which for the spec itself would be ../shared/spec/.policyc."""
    copy = tmp_path / "spec" / case
    shutil.copytree(shared_path("spec", case), copy)
    return copy


Listing = dict[str, tuple[int, int]]


def tree_listing(root: Path) -> Listing:
    """Every file and folder under `root` (itself included) with its size and mtime in ns.

    A folder's mtime moves when an entry appears in it or leaves it, so a removed file shows too.
    ../shared (~1,700 entries) is listed in ~11 ms of CPU, so the whole of it is listed, not a sample.
    """
    out: Listing = {}
    for folder, dirs, files in os.walk(root):
        for name in (".", *dirs, *files):
            path = os.path.join(folder, name)
            st = os.lstat(path)
            out[os.path.normpath(os.path.relpath(path, root))] = (st.st_size, st.st_mtime_ns)
    return out


def listing_changes(before: Listing, after: Listing) -> list[str]:
    """What differs between two listings, one line per path: appeared, removed or changed."""
    lines = [f"appeared {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"removed  {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"changed  {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines


# Listed when pytest imports this file, before it collects (imports) the test modules.
_SHARED_AT_START = tree_listing(SHARED) if SHARED.is_dir() else None


@pytest.fixture(scope="session", autouse=True)
def shared_untouched() -> Iterator[None]:
    """Fail the run when anything under ../shared appeared, went or changed while the tests ran.

    A test once built ../shared/spec/article in place and left ../shared/spec/.policyc/secrets
    behind (the default secrets folder of a folder in no git work tree is beside it). Tests that
    build the spec build a copy (`spec_copy`). The error names the paths; with pytest-xdist each
    worker compares its own start and end. No ../shared: nothing to guard."""
    before = _SHARED_AT_START
    yield
    if before is None:
        return
    changed = listing_changes(before, tree_listing(SHARED) if SHARED.is_dir() else {})
    if changed:
        pytest.fail(f"{SHARED} changed while the tests ran; they must only read it (copy it with spec_copy, or pass "
                    "--secrets and -o under tmp_path):\n  " + "\n  ".join(changed), pytrace=False)


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
    spec = SHARED / "spec"  # compiled in memory only: nothing is written beside it
    out = [generated_org(tmp_path, 30, extra), REPO / "tests" / "golden" / "rbac" / "policy"]
    if not spec.is_dir():
        return out  # a clone without ../shared: the two inputs above
    folders = [spec / name for name in ("article", "org")]
    missing = [str(f) for f in folders if not f.is_dir()]
    assert not missing, f"the spec beside the clone lacks {', '.join(missing)}: the comparison would omit it"
    return out + folders


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

"""The rule registry (policyc/rules.py): complete, declared once, tested, and the source of the docs.

Reporting an unregistered code, or a code with another severity than registered, fails the test
that reports it (tests/conftest.py wraps Diagnostic). Here: every code the source can report is
registered, every registered code appears in a test, the declaring modules are all listed, and
docs/diagnostics.md's tables and docs/cis.md are what scripts/gen_docs.py writes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from policyc import rules
from policyc.diagnostics import Diagnostic, Severity
from policyc.k8s import cis
from policyc.rules_docs import cis_md, diagnostics_md
from policyc.source import Span

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "policyc"
CODE = re.compile(r"\bPC\d{3}\b")

# Registered codes no test asserts, and why (keep this list honest and short).
UNTESTED: dict[str, str] = {
    "PC617": "import's internal safety net: no known input makes the importer write a policy that does not compile",
}


def _literal_codes(path: Path) -> set[str]:
    """Every string constant of a module that is exactly a code (`"PC547"`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and re.fullmatch(r"PC\d{3}", n.value)}


def test_every_code_the_source_reports_is_registered() -> None:
    registered = set(rules.all_rules())
    for path in sorted(PACKAGE.rglob("*.py")):
        missing = _literal_codes(path) - registered
        assert not missing, f"{path.relative_to(ROOT)} reports unregistered codes {sorted(missing)}"


def test_every_declaring_module_is_listed() -> None:
    declaring = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("rules.py",) and path.parent == PACKAGE:
            continue
        if re.search(r"^RULES = register\(", path.read_text(encoding="utf-8"), re.MULTILINE):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            declaring.add(module.removesuffix(".__init__"))
    assert declaring == set(rules.DECLARING_MODULES)


def test_a_code_is_declared_once() -> None:
    with pytest.raises(ValueError, match="PC547 is declared twice"):
        rules.register("authn", rules.Rule("PC547", Severity.ERROR, "something else"))
    with pytest.raises(ValueError, match="unknown docs section"):
        rules.register("nowhere", rules.Rule("PC999", Severity.ERROR, "x"))
    assert rules.get("PC999") is None


def test_rules_are_complete() -> None:
    for code, rule in rules.all_rules().items():
        assert re.fullmatch(r"PC\d{3}", code) and rule.code == code
        assert rule.summary and not rule.summary.endswith("."), code
        assert rule.section in rules.SECTIONS, code
        if rule.cis:
            assert any(b.control(rule.cis) for b in cis.benchmarks().values()), (code, rule.cis)


def test_every_registered_code_is_tested() -> None:
    """A code counts as tested when a test file names it (tests assert codes by name)."""
    seen: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        if path == Path(__file__).resolve() or path.name == "conftest.py":
            continue
        seen |= set(CODE.findall(path.read_text(encoding="utf-8")))
    untested = set(rules.all_rules()) - seen - set(UNTESTED)
    assert not untested, f"registered but named in no test: {sorted(untested)}"
    assert not set(UNTESTED) & seen, "a code listed as untested is tested now: remove it from UNTESTED"


def test_docs_diagnostics_tables_are_generated_from_the_registry() -> None:
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert text == diagnostics_md(text), "docs/diagnostics.md is out of date: run scripts/gen_docs.py"
    for code in rules.all_rules():
        assert f"| {code} |" in text, code


def test_docs_cis_is_generated() -> None:
    text = (ROOT / "docs" / "cis.md").read_text(encoding="utf-8")
    assert text == cis_md(), "docs/cis.md is out of date: run scripts/gen_docs.py"


def test_the_generated_table_changes_when_the_registry_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docs test can fail: a changed summary changes the rendered table."""
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    rule = rules.all_rules()["PC547"]
    monkeypatch.setitem(rules._REGISTRY, "PC547", rules.Rule(
        rule.code, rule.severity, "changed", rule.example, rule.help, rule.cis, rule.section))
    assert diagnostics_md(text) != text


def test_reporting_an_unregistered_code_or_another_severity_fails_the_test() -> None:
    """tests/conftest.py's check, which every other test runs under."""
    span = Span("a.policy", 1, 1, 1, 2)
    with pytest.raises(AssertionError, match="PC999 is reported but not registered"):
        Diagnostic("PC999", Severity.ERROR, "x", span)
    with pytest.raises(AssertionError, match="PC432 is registered as error but reported as warning"):
        Diagnostic("PC432", Severity.WARNING, "x", span)
    assert Diagnostic("PC547", Severity.WARNING, "x", span).code == "PC547"
    assert Diagnostic("PC547", Severity.ERROR, "x", span).is_error  # a warning promoted by --deny-warnings

"""The rule registry: every diagnostic code, declared once beside the check that reports it.

Each module that reports diagnostics declares its codes at the top with `register(...)`: code,
severity, a one-line summary, an example, the generic fix (`help`) and, for CIS lints, the key of
the CIS Kubernetes Benchmark control (policyc/k8s/cis.py) it maps to. From the registry come:

* the CIS id on a diagnostic, in the numbering of the benchmark kube-bench applies to the target
  release (`cite`);
* SARIF reporting descriptors (policyc/output/sarif.py);
* the code tables of docs/diagnostics.md and the whole of docs/cis.md (`scripts/gen_docs.py`;
  tests/unit/test_rule_registry.py fails when the committed docs differ).

The tests also fail when a code is reported that is not registered, is reported with another
severity than registered, or is registered but appears in no test.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from policyc.diagnostics import Diagnostic, Severity

ERROR = Severity.ERROR
WARNING = Severity.WARNING
NOTE = Severity.NOTE

# The docs/diagnostics.md table each rule is listed in, in the order of the document.
SECTIONS = ("core", "fmt", "import", "access", "admission", "authn")

# Every module that declares rules; `all_rules()` imports them so the registry is complete however
# policyc was entered. tests/unit/test_rule_registry.py checks the list against the source tree.
DECLARING_MODULES = (
    "policyc.loader",
    "policyc.syntax.errors",
    "policyc.syntax.lower",
    "policyc.fmt",
    "policyc.check.versions",
    "policyc.check.intent",
    "policyc.check.exclusions",
    "policyc.check.resolve",
    "policyc.check.rules",
    "policyc.check.grants",
    "policyc.check.limits",
    "policyc.check.profiles",
    "policyc.check.admission",
    "policyc.check.authn",
    "policyc.check.access_guards",
    "policyc.check.expectations",
    "policyc.check.access_lints",
    "policyc.check.suppress",
    "policyc.backends.psp",
    "policyc.k8s.yamlread",
    "policyc.importer.translate",
    "policyc.importer.admission",
    "policyc.importer.psp",
    "policyc.importer.verify",
)


@dataclass(frozen=True)
class Rule:
    """One diagnostic code."""

    code: str
    severity: Severity
    summary: str  # what is wrong, one line (docs "meaning", SARIF shortDescription)
    example: str = ""  # policy text (or output) that triggers it, markdown
    help: str = ""  # the generic fix; each diagnostic's own `help` is specific to the case
    cis: str = ""  # key of the CIS control (policyc/k8s/cis.py), cited per target release
    section: str = ""


_REGISTRY: dict[str, Rule] = {}


def register(section: str, *rules: Rule) -> tuple[Rule, ...]:
    """Declare the rules of one module (listed in docs/diagnostics.md under `section`)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown docs section {section!r}")
    out = []
    for rule in rules:
        rule = replace(rule, section=section)
        old = _REGISTRY.get(rule.code)
        if old is not None and old != rule:
            raise ValueError(f"{rule.code} is declared twice")
        _REGISTRY[rule.code] = rule
        out.append(rule)
    return tuple(out)


def all_rules() -> Mapping[str, Rule]:
    """Every registered rule by code (importing every declaring module first), sorted by code."""
    for name in DECLARING_MODULES:
        importlib.import_module(name)
    return MappingProxyType(dict(sorted(_REGISTRY.items())))


def get(code: str) -> Rule | None:
    """The rule of a code, or None when it is not registered."""
    rule = _REGISTRY.get(code)
    return rule if rule is not None else all_rules().get(code)


def cite(diags: Iterable[Diagnostic], release: tuple[int, int]) -> list[Diagnostic]:
    """The diagnostics with the CIS id of their rule's control in the benchmark of `release`.

    A rule whose control the target's benchmark does not have gets no id: citing another
    version's number would send an auditor to a different control.
    """
    from policyc.k8s.cis import benchmark_for

    benchmark = benchmark_for(release)
    out = []
    for d in diags:
        rule = get(d.code)
        control = benchmark.control(rule.cis) if benchmark is not None and rule is not None and rule.cis else None
        if control is not None:
            d = replace(d, cis=control.id, benchmark=benchmark.name)  # type: ignore[union-attr]
        elif d.cis:
            d = replace(d, cis="", benchmark="")
        out.append(d)
    return out

"""Check stages that need the emitted RBAC objects: guards (PC30x), expectations (PC32x), access lints (PC5xx).

They run after the backends (policyc/pipeline.py), on the access model of every emitted object
plus the built-in roles and default bindings of the release, so that they see exactly what a
cluster holding the output would authorize.
"""

from __future__ import annotations

from collections.abc import Sequence

from policyc.access.policy import graph_for, model_from_program
from policyc.check.access_guards import check_guards
from policyc.check.access_lints import lint_all
from policyc.check.expectations import check_expectations
from policyc.diagnostics import Diagnostic
from policyc.model.manifest import Manifest
from policyc.model.program import Program
from policyc.rules import cite


def check_emitted(program: Program, manifests: Sequence[Manifest], *, lints: bool = False) -> list[Diagnostic]:
    """Guards always; the access lints when `lints` (the CLI turns them on)."""
    model = model_from_program(program, manifests)
    graph = graph_for(model, program)
    diags = check_guards(program, model, graph) + check_expectations(program, model, graph)
    if lints:
        diags += lint_all(program, model)
    return cite(diags, program.release)  # CIS ids of the target's benchmark

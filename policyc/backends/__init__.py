"""Backends turn the checked Program into Manifests. An explicit, ordered registry."""

from __future__ import annotations

from collections.abc import Callable

from policyc.backends import rbac
from policyc.backends.manifest import Manifest
from policyc.check.program import Program
from policyc.diagnostics import Diagnostic

Backend = Callable[[Program], tuple[list[Manifest], list[Diagnostic]]]

# Order matters only for readability of diagnostics; output is sorted by the writer.
BACKENDS: dict[str, Backend] = {
    "rbac": rbac.emit,
}


def emit_all(program: Program) -> tuple[list[Manifest], list[Diagnostic]]:
    """Run every backend; the manifests of all of them and their diagnostics."""
    manifests: list[Manifest] = []
    diags: list[Diagnostic] = []
    for backend in BACKENDS.values():
        ms, ds = backend(program)
        manifests += ms
        diags += ds
    return manifests, diags

"""Backends turn the checked Program into what is written: one contract, one ordered registry.

Each entry is a `Backend` (backends/contract.py): `emit(program, credentials) -> Emitted`,
run for a program whose release it `supports`. Adding a target is one module and one line
here (docs/contributing.md).
"""

from __future__ import annotations

from policyc.backends import admission, apiserver, authn, psp, rbac, vap
from policyc.backends.contract import NO_CREDENTIALS, Backend, Credentials, Emitted
from policyc.model.program import Program

__all__ = ["BACKENDS", "NO_CREDENTIALS", "Backend", "Credentials", "Emitted", "emit"]

# Order matters only for readability of diagnostics; output is sorted by the writer.
BACKENDS: tuple[Backend, ...] = (
    rbac.BACKEND,
    authn.BACKEND,
    admission.BACKEND,
    psp.BACKEND,
    vap.BACKEND,
    apiserver.BACKEND,
)


def emit(program: Program, credentials: Credentials = NO_CREDENTIALS) -> Emitted:
    """Run every backend that supports the program's release; what they emitted, in registry order."""
    return Emitted.join(b.emit(program, credentials) for b in BACKENDS if b.supports(program.release))

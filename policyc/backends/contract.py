"""The one backend contract: `(Program, Credentials) -> Emitted`, with `supports(release)`.

A backend is a pure function of the checked model and of the credentials issued before it
runs: it may not print, write files, read files or read the clock. What a target release
cannot express is a diagnostic in `Emitted.diagnostics`, never a silent omission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain

from policyc.diagnostics import Diagnostic
from policyc.model.manifest import ConfigFile, Manifest
from policyc.model.program import Program


@dataclass(frozen=True)
class Credentials:
    """What the credential stage issued that emitted objects carry; public values only.

    `csr_requests`: certificate user -> PEM of the CertificateSigningRequest (never the key).
    Without a secrets folder nothing is issued and the CSR objects are not emitted.
    """

    csr_requests: Mapping[str, str] = field(default_factory=dict)


NO_CREDENTIALS = Credentials()


@dataclass(frozen=True)
class Emitted:
    """What backends produce: objects to apply, other files for the output tree, diagnostics."""

    manifests: tuple[Manifest, ...] = ()
    files: tuple[ConfigFile, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @staticmethod
    def join(parts: Iterable[Emitted]) -> Emitted:
        """Everything of `parts`, in order."""
        parts = list(parts)
        # chain in C, not a generator resumed per object: the manifests are every object of the build.
        return Emitted(
            tuple(chain.from_iterable(p.manifests for p in parts)),
            tuple(chain.from_iterable(p.files for p in parts)),
            tuple(chain.from_iterable(p.diagnostics for p in parts)),
        )


def every_release(release: tuple[int, int]) -> bool:
    """`supports` of a backend whose objects every release serves."""
    return True


@dataclass(frozen=True)
class Backend:
    """One registry entry: a name, the emit function and the releases it targets."""

    name: str
    emit: Callable[[Program, Credentials], Emitted]
    supports: Callable[[tuple[int, int]], bool] = every_release

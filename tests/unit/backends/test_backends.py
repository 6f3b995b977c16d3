"""The backend registry (policyc/backends/): one contract, `supports(release)` from one table."""

from __future__ import annotations

import pytest

from helpers import compile_text
from policyc import backends
from policyc.backends import psa, psp, vap
from policyc.backends.contract import Backend, Emitted
from policyc.model.manifest import Manifest

PROFILE = """\
pod-security-policy hardened {
  base restricted
}
namespace pay {
  pod-security hardened
}
"""


def test_registry_names_are_unique_and_ordered() -> None:
    names = [b.name for b in backends.BACKENDS]
    assert names == ["rbac", "authn", "admission", "psp", "vap", "apiserver"]


# (release, PSA labels, PodSecurityPolicy, ValidatingAdmissionPolicy): docs/pod-security.md
@pytest.mark.parametrize(
    ("release", "labels", "policies", "vaps"),
    [((1, 21), False, True, False), ((1, 22), True, True, False), ((1, 24), True, True, False),
     ((1, 25), True, False, False), ((1, 29), True, False, False), ((1, 30), True, False, True),
     ((1, 37), True, False, True)],
)
def test_which_mechanism_a_release_supports(release: tuple[int, int], labels: bool, policies: bool,
                                            vaps: bool) -> None:
    assert (psa.supports(release), psp.BACKEND.supports(release), vap.BACKEND.supports(release)) == (
        labels, policies, vaps)


@pytest.mark.parametrize(("release", "kinds"), [
    ("1.30", ["Namespace", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]),
    ("1.24", []),  # no PSP admission in the cluster block: nothing can enforce the profile, PC414
])
def test_custom_profile_goes_to_the_backend_of_the_release(release: str, kinds: list[str]) -> None:
    result = compile_text(f"kubernetes {release}\n" + PROFILE)
    assert sorted(m.kind for m in result.manifests) == kinds
    assert [d.code for d in result.diagnostics if d.is_error] == ([] if release == "1.30" else ["PC414"])


def test_a_new_backend_is_one_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """What docs/contributing.md shows: a module with `emit` and `supports`, one line in BACKENDS."""

    def emit(program, credentials) -> Emitted:
        body = {"apiVersion": "example.dev/v1", "kind": "Marker", "metadata": {"name": "m"}}
        return Emitted((Manifest("example.dev/v1", "Marker", "m", None, body),))

    extra = Backend("marker", emit, lambda release: release >= (1, 30))
    monkeypatch.setattr(backends, "BACKENDS", (*backends.BACKENDS, extra))
    assert "Marker" in [m.kind for m in compile_text("kubernetes 1.30\n" + PROFILE).manifests]
    assert "Marker" not in [m.kind for m in compile_text("kubernetes 1.29\n" + PROFILE.replace(
        "pod-security hardened", "pod-security restricted")).manifests]

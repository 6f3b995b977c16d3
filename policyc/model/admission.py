"""The checked admission plan: what each namespace asks for at admission (labels, limits and
quota, pod security) and the custom pod-security profiles.

check/admission.py and check/limits.py decide it; backends/admission.py, psa.py, psp.py and
vap.py only write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.k8s.podsecurity import Profile
from policyc.k8s.quantity import Quantity
from policyc.model.nodes import Amount, LimitItem, PodSecurityPolicy


@dataclass(frozen=True)
class LimitCell:
    """One checked value of a LimitRange: `container max memory 1Gi`."""

    limit_type: str  # API type: Container, Pod, PersistentVolumeClaim
    kind: str  # API field: max, min, default, defaultRequest, maxLimitRequestRatio
    resource: str
    quantity: Quantity
    item: LimitItem = field(compare=False)


@dataclass(frozen=True)
class NamespaceLimits:
    """The merged, checked limits and quota of one namespace (filled in by check/limits.py)."""

    cells: dict[tuple[str, str, str], LimitCell] = field(default_factory=dict)
    quota: dict[str, tuple[Quantity, Amount]] = field(default_factory=dict)

    def limit_values_by_type(self) -> dict[str, dict[str, dict[str, Quantity]]]:
        """LimitRange type -> field -> resource -> quantity, for every type that has a value, from one
        pass over the cells (the backend and the check stage read every type)."""
        out: dict[str, dict[str, dict[str, Quantity]]] = {}
        for (t, kind, res), cell in self.cells.items():
            out.setdefault(t, {}).setdefault(kind, {})[res] = cell.quantity
        return out


@dataclass(frozen=True)
class NamespaceAdmission:
    """What one namespace asks for at admission: its labels, limits and quota, pod security."""

    name: str
    sources: tuple[str, ...]
    labels: dict[str, str]  # the namespace's own labels (the PSA backend adds its labels)
    limits: NamespaceLimits
    levels: dict[str, str] = field(default_factory=dict)  # mode -> level
    latest: tuple[str, ...] = ()  # modes whose version label is `latest` (others pin the target release)
    profile: str | None = None  # custom profile
    limit_sources: tuple[str, ...] = ()
    quota_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomProfile:
    """A checked custom profile (`pod-security-policy NAME { ... }`): declaration and controls."""

    decl: PodSecurityPolicy
    profile: Profile

    @property
    def name(self) -> str:
        """The declared name."""
        return self.decl.name.text


@dataclass(frozen=True)
class AdmissionPlan:
    """What the admission backends emit from: decided by the check stage, one entry per namespace.

    Which mechanism enforces pod security (Pod Security Admission labels, PodSecurityPolicy,
    ValidatingAdmissionPolicy) is not decided here but by the backends' `supports(release)`.
    """

    namespaces: dict[str, NamespaceAdmission] = field(default_factory=dict)
    profiles: dict[str, CustomProfile] = field(default_factory=dict)  # the checked custom profiles
    psp_admission: bool = False  # the cluster enables PodSecurityPolicy admission (and the release has it)

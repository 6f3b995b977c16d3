"""The checked admission plan: what each namespace gets at admission (labels, limits and quota,
pod security) and the PodSecurityPolicies and ValidatingAdmissionPolicies to emit.

check/admission.py and check/limits.py decide it; backends/admission.py only writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.k8s.podsecurity import Validation
from policyc.k8s.quantity import Quantity
from policyc.model.nodes import Amount, LimitItem
from policyc.model.rbac import Binding, CompiledRole


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

    def limit_values(self, limit_type: str) -> dict[str, dict[str, Quantity]]:
        """field -> resource -> quantity for one LimitRange type."""
        out: dict[str, dict[str, Quantity]] = {}
        for (t, kind, res), cell in self.cells.items():
            if t == limit_type:
                out.setdefault(kind, {})[res] = cell.quantity
        return out


@dataclass(frozen=True)
class NamespaceAdmission:
    """What one namespace gets at admission: labels, limits and quota, pod security."""

    name: str
    sources: tuple[str, ...]
    labels: dict[str, str]  # the namespace's own labels plus Pod Security Admission labels
    limits: NamespaceLimits
    levels: dict[str, str] = field(default_factory=dict)  # mode -> level
    profile: str | None = None  # custom profile
    psp: str | None = None  # the PodSecurityPolicy its service accounts may use
    limit_sources: tuple[str, ...] = ()
    quota_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class PspObject:
    """A PodSecurityPolicy to emit."""

    name: str
    annotations: dict[str, str] = field(hash=False)
    spec: dict = field(hash=False)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class VapObject:
    """A ValidatingAdmissionPolicy and the binding that selects the namespaces using it."""

    name: str
    validations: tuple[Validation, ...]
    namespaces: tuple[str, ...]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdmissionPlan:
    """Everything the admission backend emits, decided by the check stage."""

    namespaces: dict[str, NamespaceAdmission] = field(default_factory=dict)
    psps: tuple[PspObject, ...] = ()
    vaps: tuple[VapObject, ...] = ()
    roles: tuple[CompiledRole, ...] = ()  # the `use` ClusterRole of each PSP
    bindings: tuple[Binding, ...] = ()  # one RoleBinding per namespace and PSP

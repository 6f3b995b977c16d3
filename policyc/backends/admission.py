"""Admission backend: Namespaces (with the Pod Security Admission labels of backends/psa.py),
LimitRanges and ResourceQuotas.

The check stage decides what each namespace asks for (check/admission.py, `Program.admission`);
this module only writes the objects. Object names: LimitRange `limits`, ResourceQuota `quota`.
Pod security objects come from the backends of the mechanisms the release supports:
backends/psp.py (PodSecurityPolicy) and backends/vap.py (ValidatingAdmissionPolicy).
"""

from __future__ import annotations

from typing import Any

from policyc.backends import psa
from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.k8s.limitrange import LIMIT_TYPES
from policyc.k8s.quantity import Quantity
from policyc.model.admission import AdmissionPlan, NamespaceAdmission
from policyc.model.manifest import Manifest
from policyc.model.program import Program

# LimitRangeItem fields in the order of the Go struct (and of the API server's JSON).
_ITEM_FIELDS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")


def namespace_manifest(name: str, labels: dict[str, str], sources: tuple[str, ...]) -> Manifest:
    """A Namespace with its labels (in any order: the body has them sorted)."""
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata(name, None, sources, labels)}
    return Manifest("v1", "Namespace", name, None, body, sources)


# The limit types in the order their items are written (LimitRange `spec.limits`).
_LIMIT_TYPES = tuple(sorted(LIMIT_TYPES.values()))

# Canonical strings of quantities by (exact decimal text, format): `Quantity.canonical` is Decimal
# arithmetic (about 2 us), and a policy repeats a few quantities in every namespace (issue 19).
# `str` of a Decimal keeps its exponent (1.0 is not 1), so equal keys are the same computation.
Canonicals = dict[tuple[str, str], str]


def _canonical(q: Quantity, canonicals: Canonicals) -> str:
    key = (str(q.value), q.format)
    text = canonicals.get(key)
    if text is None:
        text = canonicals[key] = q.canonical()
    return text


def limit_range_manifest(ns: NamespaceAdmission, canonicals: Canonicals | None = None) -> Manifest | None:
    """The namespace's LimitRange `limits`: one item per type, quantities in canonical form.

    `canonicals`: quantities already written in canonical form (see `_canonical`), kept across calls.
    """
    canonicals = {} if canonicals is None else canonicals
    by_type = ns.limits.limit_values_by_type()  # one pass over the cells, not one per type
    items = []
    for api_type in _LIMIT_TYPES:
        values = by_type.get(api_type)
        if not values:
            continue
        item: dict[str, Any] = {"type": api_type}
        for kind in _ITEM_FIELDS:
            if kind in values:
                item[kind] = {res: _canonical(q, canonicals) for res, q in sorted(values[kind].items())}
        items.append(item)
    if not items:
        return None
    body = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": metadata("limits", ns.name, ns.limit_sources),
        "spec": {"limits": items},
    }
    return Manifest("v1", "LimitRange", "limits", ns.name, body, ns.limit_sources)


def resource_quota_manifest(ns: NamespaceAdmission, canonicals: Canonicals | None = None) -> Manifest | None:
    """The namespace's ResourceQuota `quota` (`spec.hard`, keys sorted, canonical quantities)."""
    if not ns.limits.quota:
        return None
    canonicals = {} if canonicals is None else canonicals
    hard = {key: _canonical(q, canonicals) for key, (q, _) in sorted(ns.limits.quota.items())}
    body = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata("quota", ns.name, ns.quota_sources),
        "spec": {"hard": hard},
    }
    return Manifest("v1", "ResourceQuota", "quota", ns.name, body, ns.quota_sources)


def _namespaces_without_plan(program: Program) -> list[Manifest]:
    # A Program built without the admission stage (tools that assemble one by hand) still
    # gets its Namespaces, with the labels the policy wrote.
    out = []
    for name, blocks in sorted(program.namespaces.items()):
        labels = {k.text: v.text for b in blocks for k, v in b.labels}
        out.append(namespace_manifest(name, dict(sorted(labels.items())), tuple(sorted({b.span.file for b in blocks}))))
    return out


def emit(program: Program, credentials: Credentials) -> Emitted:
    """Every admission object of the program, and the Namespaces it declares."""
    plan: AdmissionPlan | None = program.admission
    if plan is None:
        return Emitted(tuple(_namespaces_without_plan(program)))
    out: list[Manifest] = []
    canonicals: Canonicals = {}
    for ns in plan.namespaces.values():
        # Unsorted: `metadata` sorts them with the managed-by label (one sort, not two).
        labels = {**ns.labels, **psa.labels(ns, program.release)}
        out.append(namespace_manifest(ns.name, labels, ns.sources))
        out.extend(m for m in (limit_range_manifest(ns, canonicals), resource_quota_manifest(ns, canonicals))
                   if m is not None)
    return Emitted(tuple(out))


BACKEND = Backend("admission", emit)

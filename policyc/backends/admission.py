"""Admission backend: Namespaces (with Pod Security Admission labels), LimitRanges, ResourceQuotas,
PodSecurityPolicies with their `use` grants, and ValidatingAdmissionPolicies with their bindings.

Every decision is made by the check stage (check/admission.py, `Program.admission`); this
module only writes the objects. Object names: LimitRange `limits`, ResourceQuota `quota`,
PodSecurityPolicy `policyc-LEVEL` for a level or the profile's own name, ClusterRole and
RoleBinding `policyc:psp:PSP`, ValidatingAdmissionPolicy and binding: the profile's name.
"""

from __future__ import annotations

from typing import Any

from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.backends.rbac import binding_manifest, role_manifest
from policyc.k8s.limitrange import LIMIT_TYPES
from policyc.model.admission import AdmissionPlan, NamespaceAdmission, PspObject, VapObject
from policyc.model.manifest import Manifest
from policyc.model.program import Program

PSP_API = "policy/v1beta1"
VAP_API = "admissionregistration.k8s.io/v1"
# LimitRangeItem fields in the order of the Go struct (and of the API server's JSON).
_ITEM_FIELDS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")
# The label the API server puts on every namespace (GA in 1.22), which bindings select on.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def namespace_manifest(name: str, labels: dict[str, str], sources: tuple[str, ...]) -> Manifest:
    """A Namespace with its labels."""
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata(name, None, sources, labels)}
    return Manifest("v1", "Namespace", name, None, body, sources)


def limit_range_manifest(ns: NamespaceAdmission) -> Manifest | None:
    """The namespace's LimitRange `limits`: one item per type, quantities in canonical form."""
    items = []
    for api_type in sorted(LIMIT_TYPES.values()):
        values = ns.limits.limit_values(api_type)
        if not values:
            continue
        item: dict[str, Any] = {"type": api_type}
        for kind in _ITEM_FIELDS:
            if kind in values:
                item[kind] = {res: q.canonical() for res, q in sorted(values[kind].items())}
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


def resource_quota_manifest(ns: NamespaceAdmission) -> Manifest | None:
    """The namespace's ResourceQuota `quota` (`spec.hard`, keys sorted, canonical quantities)."""
    if not ns.limits.quota:
        return None
    hard = {key: q.canonical() for key, (q, _) in sorted(ns.limits.quota.items())}
    body = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata("quota", ns.name, ns.quota_sources),
        "spec": {"hard": hard},
    }
    return Manifest("v1", "ResourceQuota", "quota", ns.name, body, ns.quota_sources)


def psp_manifest(psp: PspObject) -> Manifest:
    """A policy/v1beta1 PodSecurityPolicy."""
    meta = metadata(psp.name, None, psp.sources)
    meta["annotations"] = dict(sorted({**meta.get("annotations", {}), **psp.annotations}.items()))
    body = {"apiVersion": PSP_API, "kind": "PodSecurityPolicy", "metadata": meta, "spec": psp.spec}
    return Manifest(PSP_API, "PodSecurityPolicy", psp.name, None, body, psp.sources)


def vap_manifests(vap: VapObject) -> list[Manifest]:
    """A ValidatingAdmissionPolicy for pods and the binding that denies in exactly its namespaces."""
    policy = {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": metadata(vap.name, None, vap.sources),
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]},
                    # `kubectl debug` adds ephemeral containers through this subresource.
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["UPDATE"],
                        "resources": ["pods/ephemeralcontainers"],
                    },
                ]
            },
            "validations": [{"expression": v.expression, "message": v.message} for v in vap.validations],
        },
    }
    binding = {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": metadata(vap.name, None, vap.sources),
        "spec": {
            "policyName": vap.name,
            "validationActions": ["Deny"],
            "matchResources": {
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": list(vap.namespaces)}
                    ]
                }
            },
        },
    }
    return [
        Manifest(VAP_API, "ValidatingAdmissionPolicy", vap.name, None, policy, vap.sources),
        Manifest(VAP_API, "ValidatingAdmissionPolicyBinding", vap.name, None, binding, vap.sources),
    ]


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
    for ns in plan.namespaces.values():
        out.append(namespace_manifest(ns.name, ns.labels, ns.sources))
        out.extend(m for m in (limit_range_manifest(ns), resource_quota_manifest(ns)) if m is not None)
    out.extend(psp_manifest(p) for p in plan.psps)
    out.extend(role_manifest(r) for r in plan.roles)
    out.extend(binding_manifest(b) for b in plan.bindings)
    for vap in plan.vaps:
        out.extend(vap_manifests(vap))
    return Emitted(tuple(out))


BACKEND = Backend("admission", emit)

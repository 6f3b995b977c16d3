"""ValidatingAdmissionPolicy backend (admissionregistration.k8s.io/v1, 1.30+): one policy per
custom pod-security profile in use, with the CEL validations of k8s/podsecurity.py, and a
binding that denies in exactly the namespaces using it. Both are named after the profile.
"""

from __future__ import annotations

from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.k8s import podsecurity as ps
from policyc.model.manifest import Manifest
from policyc.model.program import Program

VAP_API = "admissionregistration.k8s.io/v1"
# The label the API server puts on every namespace (GA in 1.22), which bindings select on.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def vap_manifests(name: str, validations: list[ps.Validation], namespaces: list[str],
                  sources: tuple[str, ...]) -> list[Manifest]:
    """A ValidatingAdmissionPolicy for pods and the binding that denies in exactly its namespaces."""
    policy = {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": metadata(name, None, sources),
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
            "validations": [{"expression": v.expression, "message": v.message} for v in validations],
        },
    }
    binding = {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": metadata(name, None, sources),
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {
                "namespaceSelector": {
                    "matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": namespaces}]
                }
            },
        },
    }
    return [
        Manifest(VAP_API, "ValidatingAdmissionPolicy", name, None, policy, sources),
        Manifest(VAP_API, "ValidatingAdmissionPolicyBinding", name, None, binding, sources),
    ]


def emit(program: Program, credentials: Credentials) -> Emitted:
    """A policy and binding per custom profile that some namespace uses."""
    plan = program.admission
    if plan is None or plan.psp_admission:
        return Emitted()
    used: dict[str, list[str]] = {}
    for ns in plan.namespaces.values():
        if ns.profile is not None and ns.profile in plan.profiles:
            used.setdefault(ns.profile, []).append(ns.name)
    out: list[Manifest] = []
    for name, namespaces in sorted(used.items()):
        custom = plan.profiles[name]
        sources = tuple(sorted({custom.decl.span.file,
                                *(f for n in namespaces for f in plan.namespaces[n].sources)}))
        out += vap_manifests(name, ps.cel_validations(name, custom.profile, program.release), sorted(namespaces),
                             sources)
    return Emitted(tuple(out))


BACKEND = Backend("vap", emit, ps.vap_served)

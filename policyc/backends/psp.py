"""PodSecurityPolicy backend (policy/v1beta1, up to 1.24, when the cluster enables the
`PodSecurityPolicy` admission plugin): the policies in use, a `use` ClusterRole for each, and
a RoleBinding per namespace for the group `system:serviceaccounts:<ns>`.

A namespace's service accounts may use its custom profile, else the built-in policy of its
`enforce` level (`policyc-LEVEL`, k8s/podsecurity.py `psp_for`). PSP admission admits a pod
if ANY usable policy does, so each namespace is granted exactly one. Names: the
PodSecurityPolicy is `policyc-LEVEL` or the profile's own name; ClusterRole and RoleBinding
`policyc:psp:PSP`.
"""

from __future__ import annotations

from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.backends.rbac import binding_manifest, role_manifest
from policyc.diagnostics import Diagnostic, warning
from policyc.k8s import podsecurity as ps
from policyc.k8s.releases import format_version
from policyc.k8s.rules import PolicyRule
from policyc.model.admission import NamespaceAdmission
from policyc.model.manifest import Manifest
from policyc.model.program import Program
from policyc.model.rbac import Binding, CompiledRole, RbacSubject

PSP_API = "policy/v1beta1"


def psp_manifest(name: str, annotations: dict[str, str], spec: dict, sources: tuple[str, ...]) -> Manifest:
    """A policy/v1beta1 PodSecurityPolicy."""
    meta = metadata(name, None, sources)
    meta["annotations"] = dict(sorted({**meta.get("annotations", {}), **annotations}.items()))
    body = {"apiVersion": PSP_API, "kind": "PodSecurityPolicy", "metadata": meta, "spec": spec}
    return Manifest(PSP_API, "PodSecurityPolicy", name, None, body, sources)


def emit(program: Program, credentials: Credentials) -> Emitted:
    """The PodSecurityPolicies in use, their `use` ClusterRoles, and a RoleBinding per namespace.

    PC417: what a custom profile asks that a PodSecurityPolicy of the release cannot express.
    """
    plan = program.admission
    if plan is None or not plan.psp_admission:
        return Emitted()
    release = program.release
    users: dict[str, list[NamespaceAdmission]] = {}
    for ns in plan.namespaces.values():
        psp = ps.psp_for(ns.levels, ns.profile, plan.profiles)
        if psp is not None:
            users.setdefault(psp, []).append(ns)
    policies: list[Manifest] = []
    roles: list[CompiledRole] = []
    bindings: list[Binding] = []
    diags: list[Diagnostic] = []
    for psp_name, members in sorted(users.items()):
        ns_files = {f for ns in members for f in ns.sources}
        if psp_name.startswith(ps.BUILTIN_PSP_PREFIX):
            annotations, spec = ps.builtin_psp(psp_name.removeprefix(ps.BUILTIN_PSP_PREFIX), release)
            sources = tuple(sorted(ns_files))
        else:
            custom = plan.profiles[psp_name]
            annotations, spec, notes = ps.custom_psp(custom.profile, release)
            for note in notes:
                diags.append(warning(
                    "PC417", f"pod-security-policy `{psp_name}` on Kubernetes {format_version(release)}: {note}",
                    custom.decl.name.span, "see docs/pod-security.md for what each control compiles to"))
            sources = tuple(sorted(ns_files | {custom.decl.span.file}))
        policies.append(psp_manifest(psp_name, annotations, spec, sources))
        role = f"policyc:psp:{psp_name}"
        rule = PolicyRule(("policy",), ("podsecuritypolicies",), (psp_name,), (), ("use",))
        roles.append(CompiledRole("ClusterRole", role, None, (rule,), sources=sources))
        for ns in sorted(members, key=lambda n: n.name):
            subject = RbacSubject("Group", f"system:serviceaccounts:{ns.name}")
            bindings.append(
                Binding("RoleBinding", role, ns.name, "ClusterRole", role, (subject,), f"psp:{psp_name}",
                        sources=ns.sources)
            )
    manifests = [*policies, *(role_manifest(r) for r in roles), *(binding_manifest(b) for b in bindings)]
    return Emitted(tuple(manifests), diagnostics=tuple(diags))


BACKEND = Backend("psp", emit, ps.psp_served)

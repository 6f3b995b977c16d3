"""PodSecurityPolicy backend (policy/v1beta1, up to 1.24, when the cluster enables the
`PodSecurityPolicy` admission plugin): the policies in use, a `use` ClusterRole for each, and
a RoleBinding per namespace for the group `system:serviceaccounts:<ns>`.

A namespace's service accounts may use its custom profile, else the built-in policy of its
`enforce` level (`policyc-LEVEL`, k8s/podsecurity.py `psp_for`). PSP admission admits a pod
if ANY usable policy does, so each namespace is granted exactly one. Names: the
PodSecurityPolicy is `policyc-LEVEL` or the profile's own name; ClusterRole and RoleBinding
`policyc:psp:PSP`.

Every PSP is compiled from a profile (k8s/podsecurity.py `custom_psp`; a level's profile as
`CHECKS` define it at the release), so it gives Pod Security's verdict wherever a
PodSecurityPolicy can express the check (tests/unit/backends/test_upstream_fixtures.py runs
upstream's fixtures through it). What it cannot express is a warning: PC417 for a custom profile
(at its declaration), PC419 for a level's PSP (at `PodSecurityPolicy` in the `admission` list).
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
from policyc.rules import WARNING, Rule, register
from policyc.source import Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "admission",
    Rule(
        "PC417", WARNING,
        "a control of a custom profile that a PodSecurityPolicy cannot express (how it compiles instead)",
        example="`selinux baseline` on 1.24",
    ),
    Rule(
        "PC419", WARNING,
        "a check of a built-in level that its PodSecurityPolicy `policyc-LEVEL` cannot express (Pod Security "
        "Admission labels enforce it exactly from 1.23)",
        example="`pod-security restricted` on 1.24 with `admission ..., PodSecurityPolicy`",
    ),
)

PSP_API = "policy/v1beta1"


def psp_manifest(name: str, annotations: dict[str, str], spec: dict, sources: tuple[str, ...]) -> Manifest:
    """A policy/v1beta1 PodSecurityPolicy."""
    meta = metadata(name, None, sources)
    meta["annotations"] = dict(sorted({**meta.get("annotations", {}), **annotations}.items()))
    body = {"apiVersion": PSP_API, "kind": "PodSecurityPolicy", "metadata": meta, "spec": spec}
    return Manifest(PSP_API, "PodSecurityPolicy", name, None, body, sources)


def emit(program: Program, credentials: Credentials) -> Emitted:
    """The PodSecurityPolicies in use, their `use` ClusterRoles, and a RoleBinding per namespace.

    PC417: what a custom profile asks that a PodSecurityPolicy of the release cannot express;
    PC419: what a level's checks at the release ask that its PodSecurityPolicy cannot express.
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
            level = psp_name.removeprefix(ps.BUILTIN_PSP_PREFIX)
            annotations, spec, notes = ps.builtin_psp(level, release)
            sources = tuple(sorted(ns_files))
            span = _psp_plugin_span(program)
            for note in notes if span is not None else ():
                diags.append(warning(
                    "PC419", f"PodSecurityPolicy `{psp_name}` (level `{level}`) on Kubernetes "
                    f"{format_version(release)}: {note}", span,
                    _LEVEL_HELP if release >= ps.PSA_DEFAULT_ON else _LEVEL_HELP_OLD))
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


_LEVEL_HELP = ("the namespaces' Pod Security Admission labels (also written) enforce the level exactly; "
               "see docs/pod-security.md for what the PodSecurityPolicy leaves to them")
_LEVEL_HELP_OLD = ("before 1.23 nothing else enforces these checks; see docs/pod-security.md for what "
                   "the PodSecurityPolicy of each level leaves out")


def _psp_plugin_span(program: Program) -> Span | None:
    """Where the cluster turns PodSecurityPolicy admission on (its word in the `admission` list)."""
    for cluster in program.policy.clusters:
        for word in cluster.admission:
            if word.text == ps.PSP_PLUGIN:
                return word.span
    return None


BACKEND = Backend("psp", emit, ps.psp_served)

"""PodSecurityPolicies (policy/v1beta1, up to 1.24) to `pod-security-policy` blocks.

policyc emits a PodSecurityPolicy for a profile only where a namespace uses it
(`pod-security NAME`), together with a `use` ClusterRole `policyc:psp:NAME` and a RoleBinding
for the namespace's service accounts (check/admission.py). So a PSP is imported when:
1. its spec is exactly what policyc compiles some profile to (`podsecurity.custom_psp`): the
   profile is read back from the spec field by field, compiled again and compared; any field
   that does not come back the same (fsGroup ranges, allowedHostPaths, runAsGroup, ...) keeps
   the PSP as it is (PC613) with the fields named;
2. the service accounts of some namespace may already `use` it (checked with the access engine
   on the input), so the binding policyc adds grants nobody anything new. Those namespaces get
   `pod-security NAME`; a PSP that no namespace's service accounts may use is kept (PC613).
PSPs named `policyc-LEVEL` that equal policyc's PSP for a built-in level are policyc's own
output: the namespaces' `pod-security LEVEL` regenerates them. The `policyc:psp:NAME` roles and
bindings that policyc would regenerate are recognised and not imported twice.
The imported policy then turns PodSecurityPolicy admission on (`cluster { admission ... }`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from policyc.access.authorizer import AccessModel, group_member
from policyc.access.request import Request
from policyc.importer.plan import PPsp
from policyc.k8s import podsecurity as ps
from policyc.k8s.yamlread import Doc
from policyc.rules import WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "import",
    Rule(
        "PC613", WARNING,
        "a PodSecurityPolicy that cannot be imported (the release has none, fields a `pod-security-policy` block "
        "cannot write, no namespace's service accounts may use it, a name starting with `policyc-` that is not "
        "policyc's own), or a ValidatingAdmissionPolicy (or binding) that is not policyc's compilation of a "
        "profile (importer/vap.py): kept",
        example="`allowedHostPaths: [...]`",
    ),
)

if TYPE_CHECKING:
    from policyc.importer.translate import Translator

PSP_REMOVED = (1, 25)
ROLE_PREFIX = "policyc:psp:"
BUILTIN_PREFIX = "policyc-"
PROFILE_ANNOTATIONS = (ps.SECCOMP_ALLOWED, ps.SECCOMP_DEFAULT, ps.APPARMOR_ALLOWED, ps.APPARMOR_DEFAULT)
_ANNOTATION_KEYS = PROFILE_ANNOTATIONS
_SPEC_DEFAULTS: dict[str, Any] = {
    "privileged": False, "allowPrivilegeEscalation": True, "hostNetwork": False, "hostPID": False,
    "hostIPC": False, "readOnlyRootFilesystem": False,
}  # fmt: skip
_SORTED_LISTS = ("volumes", "allowedCapabilities", "requiredDropCapabilities", "allowedUnsafeSysctls",
                 "forbiddenSysctls", "allowedProcMountTypes")


def normal(annotations: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Annotations that matter and the spec with API defaults filled in and unordered lists sorted."""
    ann = {k: str(v) for k, v in annotations.items() if k in _ANNOTATION_KEYS}
    out = {**_SPEC_DEFAULTS, **spec}
    for key in _SORTED_LISTS:
        if isinstance(out.get(key), list):
            out[key] = sorted(out[key])
    return ann, out


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def read_profile(annotations: dict[str, Any], spec: dict[str, Any], release: tuple[int, int]) -> ps.Profile:
    """The profile whose compiled PodSecurityPolicy this spec would be (the inverse of `custom_psp`)."""
    p = ps.PRIVILEGED
    p = replace(
        p,
        privileged=bool(spec.get("privileged", False)),
        allow_privilege_escalation=bool(spec.get("allowPrivilegeEscalation", True)),
        host_network=bool(spec.get("hostNetwork", False)),
        host_pid=bool(spec.get("hostPID", False)),
        host_ipc=bool(spec.get("hostIPC", False)),
        require_read_only_root=bool(spec.get("readOnlyRootFilesystem", False)),
        capabilities_drop=frozenset(spec.get("requiredDropCapabilities") or ()),
        require_non_root=(spec.get("runAsUser") or {}).get("rule") == "MustRunAsNonRoot",
        unmasked_proc_mount="Unmasked" in (spec.get("allowedProcMountTypes") or ()),
    )
    ports = spec.get("hostPorts") or []
    ranges = tuple(sorted((int(r.get("min", 0)), int(r.get("max", 0))) for r in ports if isinstance(r, dict)))
    p = replace(p, host_ports=None if ranges == ((0, 65535),) else ranges)
    caps = spec.get("allowedCapabilities")
    p = replace(p, capabilities_add=None if caps == ["*"] else frozenset(caps or ()))
    vols = spec.get("volumes")
    p = replace(p, volumes=None if vols == ["*"] or vols is None else frozenset(vols))
    unsafe, forbidden = spec.get("allowedUnsafeSysctls"), spec.get("forbiddenSysctls")
    if unsafe == ["*"]:
        p = replace(p, sysctls=None)
    elif not unsafe and not forbidden:
        p = replace(p, sysctls=ps.SAFE)
    else:
        p = replace(p, sysctls=(frozenset(ps.safe_sysctls(release)) - set(forbidden or ())) | set(unsafe or ()))
    seccomp = annotations.get(ps.SECCOMP_ALLOWED)
    if seccomp is None or seccomp == "*":
        p = replace(p, seccomp=None)
    else:
        names = {"runtime/default" if v == "docker/default" else v for v in _split(seccomp)}
        if ps.SECCOMP_DEFAULT in annotations:
            names.add("unset")
        p = replace(p, seccomp=frozenset(names))
    apparmor = annotations.get(ps.APPARMOR_ALLOWED)
    p = replace(p, apparmor=None if apparmor is None else _split(apparmor))
    return p


def _words(values: frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(values))


def settings(p: ps.Profile) -> list[str]:
    """The `pod-security-policy` lines for a profile: `base privileged`, then every control it changes."""
    base = ps.PRIVILEGED
    out = ["base privileged"]
    flags = (
        ("privileged", "privileged"), ("allow-privilege-escalation", "allow_privilege_escalation"),
        ("host-network", "host_network"), ("host-pid", "host_pid"), ("host-ipc", "host_ipc"),
        ("host-process", "host_process"), ("host-probes", "host_probes"), ("windows-exempt", "windows_exempt"),
    )  # fmt: skip
    for key, attr in flags:
        if getattr(p, attr) != getattr(base, attr):
            out.append(f"{key} {'yes' if getattr(p, attr) else 'no'}")
    if p.require_non_root:
        out.append("run-as-user non-root")
    if p.restrict_selinux:
        out.append("selinux baseline")
    if p.userns_relaxes:
        out.append("user-namespaces " + _words(p.userns_relaxes))
    if p.host_ports is not None:
        out.append("host-ports " + (", ".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in p.host_ports)
                                    or "none"))
    if p.capabilities_add is not None:
        out.append("capabilities add " + (_words(p.capabilities_add) or "none"))
    if p.capabilities_drop:
        out.append("capabilities drop " + _words(p.capabilities_drop))
    if p.seccomp is not None:
        out.append("seccomp " + _words(p.seccomp))
    if p.apparmor is not None:
        out.append("apparmor " + _words(p.apparmor))
    if not p.unmasked_proc_mount:
        out.append("proc-mount default")
    if p.sysctls is not None:
        out.append("sysctls " + (p.sysctls if isinstance(p.sysctls, str) else _words(p.sysctls) or "none"))
    if p.volumes is not None:
        out.append("volumes " + (_words(p.volumes) or "none"))
    if p.require_read_only_root:
        out.append("read-only-root-filesystem yes")
    return out


def _differences(a: tuple[dict, dict], b: tuple[dict, dict]) -> list[str]:
    keys = sorted(set(a[1]) | set(b[1]))
    out = [f"spec.{k}" for k in keys if json.dumps(a[1].get(k), sort_keys=True) != json.dumps(b[1].get(k),
                                                                                              sort_keys=True)]
    out += [f"annotation {k}" for k in sorted(set(a[0]) | set(b[0])) if a[0].get(k) != b[0].get(k)]
    return out


def _users(model: AccessModel, name: str, namespaces: list[str]) -> list[str]:
    """Namespaces whose service accounts (as a group) may `use` the PodSecurityPolicy `name`."""
    out = []
    for ns in namespaces:
        member = group_member(f"system:serviceaccounts:{ns}")
        request = Request("use", "policy", "podsecuritypolicies", "", name, ns)
        if model.authorize(member, request).allowed:
            out.append(ns)
    return out


def translate(t: Translator, docs: list[Doc]) -> set[int]:
    """Import PodSecurityPolicies; returns the ids of the RBAC docs policyc will regenerate."""
    regenerated: set[int] = set()
    if not docs:
        return regenerated
    release = t.release.version
    if release >= PSP_REMOVED:
        for doc in docs:
            t.keep(doc, "PC613", f"PodSecurityPolicy does not exist in Kubernetes {t.release.label}",
                   "import with `--kubernetes 1.24` (or older) if the cluster still runs it, or delete it", "kind")
        return regenerated
    model = AccessModel.from_objects([d.obj for d in t.docs], release)
    namespaces = sorted({d.name for d in t.docs if d.kind == "Namespace"} | {d.namespace for d in t.docs
                                                                               if d.namespace})
    enforce = {d.name: str((d.meta.get("labels") or {}).get(f"{ps.PSA_LABEL_PREFIX}enforce", ""))
               for d in t.docs if d.kind == "Namespace"}
    for doc in sorted(docs, key=lambda d: d.name):
        annotations = doc.meta.get("annotations") or {}
        spec = doc.obj.get("spec") or {}
        if not isinstance(spec, dict) or not isinstance(annotations, dict):
            t.keep(doc, "PC613", "it has no readable spec", "fix the PodSecurityPolicy", "spec")
            continue
        given = normal(annotations, spec)
        users = _users(model, doc.name, namespaces)
        level = doc.name.removeprefix(BUILTIN_PREFIX)
        if doc.name.startswith(BUILTIN_PREFIX) and level in ps.LEVELS:
            if normal(*ps.builtin_psp(level, release)[:2]) != given:
                t.keep(doc, "PC613", "it is named like policyc's PodSecurityPolicy for a built-in level but "
                       "differs from it", f"rename it, or make it equal to policyc's `{level}`", "spec")
                continue
            off = [ns for ns in users if enforce.get(ns) != level]
            if off or not users:
                t.keep(doc, "PC613", f"policyc grants its PodSecurityPolicy `{doc.name}` only to namespaces that "
                       f"enforce `{level}`, and {('namespace `' + off[0] + '` does not') if off else 'none does'}",
                       "label the namespaces with pod-security.kubernetes.io/enforce, or keep the policy", "metadata")
                continue
        elif doc.name.startswith(BUILTIN_PREFIX):
            t.keep(doc, "PC613", f"names starting with `{BUILTIN_PREFIX}` are reserved for policyc's own "
                   "PodSecurityPolicies", "rename it, or manage it outside policyc", "metadata", "name")
            continue
        else:
            profile = read_profile(annotations, spec, release)
            compiled = ps.custom_psp(profile, release)
            diff = _differences(given, normal(compiled[0], compiled[1]))
            if diff:
                t.keep(doc, "PC613", f"{', '.join(f'`{d}`' for d in diff)} cannot be expressed by a "
                       "`pod-security-policy` block", "manage this PodSecurityPolicy outside policyc", "spec")
                continue
            if not users:
                t.keep(doc, "PC613", "no namespace's service accounts may use it, and policyc grants a "
                       "PodSecurityPolicy to the service accounts of the namespaces that use it",
                       "manage this PodSecurityPolicy outside policyc", "metadata")
                continue
            t.plan.psps[doc.name] = PPsp(doc.name, settings(profile), users)
            for ns in users:
                t.plan.namespace(ns).profile = doc.name
        t.plan.psp_admission = True
        t.check_fields(doc)
        t._set(doc, "imported")
        regenerated |= _regenerated(t, doc.name, users)
    return regenerated


def _regenerated(t: Translator, name: str, users: list[str]) -> set[int]:
    """The `policyc:psp:NAME` ClusterRole and RoleBindings that `pod-security` compiles to again."""
    role = ROLE_PREFIX + name
    out: set[int] = set()
    for d in t.docs:
        if d.name != role:
            continue
        if d.kind == "ClusterRole":
            rules = d.obj.get("rules") or []
            if rules == [{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "resourceNames": [name],
                          "verbs": ["use"]}]:
                out.add(id(d))
        elif d.kind == "RoleBinding" and d.namespace in users:
            subjects = d.obj.get("subjects") or []
            if (d.obj.get("roleRef") or {}).get("name") == role and [s.get("name") for s in subjects] == [
                    f"system:serviceaccounts:{d.namespace}"]:
                out.add(id(d))
    return out

"""policyc's own ValidatingAdmissionPolicies (1.30+) back to `pod-security-policy` blocks.

policyc compiles a custom profile in use to a ValidatingAdmissionPolicy and a binding of the
same name that denies in exactly the namespaces using it (backends/vap.py). A pair is imported
when it is exactly what some profile compiles to: the profile is read back from the messages
(each says its control, `(control KEY)`, and lists what it allows) and the expressions (the
user-namespace and Windows exemptions are prefixes of theirs), compiled again with
`podsecurity.cel_validations` and `vap_manifests`, and both specs must come back the same.
The controls newer than PodSecurityPolicy come back as their keys: `host-probes no`,
`user-namespaces proc-mount, run-as-user`, `windows-exempt yes`. Anything else (a policy
written by hand, a binding with other match rules, a policy without its binding) is kept as
it is (PC613, declared in importer/psp.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from policyc.backends.vap import vap_manifests
from policyc.importer.plan import PPsp
from policyc.importer.psp import settings
from policyc.k8s import podsecurity as ps
from policyc.k8s.yamlread import Doc

if TYPE_CHECKING:
    from policyc.importer.translate import Translator

_FLAGS = {
    "host-network": "host_network", "host-pid": "host_pid", "host-ipc": "host_ipc", "host-process": "host_process",
    "privileged": "privileged", "allow-privilege-escalation": "allow_privilege_escalation",
    "proc-mount": "unmasked_proc_mount", "host-probes": "host_probes",
}  # fmt: skip
_WINDOWS_CONTROLS = ("allow-privilege-escalation", "capabilities drop")


def _listed(what: str) -> frozenset[str]:
    """The list after the message's colon (`none` is empty)."""
    tail = what.partition(": ")[2]
    return frozenset(v for v in tail.split(", ") if v and v != "none")


def _ports(what: str) -> tuple[tuple[int, int], ...]:
    out = []
    for item in sorted(_listed(what)):
        lo, _, hi = item.partition("-")
        out.append((int(lo), int(hi or lo)))
    return tuple(sorted(out))


def read_profile(name: str, validations: list[Any], release: tuple[int, int]) -> ps.Profile | None:
    """The profile whose validations these would be (checked by compiling it again), or None."""
    p = ps.PRIVILEGED
    userns: set[str] = set()
    for v in validations:
        if not isinstance(v, dict) or not isinstance(v.get("message"), str) or not isinstance(
                v.get("expression"), str):
            return None
        found = re.fullmatch(re.escape(name) + r": (.*) \(control ([a-z -]+)\)", v["message"], re.S)
        if found is None:
            return None
        what, control = found.groups()
        expression: str = v["expression"]
        if control in _FLAGS:
            p = replace(p, **{_FLAGS[control]: False})
        elif control == "run-as-user":
            p = replace(p, require_non_root=True)
        elif control == "read-only-root-filesystem":
            p = replace(p, require_read_only_root=True)
        elif control == "selinux":
            p = replace(p, restrict_selinux=True)
        elif control == "host-ports":
            p = replace(p, host_ports=_ports(what))
        elif control == "capabilities add":
            p = replace(p, capabilities_add=_listed(what))
        elif control == "capabilities drop":
            p = replace(p, capabilities_drop=_listed(what))
        elif control == "seccomp":
            p = replace(p, seccomp=_listed(what))
        elif control == "apparmor":
            p = replace(p, apparmor=_listed(what))
        elif control == "sysctls":
            names = _listed(what)
            p = replace(p, sysctls=ps.SAFE if names == frozenset(ps.safe_sysctls(release)) else names)
        elif control == "volumes":
            # The message lists the release's types only; a type the release lacks is never written.
            p = replace(p, volumes=_listed(what))
        else:
            return None
        # The exemptions are prefixes of the expressions (podsecurity.cel_validations).
        if control in ("run-as-user", "proc-mount") and expression.startswith(ps.USERNS_PREFIX):
            userns.add(control)
        if (control in _WINDOWS_CONTROLS and expression.startswith(ps.WINDOWS_PREFIX)) or (
                control == "seccomp" and ps.WINDOWS_POD + ")" in expression):
            p = replace(p, windows_exempt=True)
    return replace(p, userns_relaxes=frozenset(userns))


def _spec(obj: dict[str, Any]) -> str:
    return json.dumps(obj.get("spec"), sort_keys=True)


def translate(t: Translator, policies: list[Doc], bindings: list[Doc]) -> None:
    """Import the policy/binding pairs policyc would compile again; keep the rest (PC613)."""
    release = t.release.version
    by_name = {d.name: d for d in bindings}
    for doc in sorted(policies, key=lambda d: d.name):
        binding = by_name.pop(doc.name, None)
        spec = doc.obj.get("spec") if isinstance(doc.obj.get("spec"), dict) else {}
        validations = spec.get("validations") if isinstance(spec.get("validations"), list) else []
        profile = read_profile(doc.name, validations, release) if validations else None
        selector = (((binding.obj.get("spec") or {}).get("matchResources") or {}).get("namespaceSelector")
                    or {}) if binding is not None else {}
        expressions = selector.get("matchExpressions") if isinstance(selector, dict) else None
        namespaces = expressions[0].get("values") if isinstance(expressions, list) and expressions and isinstance(
            expressions[0], dict) else None
        same = False
        usable = binding is not None and isinstance(namespaces, list) and bool(namespaces)
        if ps.vap_served(release) and profile is not None and usable:
            assert isinstance(namespaces, list)
            policy, bound = vap_manifests(doc.name, ps.cel_validations(doc.name, profile, release),
                                          sorted(str(n) for n in namespaces), ())
            same = _spec(policy.body) == _spec(doc.obj) and _spec(bound.body) == _spec(binding.obj)
        if not same:
            for each in (doc, binding):
                if each is not None:
                    t.keep(each, "PC613", "this ValidatingAdmissionPolicy is not one policyc compiles a "
                           "`pod-security-policy` to (with its binding of the same name)",
                           "leave it in place, or write the profile as a `pod-security-policy` block by hand", "spec")
            continue
        assert profile is not None and isinstance(namespaces, list)
        users = sorted(str(n) for n in namespaces)
        t.plan.psps[doc.name] = PPsp(doc.name, settings(profile), users)
        for ns in users:
            t.plan.namespace(ns).profile = doc.name
        for each in (doc, binding):
            t.check_fields(each)
            t._set(each, "imported", "a `pod-security-policy` block")
    for binding in by_name.values():
        t.keep(binding, "PC613", "a ValidatingAdmissionPolicyBinding without the policy of its name",
               "leave it in place", "spec")

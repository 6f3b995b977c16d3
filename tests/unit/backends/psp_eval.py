"""A PodSecurityPolicy admission model for tests: default the pod as the policy would, then validate.

Written from kubernetes release-1.24 pkg/security/podsecuritypolicy/ (provider.go
DefaultPodSecurityContext/DefaultContainerSecurityContext, ValidatePod/ValidateContainer, and the
strategies under capabilities/, user/nonroot.go, group/, seccomp/, apparmor/, sysctl/), for the
fields the policies policyc emits set. Seccomp fields are read as the annotations the API server
of 1.19-1.24 derives from them on create (seccomp/strategy.go seccompAnnotationForField).
"""

from __future__ import annotations

import copy
from typing import Any

from policyc.k8s import podsecurity as ps

_CONTAINER_KINDS = ("containers", "initContainers")  # PSP does not validate ephemeral containers on create
_FIELD_TO_PSP = {field: name for name, (field, _) in ps.VOLUME_TYPES.items()}


def _seccomp_annotation(profile: dict[str, Any] | None) -> str:
    if not profile:
        return ""
    kind = profile.get("type")
    if kind == "RuntimeDefault":
        return "runtime/default"
    if kind == "Unconfined":
        return "unconfined"
    if kind == "Localhost":
        return "localhost/" + profile.get("localhostProfile", "")
    return ""


def _in_ranges(value: int, ranges: list[dict[str, int]]) -> bool:
    return any(r["min"] <= value <= r["max"] for r in ranges)


def psp_admit(annotations: dict[str, str], spec: dict[str, Any], pod: dict[str, Any],
              safe_sysctls: tuple[str, ...]) -> tuple[bool, dict[str, Any], list[str]]:
    """(admitted, the pod as the policy defaulted it, the reasons for refusing)."""
    pod = copy.deepcopy(pod)
    meta = pod.setdefault("metadata", {})
    pod_ann = meta.setdefault("annotations", {})
    podspec = pod["spec"]
    psc = podspec.setdefault("securityContext", {})
    errors: list[str] = []
    containers = [c for kind in _CONTAINER_KINDS for c in podspec.get(kind, [])]

    # Defaulting (provider.go): seccomp and AppArmor defaults, group defaults, non-root, escalation, drops.
    seccomp_allowed = annotations.get(ps.SECCOMP_ALLOWED)
    pod_seccomp = pod_ann.get("seccomp.security.alpha.kubernetes.io/pod") or _seccomp_annotation(
        psc.get("seccompProfile"))
    if not pod_seccomp and ps.SECCOMP_DEFAULT in annotations:
        pod_seccomp = annotations[ps.SECCOMP_DEFAULT]
    apparmor_default = annotations.get(ps.APPARMOR_DEFAULT, "")
    for rule_key, field_name in (("supplementalGroups", "supplementalGroups"), ("fsGroup", "fsGroup")):
        rule = spec.get(rule_key, {"rule": "RunAsAny"})
        if rule["rule"] == "MustRunAs":
            value = psc.get(field_name)
            if value is None:
                psc[field_name] = [rule["ranges"][0]["min"]] if field_name == "supplementalGroups" else \
                    rule["ranges"][0]["min"]
            else:
                for v in value if isinstance(value, list) else [value]:
                    if not _in_ranges(v, rule["ranges"]):
                        errors.append(f"{field_name} {v} out of range")
    for c in containers:
        sc = c.setdefault("securityContext", {})
        if spec.get("allowPrivilegeEscalation") is False and sc.get("allowPrivilegeEscalation") is None:
            sc["allowPrivilegeEscalation"] = False
        drops = spec.get("requiredDropCapabilities", [])
        if drops:
            caps = sc.setdefault("capabilities", {})
            caps["drop"] = sorted(set(caps.get("drop", [])) | set(drops))
        unset = all(x.get(k) is None for x in (sc, psc) for k in ("runAsNonRoot", "runAsUser"))
        if spec.get("runAsUser", {}).get("rule") == "MustRunAsNonRoot" and unset:
            sc["runAsNonRoot"] = True
        key = "container.apparmor.security.beta.kubernetes.io/" + c["name"]
        if not pod_ann.get(key) and apparmor_default:
            pod_ann[key] = apparmor_default

    # Validation.
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if podspec.get(flag) and not spec.get(flag):
            errors.append(flag)
    allowed_volumes = set(spec.get("volumes", []))
    for volume in podspec.get("volumes", []):
        kinds = [_FIELD_TO_PSP[k] for k in volume if k in _FIELD_TO_PSP]
        if "*" not in allowed_volumes and not (kinds and kinds[0] in allowed_volumes):
            errors.append(f"volume {volume['name']}")
    sysctls = [s["name"] for s in psc.get("sysctls", [])]
    unsafe_ok = spec.get("allowedUnsafeSysctls", [])
    for name in sysctls:
        if name in spec.get("forbiddenSysctls", []) or (name not in safe_sysctls and "*" not in unsafe_ok
                                                         and name not in unsafe_ok):
            errors.append(f"sysctl {name}")
    if seccomp_allowed is not None and seccomp_allowed != "*":
        allowed = set(seccomp_allowed.split(","))
        if pod_seccomp not in allowed:
            errors.append(f"pod seccomp {pod_seccomp!r}")
    for c in containers:
        sc = c["securityContext"]
        if sc.get("privileged") and not spec.get("privileged"):
            errors.append("privileged")
        if sc.get("allowPrivilegeEscalation") and spec.get("allowPrivilegeEscalation") is False:
            errors.append("allowPrivilegeEscalation")
        for port in c.get("ports", []):
            host = port.get("hostPort", 0)
            if host and not _in_ranges(host, spec.get("hostPorts", [])):
                errors.append(f"hostPort {host}")
        allowed_caps = set(spec.get("allowedCapabilities", []))
        for cap in sc.get("capabilities", {}).get("add", []):
            if cap in spec.get("requiredDropCapabilities", []) or ("*" not in allowed_caps
                                                                    and cap not in allowed_caps):
                errors.append(f"capability {cap}")
        if sc.get("procMount", "Default") not in spec.get("allowedProcMountTypes", ["Default"]):
            errors.append("procMount")
        if spec.get("runAsUser", {}).get("rule") == "MustRunAsNonRoot":
            non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
            user = sc.get("runAsUser", psc.get("runAsUser"))
            if non_root is None and user is None:
                errors.append("runAsNonRoot unset")
            if non_root is False:
                errors.append("runAsNonRoot false")
            if user == 0:
                errors.append("runAsUser 0")
        if spec.get("readOnlyRootFilesystem") and not sc.get("readOnlyRootFilesystem"):
            errors.append("readOnlyRootFilesystem")
        if seccomp_allowed is not None and seccomp_allowed != "*":
            mine = pod_ann.get("container.seccomp.security.alpha.kubernetes.io/" + c["name"]) or \
                _seccomp_annotation(sc.get("seccompProfile")) or pod_seccomp
            if mine not in set(seccomp_allowed.split(",")):
                errors.append(f"container seccomp {mine!r}")
        if ps.APPARMOR_ALLOWED in annotations:
            profile = pod_ann.get("container.apparmor.security.beta.kubernetes.io/" + c["name"], "")
            allowed = set(annotations[ps.APPARMOR_ALLOWED].split(","))
            if profile not in allowed:
                errors.append(f"apparmor {profile!r}")
    return not errors, pod, errors

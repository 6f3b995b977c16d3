"""The API server's rules for LimitRanges and ResourceQuotas, as pure functions.

Ported from kubernetes pkg/apis/core/validation/validation.go (``ValidateLimitRange``,
``validateLimitRangeResourceName``, ``ValidateResourceQuotaResourceName``,
``ValidateResourceQuantityValue``) and pkg/apis/core/helper/helpers.go (the standard
resource name sets). Each function returns problems as data; the check stage turns them
into diagnostics at the policy line that caused them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from policyc.k8s import releases
from policyc.k8s.quantity import Quantity, limit_request_ratio

# The policy language's limit types and kinds, and the LimitRange field each one becomes.
LIMIT_TYPES = {"container": "Container", "pod": "Pod", "pvc": "PersistentVolumeClaim"}
LIMIT_KINDS = {
    "max": "max",
    "min": "min",
    "default": "default",
    "default-request": "defaultRequest",
    "max-ratio": "maxLimitRequestRatio",
}

# helpers.go: standardContainerResources (plus hugepages-<size>).
_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
# helpers.go: standardResources.
_STANDARD_RESOURCES = frozenset(
    {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services",
        "replicationcontrollers", "secrets", "configmaps", "persistentvolumeclaims", "storage",
        "requests.storage", "services.nodeports", "services.loadbalancers",
    }
)  # fmt: skip
# helpers.go: standardQuotaResources (note: `storage` is not one; `requests.storage` is).
QUOTA_RESOURCES = frozenset(
    {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods",
        "resourcequotas", "services", "replicationcontrollers", "secrets", "persistentvolumeclaims",
        "configmaps", "services.nodeports", "services.loadbalancers",
    }
)  # fmt: skip
# helpers.go: integerResources.
_INTEGER_RESOURCES = frozenset(
    {
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    }
)  # fmt: skip

# apimachinery util/validation: IsQualifiedName ([prefix/]name, name at most 63 characters).
_QUALIFIED_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")

# Quota keys for storage classes and device classes (kubernetes.io/docs/concepts/policy/resource-quotas/).
_STORAGE_CLASS_KEY = re.compile(
    r"(?P<cls>[^/]+)\.storageclass\.storage\.k8s\.io/(?P<res>requests\.storage|persistentvolumeclaims)\Z"
)
_DEVICE_CLASS_KEY = re.compile(r"(?P<cls>[^/]+)\.deviceclass\.resource\.k8s\.io/devices\Z")


def is_qualified_name(value: str) -> bool:
    """apimachinery `IsQualifiedName`: an optional DNS-subdomain prefix and a 63-character name."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return bool(name) and len(name) <= 63 and bool(_QUALIFIED_PART.match(name))


def is_hugepages(name: str) -> bool:
    """helpers.go `IsHugePageResourceName`."""
    return name.startswith("hugepages-")


def is_native(name: str) -> bool:
    """helpers.go `IsNativeResource`: unprefixed, or in the `kubernetes.io/` namespace."""
    return "/" not in name or "kubernetes.io/" in name


def is_extended(name: str) -> bool:
    """helpers.go `IsExtendedResourceName`: a prefixed name outside kubernetes.io, not `requests.*`."""
    if is_native(name) or name.startswith("requests."):
        return False
    return is_qualified_name("requests." + name)


def overcommit_allowed(name: str) -> bool:
    """helpers.go `IsOvercommitAllowed`: native and not hugepages (default must equal defaultRequest)."""
    return is_native(name) and not is_hugepages(name)


def limit_resource_problem(limit_type: str, name: str) -> str | None:
    """Why `name` may not appear in a LimitRange item of `limit_type` (the API type), or None.

    validation.go `validateLimitRangeResourceName`: Pod and Container take container resource
    names (cpu, memory, ephemeral-storage, hugepages-*, or a fully qualified extended
    resource); other types take any standard or fully qualified resource name.
    """
    if not is_qualified_name(name):
        return "is not a valid resource name"
    unprefixed = "/" not in name
    if unprefixed and not (name in _STANDARD_RESOURCES or is_hugepages(name) or name.startswith("requests.hugepages-")):
        return "must be a standard resource type or fully qualified"
    if limit_type in ("Pod", "Container"):
        if unprefixed and not (name in _CONTAINER_RESOURCES or is_hugepages(name)):
            return "must be a standard resource for containers"
        if not unprefixed and not is_native(name) and not is_extended(name):
            return "doesn't follow extended resource name standard"
    return None


@dataclass(frozen=True)
class LimitProblem:
    """One LimitRange rule broken: the field blamed (as the API server blames it) and the other one."""

    code: str
    kind: str  # LimitRange field blamed: min, max, default, defaultRequest, maxLimitRequestRatio
    resource: str
    message: str
    other: str | None = None  # the other field involved, if any


# The order ValidateLimitRange checks pairs in, and the field its error path names.
# (smaller kind, larger kind, blamed kind)
_ORDER_RULES = (
    ("min", "max", "min"),
    ("min", "defaultRequest", "defaultRequest"),
    ("defaultRequest", "max", "defaultRequest"),
    ("defaultRequest", "default", "defaultRequest"),
    ("min", "default", "default"),
    ("default", "max", "default"),
)

# How the language writes each LimitRange field in messages.
FIELD_WORDS = {v: k for k, v in LIMIT_KINDS.items()}


def validate_limit_item(
    limit_type: str, values: Mapping[str, Mapping[str, Quantity]], type_word: str | None = None
) -> list[LimitProblem]:
    """Every ValidateLimitRange error of one item (`values`: field -> resource -> quantity).

    `limit_type` is the API type (Container, Pod, PersistentVolumeClaim); `type_word` is how the
    policy writes it (container, pod, pvc), used in messages. Codes: PC250 ordering
    (min <= defaultRequest <= default <= max), PC251 ratio below 1, PC252 ratio above max/min,
    PC253 a field the type does not take, PC254 a PVC item without storage min or max, PC255
    default and defaultRequest differing for a resource that cannot be overcommitted.
    """
    word = type_word or limit_type
    out: list[LimitProblem] = []
    if limit_type == "Pod":
        for kind in ("default", "defaultRequest"):
            for res in sorted(values.get(kind, {})):
                out.append(
                    LimitProblem(
                        "PC253", kind, res, f"`pod` limits cannot have `{FIELD_WORDS[kind]}`: a pod has no "
                        "resources of its own to default",
                    )
                )
    if limit_type == "PersistentVolumeClaim":
        # LimitRanger checks only min and max of storage for claims (plugin/pkg/admission/limitranger,
        # PersistentVolumeClaimValidateLimitFunc); anything else is stored but never enforced.
        for kind in sorted(values):
            for res in sorted(values[kind]):
                if kind not in ("min", "max") or res != "storage":
                    out.append(
                        LimitProblem(
                            "PC253", kind, res, f"`pvc` limits take only `min` and `max` of `storage`, not "
                            f"`{FIELD_WORDS.get(kind, kind)} {res}`: LimitRanger never applies it to claims",
                        )
                    )
        mins, maxes = values.get("min", {}), values.get("max", {})
        if "storage" not in mins and "storage" not in maxes:
            out.append(
                LimitProblem("PC254", "", "storage", "`pvc` limits need a `min` or `max` of `storage`")
            )
    keys = sorted({res for kind in values.values() for res in kind})
    for res in keys:
        q = {kind: v[res] for kind, v in values.items() if res in v and not (limit_type == "Pod" and kind in (
            "default", "defaultRequest"))}
        for small, large, blamed in _ORDER_RULES:
            if small in q and large in q and q[small].cmp(q[large]) > 0:
                other = large if blamed == small else small
                out.append(
                    LimitProblem(
                        "PC250",
                        blamed,
                        res,
                        f"{word} {FIELD_WORDS[small]} {res} {q[small].text} is greater than "
                        f"{word} {FIELD_WORDS[large]} {res} {q[large].text}",
                        other,
                    )
                )
        ratio = q.get("maxLimitRequestRatio")
        if ratio is not None and ratio.value < 1:
            out.append(
                LimitProblem(
                    "PC251", "maxLimitRequestRatio", res, f"{word} max-ratio {res} {ratio.text} is less than 1"
                )
            )
        if ratio is not None and "min" in q and "max" in q:
            value, limit = limit_request_ratio(ratio, q["max"], q["min"])
            if not math.isnan(limit) and value > limit:
                shown = "+Inf" if math.isinf(limit) else f"{limit:f}"
                out.append(
                    LimitProblem(
                        "PC252",
                        "maxLimitRequestRatio",
                        res,
                        f"{word} max-ratio {res} {ratio.text} is greater than max/min = {shown} "
                        f"({q['max'].text} / {q['min'].text})",
                        "max",
                    )
                )
        if (
            not overcommit_allowed(res)
            and "default" in q
            and "defaultRequest" in q
            and q["default"].cmp(q["defaultRequest"]) != 0
        ):
            out.append(
                LimitProblem(
                    "PC255",
                    "defaultRequest",
                    res,
                    f"{word} default {res} {q['default'].text} must equal {word} default-request {res} "
                    f"{q['defaultRequest'].text}: `{res}` cannot be overcommitted",
                    "default",
                )
            )
    return out


@dataclass(frozen=True)
class QuotaKeyProblem:
    """A quota key the API server refuses (error) or accepts without counting anything (warning)."""

    error: bool
    message: str
    suggestion: str | None = None


def quota_key_problem(key: str, release: releases.Release) -> QuotaKeyProblem | None:
    """Why `key` is not a usable ResourceQuota `spec.hard` key in `release`, or None.

    Errors are what `ValidateResourceQuotaResourceName` rejects (an invalid name, or an
    unprefixed name outside the standard quota resources). Warnings are prefixed names the
    API server stores but no quota evaluator counts: the ones it counts are `count/RESOURCE[.GROUP]`,
    `requests.EXTENDED/NAME`, `CLASS.storageclass.storage.k8s.io/requests.storage|persistentvolumeclaims`
    and `CLASS.deviceclass.resource.k8s.io/devices` (kubernetes.io/docs/concepts/policy/resource-quotas/).
    """
    if not is_qualified_name(key):
        return QuotaKeyProblem(True, f"quota key `{key}` is not a valid resource name")
    if "/" not in key:
        if key in QUOTA_RESOURCES or is_hugepages(key) or key.startswith("requests.hugepages-"):
            return None
        import difflib

        close = difflib.get_close_matches(key, sorted(QUOTA_RESOURCES), n=1, cutoff=0.6)
        if key == "storage":
            close = ["requests.storage"]
        return QuotaKeyProblem(True, f"quota key `{key}` must be a standard resource for quota",
                               close[0] if close else None)
    prefix, _, name = key.partition("/")
    if prefix == "count":
        try:
            ref = releases.parse_resource(name)
        except ValueError:
            return QuotaKeyProblem(False, f"quota key `{key}` names no resource")
        problem = releases.check_resource(release, ref)
        if problem is not None:
            return QuotaKeyProblem(False, f"quota key `{key}` counts nothing: {problem.message}",
                                   f"count/{problem.suggestion}" if problem.suggestion else None)
        return None
    if _STORAGE_CLASS_KEY.match(key) or _DEVICE_CLASS_KEY.match(key):
        return None
    if key.startswith("requests.") and is_extended(key[len("requests."):]):
        return None
    if key.startswith("limits.") and is_extended(key[len("limits."):]):
        return QuotaKeyProblem(
            False,
            f"quota key `{key}` counts nothing: extended resources are limited by `requests.` keys only",
            "requests." + key[len("limits."):],
        )
    if is_extended(key):
        return QuotaKeyProblem(False, f"quota key `{key}` counts nothing: extended resources are limited by "
                               "`requests.` keys only", "requests." + key)
    return QuotaKeyProblem(False, f"quota key `{key}` is not a resource any quota counts")


def quota_value_problem(key: str, value: Quantity) -> str | None:
    """validation.go `ValidateResourceQuantityValue`: non-negative, and whole for integer resources."""
    if value.is_negative:
        return f"quota `{key}` {value.text} must be greater than or equal to 0"
    if (key in _INTEGER_RESOURCES or is_extended(key)) and value.milli_value() % 1000 != 0:
        return f"quota `{key}` {value.text} must be an integer"
    return None

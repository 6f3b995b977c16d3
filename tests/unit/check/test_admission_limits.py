"""LimitRange validation, quota keys and values, and limits the quota can never admit.

The LimitRange rows follow TestValidateLimitRange in kubernetes
pkg/apis/core/validation/validation_test.go (success cases and error cases with the same
values), plus the rules of ValidateLimitRange that test does not cover (min > default-request,
min > default, hugepages/extended resources and default == defaultRequest). Each row asserts
acceptance, or the exact code, message and underlined text of the diagnostic.
"""

from __future__ import annotations

import pytest

from helpers import compile_text, underlined
from policyc.k8s import limitrange as lr
from policyc.k8s.quantity import parse_quantity
from policyc.k8s.releases import load_release


def _limits(*lines: str) -> str:
    body = "\n".join(f"    {line}" for line in lines)
    return f"namespace a {{\n  limits {{\n{body}\n  }}\n}}\n"


ACCEPTED = {
    "all-fields-valid": _limits(
        "pod max cpu 100m, memory 10000Mi",
        "pod min cpu 5m, memory 100Mi",
        "pod max-ratio cpu 10",
        "container max cpu 100m, memory 10000Mi",
        "container min cpu 5m, memory 100Mi",
        "container default cpu 50m, memory 500Mi",
        "container default-request cpu 10m, memory 200Mi",
        "container max-ratio cpu 10",
        "pvc max storage 10Gi",
        "pvc min storage 5Gi",
    ),
    "pvc-min-only": _limits("pvc min storage 5Gi"),
    "pvc-max-only": _limits("pvc max storage 10Gi"),
    "all-fields-valid-big-numbers": _limits(
        "container max cpu 100m, memory 10000T",
        "container min cpu 5m, memory 100Mi",
        "container default cpu 50m, memory 500Mi",
        "container default-request cpu 10m, memory 200Mi",
        "container max-ratio cpu 10",
    ),
    "equal-bounds": _limits("container min memory 1Gi", "container max memory 1024Mi",
                            "container default memory 1Gi", "container default-request memory 1073741824"),
    "extended-resource": _limits("container max example.com/gpu 2", "container default example.com/gpu 1",
                                 "container default-request example.com/gpu 1"),
    "hugepages-equal-defaults": _limits("container default hugepages-2Mi 4Mi",
                                        "container default-request hugepages-2Mi 4Mi"),
    "ephemeral-storage": _limits("container max ephemeral-storage 2Gi"),
    "ratio-equals-max-over-min": _limits("container max cpu 3", "container min cpu 2", "container max-ratio cpu 1500m"),
    "split-over-two-blocks": _limits("container max memory 1Gi")
    + "namespace a {\n  limits {\n    container max memory 1Gi, cpu 2\n  }\n}\n",
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted(case: str) -> None:
    result = compile_text(ACCEPTED[case])
    assert [(d.code, d.message) for d in result.diagnostics] == []
    assert result.ok


# (id, policy, code, message, underlined text)
REJECTED = [
    ("default-limit-type-pod", _limits("pod max cpu 100m", "pod min cpu 0m", "pod default cpu 10m"), "PC253",
     "`pod` limits cannot have `default`: a pod has no resources of its own to default", "cpu 10m"),
    ("default-request-limit-type-pod", _limits("pod max cpu 100m", "pod default-request memory 100m"), "PC253",
     "`pod` limits cannot have `default-request`: a pod has no resources of its own to default", "memory 100m"),
    ("min value 100m is greater than max value 10m", _limits("pod max cpu 10m", "pod min cpu 100m"), "PC250",
     "pod min cpu 100m is greater than pod max cpu 10m", "cpu 100m"),
    ("default outside range", _limits("container max cpu 1", "container min cpu 100m", "container default cpu 2000m"),
     "PC250", "container default cpu 2000m is greater than container max cpu 1", "cpu 2000m"),
    ("default request outside range",
     _limits("container max cpu 1", "container min cpu 100m", "container default-request cpu 2000m"),
     "PC250", "container default-request cpu 2000m is greater than container max cpu 1", "cpu 2000m"),
    ("default request more than default",
     _limits("container max cpu 2", "container min cpu 100m", "container default cpu 500m",
             "container default-request cpu 800m"),
     "PC250", "container default-request cpu 800m is greater than container default cpu 500m", "cpu 800m"),
    ("min above default request", _limits("container min cpu 500m", "container default-request cpu 100m"),
     "PC250", "container min cpu 500m is greater than container default-request cpu 100m", "cpu 100m"),
    ("min above default", _limits("container min memory 1Gi", "container default memory 512Mi"),
     "PC250", "container min memory 1Gi is greater than container default memory 512Mi", "memory 512Mi"),
    ("maxLimitRequestRatio less than 1", _limits("pod max-ratio cpu 800m"), "PC251",
     "pod max-ratio cpu 800m is less than 1", "cpu 800m"),
    ("maxLimitRequestRatio greater than max/min",
     _limits("container max memory 2Gi", "container min memory 512Mi", "container max-ratio memory 10"),
     "PC252", "container max-ratio memory 10 is greater than max/min = 4.000000 (2Gi / 512Mi)", "memory 10"),
    ("min greater than max (pvc)", _limits("pvc min storage 10Gi", "pvc max storage 1Gi"), "PC250",
     "pvc min storage 10Gi is greater than pvc max storage 1Gi", "storage 10Gi"),
    ("pvc default is never applied", _limits("pvc max storage 10Gi", "pvc default storage 1Gi"), "PC253",
     "`pvc` limits take only `min` and `max` of `storage`, not `default storage`: LimitRanger never applies it "
     "to claims", "storage 1Gi"),
    ("pvc without min or max", _limits("pvc max-ratio storage 2"), "PC254",
     "`pvc` limits need a `min` or `max` of `storage`", "storage 2"),
    ("hugepages must not overcommit",
     _limits("container default hugepages-2Mi 4Mi", "container default-request hugepages-2Mi 2Mi"), "PC255",
     "container default hugepages-2Mi 4Mi must equal container default-request hugepages-2Mi 2Mi: `hugepages-2Mi` "
     "cannot be overcommitted", "hugepages-2Mi 2Mi"),
    ("extended resources must not overcommit",
     _limits("container default example.com/gpu 2", "container default-request example.com/gpu 1"), "PC255",
     "container default example.com/gpu 2 must equal container default-request example.com/gpu 1: "
     "`example.com/gpu` cannot be overcommitted", "example.com/gpu 1"),
    ("invalid non standard limit type", _limits("volume max storage 10000T"), "PC180",
     "unknown limit type `volume`", "volume"),
    ("unknown kind", _limits("container maximum memory 1Gi"), "PC181", "unknown limit kind `maximum`", "maximum"),
    ("storage is not a container resource", _limits("container max storage 1Gi"), "PC183",
     "resource `storage` in `container` limits must be a standard resource for containers", "storage"),
    ("unknown resource", _limits("container max memroy 1Gi"), "PC183",
     "resource `memroy` in `container` limits must be a standard resource type or fully qualified", "memroy"),
    ("bad quantity", _limits("container max memory 1GB"), "PC182",
     "invalid quantity `1GB` for `container max memory`: quantities must match the regular expression "
     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", "1GB"),
    ("bad suffix", _limits("container max memory 1K"), "PC182",
     "invalid quantity `1K` for `container max memory`: unable to parse quantity's suffix", "1K"),
    ("negative", _limits('container min cpu "-1"'), "PC186", "`container min cpu` -1 is negative", '"-1"'),
    ("two blocks disagree", _limits("container max memory 1Gi")
     + "namespace a {\n  limits {\n    container max memory 2Gi\n  }\n}\n", "PC221",
     "namespace `a` sets `container max memory` to 1Gi and to 2Gi", "memory 2Gi"),
]


@pytest.mark.parametrize(("case", "text", "code", "message", "under"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected(case: str, text: str, code: str, message: str, under: str) -> None:
    result = compile_text(text)
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [(d.code, d.message) for d in result.diagnostics]
    d = found[0]
    assert d.message == message
    assert underlined(result, d) == under
    assert d.help and d.is_error


def test_ordering_errors_name_both_lines() -> None:
    result = compile_text(_limits("container max memory 1Gi", "container default memory 2Gi"))
    (d,) = result.diagnostics
    assert d.code == "PC250" and d.span.line == 4
    assert [lb.span.line for lb in d.labels] == [3]


@pytest.mark.parametrize(
    ("limit_type", "name", "problem"),
    [
        ("Container", "cpu", None),
        ("Container", "hugepages-1Gi", None),
        ("Container", "example.com/gpu", None),
        ("Container", "kubernetes.io/foo", None),
        ("Container", "storage", "must be a standard resource for containers"),
        ("Container", "requests.cpu", "must be a standard resource for containers"),
        ("Container", "requests.example.com/gpu", "doesn't follow extended resource name standard"),
        ("Pod", "pods", "must be a standard resource for containers"),
        ("PersistentVolumeClaim", "storage", None),
        ("PersistentVolumeClaim", "cpu", None),
        ("PersistentVolumeClaim", "bogus", "must be a standard resource type or fully qualified"),
        ("Container", "-x", "is not a valid resource name"),
    ],
)
def test_limit_resource_names(limit_type: str, name: str, problem: str | None) -> None:
    assert lr.limit_resource_problem(limit_type, name) == problem


QUOTA_KEYS = [
    # (key, None | (error?, suggestion))
    ("requests.cpu", None), ("limits.memory", None), ("cpu", None), ("memory", None), ("pods", None),
    ("services.loadbalancers", None), ("services.nodeports", None), ("configmaps", None), ("resourcequotas", None),
    ("requests.storage", None), ("persistentvolumeclaims", None), ("requests.ephemeral-storage", None),
    ("hugepages-2Mi", None), ("requests.hugepages-1Gi", None), ("count/deployments.apps", None),
    ("count/pods", None), ("count/widgets.example.com", None),
    ("gold.storageclass.storage.k8s.io/requests.storage", None),
    ("gold.storageclass.storage.k8s.io/persistentvolumeclaims", None), ("requests.nvidia.com/gpu", None),
    ("gpu.deviceclass.resource.k8s.io/devices", None),
    ("storage", (True, "requests.storage")), ("request.cpu", (True, "requests.cpu")), ("cpus", (True, "cpu")),
    ("deployments", (True, None)), ("-bad", (True, None)),
    ("nvidia.com/gpu", (False, "requests.nvidia.com/gpu")),
    ("limits.nvidia.com/gpu", (False, "requests.nvidia.com/gpu")),
    ("count/deploymnets.apps", (False, "count/deployments.apps")),
    ("count/deployments", (False, "count/deployments.apps")),
]


@pytest.mark.parametrize(("key", "expected"), QUOTA_KEYS)
def test_quota_keys(key: str, expected: tuple[bool, str | None] | None) -> None:
    problem = lr.quota_key_problem(key, load_release((1, 30)))
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and (problem.error, problem.suggestion) == expected


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("pods", "20", None),
        ("pods", "10k", None),
        ("pods", "1.5", "quota `pods` 1.5 must be an integer"),
        ("count/deployments.apps", "2500m", "quota `count/deployments.apps` 2500m must be an integer"),
        ("requests.cpu", "1.5", None),
        ("requests.cpu", "-1", "quota `requests.cpu` -1 must be greater than or equal to 0"),
        ("gold.storageclass.storage.k8s.io/requests.storage", "1.5", "quota "
         "`gold.storageclass.storage.k8s.io/requests.storage` 1.5 must be an integer"),
    ],
)
def test_quota_values(key: str, value: str, problem: str | None) -> None:
    assert lr.quota_value_problem(key, parse_quantity(value)) == problem


def test_quota_diagnostics_in_a_policy() -> None:
    text = "namespace a {\n  quota storage 10Gi, nvidia.com/gpu 2, pods 1.5, requests.cpu 2\n}\n"
    result = compile_text(text)
    got = [(d.code, d.message, underlined(result, d), d.help) for d in result.diagnostics]
    assert got == [
        ("PC184", "quota key `storage` must be a standard resource for quota", "storage",
         "did you mean `requests.storage`?"),
        ("PC185", "quota key `nvidia.com/gpu` counts nothing: extended resources are limited by `requests.` keys only",
         "nvidia.com/gpu", "did you mean `requests.nvidia.com/gpu`?"),
        ("PC186", "quota `pods` 1.5 must be an integer", "1.5", "write a whole number of objects, zero or more"),
    ]


def test_quota_conflict_names_both_places() -> None:
    text = "namespace a {\n  quota pods 10\n}\nnamespace a {\n  quota pods 20\n}\n"
    result = compile_text(text)
    (d,) = result.diagnostics
    assert (d.code, d.message) == ("PC222", "namespace `a` sets quota `pods` to 10 and to 20")
    assert d.span.line == 5 and d.labels[0].span.line == 2


def test_container_max_above_quota_warns() -> None:
    text = ("namespace a {\n  limits {\n    container max memory 2Gi\n  }\n"
            "  quota limits.memory 1Gi\n}\n")
    result = compile_text(text)
    assert result.ok
    (d,) = result.diagnostics
    assert (d.code, d.message) == (
        "PC560", "`container max memory 2Gi` is above the quota `limits.memory` 1Gi of namespace `a`: an object "
        "that large can never be admitted")
    assert underlined(result, d) == "memory 2Gi"


def test_default_above_quota_warns() -> None:
    text = ("namespace a {\n  limits {\n    container default memory 2Gi\n  }\n"
            "  quota requests.memory 1Gi\n}\n")
    result = compile_text(text)
    (d,) = result.diagnostics
    assert d.code == "PC561"
    assert d.message == ("`container default memory 2Gi` is above the quota `requests.memory` 1Gi of namespace `a`: "
                         "every pod that relies on the default request is refused")


def test_default_times_pods_above_quota_warns() -> None:
    # The article's development namespace: 20 pods x 512Mi = 10Gi > limits.memory 8Gi.
    text = ("namespace a {\n  limits {\n    container default memory 512Mi\n  }\n"
            "  quota limits.memory 8Gi, pods 20\n}\n")
    result = compile_text(text)
    (d,) = [d for d in result.diagnostics if d.message.endswith("16 such pods fit")]
    assert d.code == "PC570" and not d.is_error
    assert d.message == ("quota `pods` 20 cannot be reached with default-sized pods in namespace `a`: 20 x "
                         "`container default memory 512Mi` is more than the quota `limits.memory` 8Gi, so only 16 "
                         "such pods fit")
    fits = compile_text(text.replace("pods 20", "pods 16"))
    assert [d.code for d in fits.diagnostics] == []

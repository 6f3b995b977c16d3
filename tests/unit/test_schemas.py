"""Validation against the strict upstream Kubernetes schemas of each release."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import k8s_schemas as schemas
import pytest
from k8s_schemas import SchemaUnavailable, has_schema, schema_release, validate

HAVE_PACKAGE = importlib.util.find_spec("kubernetes_validate") is not None
try:
    SHARED = schemas.shared_schemas_dir()
    HAVE_SHARED = (SHARED / "v1.24.0-local-strict" / "_definitions.json").is_file() and (
        SHARED / "v1.18.0-local-strict" / "_definitions.json"
    ).is_file()
except SchemaUnavailable:
    SHARED, HAVE_SHARED = None, False

NEEDS_PACKAGE = "kubernetes-validate (test extra) is not installed: no schemas for 1.25+"
NEEDS_SHARED = (
    "the shared schema folder (../shared/k8s-schemas or $POLICYC_K8S_SCHEMAS) is absent: no 1.18/1.24 schemas"
)


def _require(release: tuple[int, int]) -> None:
    if release >= (1, 25) and not HAVE_PACKAGE:
        pytest.skip(NEEDS_PACKAGE)
    if release < (1, 25) and not HAVE_SHARED:
        pytest.skip(NEEDS_SHARED)


RBAC = "rbac.authorization.k8s.io/v1"
CLUSTER_ROLE = {
    "apiVersion": RBAC,
    "kind": "ClusterRole",
    "metadata": {"name": "pod-reader", "labels": {"app.kubernetes.io/managed-by": "policyc"}},
    "rules": [
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
        {"nonResourceURLs": ["/healthz"], "verbs": ["get"]},
    ],
}
ROLE_BINDING = {
    "apiVersion": RBAC,
    "kind": "RoleBinding",
    "metadata": {"name": "devs-read", "namespace": "development"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
    "subjects": [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "developers"},
        {"kind": "ServiceAccount", "name": "ci", "namespace": "development"},
    ],
}
NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "development", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
}
LIMIT_RANGE = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "defaults", "namespace": "development"},
    "spec": {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "512Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                "max": {"cpu": 2, "memory": "2Gi"},
            }
        ]
    },
}
POD_SECURITY_POLICY = {
    "apiVersion": "policy/v1beta1",
    "kind": "PodSecurityPolicy",
    "metadata": {"name": "restricted"},
    "spec": {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "requiredDropCapabilities": ["ALL"],
        "volumes": ["configMap", "secret", "emptyDir", "projected"],
        "runAsUser": {"rule": "MustRunAsNonRoot"},
        "seLinux": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
        "fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
    },
}
VALIDATING_ADMISSION_POLICY = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "no-privileged"},
    "spec": {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}
            ]
        },
        "validations": [
            {
                "expression": "object.spec.containers.all(c, !has(c.securityContext) || "
                "!has(c.securityContext.privileged) || !c.securityContext.privileged)",
                "message": "privileged containers are not allowed",
            }
        ],
    },
}

RELEASES = [(1, 18), (1, 24), (1, 25), (1, 30), (1, 37)]


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: f"1.{r[1]}")
@pytest.mark.parametrize("obj", [CLUSTER_ROLE, ROLE_BINDING, NAMESPACE, LIMIT_RANGE], ids=lambda o: o["kind"])
def test_valid_objects_pass(obj: dict, release: tuple[int, int]) -> None:
    _require(release)
    assert validate(obj, release) == []


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: f"1.{r[1]}")
def test_unknown_field_fails_strict(release: tuple[int, int]) -> None:
    _require(release)
    nested = {**CLUSTER_ROLE, "rules": [{**CLUSTER_ROLE["rules"][0], "verbz": ["get"]}]}
    assert validate(nested, release) == ["rules[0]: Additional properties are not allowed ('verbz' was unexpected)"]
    top = {**ROLE_BINDING, "spec": {}}
    assert validate(top, release) == ["(object): Additional properties are not allowed ('spec' was unexpected)"]
    meta = {**NAMESPACE, "metadata": {**NAMESPACE["metadata"], "label": {}}}
    assert validate(meta, release) == ["metadata: Additional properties are not allowed ('label' was unexpected)"]


@pytest.mark.parametrize("release", [(1, 24), (1, 30)], ids=lambda r: f"1.{r[1]}")
def test_wrong_types_and_missing_required_fields(release: tuple[int, int]) -> None:
    _require(release)
    bad = {**ROLE_BINDING, "roleRef": {"kind": "ClusterRole", "name": 7}, "subjects": "developers"}
    errors = validate(bad, release)
    assert any(e.startswith("roleRef: 'apiGroup' is a required property") for e in errors), errors
    assert any(e.startswith("roleRef.name: 7 is not of type 'string'") for e in errors), errors
    assert any(e.startswith("subjects: 'developers' is not of type 'array'") for e in errors), errors


def test_pod_security_policy_exists_up_to_1_24_only() -> None:
    _require((1, 24))
    assert validate(POD_SECURITY_POLICY, (1, 24)) == []
    assert validate(POD_SECURITY_POLICY, (1, 18)) == []
    assert has_schema("policy/v1beta1", "PodSecurityPolicy", (1, 24))
    _require((1, 25))
    for release in [(1, 25), (1, 30)]:
        assert not has_schema("policy/v1beta1", "PodSecurityPolicy", release)
        assert validate(POD_SECURITY_POLICY, release) == [
            f"(object): Kubernetes 1.{release[1]} has no policy/v1beta1 PodSecurityPolicy: "
            "the API does not exist in that release"
        ]


def test_validating_admission_policy_v1_on_1_30() -> None:
    _require((1, 30))
    assert validate(VALIDATING_ADMISSION_POLICY, (1, 30)) == []
    assert validate({**VALIDATING_ADMISSION_POLICY, "spec": {"validation": []}}, (1, 30)) == [
        "spec: Additional properties are not allowed ('validation' was unexpected)"
    ]
    _require((1, 24))
    assert not has_schema("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", (1, 24))


def test_group_must_match_not_only_the_file_name() -> None:
    _require((1, 30))
    # rbac.example.com/v1 would map to the file clusterrole-rbac-v1.json: it is not RBAC.
    crd = {**CLUSTER_ROLE, "apiVersion": "rbac.example.com/v1"}
    assert validate(crd, (1, 30))[0].startswith("(object): Kubernetes 1.30 has no rbac.example.com/v1 ClusterRole")


def test_missing_api_version_or_kind() -> None:
    _require((1, 30))
    assert validate({"kind": "ClusterRole"}, (1, 30)) == ["(object): apiVersion and kind must both be set to strings"]


@pytest.mark.parametrize(
    ("release", "used"),
    [((1, 16), (1, 18)), ((1, 19), (1, 18)), ((1, 21), (1, 18)), ((1, 22), (1, 24)), ((1, 23), (1, 24))],
)
def test_releases_without_schemas_use_the_nearest(release: tuple[int, int], used: tuple[int, int]) -> None:
    _require(used)
    assert schema_release(release) == used
    assert validate(CLUSTER_ROLE, release) == []
    errors = validate(POD_SECURITY_POLICY | {"apiVersion": "policy/v1"}, release)
    assert f"(validated with the 1.{used[1]} schemas)" in errors[0]


def test_newer_than_packaged_uses_the_newest() -> None:
    _require((1, 25))
    newest = schema_release((1, 99))
    assert newest >= (1, 37)
    assert validate(CLUSTER_ROLE, (1, 99)) == []


def test_schema_folder_is_configurable(tmp_path: Path, monkeypatch) -> None:
    _require((1, 24))
    empty = tmp_path / "nowhere"
    with pytest.raises(SchemaUnavailable, match="v1.24.0-local-strict"):
        validate(CLUSTER_ROLE, (1, 24), schemas_dir=empty)
    monkeypatch.setenv(schemas.ENV_VAR, str(empty))
    with pytest.raises(SchemaUnavailable, match=schemas.ENV_VAR):
        validate(CLUSTER_ROLE, (1, 18))
    assert validate(CLUSTER_ROLE, (1, 18), schemas_dir=SHARED) == []  # the argument wins
    monkeypatch.setenv(schemas.ENV_VAR, str(SHARED))
    assert validate(CLUSTER_ROLE, (1, 18)) == []


def test_missing_package_raises_schema_unavailable(monkeypatch) -> None:
    def no_package(name: str):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(schemas.importlib, "import_module", no_package)
    schemas._locate_cached.cache_clear()
    try:
        with pytest.raises(SchemaUnavailable, match="kubernetes-validate"):
            validate(CLUSTER_ROLE, (1, 31))
    finally:
        schemas._locate_cached.cache_clear()


def test_thousands_of_objects_validate_quickly() -> None:
    _require((1, 30))
    import time

    start = time.perf_counter()
    for _ in range(500):
        for obj in (CLUSTER_ROLE, ROLE_BINDING, NAMESPACE, LIMIT_RANGE):
            assert not validate(obj, (1, 30))
    assert time.perf_counter() - start < 10  # about 2,000 objects; typically well under 2 s

"""Every admission object validates against the strict upstream schema of its release, and the spec folders
build with the objects the issue asks for.

Schemas: 1.18 and 1.24 from ../shared/k8s-schemas, 1.25 and later from kubernetes-validate
(tests/k8s_schemas.py); tests skip with the reason when they are absent.
"""

from __future__ import annotations

import pytest

import policyc
from conftest import shared_path
from helpers import compile_text, schema_problems
from policyc.k8s.releases import NEWEST, format_version

PSP_CLUSTER = "cluster {\n  admission NamespaceLifecycle, LimitRanger, ResourceQuota, PodSecurityPolicy\n}\n"
PROFILE = """pod-security-policy hardened {
  read-only-root-filesystem yes
  seccomp runtime/default, localhost/profiles/app.json
  apparmor runtime/default, localhost/app
  selinux any
  host-ports 8080, 9000-9100
  capabilities drop ALL, add NET_BIND_SERVICE
  sysctls safe, net.core.somaxconn
  volumes configMap, secret, emptyDir, projected, csi
}
"""
NAMESPACES = """namespace kube-system {
  pod-security privileged
}
namespace web {
  labels team=web
  pod-security enforce baseline, warn restricted, audit restricted
  limits {
    container max memory 2Gi, cpu 2
    container min memory 16Mi, cpu 10m
    container default memory 512Mi, cpu 500m
    container default-request memory 128Mi, cpu 100m
    container max-ratio cpu 4
    pod max memory 4Gi
    pvc max storage 20Gi
    pvc min storage 1Gi
  }
  quota requests.cpu 8, requests.memory 16Gi, limits.memory 32Gi, pods 50, count/deployments.apps 10
  quota gold.storageclass.storage.k8s.io/requests.storage 100Gi
}
namespace pay {
  pod-security hardened
}
"""


def _policy(release: tuple[int, int]) -> str:
    text = f"kubernetes {format_version(release)}\n{NAMESPACES}"
    if release <= (1, 24):
        text += PSP_CLUSTER + PROFILE
    elif release >= (1, 30):
        text += PROFILE
    else:
        text = text.replace("  pod-security hardened\n", "  pod-security restricted\n")
    return text


@pytest.mark.parametrize("release", [(1, 18), (1, 24), (1, 25), (1, 30), NEWEST], ids=format_version)
def test_every_admission_object_is_schema_valid(release: tuple[int, int]) -> None:
    result = compile_text(_policy(release))
    kinds = {m.kind for m in result.manifests}
    assert {"Namespace", "LimitRange", "ResourceQuota"} <= kinds
    if release <= (1, 24):
        assert {"PodSecurityPolicy", "ClusterRole", "RoleBinding"} <= kinds
    if release >= (1, 30):
        assert {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} <= kinds
    assert schema_problems(result) == []


def test_quantities_are_written_canonically() -> None:
    result = compile_text("namespace a {\n  limits {\n    container max memory 1024Mi, cpu 1.5\n  }\n"
                          "  quota requests.memory 0.5Gi, pods 20\n}\n")
    (limits,) = [m.body for m in result.manifests if m.kind == "LimitRange"]
    assert limits["spec"] == {"limits": [{"type": "Container", "max": {"cpu": "1500m", "memory": "1Gi"}}]}
    (quota,) = [m.body for m in result.manifests if m.kind == "ResourceQuota"]
    assert quota["spec"] == {"hard": {"pods": "20", "requests.memory": "512Mi"}}


def test_the_article_builds_with_limits_quota_and_a_usable_restricted_psp() -> None:
    result = policyc.load(shared_path("spec", "article"))
    assert schema_problems(result) == []
    objects = {(m.kind, m.namespace, m.name): m.body for m in result.manifests}
    limits = objects[("LimitRange", "development", "limits")]["spec"]["limits"]
    assert limits == [{"type": "Container", "max": {"cpu": "2", "memory": "1Gi"},
                       "default": {"cpu": "500m", "memory": "512Mi"},
                       "defaultRequest": {"cpu": "100m", "memory": "256Mi"}}]
    assert objects[("ResourceQuota", "development", "quota")]["spec"]["hard"] == {
        "limits.memory": "8Gi", "pods": "20", "requests.memory": "4Gi"}
    psp = objects[("PodSecurityPolicy", None, "policyc-restricted")]["spec"]
    assert psp["runAsUser"] == {"rule": "MustRunAsNonRoot"} and psp["privileged"] is False
    binding = objects[("RoleBinding", "development", "policyc:psp:policyc-restricted")]
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                    "name": "system:serviceaccounts:development"}]
    role = objects[("ClusterRole", None, binding["roleRef"]["name"])]
    assert role["rules"][0]["verbs"] == ["use"] and role["rules"][0]["resourceNames"] == ["policyc-restricted"]


def test_the_org_builds_with_psa_labels_and_a_vap_bound_to_payments() -> None:
    result = policyc.load(shared_path("spec", "org"))
    assert schema_problems(result) == []
    objects = {(m.kind, m.name): m.body for m in result.manifests if m.namespace is None}
    checkout = objects[("Namespace", "checkout")]["metadata"]["labels"]
    assert (checkout["pod-security.kubernetes.io/enforce"], checkout["pod-security.kubernetes.io/warn"],
            checkout["pod-security.kubernetes.io/audit"]) == ("baseline", "restricted", "restricted")
    assert checkout["pod-security.kubernetes.io/enforce-version"] == "v1.30"
    ci = objects[("Namespace", "ci")]["metadata"]["labels"]
    assert ci["pod-security.kubernetes.io/enforce"] == "baseline"
    binding = objects[("ValidatingAdmissionPolicyBinding", "hardened")]["spec"]
    assert binding["policyName"] == "hardened" and binding["validationActions"] == ["Deny"]
    assert binding["matchResources"]["namespaceSelector"]["matchExpressions"][0]["values"] == ["payments"]
    controls = [v["message"].rpartition("(control ")[2].rstrip(")")
                for v in objects[("ValidatingAdmissionPolicy", "hardened")]["spec"]["validations"]]
    assert {"privileged", "allow-privilege-escalation", "run-as-user", "capabilities drop", "seccomp",
            "read-only-root-filesystem", "host-network", "host-pid", "host-ipc", "volumes"} <= set(controls)

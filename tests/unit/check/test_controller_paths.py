"""Guards see kube-controller-manager's controllers (issue 13): a subject that can act as a controller's
kube-system service account holds that controller's role (policyc/data/bootstrap/controller-roles.yaml),
and deleting a namespace deletes what is in it. One policy per escalation row showing the path (PC302)
and the smallest change that closes it."""

from __future__ import annotations

import pytest

from helpers import compile_text
from policyc.access.escalation_rules import BY_NAME

# (row, policy with the path, text to replace, replacement that closes it, a part of the message)
CASES = [
    ("controller-sa-impersonate",
     "kubernetes 1.30\ngrant impersonate serviceaccounts named generic-garbage-collector to user m in kube-system\n"
     "forbid read secrets for user m in app\n",
     "named generic-garbage-collector", "named builder",
     "so acts as serviceaccount `kube-system/generic-garbage-collector`"),
    ("controller-sa-token",
     "kubernetes 1.30\ngrant create serviceaccounts/token named clusterrole-aggregation-controller to user m "
     "in kube-system\nforbid delete nodes for user m\n",
     "named clusterrole-aggregation-controller", "named builder",
     "so acts as serviceaccount `kube-system/clusterrole-aggregation-controller`"),
    ("controller-sa-token-secret",
     "kubernetes 1.23\ngrant list secrets to user m in kube-system\nforbid delete namespaces for user m\n",
     "grant list secrets", "grant get secrets named kubeadm-certs",
     "auto-created service account tokens"),
    ("controller-sa-pod",
     "kubernetes 1.30\ngrant create pods to user m in kube-system\nforbid delete secrets for user m in app\n",
     "in kube-system", "in tools",
     "so acts as serviceaccount `kube-system/"),
    ("namespace-deletion",
     "kubernetes 1.30\ngrant delete namespaces named app to user m in cluster\n"
     "forbid delete secrets for user m in app\n",
     "named app", "named tools",
     "the namespace controller then deletes everything in it"),
]


@pytest.mark.parametrize(("row", "text", "old", "new", "part"), CASES, ids=[c[0] for c in CASES])
def test_the_path_breaks_the_guard(row: str, text: str, old: str, new: str, part: str) -> None:
    major, minor = text.split("\n", 1)[0].removeprefix("kubernetes ").split(".")
    assert BY_NAME[row].applies_to((int(major), int(minor)))
    errors = [d for d in compile_text(text).diagnostics if d.is_error]
    assert [d.code for d in errors] == ["PC302"], [(d.code, d.message) for d in errors]
    assert part in errors[0].message, errors[0].message


@pytest.mark.parametrize(("row", "text", "old", "new", "part"), CASES, ids=[c[0] for c in CASES])
def test_the_path_closed(row: str, text: str, old: str, new: str, part: str) -> None:
    assert old in text
    result = compile_text(text.replace(old, new))
    assert not [d for d in result.diagnostics if d.is_error], [(d.code, d.message) for d in result.diagnostics]


def test_aggregation_controller_is_the_superuser_path() -> None:
    """clusterrole-aggregation-controller may escalate and update every ClusterRole, its own included."""
    text = ("kubernetes 1.30\ngrant impersonate serviceaccounts named clusterrole-aggregation-controller to user m "
            "in kube-system\nforbid impersonate users for user m\n")
    (d,) = [d for d in compile_text(text).diagnostics if d.is_error]
    assert d.code == "PC302"
    assert "so acts as serviceaccount `kube-system/clusterrole-aggregation-controller`; then can escalate and " \
        "update ClusterRole" in d.message
    assert "so acts as group `system:masters` (superuser)" in d.message


def test_controllers_a_release_lacks_are_not_paths() -> None:
    """resource-claim-controller exists from 1.34 (DynamicResourceAllocation GA): impersonating it on 1.33
    gives nothing; on 1.34 it creates ResourceClaims."""
    text = ("kubernetes 1.33\ngrant impersonate serviceaccounts named resource-claim-controller to user m "
            "in kube-system\nforbid create resourceclaims.resource.k8s.io for user m\n")
    assert not [d for d in compile_text(text).diagnostics if d.is_error]
    errors = [d for d in compile_text(text.replace("1.33", "1.34")).diagnostics if d.is_error]
    assert [d.code for d in errors] == ["PC302"]

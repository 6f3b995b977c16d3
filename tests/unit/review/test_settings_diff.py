"""Changes to limits, quotas, pod security, pod-security policies, guards and cluster settings."""

from __future__ import annotations

import pytest
from review_cases import diff

CLUSTER = """
kubernetes 1.30
cluster {
  authorization Node, RBAC
  admission NamespaceLifecycle, LimitRanger, ServiceAccount, ResourceQuota, PodSecurity, NodeRestriction
  authentication {
    anonymous no
    oidc issuer https://login.example.com client-id k8s username-claim email username-prefix "oidc:"
  }
}
pod-security-policy hardened {
  privileged no
  host-network no, host-pid no
  volumes configMap, secret
}
namespace payments {
  pod-security restricted
  limits {
    container max memory 2Gi, cpu 2
    container default memory 512Mi
  }
  quota pods 10, requests.cpu 4
}
namespace checkout {
  pod-security hardened
}
forbid read secrets for everyone in kube-system
"""


def changes(head: str) -> list[tuple[str, str, str]]:
    """(sign, subject, text) of every setting change from CLUSTER to `head`."""
    return [(c.sign, c.subject, c.text) for c in diff(CLUSTER, head).settings]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("container max memory 2Gi, cpu 2", "container max memory 4Gi, cpu 2",
         [("~", "namespace payments", "limits container max memory: 2Gi → 4Gi")]),
        ("    container default memory 512Mi\n", "",
         [("-", "namespace payments", "limits container default memory 512Mi")]),
        ("quota pods 10, requests.cpu 4", "quota pods 20, requests.cpu 4, limits.memory 8Gi",
         [("+", "namespace payments", "quota limits.memory 8Gi"), ("~", "namespace payments", "quota pods: 10 → 20")]),
        # `pod-security LEVEL` sets enforce, warn and audit: only the mode that differs is reported.
        ("pod-security restricted", "pod-security enforce baseline, warn restricted, audit restricted",
         [("~", "namespace payments", "pod-security enforce: restricted → baseline")]),
        # `latest` changes the version label of the mode (policyc pins the target release otherwise).
        ("pod-security restricted", "pod-security enforce restricted, warn restricted latest, audit restricted",
         [("~", "namespace payments", "pod-security warn: restricted → restricted latest")]),
        ("pod-security hardened", "pod-security baseline",
         [("+", "namespace checkout", "pod-security audit baseline"),
          ("+", "namespace checkout", "pod-security enforce baseline"),
          ("-", "namespace checkout", "pod-security policy hardened"),
          ("+", "namespace checkout", "pod-security warn baseline")]),
        ("host-network no, host-pid no", "host-network yes, host-pid no",
         [("~", "pod-security-policy hardened", "host-network: no → yes")]),
        ("volumes configMap, secret", "volumes configMap, secret, hostPath",
         [("~", "pod-security-policy hardened", "volumes: configMap, secret → configMap, secret, hostPath")]),
        ("forbid read secrets for everyone in kube-system", "forbid read secrets for everyone in kube-system, ci",
         [("+", "guard", "forbid read secrets for everyone in kube-system, ci"),
          ("-", "guard", "forbid read secrets for everyone in kube-system")]),
        ("admission NamespaceLifecycle, LimitRanger,", "admission NamespaceLifecycle,",
         [("~", "cluster", "admission: NamespaceLifecycle, LimitRanger, ServiceAccount, ResourceQuota, PodSecurity,"
           " NodeRestriction → NamespaceLifecycle, ServiceAccount, ResourceQuota, PodSecurity, NodeRestriction")]),
        ('username-prefix "oidc:"', 'username-prefix "sso:"',
         [("~", "cluster", "authentication oidc username-prefix: oidc: → sso:")]),
        ("anonymous no", "anonymous yes", [("~", "cluster", "authentication anonymous: no → yes")]),
    ],
)
def test_setting_changes(old: str, new: str, expected: list[tuple[str, str, str]]) -> None:
    head = CLUSTER.replace(old, new)
    assert head != CLUSTER
    assert sorted(changes(head), key=lambda c: c[2]) == sorted(expected, key=lambda c: c[2])


def test_meaningless_edits_are_no_change() -> None:
    """Reordering a guard's lists, moving a namespace block to another file, reformatting."""
    head = CLUSTER.replace(
        "forbid read secrets for everyone in kube-system", "forbid   read   secrets  for everyone  in kube-system"
    ).replace("namespace checkout {\n  pod-security hardened\n}\n", "")
    report = diff(CLUSTER, {"a.policy": head, "b.policy": "namespace checkout {\n  pod-security hardened\n}\n"})
    assert report.settings == ()
    for same in ("forbid list, get, watch secrets", "forbid watch, read secrets"):
        assert diff(CLUSTER, CLUSTER.replace("forbid read secrets", same)).settings == ()


def test_changes_point_at_the_head_line_or_the_removed_base_line() -> None:
    head = CLUSTER.replace("quota pods 10, requests.cpu 4", "quota pods 10")
    (change,) = diff(CLUSTER, head).settings
    assert (change.sign, change.source) == ("-", "a.policy:21")
    head = CLUSTER.replace("quota pods 10", "quota pods 11")
    (change,) = diff(CLUSTER, head).settings
    assert (change.sign, change.source) == ("~", "a.policy:21")


def test_settings_do_not_count_as_access_changes() -> None:
    report = diff(CLUSTER, CLUSTER.replace("quota pods 10", "quota pods 11"))
    assert not report.access_changed
    assert report.summary == "no access changes; 1 setting change"


def test_authentication_is_compared_on_the_checked_plan() -> None:
    """The values the check parsed (program.authn), not the words: the same setting written another way is no change."""
    same = CLUSTER.replace("anonymous no", "anonymous false").replace(
        'client-id k8s username-claim email username-prefix "oidc:"',
        'username-prefix "oidc:" username-claim email client-id k8s')
    assert same != CLUSTER and diff(CLUSTER, same).settings == ()
    head = CLUSTER.replace("    anonymous no\n", "    anonymous no\n    tokens file /etc/kubernetes/auth/tokens.csv\n")
    assert changes(head) == [("+", "cluster", "authentication tokens file /etc/kubernetes/auth/tokens.csv")]
    (change,) = diff(CLUSTER, head).settings
    assert change.source == "a.policy:7"  # the `tokens` line (the folder strips the leading blank line)


def test_limits_and_quotas_are_compared_as_quantities() -> None:
    """On the checked admission plan: `2048Mi` is `2Gi` and `4000m` is `4`, as the API server stores them."""
    same = CLUSTER.replace("container max memory 2Gi, cpu 2", "container max memory 2048Mi, cpu 2000m").replace(
        "requests.cpu 4", "requests.cpu 4000m")
    assert same != CLUSTER and diff(CLUSTER, same).settings == ()
    head = CLUSTER.replace("requests.cpu 4", "requests.cpu 4500m")
    assert changes(head) == [("~", "namespace payments", "quota requests.cpu: 4 → 4500m")]

"""What policyc does about each CIS Kubernetes Benchmark control of sections 1.2 and 5.1.

A control is one of three things (docs/cis.md is generated from this and the registry):

* checked: a registered rule names it (`Rule.cis`, policyc/rules.py) and reports it when the
  policy fails it. `DECIDED_BY` says which part of the policy decides it: a control is judged
  only when the policy manages that part (no `admission` line: the node's flag stays as it is,
  and policyc says nothing about it);
* met: the flag kube-bench tests is one policyc never writes and kubeadm's kube-apiserver
  manifest never sets the failing way, so a cluster policyc patches passes (`MET`);
* not checked: the policy has no setting for it (`NOT_CHECKED`, with the reason and, where
  kubeadm's default fails it, what to do).

tests/unit/check/test_cis_benchmarks.py holds every automated control that is checked or met
against kube-bench's own tests, evaluated on `policyc apiserver patch` output.
"""

from __future__ import annotations

# The part of the policy that decides a checked or met control.
DECIDED_BY: dict[str, str] = {
    "anonymous-auth": "cluster",
    "basic-auth-file": "cluster",
    "token-auth-file": "cluster",
    "kubelet-certificate-authority": "cluster",
    "kubelet-https": "cluster",
    "client-ca-file": "cluster",
    "deny-service-external-ips": "admission",
    "deny-service-external-ips-not-set": "admission",
    "admission-event-rate-limit": "admission",
    "admission-always-admit": "admission",
    "admission-always-pull-images": "admission",
    "admission-security-context-deny": "admission",
    "admission-pod-security-policy": "admission",
    "admission-node-restriction": "admission",
    "admission-service-account": "admission",
    "admission-namespace-lifecycle": "admission",
    "authorization-not-always-allow": "authorization",
    "authorization-node": "authorization",
    "authorization-rbac": "authorization",
    "rbac-cluster-admin": "grants",
    "rbac-secrets": "grants",
    "rbac-wildcards": "grants",
    "rbac-create-pods": "grants",
    "rbac-default-service-accounts": "grants",
    "rbac-system-masters": "grants",
    "rbac-bind-impersonate-escalate": "grants",
    "rbac-create-persistent-volumes": "grants",
    "rbac-nodes-proxy": "grants",
    "rbac-csr-approval": "grants",
    "rbac-webhook-configurations": "grants",
    "rbac-service-account-token-creation": "grants",
}

# Controls a cluster policyc patches passes by construction, and why. `--enable-admission-plugins`
# names plugins "in addition to default enabled ones" (kube-apiserver reference), so an `admission`
# line never turns a default plugin off.
MET: dict[str, str] = {
    "kubelet-https": "policyc never writes `--kubelet-https` and kubeadm does not set it; kube-bench passes when "
    "it is not set",
    "admission-service-account": "policyc never writes `--disable-admission-plugins` (an `admission` line adds "
    "plugins to the defaults, it cannot turn `ServiceAccount` off) and kubeadm does not set it",
    "admission-namespace-lifecycle": "as `ServiceAccount`: `NamespaceLifecycle` is on by default and policyc "
    "never disables a plugin",
    "client-ca-file": "`certificates ca PATH` writes `--client-ca-file`; without it kubeadm's own "
    "`--client-ca-file=/etc/kubernetes/pki/ca.crt` stays",
}

_KUBEADM_FAILS = "kubeadm does not set it, so kube-bench reports FAIL on a default kubeadm cluster: set it in " \
    "ClusterConfiguration `apiServer.extraArgs` (or the static pod) yourself"

# Controls policyc does not judge: the policy has no setting for them.
NOT_CHECKED: dict[str, str] = {
    "kubelet-client-certificate": "no policy setting; kubeadm sets both flags to its apiserver-kubelet-client "
    "certificate",
    "insecure-bind-address": "no policy setting; kubeadm does not set it",
    "insecure-port": "no policy setting; kubeadm sets `--insecure-port=0` up to 1.21 (kubernetes/kubernetes#102121 "
    "removed it from kubeadm's manifest in 1.22: the flag had no effect since 1.20, yet kube-bench's `eq 0` test "
    "fails when it is absent)",
    "secure-port": "no policy setting; kubeadm sets `--secure-port=6443`",
    "profiling": "no policy setting; " + _KUBEADM_FAILS,
    "audit-log-path": "no policy setting (policyc writes no audit policy); " + _KUBEADM_FAILS,
    "audit-log-maxage": "no policy setting; " + _KUBEADM_FAILS,
    "audit-log-maxbackup": "no policy setting; " + _KUBEADM_FAILS,
    "audit-log-maxsize": "no policy setting; " + _KUBEADM_FAILS,
    "request-timeout": "no policy setting; a manual control kube-bench does not test",
    "service-account-lookup": "no policy setting; the API server's default (true) passes and kubeadm keeps it",
    "service-account-key-file": "no policy setting; kubeadm sets it to /etc/kubernetes/pki/sa.pub",
    "etcd-client-certificate": "no policy setting; kubeadm sets both to its apiserver-etcd-client certificate",
    "tls-certificate": "no policy setting; kubeadm sets both to its apiserver certificate",
    "etcd-cafile": "no policy setting; kubeadm sets it to /etc/kubernetes/pki/etcd/ca.crt",
    "encryption-provider-config": "no policy setting (policyc does not manage encryption at rest); "
    + _KUBEADM_FAILS,
    "encryption-providers": "no policy setting; kube-bench reads the encryption configuration file on the node",
    "tls-cipher-suites": "no policy setting; kubeadm leaves Go's default suites",
    "service-account-extend-token-expiration": "no policy setting; the API server's default (true) fails it and "
    "kubeadm keeps it: set `--service-account-extend-token-expiration=false` yourself once workloads refresh "
    "their tokens",
    "rbac-service-account-token-mounts": "a setting of pods and service accounts (`automountServiceAccountToken`), "
    "not of access policy",
}

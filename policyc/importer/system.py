"""Objects every cluster has that are not the cluster owner's policy (`--exclude-system`).

Sources: the bootstrap policy labels its ClusterRoles, ClusterRoleBindings, Roles and
RoleBindings `kubernetes.io/bootstrapping: rbac-defaults` and names the system ones `system:`
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, namespace_policy.go); the
ServiceAccount controller creates a `default` ServiceAccount in every namespace
(pkg/controller/serviceaccount/serviceaccounts_controller.go); the API server creates the
namespaces `default`, `kube-system`, `kube-public` and `kube-node-lease`
(pkg/controlplane/controller/systemnamespaces).
"""

from __future__ import annotations

from policyc.k8s.bootstrap import builtin_cluster_roles
from policyc.k8s.yamlread import Doc

BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")
MANAGED_BY = ("app.kubernetes.io/managed-by", "policyc")  # the label `policyc build` puts on every object
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
# Namespaces whose service accounts belong to the cluster's own components.
COMPONENT_NAMESPACES = ("kube-node-lease", "kube-public", "kube-system")

# Reasons, also the headings of the import summary.
BOOTSTRAP = "built-in object of the bootstrap policy (label kubernetes.io/bootstrapping=rbac-defaults)"
BUILTIN_ROLE = "built-in ClusterRole (the API server recreates it)"
SYSTEM_NAME = "`system:` name, reserved for Kubernetes components"
DEFAULT_SA = "`default` service account, created by Kubernetes in every namespace"
SYSTEM_NS = "namespace created by the API server"
COMPONENT_SA = "service account of a Kubernetes component namespace"


def system_reason(doc: Doc) -> str:
    """Why `doc` is a system object, or `""` when it belongs to the cluster owner."""
    labels = doc.meta.get("labels") or {}
    kind, name = doc.kind, doc.name
    if isinstance(labels, dict) and labels.get(BOOTSTRAP_LABEL[0]) == BOOTSTRAP_LABEL[1]:
        return BOOTSTRAP
    if kind == "ClusterRole" and name in builtin_cluster_roles():
        return BUILTIN_ROLE
    if kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding") and name.startswith("system:"):
        return SYSTEM_NAME
    if kind == "ServiceAccount":
        if name == "default":
            return DEFAULT_SA
        if doc.namespace in COMPONENT_NAMESPACES:
            return COMPONENT_SA
    if kind == "Namespace" and name in SYSTEM_NAMESPACES and labels.get(MANAGED_BY[0]) != MANAGED_BY[1]:
        return SYSTEM_NS  # unless policyc's own output declares it (a `namespace default { }` block)
    return ""


def never_importable(doc: Doc) -> str:
    """Why a system object cannot be imported even with `--include-system`, or `""`.

    The language cannot redefine built-in ClusterRoles or declare `system:` roles (PC111), and
    the objects Kubernetes itself creates would be recreated by it anyway.
    """
    reason = system_reason(doc)
    if doc.kind in ("Role", "ClusterRole") and reason:
        return reason
    if reason in (DEFAULT_SA, SYSTEM_NS):
        return reason
    return ""

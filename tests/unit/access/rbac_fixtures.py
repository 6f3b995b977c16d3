"""Kubernetes RBAC objects as dicts, written tersely for the access tests."""

from __future__ import annotations

RBAC = "rbac.authorization.k8s.io/v1"


def cr(name, *rules, labels=None, selectors=None):
    obj = {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name, "labels": labels or {}},
           "rules": list(rules)}
    if selectors is not None:
        obj["aggregationRule"] = {"clusterRoleSelectors": selectors}
    return obj


def role(ns, name, *rules):
    return {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": list(rules)}


def subj(text):
    kind, _, name = text.partition(":")
    if kind == "ServiceAccount":
        ns, _, sa = name.partition("/")
        return {"kind": kind, "name": sa, **({"namespace": ns} if ns else {})}
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def crb(name, role_name, *subjects):
    return {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
            "subjects": [subj(s) for s in subjects]}


def rb(ns, name, role_kind, role_name, *subjects):
    return {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
            "subjects": [subj(s) for s in subjects]}


def rule(verbs, groups="", resources="", urls="", names=""):
    out = {"verbs": verbs.split(",")}
    if urls:
        out["nonResourceURLs"] = urls.split(",")
    else:
        out["apiGroups"] = groups.split(",")
        out["resources"] = resources.split(",")
    if names:
        out["resourceNames"] = names.split(",")
    return out

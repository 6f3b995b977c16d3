#!/usr/bin/env python3
"""Kubernetes RBAC YAML with a given number of rules, for `can-i`/`who-can --from` (issue 19).

`bench/gen_rbac.py --rules 100000 -o rbac.yaml` writes one multi-document file, as `kubectl get
-o yaml` of a large cluster would be split into documents: per namespace a Namespace, two
ServiceAccounts, five Roles of ten rules each (core and `apps`/`batch` resources, verbs,
some `resourceNames`) and five RoleBindings (users, a group, a service account, the built-in
`view`/`edit` ClusterRoles for some); and one ClusterRole of ten rules (and a
ClusterRoleBinding) per fifty namespaces. The same arguments give the same bytes. 100,000 rules
are 1,992 namespaces, 27,968 objects and 15.6 MB.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

RBAC = "rbac.authorization.k8s.io/v1"
GROUP = "rbac.authorization.k8s.io"
CORE = ("pods", "services", "configmaps", "secrets", "endpoints", "persistentvolumeclaims", "events",
        "pods/log", "pods/exec", "serviceaccounts")
APPS = ("deployments", "statefulsets", "daemonsets", "replicasets", "deployments/scale")
BATCH = ("jobs", "cronjobs")
VERBS = (("get", "list", "watch"), ("create", "update", "patch", "delete"), ("get",), ("*",), ("list", "watch"))
RULES_PER_ROLE, ROLES_PER_NS, NS_PER_CLUSTER_ROLE = 10, 5, 50


def _rule(i: int) -> dict[str, Any]:
    kind = i % 4
    verbs = list(VERBS[i % len(VERBS)])
    if kind == 0:
        rule: dict[str, Any] = {"apiGroups": [""], "resources": [CORE[i % len(CORE)], CORE[(i + 3) % len(CORE)]]}
    elif kind == 1:
        rule = {"apiGroups": ["apps"], "resources": [APPS[i % len(APPS)]]}
    elif kind == 2:
        rule = {"apiGroups": ["batch"], "resources": list(BATCH)}
    else:
        rule = {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [f"cfg-{i % 97}"]}
    rule["verbs"] = verbs
    return rule


def documents(rules: int) -> list[dict[str, Any]]:
    """The objects, in order, for about `rules` rules."""
    per_ns = RULES_PER_ROLE * ROLES_PER_NS + RULES_PER_ROLE / NS_PER_CLUSTER_ROLE
    namespaces = max(1, round(rules / per_ns))
    docs: list[dict[str, Any]] = []
    n = 0
    for k in range(namespaces):
        ns = f"team{k // 10:04d}-app{k % 10}"
        team = f"team{k // 10:04d}"
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": team}}})
        for s in range(2):
            docs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"sa{s}", "namespace": ns}})
        for r in range(ROLES_PER_NS):
            rs = []
            for _ in range(RULES_PER_ROLE):
                rs.append(_rule(n))
                n += 1
            docs.append({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": f"role{r}", "namespace": ns},
                         "rules": rs})
            subjects: list[dict[str, str]] = [
                {"kind": "User", "name": f"dev{r}.{team}@example.com", "apiGroup": GROUP},
                {"kind": "Group", "name": f"{team}-ops", "apiGroup": GROUP},
                {"kind": "ServiceAccount", "name": f"sa{r % 2}", "namespace": ns},
            ]
            docs.append({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": f"role{r}", "namespace": ns},
                         "subjects": subjects, "roleRef": {"apiGroup": GROUP, "kind": "Role", "name": f"role{r}"}})
        docs.append({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "view", "namespace": ns},
                     "subjects": [{"kind": "Group", "name": f"{team}-readers", "apiGroup": GROUP}],
                     "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": "view" if k % 3 else "edit"}})
        if k % NS_PER_CLUSTER_ROLE == 0:
            name = f"platform-{k // NS_PER_CLUSTER_ROLE:03d}"
            rs = []
            for _ in range(RULES_PER_ROLE):
                rs.append(_rule(n))
                n += 1
            docs.append({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rs})
            docs.append({"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": name},
                         "subjects": [{"kind": "Group", "name": f"{name}-admins", "apiGroup": GROUP}],
                         "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name}})
    return docs


def rule_count(docs: list[dict[str, Any]]) -> int:
    return sum(len(d.get("rules") or ()) for d in docs if d["kind"] in ("Role", "ClusterRole"))


def text(rules: int) -> str:
    """The YAML stream (block style, as kubectl writes it)."""
    return yaml.dump_all(documents(rules), Dumper=yaml.CSafeDumper, default_flow_style=False, sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    args.output.write_text(text(args.rules), encoding="utf-8")
    docs = documents(args.rules)
    print(f"{args.output}: {len(docs)} objects, {rule_count(docs)} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

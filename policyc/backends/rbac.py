"""RBAC backend: ServiceAccounts, Roles, ClusterRoles and their bindings."""

from __future__ import annotations

from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.model.manifest import Manifest
from policyc.model.program import Program
from policyc.model.rbac import Binding, CompiledRole

RBAC_V1 = "rbac.authorization.k8s.io/v1"


def role_manifest(role: CompiledRole) -> Manifest:
    """A Role or ClusterRole; aggregated ClusterRoles get an aggregationRule and no rules of their own."""
    body: dict = {
        "apiVersion": RBAC_V1,
        "kind": role.kind,
        "metadata": metadata(role.name, role.namespace, role.sources, dict(role.labels)),
    }
    if role.selectors:
        body["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {k: v}} for k, v in role.selectors]}
    body["rules"] = [r.to_dict() for r in role.rules]
    return Manifest(RBAC_V1, role.kind, role.name, role.namespace, body, role.sources)


def binding_manifest(b: Binding) -> Manifest:
    """A RoleBinding or ClusterRoleBinding with its subjects sorted."""
    body = {
        "apiVersion": RBAC_V1,
        "kind": b.kind,
        "metadata": metadata(b.name, b.namespace, b.sources),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": b.role_kind, "name": b.role_name},
        "subjects": [s.to_dict() for s in b.subjects],
    }
    return Manifest(RBAC_V1, b.kind, b.name, b.namespace, body, b.sources, binding=b)


def emit(program: Program, credentials: Credentials) -> Emitted:
    """Every RBAC object of the program, plus the ServiceAccounts it declares.

    Namespaces are written by the admission backend, which adds their Pod Security Admission labels.
    """
    out: list[Manifest] = []
    for _ref, sa in sorted(program.serviceaccounts.items()):
        sources = (sa.span.file,)
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata(sa.name, sa.namespace, sources),
        }
        out.append(Manifest("v1", "ServiceAccount", sa.name, sa.namespace, body, sources))
    out.extend(role_manifest(r) for r in program.compiled_roles)
    out.extend(binding_manifest(b) for b in program.bindings)
    return Emitted(tuple(out))


BACKEND = Backend("rbac", emit)

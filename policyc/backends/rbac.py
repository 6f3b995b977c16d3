"""RBAC backend: ServiceAccounts, Roles, ClusterRoles and their bindings."""

from __future__ import annotations

from typing import Any

from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.model.manifest import Manifest
from policyc.model.program import Program
from policyc.model.rbac import Binding, CompiledRole

RBAC_V1 = "rbac.authorization.k8s.io/v1"


# A list of a body made once per tuple it is made of, by the tuple's identity (the entry keeps the
# tuple, so its id is not reused): compiled bindings of one team share one tuple of subjects, and
# synthesized roles of equal rules one tuple of rules (check/grants.py). Their bodies then share
# the list, which the YAML writer writes once (output/yaml.py `dump_all`'s memo). Bodies are
# never changed after they are emitted (model/manifest.py), so sharing a list is safe.
Lists = dict[int, tuple[tuple[Any, ...], list[dict[str, Any]]]]


def _shared(items: tuple[Any, ...], lists: Lists | None) -> list[dict[str, Any]]:
    """`[x.to_dict() for x in items]`, one list per tuple object when `lists` is given."""
    if lists is None:
        return [x.to_dict() for x in items]
    entry = lists.get(id(items))
    if entry is None or entry[0] is not items:
        entry = lists[id(items)] = (items, [x.to_dict() for x in items])
    return entry[1]


def role_manifest(role: CompiledRole, lists: Lists | None = None) -> Manifest:
    """A Role or ClusterRole; aggregated ClusterRoles get an aggregationRule and no rules of their own."""
    body: dict = {
        "apiVersion": RBAC_V1,
        "kind": role.kind,
        "metadata": metadata(role.name, role.namespace, role.sources, dict(role.labels)),
    }
    if role.selectors:
        body["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {k: v}} for k, v in role.selectors]}
    body["rules"] = _shared(role.rules, lists)
    return Manifest(RBAC_V1, role.kind, role.name, role.namespace, body, role.sources)


def binding_manifest(b: Binding, lists: Lists | None = None) -> Manifest:
    """A RoleBinding or ClusterRoleBinding with its subjects sorted."""
    body = {
        "apiVersion": RBAC_V1,
        "kind": b.kind,
        "metadata": metadata(b.name, b.namespace, b.sources),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": b.role_kind, "name": b.role_name},
        "subjects": _shared(b.subjects, lists),
    }
    return Manifest(RBAC_V1, b.kind, b.name, b.namespace, body, b.sources, binding=b)


def emit(program: Program, credentials: Credentials) -> Emitted:
    """Every RBAC object of the program, plus the ServiceAccounts it declares.

    Namespaces are written by the admission backend, which adds their Pod Security Admission labels.
    """
    out: list[Manifest] = []
    for _ref, sa in sorted(program.serviceaccounts.items()):
        namespace, name = sa.namespace, sa.name
        sources = (sa.span.file,)
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata(name, namespace, sources),
        }
        out.append(Manifest("v1", "ServiceAccount", name, namespace, body, sources))
    lists: Lists = {}
    out.extend(role_manifest(r, lists) for r in program.compiled_roles)
    out.extend(binding_manifest(b, lists) for b in program.bindings)
    return Emitted(tuple(out))


BACKEND = Backend("rbac", emit)

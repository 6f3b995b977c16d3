"""The built-in ClusterRoles and default bindings every API server creates, as data."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml


@functools.cache
def bootstrap_objects() -> tuple[dict[str, Any], ...]:
    """Every object of the bundled bootstrap policy (ClusterRoles and ClusterRoleBindings)."""
    text = resources.files("policyc").joinpath("data/bootstrap/cluster-roles.yaml").read_text("utf-8")
    return tuple(yaml.safe_load(text)["items"])


@functools.cache
def builtin_cluster_roles() -> dict[str, dict[str, Any]]:
    """Built-in ClusterRoles by name."""
    return {o["metadata"]["name"]: o for o in bootstrap_objects() if o["kind"] == "ClusterRole"}


def is_builtin_role(name: str) -> bool:
    """Whether `name` is a built-in ClusterRole policyc knows, or a reserved `system:` name."""
    return name in builtin_cluster_roles() or name.startswith("system:")


# The aggregation labels Kubernetes documents for extending the user-facing roles.
AGGREGATE_LABELS = {
    "admin": "rbac.authorization.k8s.io/aggregate-to-admin",
    "edit": "rbac.authorization.k8s.io/aggregate-to-edit",
    "view": "rbac.authorization.k8s.io/aggregate-to-view",
}

"""The rules a role really holds: its own, or for an aggregated ClusterRole what the
clusterrole-aggregation controller puts in it (policyc.access.aggregation), over the built-in
ClusterRoles of the bootstrap policy and the roles the program declares."""

from __future__ import annotations

import functools

import yaml

from policyc.access.aggregation import aggregate
from policyc.access.objects import LabelSelector, ObjRef, RoleObj, parse_role
from policyc.k8s.bootstrap import bootstrap_objects
from policyc.k8s.rules import PolicyRule
from policyc.model.program import Program
from policyc.model.rbac import CompiledRole


@functools.cache
def _builtin() -> dict[ObjRef, RoleObj]:
    roles = (parse_role(o, "bootstrap") for o in bootstrap_objects() if o.get("kind") == "ClusterRole")
    return {r.ref: r for r in roles}


@functools.cache
def builtin_after_aggregation() -> dict[ObjRef, RoleObj]:
    """The built-in ClusterRoles with aggregation done among themselves only."""
    return aggregate(_builtin())


def _role_obj(role: CompiledRole) -> RoleObj:
    selectors = tuple(LabelSelector(((k, v),)) for k, v in role.selectors) if role.selectors else None
    return RoleObj(ObjRef(role.kind, role.namespace or "", role.name), role.rules, role.labels, selectors, "policy")


def program_roles(program: Program | None) -> dict[ObjRef, RoleObj]:
    """Every role of the cluster the program builds (built-in and declared), aggregated."""
    if program is None:
        return builtin_after_aggregation()
    roles = dict(_builtin())
    for role in program.compiled_roles:
        if role.declared is not None:
            roles[ObjRef(role.kind, role.namespace or "", role.name)] = _role_obj(role)
    return aggregate(roles)


def rule_lines(role: RoleObj) -> list[str]:
    """The role's rules as flow-style YAML lines, each aggregated rule with the role it came from."""
    lines = []
    for i, rule in enumerate(role.rules):
        text = flow(rule)
        source = role.source_of(i)
        lines.append(f"- {text}  # from {source}" if source and source != role.ref.name else f"- {text}")
    return lines


def flow(rule: PolicyRule) -> str:
    """One PolicyRule as Kubernetes writes it, on one line."""
    return yaml.safe_dump(rule.to_dict(), default_flow_style=True, sort_keys=False, width=10_000).strip()

"""ClusterRole aggregation, computed the way the clusterrole-aggregation controller does it.

pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go (syncClusterRole): for
an aggregated ClusterRole, for each selector in order, list the ClusterRoles it selects sorted by
name, skip the role itself, and append each rule not already present (semantic equality); the
result REPLACES the role's rules. The controller re-syncs every aggregated role whenever any
ClusterRole changes, so nested aggregation (view -> edit -> admin) converges; this module
iterates to the same fixed point. Starting aggregated roles from no rules gives the least fixed
point, which is what the controller reaches for any acyclic aggregation (every real cluster).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from policyc.access.objects import ObjRef, RoleObj
from policyc.k8s.rules import PolicyRule


def _select(role: RoleObj, cluster_roles: list[tuple[RoleObj, dict[str, str]]],
            current: Mapping[ObjRef, RoleObj]) -> RoleObj:
    rules: list[PolicyRule] = []
    sources: list[str] = []
    seen: set[PolicyRule] = set()
    assert role.selectors is not None
    for selector in role.selectors:
        for member, labels in cluster_roles:  # sorted by name
            if member.ref == role.ref or not selector.matches(labels):
                continue
            live = current[member.ref]
            for i, rule in enumerate(live.rules):
                if rule in seen:
                    continue
                seen.add(rule)
                rules.append(rule)
                sources.append(live.source_of(i) or member.ref.name)
    return replace(role, rules=tuple(rules), rule_sources=tuple(sources))


def aggregate(roles: Mapping[ObjRef, RoleObj]) -> dict[ObjRef, RoleObj]:
    """Every role, with the rules of aggregated ClusterRoles computed to the fixed point."""
    current = {
        ref: (replace(r, rules=(), rule_sources=()) if r.is_aggregated else r) for ref, r in roles.items()
    }
    cluster_roles = sorted((r for r in roles.values() if r.ref.kind == "ClusterRole"), key=lambda r: r.ref.name)
    aggregated = [r for r in cluster_roles if r.is_aggregated]
    # Each member's labels as a dict, made once (not once per selector, aggregated role and round).
    members = [(r, dict(r.labels)) for r in cluster_roles]
    # Each round can only add rules (the union is bounded), so this terminates; one round per
    # level of nesting suffices for acyclic aggregation.
    for _ in range(len(aggregated) + 2):
        changed = False
        for role in aggregated:
            new = _select(role, members, current)
            if new.rules != current[role.ref].rules:
                current[role.ref] = new
                changed = True
        if not changed:
            break
    return current

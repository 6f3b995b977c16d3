"""A role's rules as hover and the built-in role descriptions show them. The rules themselves
(after aggregation) come from the access engine: `policyc.access.policy.roles_of`."""

from __future__ import annotations

import yaml

from policyc.access.objects import RoleObj
from policyc.k8s.rules import PolicyRule


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

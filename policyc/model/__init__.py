"""The policy model: frozen dataclasses lowered from the syntax tree.

Every node carries a `span` excluded from equality and hashing, so two policies that say
the same thing in different places compare equal. References stay names; the check stage
resolves them once into a symbol table.
"""

from policyc.model.nodes import (
    Amount,
    AuthSetting,
    Cluster,
    Grant,
    Guard,
    LimitItem,
    Namespace,
    PodSecurity,
    PodSecurityMode,
    PodSecurityPolicy,
    Policy,
    Role,
    Rule,
    ServiceAccount,
    Setting,
    Subject,
    Team,
    User,
    Word,
)

__all__ = [
    "Amount",
    "AuthSetting",
    "Cluster",
    "Grant",
    "Guard",
    "LimitItem",
    "Namespace",
    "Policy",
    "PodSecurity",
    "PodSecurityMode",
    "PodSecurityPolicy",
    "Role",
    "Rule",
    "ServiceAccount",
    "Setting",
    "Subject",
    "Team",
    "User",
    "Word",
]

"""The policy model: frozen dataclasses lowered from the syntax tree, and the checked model.

Every node carries a `span` excluded from equality and hashing, so two policies that say
the same thing in different places compare equal. References stay names; the check stage
resolves them once into a symbol table and produces the checked model (`Program`, its
compiled roles and bindings, the authentication and admission plans) that every later
stage only reads.
"""

from policyc.model.admission import AdmissionPlan, CustomProfile, LimitCell, NamespaceAdmission, NamespaceLimits
from policyc.model.authn import (
    ApiserverSettings,
    AuthnPlan,
    OidcSettings,
    ProxySettings,
    ServiceAccountToken,
    UserCredential,
)
from policyc.model.nodes import (
    Allowance,
    Amount,
    AuthSetting,
    AuthzWebhook,
    AuthzWebhookRef,
    Cluster,
    Expectation,
    Grant,
    Guard,
    LimitItem,
    Namespace,
    NamespaceClass,
    PodSecurity,
    PodSecurityMode,
    PodSecurityPolicy,
    Policy,
    Role,
    Rule,
    Selector,
    SelectorTerm,
    ServiceAccount,
    Setting,
    Subject,
    Team,
    User,
    Word,
)
from policyc.model.program import Program
from policyc.model.rbac import Binding, CompiledRole, RbacSubject, rbac_subjects

__all__ = [
    "AdmissionPlan",
    "Allowance",
    "Amount",
    "ApiserverSettings",
    "AuthSetting",
    "AuthzWebhook",
    "AuthzWebhookRef",
    "AuthnPlan",
    "Binding",
    "Cluster",
    "Expectation",
    "CustomProfile",
    "CompiledRole",
    "Grant",
    "Guard",
    "LimitCell",
    "LimitItem",
    "Namespace",
    "NamespaceClass",
    "NamespaceAdmission",
    "NamespaceLimits",
    "OidcSettings",
    "Policy",
    "PodSecurity",
    "PodSecurityMode",
    "PodSecurityPolicy",
    "Program",
    "ProxySettings",
    "RbacSubject",
    "Role",
    "Rule",
    "Selector",
    "SelectorTerm",
    "ServiceAccount",
    "ServiceAccountToken",
    "Setting",
    "Subject",
    "Team",
    "User",
    "UserCredential",
    "Word",
    "rbac_subjects",
]

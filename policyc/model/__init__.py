"""The policy model: frozen dataclasses lowered from the syntax tree, and the checked model.

Every node carries a `span` excluded from equality and hashing, so two policies that say
the same thing in different places compare equal. References stay names; the check stage
resolves them once into a symbol table and produces the checked model (`Program`, its
compiled roles and bindings, the authentication and admission plans) that every later
stage only reads.
"""

# Imported when first used (PEP 562): the access commands need `model.rbac` alone, and importing
# every node class, the admission and authentication plans costs start-up (issue 19).
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE: dict[str, str] = {
    "AdmissionPlan": "admission",
    "Allowance": "nodes",
    "Amount": "nodes",
    "ApiserverSettings": "authn",
    "AuthSetting": "nodes",
    "AuthnPlan": "authn",
    "AuthzWebhook": "nodes",
    "AuthzWebhookRef": "nodes",
    "Binding": "rbac",
    "Cluster": "nodes",
    "CompiledRole": "rbac",
    "CustomProfile": "admission",
    "Expectation": "nodes",
    "Grant": "nodes",
    "Guard": "nodes",
    "LimitCell": "admission",
    "LimitItem": "nodes",
    "Namespace": "nodes",
    "NamespaceAdmission": "admission",
    "NamespaceClass": "nodes",
    "NamespaceLimits": "admission",
    "OidcSettings": "authn",
    "PodSecurity": "nodes",
    "PodSecurityMode": "nodes",
    "PodSecurityPolicy": "nodes",
    "Policy": "nodes",
    "Program": "program",
    "ProxySettings": "authn",
    "RbacSubject": "rbac",
    "Role": "nodes",
    "Rule": "nodes",
    "Selector": "nodes",
    "SelectorTerm": "nodes",
    "ServiceAccount": "nodes",
    "ServiceAccountToken": "authn",
    "Setting": "nodes",
    "Subject": "nodes",
    "Team": "nodes",
    "User": "nodes",
    "UserCredential": "authn",
    "Word": "nodes",
    "rbac_subjects": "rbac",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'policyc.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"policyc.model.{module}"), name)
    globals()[name] = value
    return value


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

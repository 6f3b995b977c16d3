"""The structured kube-apiserver configuration types, as a small schema, and a validator.

Field names (json tags) and required fields from the Go types of
staging/src/k8s.io/apiserver/pkg/apis/apiserver/{v1alpha1,v1beta1,v1}/types.go
(AuthenticationConfiguration, JWTAuthenticator, Issuer, ClaimValidationRule, ClaimMappings,
PrefixedClaimOrExpression, AnonymousAuthConfig, AnonymousAuthCondition; AuthorizationConfiguration,
AuthorizerConfiguration, WebhookConfiguration, WebhookConnectionInfo, WebhookMatchCondition), and
the rules of staging/src/k8s.io/apiserver/pkg/apis/apiserver/validation/validation.go that need no
CEL compiler or file system. `validate` answers what the API server would refuse to load, so tests
hold every file policyc writes to it.
"""

from __future__ import annotations

import re
from typing import Any

# type name -> {json field: (type name or scalar kind, required)}; "[]T" is a list of T.
_STR, _BOOL, _DURATION = "string", "bool", "duration"
TYPES: dict[str, dict[str, tuple[str, bool]]] = {
    "AuthenticationConfiguration": {
        "apiVersion": (_STR, True), "kind": (_STR, True),
        "jwt": ("[]JWTAuthenticator", False),  # 0 authenticators are allowed (validation.go)
        "anonymous": ("AnonymousAuthConfig", False),  # 1.31+ (KEP-4633)
    },
    "JWTAuthenticator": {
        "issuer": ("Issuer", True),  # +required
        "claimValidationRules": ("[]ClaimValidationRule", False),
        "claimMappings": ("ClaimMappings", True),  # +required
        "userValidationRules": ("[]UserValidationRule", False),
    },
    "Issuer": {
        "url": (_STR, True),  # +required
        "discoveryURL": (_STR, False),
        "certificateAuthority": (_STR, False),
        "audiences": ("[]string", True),  # +required, non-empty
        "audienceMatchPolicy": (_STR, False),
        "egressSelectorType": (_STR, False),
    },
    "ClaimValidationRule": {
        "claim": (_STR, False), "requiredValue": (_STR, False), "expression": (_STR, False), "message": (_STR, False),
    },
    "ClaimMappings": {
        "username": ("PrefixedClaimOrExpression", True),  # +required
        "groups": ("PrefixedClaimOrExpression", False),
        "uid": ("ClaimOrExpression", False),
        "extra": ("[]ExtraMapping", False),
    },
    "PrefixedClaimOrExpression": {"claim": (_STR, False), "prefix": (_STR, False), "expression": (_STR, False)},
    "ClaimOrExpression": {"claim": (_STR, False), "expression": (_STR, False)},
    "ExtraMapping": {"key": (_STR, True), "valueExpression": (_STR, True)},
    "UserValidationRule": {"expression": (_STR, True), "message": (_STR, False)},
    "AnonymousAuthConfig": {"enabled": (_BOOL, True), "conditions": ("[]AnonymousAuthCondition", False)},
    "AnonymousAuthCondition": {"path": (_STR, True)},
    "AuthorizationConfiguration": {
        "apiVersion": (_STR, True), "kind": (_STR, True), "authorizers": ("[]AuthorizerConfiguration", True),
    },
    "AuthorizerConfiguration": {"type": (_STR, True), "name": (_STR, True), "webhook": ("WebhookConfiguration", False)},
    "WebhookConfiguration": {
        "authorizedTTL": (_DURATION, True), "unauthorizedTTL": (_DURATION, True), "timeout": (_DURATION, True),
        "subjectAccessReviewVersion": (_STR, True), "matchConditionSubjectAccessReviewVersion": (_STR, False),
        "failurePolicy": (_STR, True), "connectionInfo": ("WebhookConnectionInfo", True),
        "matchConditions": ("[]WebhookMatchCondition", False),
    },
    "WebhookConnectionInfo": {"type": (_STR, True), "kubeConfigFile": (_STR, False)},
    "WebhookMatchCondition": {"expression": (_STR, True)},
}

API_VERSIONS = ("apiserver.config.k8s.io/v1alpha1", "apiserver.config.k8s.io/v1beta1", "apiserver.config.k8s.io/v1")
# Authorizer types kube-apiserver knows (pkg/kubeapiserver/authorizer/modes AuthorizationModeChoices);
# only Webhook may repeat.
AUTHORIZER_TYPES = ("AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node")
_GO_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _seconds(text: str) -> float:
    return sum(float(n) * _UNITS[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)", text))


def _shape(value: Any, type_name: str, path: str, out: list[str]) -> None:
    """Unknown fields, missing required fields and scalar kinds (strict decoding, +required)."""
    if type_name.startswith("[]"):
        if not isinstance(value, list):
            out.append(f"{path}: must be a list")
            return
        for i, item in enumerate(value):
            _shape(item, type_name[2:], f"{path}[{i}]", out)
        return
    if type_name in (_STR, _DURATION):
        if not isinstance(value, str):
            out.append(f"{path}: must be a string")
        elif type_name == _DURATION and not _GO_DURATION.fullmatch(value):
            out.append(f"{path}: `{value}` is not a duration")
        return
    if type_name == _BOOL:
        if not isinstance(value, bool):
            out.append(f"{path}: must be true or false")
        return
    fields = TYPES[type_name]
    if not isinstance(value, dict):
        out.append(f"{path}: must be an object ({type_name})")
        return
    for key in value:
        if key not in fields:
            out.append(f"{path}.{key}: unknown field of {type_name}")
    for key, (sub, required) in fields.items():
        if key in value:
            _shape(value[key], sub, f"{path}.{key}" if path else key, out)
        elif required:
            out.append(f"{path + '.' if path else ''}{key}: required")


def _mapping_rules(m: dict[str, Any], path: str, required: bool, out: list[str]) -> None:
    """validatePrefixClaimOrExpression."""
    claim, expr = m.get("claim", ""), m.get("expression", "")
    if claim and expr:
        out.append(f"{path}: claim and expression can't both be set")
    elif not claim and not expr and required:
        out.append(f"{path}: claim or expression is required")
    elif expr and "prefix" in m:
        out.append(f"{path}.prefix: may not be specified when expression is set")
    elif claim and "prefix" not in m:
        out.append(f"{path}.prefix: prefix is required when claim is set")


def _authentication_rules(doc: dict[str, Any], out: list[str]) -> None:
    jwts = doc.get("jwt") or []
    if len(jwts) > 64:
        out.append("jwt: must have at most 64 items")
    issuers: set[str] = set()
    for i, a in enumerate(jwts):
        p = f"jwt[{i}]"
        issuer = a.get("issuer", {})
        url = issuer.get("url", "")
        if not url.startswith("https://") or "?" in url or "#" in url:
            out.append(f"{p}.issuer.url: URL scheme must be https, without query or fragment")
        if url in issuers:
            out.append(f"{p}.issuer.url: Duplicate value")
        issuers.add(url)
        audiences = issuer.get("audiences") or []
        if not audiences or len(set(audiences)) != len(audiences) or not all(audiences):
            out.append(f"{p}.issuer.audiences: non-empty, unique, no empty entry")
        policy = issuer.get("audienceMatchPolicy", "")
        if len(audiences) > 1 and policy != "MatchAny":
            out.append(f"{p}.issuer.audienceMatchPolicy: must be MatchAny for multiple audiences")
        for j, rule in enumerate(a.get("claimValidationRules") or []):
            if rule.get("claim") and rule.get("expression"):
                out.append(f"{p}.claimValidationRules[{j}]: claim and expression can't both be set")
            elif not rule.get("claim") and not rule.get("expression"):
                out.append(f"{p}.claimValidationRules[{j}]: claim or expression is required")
            elif rule.get("claim") and rule.get("message"):
                out.append(f"{p}.claimValidationRules[{j}].message: may not be specified when claim is set")
        mappings = a.get("claimMappings", {})
        _mapping_rules(mappings.get("username", {}), f"{p}.claimMappings.username", True, out)
        if "groups" in mappings:
            _mapping_rules(mappings["groups"], f"{p}.claimMappings.groups", False, out)
    anonymous = doc.get("anonymous")
    if isinstance(anonymous, dict) and not anonymous.get("enabled") and anonymous.get("conditions"):
        out.append("anonymous.conditions: enabled should be set to true when conditions are defined")


def _authorization_rules(doc: dict[str, Any], out: list[str]) -> None:
    authorizers = doc.get("authorizers") or []
    if not authorizers:
        out.append("authorizers: at least one authorization mode must be defined")
    types: set[str] = set()
    names: set[str] = set()
    for i, a in enumerate(authorizers):
        p = f"authorizers[{i}]"
        t, name = a.get("type", ""), a.get("name", "")
        if t not in AUTHORIZER_TYPES:
            out.append(f"{p}.type: Unsupported value `{t}`")
        elif t in types and t != "Webhook":
            out.append(f"{p}.type: Duplicate value `{t}`")
        types.add(t)
        if name in names:
            out.append(f"{p}.name: Duplicate value `{name}`")
        elif not _DNS_SUBDOMAIN.fullmatch(name or "-"):
            out.append(f"{p}.name: authorizer name is invalid")
        names.add(name)
        hook = a.get("webhook")
        if t == "Webhook" and hook is None:
            out.append(f"{p}.webhook: required when type=Webhook")
        if t != "Webhook" and hook is not None:
            out.append(f"{p}.webhook: may only be specified when type=Webhook")
        if not isinstance(hook, dict):
            continue
        timeout = _seconds(str(hook.get("timeout", "")))
        if not 0 < timeout <= 30:
            out.append(f"{p}.webhook.timeout: must be > 0s and <= 30s")
        if hook.get("subjectAccessReviewVersion") not in ("v1", "v1beta1"):
            out.append(f"{p}.webhook.subjectAccessReviewVersion: Unsupported value")
        mc = hook.get("matchConditionSubjectAccessReviewVersion", "")
        if (mc or hook.get("matchConditions")) and mc != "v1":
            out.append(f"{p}.webhook.matchConditionSubjectAccessReviewVersion: must be v1 with match conditions")
        if hook.get("failurePolicy") not in ("NoOpinion", "Deny"):
            out.append(f"{p}.webhook.failurePolicy: Unsupported value")
        info = hook.get("connectionInfo", {})
        if info.get("type") == "KubeConfigFile" and not str(info.get("kubeConfigFile", "")).startswith("/"):
            out.append(f"{p}.webhook.connectionInfo.kubeConfigFile: must be an absolute path")
        elif info.get("type") == "InClusterConfig":
            out.append(f"{p}.webhook.connectionInfo.type: InClusterConfig is not allowed for kube-apiserver")
        elif info.get("type") not in ("KubeConfigFile", "InClusterConfig"):
            out.append(f"{p}.webhook.connectionInfo.type: Unsupported value")
        if len(hook.get("matchConditions") or []) > 64:
            out.append(f"{p}.webhook.matchConditions: must have at most 64 items")


def validate(doc: Any) -> list[str]:
    """What kube-apiserver would refuse in an Authentication- or AuthorizationConfiguration; [] if none."""
    out: list[str] = []
    if not isinstance(doc, dict):
        return ["not an object"]
    kind = doc.get("kind")
    if kind not in ("AuthenticationConfiguration", "AuthorizationConfiguration"):
        return [f"kind: `{kind}` is not a structured apiserver configuration"]
    if doc.get("apiVersion") not in API_VERSIONS:
        out.append(f"apiVersion: `{doc.get('apiVersion')}` is not one of " + ", ".join(API_VERSIONS))
    _shape(doc, kind, "", out)
    if out:
        return out
    (_authentication_rules if kind == "AuthenticationConfiguration" else _authorization_rules)(doc, out)
    return out

"""Words for rules, permissions and paths, shared by commands and diagnostics."""

from __future__ import annotations

from policyc.access.matching import Pattern, rule_overlaps
from policyc.access.request import Request
from policyc.k8s.rules import PolicyRule


def resource_text(group: str, resource: str) -> str:
    """A rule's resource as the policy language writes it: `pods`, `deployments.apps/scale`, `*`.

    The language's `*` is every resource of every group; a rule's `*` in the core group alone
    (`apiGroups: [""]`, which the language cannot write, PC607) is `* (core group)`, so that it
    does not read as everything."""
    if group == "" and resource.startswith("*"):
        return f"{resource} (core group)"
    if group in ("", "*"):
        return resource if group == "" or resource == "*" else f"{resource} (every group)"
    base, slash, sub = resource.partition("/")
    return f"{base}.{group}{slash}{sub}"


def rule_text(rule: PolicyRule) -> str:
    """`get, list secrets`, `impersonate serviceaccounts`, `get /healthz, /readyz`."""
    verbs = ", ".join(rule.verbs)
    if rule.non_resource_urls:
        return f"{verbs} {', '.join(rule.non_resource_urls)}"
    targets = ", ".join(resource_text(g, r) for g in rule.api_groups for r in rule.resources)
    named = f" named {', '.join(rule.resource_names)}" if rule.resource_names else ""
    return f"{verbs} {targets}{named}"


def narrow(rule: PolicyRule, pattern: Pattern) -> PolicyRule:
    """The part of a rule a pattern matches, for display (`edit`'s pods/exec rule -> `create pods/exec`)."""
    if "*" in pattern.verbs:
        verbs = rule.verbs
    elif "*" in rule.verbs:
        verbs = pattern.verbs
    else:
        verbs = tuple(v for v in rule.verbs if v in pattern.verbs)
    if pattern.url:
        urls = tuple(u for u in rule.non_resource_urls if rule_overlaps(PolicyRule(non_resource_urls=(u,), verbs=verbs),
                                                                        pattern))
        return PolicyRule(non_resource_urls=urls or rule.non_resource_urls, verbs=verbs)
    # Groups and resources are narrowed alike: a rule on `""` and `apps` shown for a request of
    # core `pods` names only `pods`, not also `pods.apps` (which the request did not use).
    groups = tuple(g for g in rule.api_groups
                   if rule_overlaps(PolicyRule((g,), rule.resources, (), (), verbs), pattern))
    groups = groups or rule.api_groups
    resources = tuple(r for r in rule.resources
                      if rule_overlaps(PolicyRule(groups, (r,), (), (), verbs), pattern))
    return PolicyRule(groups, resources or rule.resources, rule.resource_names, (), verbs)


def narrow_to(rule: PolicyRule, request: Request) -> PolicyRule:
    """The part of a rule that allows a request, for display (who-can's `rule `get pods``)."""
    return narrow(rule, Pattern((request.verb,), request.group, request.combined_resource, request.path))


def scope_text(scope: str | None) -> str:
    """`in namespace `dev`` or `cluster-wide`."""
    return f"in namespace `{scope}`" if scope else "cluster-wide"

"""Whether a PolicyRule allows a request, covers another rule, or overlaps a pattern.

`rule_allows` is the RBAC authorizer's RuleAllows (plugin/pkg/auth/authorizer/rbac/rbac.go) on
top of VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches and
NonResourceURLMatches (pkg/apis/rbac/v1/evaluation_helpers.go). `covers` is the escalation
check's Covers (k8s.io/component-helpers/auth/rbac/validation/policy_comparator.go).
`rule_overlaps` answers a question Kubernetes never asks: is there ONE request that both a rule
and a guard pattern match? Guards use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policyc.access.request import Request
from policyc.k8s.rules import PolicyRule

ALL = "*"


def verb_matches(rule: PolicyRule, verb: str) -> bool:
    """VerbMatches: `*` or the exact verb."""
    return any(v in (ALL, verb) for v in rule.verbs)


def group_matches(rule: PolicyRule, group: str) -> bool:
    """APIGroupMatches: `*` or the exact group (`""` is the core group)."""
    return any(g in (ALL, group) for g in rule.api_groups)


def resource_matches(rule: PolicyRule, combined: str, subresource: str) -> bool:
    """ResourceMatches: `*`, the exact `resource[/sub]`, or `*/sub` for a subresource request.

    `pods/*` is not special: it matches only a subresource literally named `*`.
    """
    for r in rule.resources:
        if r in (ALL, combined):
            return True
        if subresource and len(r) == len(subresource) + 2 and r.startswith("*/") and r.endswith(subresource):
            return True
    return False


def name_matches(rule: PolicyRule, name: str) -> bool:
    """ResourceNameMatches: no resourceNames allows every name (and requests without one)."""
    return not rule.resource_names or name in rule.resource_names


def url_matches(rule: PolicyRule, path: str) -> bool:
    """NonResourceURLMatches: `*`, the exact path, or a prefix ending in `*`."""
    for u in rule.non_resource_urls:
        if u in (ALL, path):
            return True
        if u.endswith("*") and path.startswith(u.rstrip("*")):
            return True
    return False


def rule_allows(rule: PolicyRule, request: Request) -> bool:
    """RuleAllows: the rule authorizes the request."""
    if request.is_resource_request:
        return (
            verb_matches(rule, request.verb)
            and group_matches(rule, request.group)
            and resource_matches(rule, request.combined_resource, request.subresource)
            and name_matches(rule, request.name)
        )
    return verb_matches(rule, request.verb) and url_matches(rule, request.path)


# ------------------------------------------------------------------ coverage (escalation check)


def breakdown(rule: PolicyRule) -> list[PolicyRule]:
    """BreakdownRule: one rule per group, resource, verb and resource name (or URL and verb)."""
    out: list[PolicyRule] = []
    for group in rule.api_groups:
        for resource in rule.resources:
            for verb in rule.verbs:
                if rule.resource_names:
                    out.extend(PolicyRule((group,), (resource,), (n,), (), (verb,)) for n in rule.resource_names)
                else:
                    out.append(PolicyRule((group,), (resource,), (), (), (verb,)))
    for url in rule.non_resource_urls:
        out.extend(PolicyRule(non_resource_urls=(url,), verbs=(verb,)) for verb in rule.verbs)
    return out


def _resources_cover(owner: tuple[str, ...], subs: tuple[str, ...]) -> bool:
    if ALL in owner or set(subs) <= set(owner):
        return True
    for path in subs:
        if path in owner:
            continue
        if "/" not in path:
            return False
        if "*/" + path.split("/", 1)[1] not in owner:
            return False
    return True


def _url_covers(owner: str, sub: str) -> bool:
    return owner == sub or (owner.endswith("*") and sub.startswith(owner.rstrip("*")))


def rule_covers(owner: PolicyRule, sub: PolicyRule) -> bool:
    """ruleCovers: `owner` allows everything the single-verb, single-resource rule `sub` allows."""
    verbs = ALL in owner.verbs or set(sub.verbs) <= set(owner.verbs)
    groups = ALL in owner.api_groups or set(sub.api_groups) <= set(owner.api_groups)
    resources = _resources_cover(owner.resources, sub.resources)
    urls = all(any(_url_covers(o, s) for o in owner.non_resource_urls) for s in sub.non_resource_urls)
    if not sub.resource_names:
        names = not owner.resource_names
    else:
        names = not owner.resource_names or set(sub.resource_names) <= set(owner.resource_names)
    return verbs and groups and resources and names and urls


def covers(owners: Iterable[PolicyRule], servants: Iterable[PolicyRule]) -> tuple[bool, list[PolicyRule]]:
    """Covers: whether `owners` allow everything `servants` allow, and the pieces they do not."""
    owner_list = list(owners)
    missing = [s for rule in servants for s in breakdown(rule) if not any(rule_covers(o, s) for o in owner_list)]
    return not missing, missing


# ------------------------------------------------------------------ overlap (guards)


@dataclass(frozen=True)
class Pattern:
    """A set of requests written as verbs on one resource (RBAC syntax) or on one URL.

    `resource` is `*`, `name`, `name/sub` or `*/sub`, exactly as an RBAC rule writes it, and
    denotes the requests a rule with that resource would allow; `url` is a non-resource path,
    possibly ending in `*`.
    """

    verbs: tuple[str, ...]
    group: str = ALL
    resource: str = ALL
    url: str = ""


def _verbs_overlap(a: Iterable[str], b: Iterable[str]) -> bool:
    sa, sb = set(a), set(b)
    return ALL in sa or ALL in sb or bool(sa & sb)


def _resource_overlap(a: str, b: str) -> bool:
    """Some (resource, subresource) pair is matched by both RBAC resource strings."""
    if ALL in (a, b) or a == b:
        return True
    a_any, b_any = a.startswith("*/"), b.startswith("*/")
    if a_any and "/" in b:
        return b.split("/", 1)[1] == a[2:]
    if b_any and "/" in a:
        return a.split("/", 1)[1] == b[2:]
    return False


def _url_overlap(a: str, b: str) -> bool:
    if ALL in (a, b) or a == b:
        return True
    a_pre, b_pre = a.endswith("*"), b.endswith("*")
    if a_pre and b_pre:
        x, y = a.rstrip("*"), b.rstrip("*")
        return x.startswith(y) or y.startswith(x)
    if a_pre:
        return b.startswith(a.rstrip("*"))
    if b_pre:
        return a.startswith(b.rstrip("*"))
    return False


def rule_overlaps(rule: PolicyRule, pattern: Pattern) -> bool:
    """Whether at least one request is allowed by `rule` and matched by `pattern`.

    resourceNames do not prevent an overlap: a rule limited to one object still allows
    requests on that object.
    """
    if not _verbs_overlap(rule.verbs, pattern.verbs):
        return False
    if pattern.url:
        return any(_url_overlap(u, pattern.url) for u in rule.non_resource_urls)
    if not rule.resources:
        return False
    groups = set(rule.api_groups)
    if pattern.group != ALL and ALL not in groups and pattern.group not in groups:
        return False
    return any(_resource_overlap(r, pattern.resource) for r in rule.resources)

"""Exclusions in rules (`* except delete *.apps except secrets`), expanded against the release (PC143, PC144).

The expansion itself is a Kubernetes fact (policyc/k8s/expand.py); this module finds every rule
with `except`, stores what it expands to in `Rule.expansion` (which `Rule.atoms()` reads), and
reports an exclusion that removes nothing (an error: the author meant to keep something out, and
it is in) and, once per rule that expanded a wildcard, that RBAC cannot deny what comes later.
"""

from __future__ import annotations

from dataclasses import replace

from policyc import model as m
from policyc.check.context import Context
from policyc.k8s.expand import expand
from policyc.k8s.releases import check_resource, parse_resource
from policyc.k8s.rules import expand_verbs
from policyc.rules import ERROR, WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule(
        "PC143", ERROR, "an exclusion that excludes nothing (the verb or resource is not in what the rule grants)",
        example="`grant read * except secretz in cluster`",
    ),
    Rule(
        "PC144", WARNING,
        "an exclusion expanded from the release tables: RBAC has no deny, so resources added later are not covered",
        example="`grant read * except secrets to group audit in cluster`",
    ),
)


def _rules(policy: m.Policy) -> list[m.Rule]:
    """The rules of the roles, of the inline grants and of the expectations."""
    rules = [r for role in policy.roles for r in role.rules]
    rules += [g.rule for g in policy.grants if g.rule is not None]
    rules += [e.rule for e in policy.expectations]
    return rules


def custom_resources(policy: m.Policy, rules: list[m.Rule] | None = None) -> list[str]:
    """Every resource the policy names in a rule, guard or expectation (the expansion keeps
    those of groups the release does not build in: custom resources). `rules`: `_rules(policy)`,
    when the caller has them."""
    if rules is None:
        rules = _rules(policy)
    # A set of the texts, without a concatenated tuple per rule (most have no `except`): the same few
    # resources recur in every team, and each is parsed once, not once per rule naming it.
    names = {t.text for r in rules for t in (r.resources + r.except_resources if r.except_resources else r.resources)}
    names.update([t.text for g in policy.guards for t in g.resources])
    out = []
    for n in names:
        if n.startswith("/"):
            continue
        try:
            ref = parse_resource(n)
        except ValueError:
            continue
        if "*" not in (ref.group, ref.resource):
            out.append(n)
    return sorted(out)  # `names` is a set: each once


def _known(ctx: Context, text: str) -> bool:
    """Whether a resource passes PC151/PC152 (an unknown one is reported there, not twice)."""
    if text.startswith("/"):
        return True
    try:
        return check_resource(ctx.release, parse_resource(text)) is None
    except ValueError:
        return False


def expand_rule(ctx: Context, rule: m.Rule, custom: list[str], namespaced_only: bool, warn: bool = True) -> m.Rule:
    """The rule with its exclusion expanded (unchanged without `except`); PC143 and PC144."""
    if not rule.has_exclusion:
        return rule
    try:
        result = expand(
            ctx.release,
            [v.text for v in rule.verbs],
            [v.text for v in rule.except_verbs],
            [t.text for t in rule.resources],
            [t.text for t in rule.except_resources],
            custom,
            namespaced_only,
        )
    except ValueError:  # a malformed resource: PC151 reports it
        return replace(rule, expansion=())
    for word in rule.except_verbs:
        if set(expand_verbs([word.text])) <= set(result.idle_verbs):
            ctx.error(
                "PC143",
                f"`except {word.text}` excludes nothing: no resource of the rule has that verb",
                word.span,
                "remove it, or check the verb's spelling",
            )
    for word in rule.except_resources:
        if word.text in result.idle_resources and _known(ctx, word.text):
            ctx.error(
                "PC143",
                f"`except {word.text}` excludes nothing: the rule does not grant `{word.text}` "
                f"in Kubernetes {ctx.release.label}",
                word.span,
                "remove it, or check its spelling (`secrets`, `pods/exec`, `deployments.apps`)",
            )
    if result.wildcard and warn:
        ctx.warn(
            "PC144",
            f"the exclusion expands to {len(result.pairs)} explicit permissions of Kubernetes {ctx.release.label}; "
            "resources served later (new releases, CRDs installed afterwards) are not covered",
            rule.span,
            "RBAC has no deny rule: rebuild after an upgrade (`policyc diff --kubernetes` shows what the expansion "
            "gains), or silence this for the policy with `allow PC144 because \"...\"`",
        )
    return replace(rule, expansion=result.pairs)


def expand_all(ctx: Context, policy: m.Policy) -> m.Policy:
    """Every rule of roles, inline grants and expectations with its exclusion expanded."""
    rules = _rules(policy)
    if not any(r.has_exclusion for r in rules):
        # Nothing to expand (most policies): no set of every resource named, no second pass
        # over every grant and role to rebuild their tuples (issue 19).
        return policy
    custom = custom_resources(policy, rules)
    roles = tuple(
        replace(r, rules=tuple(expand_rule(ctx, x, custom, r.namespace is not None) for x in r.rules))
        if any(x.has_exclusion for x in r.rules) else r
        for r in policy.roles
    )
    grants = tuple(
        replace(g, rule=expand_rule(ctx, g.rule, custom, not g.cluster))
        if g.rule is not None and g.rule.has_exclusion else g
        for g in policy.grants
    )
    expectations = tuple(
        replace(e, rule=expand_rule(ctx, e.rule, custom, False, warn=False)) if e.rule.has_exclusion else e
        for e in policy.expectations
    )
    return replace(policy, roles=roles, grants=grants, expectations=expectations)

"""Verbs, resources and `named` in rules and guards, against the target release (PC14x-PC16x)."""

from __future__ import annotations

from policyc import model as m
from policyc.check.context import Context
from policyc.k8s import releases
from policyc.k8s.rules import VERB_ALIASES
from policyc.rules import ERROR, WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC140", ERROR, "a non-resource URL in a namespaced role", example="`role r in default { get /healthz }`"),
    Rule(
        "PC141", ERROR, "a non-resource URL in a namespaced grant, or a role with URLs granted in a namespace",
        example="`grant get /healthz to group g in default`",
    ),
    Rule("PC142", ERROR, "a rule mixing URLs and resources, or a `named` URL", example="`get /healthz, pods`"),
    Rule("PC150", ERROR, "unknown verb in the target release (with \"did you mean\")", example="`gett pods`"),
    Rule(
        "PC151", ERROR, "unknown resource of a built-in group (with \"did you mean\"; the releases that have it)",
        example="`deploymens.apps`, `deployments`",
    ),
    Rule("PC152", ERROR, "unknown subresource", example="`pods/portfoward`"),
    Rule(
        "PC160", WARNING, "`named` with verbs it cannot restrict (list, watch, create, deletecollection)",
        example="`list, get configmaps named a`",
    ),
)

# Verbs whose requests carry no object name, so resourceNames cannot restrict them
# (kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources).
_UNNAMED_VERBS = {"list", "watch", "create", "deletecollection"}


# Non-resource requests are authorized with the request's HTTP method, lowercased
# (apiserver/pkg/endpoints/request/requestinfo.go: `requestInfo.Verb = strings.ToLower(req.Method)`).
HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


def check_verbs(ctx: Context, verbs: tuple[m.Word, ...], targets: tuple[m.Word, ...] = ()) -> None:
    """PC150: every verb is a Kubernetes verb, `*`, or an alias.

    URL rules take HTTP methods; a rule whose resources all belong to groups the release does
    not build in (custom resources, aggregated APIs) may use the verbs those APIs define.
    """
    urls = bool(targets) and all(t.text.startswith("/") for t in targets)
    refs = [releases.parse_resource(t.text) for t in targets if not t.text.startswith("/")]
    for v in verbs:
        if v.text == "*" or v.text in VERB_ALIASES or (urls and v.text in HTTP_VERBS):
            continue
        if refs and all(releases.check_verb(ctx.release, v.text, resource=r) is None for r in refs):
            continue
        problem = releases.check_verb(ctx.release, v.text)
        if problem is not None:
            hint = f"did you mean `{problem.suggestion}`?" if problem.suggestion else (
                "use a Kubernetes verb, `*`, `read` or `write`"
            )
            ctx.error("PC150", problem.message, v.span, hint)


def check_targets(ctx: Context, targets: tuple[m.Word, ...]) -> None:
    """PC151/PC152: resources and subresources of built-in groups exist in the release."""
    for t in targets:
        if t.text.startswith("/"):
            continue
        ref = releases.parse_resource(t.text)
        problem = releases.check_resource(ctx.release, ref)
        if problem is None:
            continue
        code = "PC152" if problem.kind == "unknown-subresource" else "PC151"
        hint = f"did you mean `{problem.suggestion}`?" if problem.suggestion else (
            "write resources as kubectl does: `pods`, `pods/log`, `deployments.apps`"
        )
        ctx.error(code, problem.message, t.span, hint)


def check_rule(ctx: Context, rule: m.Rule, namespaced: bool, what: str) -> None:
    """Every check of one rule; `namespaced` rules may not use non-resource URLs (PC140/PC141)."""
    urls = [r for r in rule.resources if r.text.startswith("/")]
    if urls and len(urls) != len(rule.resources):
        ctx.error(
            "PC142",
            "a rule cannot mix non-resource URLs and resources",
            rule.span,
            "write the URLs and the resources as two rules",
        )
    elif urls and rule.names:
        ctx.error("PC142", "non-resource URLs cannot be `named`", rule.names[0].span, "remove `named ...`")
    if urls and namespaced:
        code = "PC140" if what == "role" else "PC141"
        where = "a namespaced role" if what == "role" else "a namespaced grant"
        ctx.error(
            code,
            f"non-resource URL `{urls[0].text}` in {where}",
            urls[0].span,
            "non-resource URLs are cluster-wide: put them in a role without `in` and grant it `in cluster`",
        )
    check_verbs(ctx, rule.verbs, rule.resources)
    check_targets(ctx, rule.resources)
    if rule.names:
        verbs = {x for v in rule.verbs for x in VERB_ALIASES.get(v.text, (v.text,))}
        unnamed = sorted(verbs & _UNNAMED_VERBS)
        if unnamed:
            ctx.warn(
                "PC160",
                f"`named` cannot restrict {', '.join(f'`{v}`' for v in unnamed)}: "
                "those requests carry no object name",
                rule.span,
                "grant those verbs in a rule without `named`, or drop them",
            )


def check_all_rules(ctx: Context) -> None:
    """Rules of roles and inline grants, and the verbs and resources of guards."""
    for role in ctx.policy.roles:
        for rule in role.rules:
            check_rule(ctx, rule, role.namespace is not None, "role")
    for g in ctx.policy.grants:
        if g.rule is not None:
            check_rule(ctx, g.rule, not g.cluster, "grant")
    for guard in ctx.policy.guards:
        check_verbs(ctx, guard.verbs, guard.resources)
        check_targets(ctx, guard.resources)

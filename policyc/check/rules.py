"""Verbs, resources and `named` in rules and guards, against the target release (PC14x-PC16x)."""

from __future__ import annotations

from policyc import model as m
from policyc.check.context import Context
from policyc.check.grants import rule_text
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
        "PC151", ERROR, "unknown resource of a built-in group (with \"did you mean\"; the releases that have it), "
        "or a malformed one",
        example="`deploymens.apps`, `deployments`, `set.`",
    ),
    Rule("PC152", ERROR, "unknown subresource", example="`pods/portfoward`"),
    Rule(
        "PC160", WARNING,
        "`named` with verbs whose requests never carry a name (`deletecollection`; `create` of a whole object), so "
        "the rule never allows them",
        example="`create, get configmaps named a`",
    ),
)

def unnamed_verbs(verbs: set[str], targets: tuple[m.Word, ...]) -> list[str]:
    """The verbs of a `named` rule whose requests never carry an object name, so it never allows them.

    From the request's attributes (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go,
    NewRequestInfo): the name is the path segment after the resource. A `list` or `watch` with
    the field selector `metadata.name=N` gets the name N (`opts.FieldSelector.RequiresExactMatch
    ("metadata.name")`), so `named` does restrict them. A `delete` without a name becomes
    `deletecollection`, which therefore never has one. `create` posts to the collection and has
    no name, except for subresources, whose URL names the object (`POST .../pods/NAME/exec`,
    `.../pods/NAME/eviction`, `.../serviceaccounts/NAME/token`); a `*` resource covers those.
    So `create` is named when a target of the rule is a whole object (not a subresource, not `*`).
    """
    out = {"deletecollection"} & verbs
    if "create" in verbs and any("/" not in t.text and t.text.partition(".")[0] != "*" for t in targets):
        out.add("create")
    return sorted(out)


# Non-resource requests are authorized with the request's HTTP method, lowercased
# (apiserver/pkg/endpoints/request/requestinfo.go: `requestInfo.Verb = strings.ToLower(req.Method)`):
# the methods of RFC 9110 section 9 and PATCH (RFC 5789).
HTTP_VERBS = frozenset({"get", "head", "post", "put", "patch", "delete", "options", "trace", "connect"})


def check_verbs(ctx: Context, verbs: tuple[m.Word, ...], targets: tuple[m.Word, ...] = ()) -> None:
    """PC150: every verb is a Kubernetes verb, `*`, or an alias.

    URL rules take HTTP methods; a rule whose resources all belong to groups the release does
    not build in (custom resources, aggregated APIs) may use the verbs those APIs define.
    """
    urls = bool(targets) and all(t.text.startswith("/") for t in targets)
    refs = [ref for t in targets if not t.text.startswith("/") and (ref := _resource(t.text)) is not None]
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


def _resource(text: str) -> releases.ResourceRef | None:
    """The resource a target names, or None when it is malformed (`check_targets` reports it)."""
    try:
        return releases.parse_resource(text)
    except ValueError:
        return None


def check_targets(ctx: Context, targets: tuple[m.Word, ...]) -> None:
    """PC151/PC152: resources and subresources of built-in groups exist in the release; PC151 for a
    malformed one (`set.`, `pods/`: the grammar's words allow them, the API server has none)."""
    for t in targets:
        if t.text.startswith("/"):
            continue
        try:
            ref = releases.parse_resource(t.text)
        except ValueError as exc:
            ctx.error("PC151", str(exc), t.span,
                      "write resources as kubectl does: `pods`, `pods/log`, `deployments.apps`")
            continue
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
    check_verbs(ctx, rule.verbs + rule.except_verbs, rule.resources)
    check_targets(ctx, rule.resources + rule.except_resources)
    if rule.names:
        verbs = {x for v in rule.verbs for x in VERB_ALIASES.get(v.text, (v.text,))}
        unnamed = unnamed_verbs(verbs, rule.resources)
        if unnamed:
            # The help never suggests dropping `named`: that would widen the rule to every object.
            ctx.warn(
                "PC160",
                f"{', '.join(f'`{v}`' for v in unnamed)} with `named` never allows anything: "
                "those requests carry no object name",
                rule.span,
                f"remove {', '.join(f'`{v}`' for v in unnamed)} from this rule (a subresource such as "
                "`pods/exec` keeps `create` in a rule of its own); allowing "
                f"{'them' if len(unnamed) > 1 else 'it'} for every object is a separate decision",
            )


def _rule_key(rule: m.Rule, namespaced: bool, what: str) -> tuple:
    """All that `check_rule` reads of a rule but its spans: the texts of its words (`rule_text`, which
    the compilation and the lints ask for again), and its place."""
    except_verbs, except_resources = rule.except_verbs, rule.except_resources
    return (rule_text(rule),
            tuple([w.text for w in except_verbs]) if except_verbs else (),  # mostly empty: no list made
            tuple([w.text for w in except_resources]) if except_resources else (), namespaced, what)


def check_all_rules(ctx: Context) -> None:
    """Rules of roles and inline grants, and the verbs and resources of guards."""
    # A rule reports nothing but at its own words and span: one checked clean by its texts and place
    # is clean wherever it recurs (the same inline rule in every team, the same rule in every
    # generated role), so it is checked once. A faulty one is reported at every occurrence, as before.
    clean: set[tuple] = set()

    def once(rule: m.Rule, namespaced: bool, what: str) -> None:
        key = _rule_key(rule, namespaced, what)
        if key not in clean:
            before = len(ctx.diags)
            check_rule(ctx, rule, namespaced, what)
            if len(ctx.diags) == before:
                clean.add(key)

    for role in ctx.policy.roles:
        for rule in role.rules:
            once(rule, role.namespace is not None, "role")
    for g in ctx.policy.grants:
        if g.rule is not None:
            once(g.rule, not g.cluster, "grant")
    for guard in ctx.policy.guards:
        check_verbs(ctx, guard.verbs, guard.resources)
        check_targets(ctx, guard.resources)
    for e in ctx.policy.expectations:
        check_rule(ctx, e.rule, not e.cluster and bool(e.namespaces), "expectation")

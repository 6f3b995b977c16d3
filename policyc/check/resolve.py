"""Symbol tables, duplicate declarations, references, names and subjects (PC1xx)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from policyc import model as m
from policyc.check.context import Context
from policyc.diagnostics import Label
from policyc.k8s import names, podsecurity
from policyc.k8s.bootstrap import builtin_cluster_roles, is_builtin_role
from policyc.rules import ERROR, Rule, register
from policyc.source import Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC102", ERROR, "undefined team", example="`grant role view to team ops in default`"),
    Rule("PC103", ERROR, "undefined pod-security policy or level", example="`pod-security hardend`"),
    Rule(
        "PC110", ERROR,
        "a role, team, pod-security policy, user or service account declared twice (the first declaration is named)",
        example="two `role r { }`",
    ),
    Rule("PC111", ERROR, "redefining a built-in ClusterRole or a `system:` name", example="`role edit { get pods }`"),
    Rule("PC120", ERROR, "namespace name is not a DNS-1123 label", example="`namespace Team_A`"),
    Rule("PC121", ERROR, "service account name is not a DNS-1123 subdomain", example="`serviceaccount ci/Runner_1`"),
    Rule("PC122", ERROR, "role name is not a valid path segment (`/`, `%`, `.`, `..`)", example="`role \"a/b\"`"),
    Rule("PC123", ERROR, "invalid label key or value", example="`labels team=-x`"),
    Rule("PC130", ERROR, "a `system:` user name", example="`to user system:kube-proxy`"),
    Rule(
        "PC131", ERROR, "the group `system:masters` anywhere (it bypasses RBAC)",
        example="`members group system:masters`",
        cis="rbac-system-masters",
    ),
    Rule("PC132", ERROR, "a service account without a namespace", example="`serviceaccount runner`"),
    Rule(
        "PC175", ERROR, "a team that contains itself",
        example="`team a { members team b }` / `team b { members team a }`",
    ),
)


def _table(ctx: Context, what: str, items: Iterable[tuple[object, Span, object]]) -> dict:
    """Index declarations by key; PC110 for every redeclaration, naming the first."""
    table: dict[object, object] = {}
    first: dict[object, Span] = {}
    for key, span, node in items:
        if key in table:
            shown = f"{key[1]}` in `{key[0]}" if isinstance(key, tuple) and key[0] else (
                key[1] if isinstance(key, tuple) else key
            )
            ctx.error(
                "PC110",
                f"{what} `{shown}` is declared twice",
                span,
                f"remove one declaration or rename it; a {what} is declared once for the whole policy",
                (Label(first[key], "first declared here"),),
            )
            continue
        table[key] = node
        first[key] = span
    return table


def symbol_tables(ctx: Context) -> dict[str, dict]:
    """Roles, teams, pod-security policies, users and service accounts by name."""
    p = ctx.policy
    roles = _table(
        ctx,
        "role",
        (((r.namespace.text if r.namespace else "", r.name.text), r.name.span, r) for r in p.roles),
    )
    return {
        "roles": roles,
        "teams": _table(ctx, "team", ((t.name.text, t.name.span, t) for t in p.teams)),
        "psps": _table(ctx, "pod-security-policy", ((s.name.text, s.name.span, s) for s in p.psps)),
        "users": _table(ctx, "user", ((u.name.text, u.name.span, u) for u in p.users)),
        "serviceaccounts": _table(
            ctx, "serviceaccount", ((s.ref.text, s.ref.span, s) for s in p.serviceaccounts)
        ),
    }


def check_role_names(ctx: Context) -> None:
    """PC111 a built-in ClusterRole redefined; PC122 an invalid RBAC name; PC120 its namespace."""
    for role in ctx.policy.roles:
        name = role.name.text
        if role.namespace is None and is_builtin_role(name):
            what = "a built-in ClusterRole" if name in builtin_cluster_roles() else "reserved for Kubernetes"
            ctx.error(
                "PC111",
                f"role `{name}` is {what} and cannot be redefined",
                role.name.span,
                "choose another name, or use `aggregate-to` to add rules to `admin`, `edit` or `view`",
            )
        elif reason := names.path_segment(name):
            ctx.error("PC122", f"invalid role name `{name}`: it {reason}", role.name.span, "rename the role")
        if role.namespace is not None:
            check_namespace_name(ctx, role.namespace)


def check_namespace_name(ctx: Context, word: m.Word) -> None:
    """PC120: namespaces are DNS-1123 labels."""
    if reason := names.dns1123_label(word.text):
        ctx.error(
            "PC120",
            f"invalid namespace name `{word.text}`: it {reason}",
            word.span,
            "namespace names are DNS-1123 labels such as `team-a`",
        )


def check_serviceaccount_ref(ctx: Context, text: str, span: Span) -> None:
    """PC132 a service account without a namespace; PC121 an invalid name; PC120 its namespace."""
    ns, slash, name = text.partition("/")
    if not slash or not ns or not name:
        ctx.error(
            "PC132",
            f"service account `{text}` has no namespace",
            span,
            f"write it as `NAMESPACE/NAME`, for example `default/{text.strip('/') or 'name'}`",
        )
        return
    if names.dns1123_label(ns):  # the namespace's own word made only to report it (most names are valid)
        check_namespace_name(ctx, m.Word(ns, Span(span.file, span.line, span.col, span.line, span.col + len(ns))))
    if reason := names.dns1123_subdomain(name):
        ctx.error(
            "PC121",
            f"invalid service account name `{name}`: it {reason}",
            span,
            "service account names are DNS-1123 subdomains such as `ci-runner`",
        )


def check_user_name(ctx: Context, name: str, span: Span) -> None:
    """PC130: `system:` user names belong to Kubernetes components."""
    if name.startswith("system:"):
        ctx.error(
            "PC130",
            f"user name `{name}` is reserved for Kubernetes components",
            span,
            "`system:` users are the API server's own identities; name a person or use a service account",
        )


def check_group_name(ctx: Context, name: str, span: Span) -> None:
    """PC131: `system:masters` bypasses RBAC entirely."""
    if name == "system:masters":
        ctx.error(
            "PC131",
            "the group `system:masters` bypasses authorization and cannot be used",
            span,
            "grant `role cluster-admin ... in cluster` to a named group instead; it is audited and revocable",
        )


def check_subject(ctx: Context, s: m.Subject, teams: dict) -> None:
    """References and names inside one subject."""
    if s.kind == "user":
        check_user_name(ctx, s.name, s.span)
    elif s.kind == "group":
        check_group_name(ctx, s.name, s.span)
    elif s.kind == "serviceaccount":
        check_serviceaccount_ref(ctx, s.name, s.span)
    elif s.kind == "team" and s.name not in teams:
        ctx.error(
            "PC102",
            f"undefined team `{s.name}`",
            s.span,
            _did_you_mean(s.name, teams, "declare it with `team NAME { members ... }`"),
        )


def _did_you_mean(name: str, candidates: Iterable[str], fallback: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else fallback


def check_declarations(ctx: Context, tables: dict[str, dict]) -> None:
    """Names of declared users, service accounts and namespaces; subjects everywhere."""
    p = ctx.policy
    # A subject or namespace reports nothing but at the words it is written with: one checked clean
    # by its text is clean wherever it recurs (a team's name in every grant of the team, a namespace
    # declared and named in every grant there, a declared user or service account named as a
    # subject), so only its first occurrence is checked. A faulty one is reported at every
    # occurrence, as before.
    clean_subjects: set[tuple[str, str]] = set()
    clean_namespaces: set[str] = set()

    def declared(kind: str, check: Callable[[Context, str, Span], None], word: m.Word) -> None:
        """A declared name checked as a subject of `kind` is (`check_subject` calls `check` for it)."""
        before = len(ctx.diags)
        check(ctx, word.text, word.span)
        if len(ctx.diags) == before:
            clean_subjects.add((kind, word.text))

    def namespace(word: m.Word) -> None:
        if word.text not in clean_namespaces:
            before = len(ctx.diags)
            check_namespace_name(ctx, word)
            if len(ctx.diags) == before:
                clean_namespaces.add(word.text)

    for u in p.users:
        declared("user", check_user_name, u.name)
        for g in u.groups:
            declared("group", check_group_name, g)
    for sa in p.serviceaccounts:
        declared("serviceaccount", check_serviceaccount_ref, sa.ref)
    # A label key's or value's verdict by its text (the same few keys and values on every namespace).
    key_reasons: dict[str, str | None] = {}
    value_reasons: dict[str, str | None] = {}
    for ns in p.namespaces:
        if ns.name.text not in clean_namespaces:  # a declared namespace's name is checked here first
            namespace(ns.name)
        for key, value in ns.labels:
            reason = key_reasons.get(key.text, "")
            if reason == "":
                reason = key_reasons[key.text] = names.label_key(key.text)
            if reason:
                ctx.error("PC123", f"invalid label key `{key.text}`: it {reason}", key.span, "fix the label key")
            reason = value_reasons.get(value.text, "")
            if reason == "":
                reason = value_reasons[value.text] = names.label_value(value.text)
            if reason:
                ctx.error(
                    "PC123", f"invalid label value `{value.text}`: it {reason}", value.span, "fix the label value"
                )
    teams = tables["teams"]

    def subject(s: m.Subject) -> None:
        key = (s.kind, s.name)
        if key not in clean_subjects:
            before = len(ctx.diags)
            check_subject(ctx, s, teams)
            if len(ctx.diags) == before:
                clean_subjects.add(key)

    for t in p.teams:
        for s in t.members:
            if (s.kind, s.name) not in clean_subjects:  # `subject`'s test, without a call per subject
                subject(s)
    for g in p.grants:
        for s in g.subjects:
            if (s.kind, s.name) not in clean_subjects:
                subject(s)
        for ns in g.namespaces:
            if ns.text not in clean_namespaces:
                namespace(ns)
    for guard in p.guards:
        for s in guard.subjects + guard.excepts:
            subject(s)
        for ns in guard.namespaces:
            namespace(ns)
    for e in p.expectations:
        subject(e.subject)
        for ns in e.namespaces:
            namespace(ns)


def check_psp_refs(ctx: Context, psps: dict) -> None:
    """PC103: `pod-security NAME` must name a level or a declared pod-security-policy."""
    levels, ps_modes = set(podsecurity.LEVELS), set(podsecurity.MODES)
    for ns in ctx.policy.namespaces:
        for ps in ns.pod_security:
            for mode in ps.modes:
                name = mode.level.text
                # A mode alone (`pod-security enforce latest`) lacks its level: admission.py's PC187 says so.
                if mode.mode is None and name not in levels and name not in psps and name not in ps_modes:
                    ctx.error(
                        "PC103",
                        f"undefined pod-security policy `{name}`",
                        mode.level.span,
                        _did_you_mean(
                            name,
                            [*levels, *psps],
                            "use `privileged`, `baseline` or `restricted`, or declare "
                            "`pod-security-policy NAME { ... }`",
                        ),
                    )


def role_did_you_mean(name: str, roles: dict) -> str:
    """A help line for an undefined role."""
    candidates = {n for (_, n) in roles} | set(builtin_cluster_roles())
    return _did_you_mean(name, candidates, "declare it with `role NAME { ... }` or grant a built-in role")


def expand_members(ctx: Context, teams: dict) -> dict[str, tuple[m.Subject, ...]]:
    """Each team's members with nested teams expanded; PC175 for a cycle."""
    out: dict[str, tuple[m.Subject, ...]] = {}

    def visit(name: str, stack: tuple[str, ...]) -> tuple[m.Subject, ...]:
        if name in out:
            return out[name]
        team = teams[name]
        members: list[m.Subject] = []
        for s in team.members:
            if s.kind != "team":
                members.append(s)
            elif s.name in stack or s.name == name:
                ctx.error(
                    "PC175",
                    f"team `{name}` contains itself through `{s.name}`",
                    s.span,
                    "remove the circular membership",
                )
            elif s.name in teams:
                members.extend(visit(s.name, (*stack, name)))
        out[name] = tuple(members)
        return out[name]

    for name in sorted(teams):
        visit(name, ())
    return out

"""Hover text (Markdown) for a name under the cursor.

- a role: where it lives and the rules it holds after aggregation (access/policy.py `roles_of`);
- a team: its members (declared, and the RBAC subjects they expand to) and its grants;
- a verb: an alias's expansion (k8s/rules.py VERB_ALIASES), or whether the release knows it;
- a resource: its API group, versions, scope, verbs and subresources in the target release;
- a namespace, user, service account, group or pod-security policy: what the policy says of it.
"""

from __future__ import annotations

from policyc.access.objects import ObjRef
from policyc.access.policy import roles_of
from policyc.access.request import AUTHENTICATED, sa_groups, sa_username
from policyc.k8s.releases import NEWEST, Release, load_release, parse_resource, parse_version
from policyc.k8s.rules import VERB_ALIASES
from policyc.lsp.index import LEVELS, Builtin, Index, Occurrence
from policyc.lsp.roles import rule_lines
from policyc.source import SourceFile, Span


def target_release(index: Index) -> Release:
    """The release the program targets: the checked one, else its `kubernetes` line, else the newest."""
    if index.program is not None:
        return load_release(index.program.release)
    decl = index.policy.kubernetes
    version = parse_version(decl.text) if decl is not None else None
    try:
        return load_release(version or NEWEST)
    except ValueError:
        return load_release(NEWEST)


def _where(span: Span) -> str:
    return f"{span.file}:{span.line}"


def _statement(sources: dict[str, SourceFile], span: Span) -> str:
    """The first line of the text a span covers, blanks squeezed."""
    src = sources.get(span.file)
    if src is None:
        return ""
    return " ".join(src.text[span.start : span.end].split("\n", 1)[0].split())


def hover_text(index: Index, occ: Occurrence) -> str | None:
    """Markdown describing what `occ` names, or None."""
    handler = {
        "role": _role,
        "team": _team,
        "verb": _verb,
        "resource": _resource,
        "url": _url,
        "namespace": _namespace,
        "user": _user,
        "serviceaccount": _serviceaccount,
        "group": _group,
        "psp": _psp,
        "class": _class,
    }.get(occ.kind)
    return handler(index, occ) if handler else None


def _rules_block(index: Index, ref: ObjRef) -> list[str]:
    role = roles_of(index.program).get(ref)
    if role is None:
        return ["*(rules unknown: the program has errors that stop the check)*"]
    if not role.rules:
        return ["*(no rules)*"]
    return ["```yaml", "rules:", *rule_lines(role), "```"]


def _role(index: Index, occ: Occurrence) -> str:
    target = index.resolve_role(occ)
    if target is None:
        return f"**role** `{occ.name}`: not declared (PC101)"
    if isinstance(target, Builtin):
        out = [f"**built-in ClusterRole** `{target.name}`: created by every kube-apiserver (bootstrap policy)", ""]
        return "\n".join(out + _rules_block(index, ObjRef("ClusterRole", "", target.name)))
    parts = []
    for decl in target:
        role = next(r for r in index.policy.roles if r.name.span == decl.span)
        if role.namespace is not None:
            head = f"**role** `{role.name.text}`: a Role in namespace `{role.namespace.text}`"
            ref = ObjRef("Role", role.namespace.text, role.name.text)
        else:
            head = f"**role** `{role.name.text}`: a ClusterRole"
            ref = ObjRef("ClusterRole", "", role.name.text)
        lines = [f"{head} ({_where(decl.span)})"]
        if role.aggregates:
            lines.append("aggregates " + ", ".join(f"`{w.text}`" for w in role.aggregates))
        if role.aggregate_to:
            lines.append("adds its rules to " + ", ".join(f"`{w.text}`" for w in role.aggregate_to))
        lines += ["", "Rules after aggregation:", *_rules_block(index, ref)]
        parts.append("\n".join(lines))
    return "\n\n---\n\n".join(parts)


def _team(index: Index, occ: Occurrence) -> str:
    team = next((t for t in index.policy.teams if t.name.text == occ.name), None)
    if team is None:
        return f"**team** `{occ.name}`: not declared (PC102)"
    lines = [f"**team** `{team.name.text}` ({_where(team.name.span)})", "", "Members:"]
    lines += [f"- {s}" for s in team.members] or ["- *(none)*"]
    if index.program is not None and occ.name in index.program.team_members:
        subjects = index.program.team_members[occ.name]
        lines += ["", "Bound as: " + (", ".join(f"`{s}`" for s in subjects) or "*(nobody)*")]
    grants = [
        g for g in index.policy.grants
        if g.team == occ.name or any(s.kind == "team" and s.name == occ.name for s in g.subjects)
    ]
    lines += ["", "Grants:"]
    lines += [f"- `{_statement(index.sources, g.span)}` ({_where(g.span)})" for g in grants] or ["- *(none)*"]
    return "\n".join(lines)


def _verb(index: Index, occ: Occurrence) -> str:
    release = target_release(index)
    if occ.name in VERB_ALIASES:
        return f"**verb alias** `{occ.name}` = " + ", ".join(f"`{v}`" for v in VERB_ALIASES[occ.name])
    if occ.name == "*":
        return "**verb** `*`: every verb, including ones added by later releases and extensions"
    if release.is_known_verb(occ.name):
        return f"**verb** `{occ.name}` (Kubernetes {release.label})"
    return f"**verb** `{occ.name}`: not a verb of Kubernetes {release.label} (PC150)"


def _resource(index: Index, occ: Occurrence) -> str:
    release = target_release(index)
    try:
        ref = parse_resource(occ.name)
    except ValueError:
        return f"**resource** `{occ.name}`: malformed"
    if ref.is_wildcard and ref.resource == "*":
        groups = "every API group" if ref.group == "*" else f"API group `{ref.group or 'core'}`"
        return f"**resource** `{occ.name}`: every resource of {groups}"
    group_label = f"`{ref.group}`" if ref.group else "the core group (`\"\"`)"
    if ref.group == "*":
        return f"**resource** `{ref.resource}` in every API group"
    info = release.lookup(ref.group, ref.resource)
    if info is None:
        if not release.has_group(ref.group):
            return (
                f"**resource** `{occ.name}`: API group {group_label} is not built into Kubernetes "
                f"{release.label} (a CustomResourceDefinition or an aggregated API; not checked)"
            )
        return f"**resource** `{occ.name}`: not a resource of {group_label} in Kubernetes {release.label} (PC151)"
    versions = ", ".join(f"{ref.group}/{v}" if ref.group else v for v in info.versions) or "no REST version (RBAC only)"
    scope = (
        "namespaced"
        if info.namespaced
        else "cluster-scoped: only a grant `in cluster` (a ClusterRoleBinding) reaches it"
    )
    lines = [
        f"**resource** `{info.name}` in API group {group_label}, Kubernetes {release.label}",
        "",
        f"- versions: {versions}",
        f"- scope: {scope}",
        "- verbs: " + (", ".join(sorted(info.verbs)) or "*(none)*"),
    ]
    if ref.subresource is not None:
        verbs = info.subresource_verbs(ref.subresource)
        if verbs is None:
            lines.append(f"- subresource `{ref.subresource}`: unknown (PC152)")
        else:
            lines.append(f"- subresource `{ref.subresource}` verbs: " + ", ".join(sorted(verbs)))
    elif info.subresources:
        lines.append("- subresources: " + ", ".join(sorted(info.subresources)))
    return "\n".join(lines)


def _url(index: Index, occ: Occurrence) -> str:
    return (
        f"**non-resource URL** `{occ.name}`: granted only cluster-wide (`in cluster`, a ClusterRoleBinding); "
        "a trailing `*` matches every path with that prefix"
    )


def _namespace(index: Index, occ: Occurrence) -> str:
    blocks = [n for n in index.policy.namespaces if n.name.text == occ.name]
    if not blocks:
        return f"**namespace** `{occ.name}`: not declared here (policyc does not create it)"
    lines = [f"**namespace** `{occ.name}`: " + ", ".join(_where(b.name.span) for b in blocks)]
    classes = sorted({b.cls.text for b in blocks if b.cls is not None})
    if classes:
        lines.append("- class: " + ", ".join(f"`{c}`" for c in classes) + " (its own settings win)")
    labels = [f"{k.text}={v.text}" for b in blocks for k, v in b.labels]
    if labels:
        lines.append("- labels: " + ", ".join(f"`{x}`" for x in labels))
    for b in blocks:
        for ps in b.pod_security:
            lines.append(f"- pod security: `{_statement(index.sources, ps.span)}`")
    grants = [g for g in index.policy.grants if any(w.text == occ.name for w in g.namespaces)]
    if grants:
        lines.append(f"- {len(grants)} grant{'s' if len(grants) != 1 else ''} apply here")
    return "\n".join(lines)


def _class(index: Index, occ: Occurrence) -> str:
    cls = next((c for c in index.policy.namespace_classes if c.name.text == occ.name), None)
    if cls is None:
        return f"**namespace class** `{occ.name}`: not declared (PC105)"
    users = sorted({n.name.text for n in index.policy.namespaces if n.cls is not None and n.cls.text == occ.name})
    lines = [f"**namespace class** `{occ.name}` ({_where(cls.name.span)}): "
             + (f"used by {', '.join(f'`{u}`' for u in users)}" if users else "used by no namespace (PC109)")]
    body = cls.body
    if body.labels:
        lines.append("- labels: " + ", ".join(f"`{k.text}={v.text}`" for k, v in body.labels))
    for ps in body.pod_security:
        lines.append(f"- pod security: `{_statement(index.sources, ps.span)}`")
    if body.limits:
        lines.append(f"- {len(body.limits)} limit{'s' if len(body.limits) != 1 else ''}")
    if body.quota:
        lines.append("- quota: " + ", ".join(f"`{a.resource.text} {a.quantity.text}`" for a in body.quota))
    grants = [g for g in index.policy.grants if g.namespace_class == occ.name]
    if grants:
        lines.append(f"- {len(grants)} grant{'s' if len(grants) != 1 else ''} in every namespace of the class")
    lines.append("- what a namespace block sets itself wins over the class")
    return "\n".join(lines)


def _user(index: Index, occ: Occurrence) -> str:
    user = next((u for u in index.policy.users if u.name.text == occ.name), None)
    if user is None:
        return f"**user** `{occ.name}`: not declared (from the identity provider; policyc issues no credential)"
    lines = [f"**user** `{user.name.text}`: auth `{user.auth.text}` ({_where(user.name.span)})"]
    if user.groups:
        lines.append("- groups: " + ", ".join(f"`{g.text}`" for g in user.groups))
    bound = index.program.user_name(user.name.text) if index.program else user.name.text
    if bound != user.name.text:
        lines.append(f"- bound as `{bound}` (the API server's OIDC username prefix)")
    return "\n".join(lines)


def _serviceaccount(index: Index, occ: Occurrence) -> str:
    ns, _, name = occ.name.partition("/")
    declared = any(sa.ref.text == occ.name for sa in index.policy.serviceaccounts)
    state = "declared (policyc creates it)" if declared else "not declared (policyc does not create it)"
    groups = (*sa_groups(ns), AUTHENTICATED)
    return (
        f"**service account** `{name}` in namespace `{ns}`: {state}\n\n"
        f"- user name: `{sa_username(ns, name)}`\n"
        "- groups: " + ", ".join(f"`{g}`" for g in groups)
    )


def _group(index: Index, occ: Occurrence) -> str:
    users = [u.name.text for u in index.policy.users if any(g.text == occ.name for g in u.groups)]
    lines = [f"**group** `{occ.name}` (asserted by the authenticator; not declared in a policy)"]
    if users:
        lines.append("- declared users in it: " + ", ".join(f"`{u}`" for u in users))
    return "\n".join(lines)


def _psp(index: Index, occ: Occurrence) -> str:
    psp = next((p for p in index.policy.psps if p.name.text == occ.name), None)
    if psp is None:
        levels = ", ".join(f"`{lv}`" for lv in LEVELS)
        return f"**pod-security policy** `{occ.name}`: not declared (PC103); the built-in levels are {levels}"
    lines = [f"**pod-security policy** `{psp.name.text}` ({_where(psp.name.span)})", "", "```policy"]
    lines += [_statement(index.sources, s.span) for s in psp.settings]
    return "\n".join([*lines, "```"])

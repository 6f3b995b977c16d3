"""The plan as policy files: one per namespace, one for cluster-scoped access.

Layout (docs/migrating.md): `cluster.policy` holds the target release, ClusterRoles, teams
whose grants span namespaces or the cluster, grants `in cluster` and pod-security policies;
`namespaces/NS.policy` holds the namespace block (labels, pod security, limits, quota and its
grants), its Roles, its service accounts and the teams that act only there. The text is
written in `policyc fmt`'s canonical layout and then passed through the formatter itself.
"""

from __future__ import annotations

import re
from collections import defaultdict

from policyc.fmt import format_text, layout
from policyc.fmt.tokens import pieces
from policyc.importer.plan import LRule, PGrant, Plan, PRole, PSubject, PTeam
from policyc.syntax.lexer import WORD_RE
from policyc.syntax.tokens import split

_WORD = re.compile(WORD_RE + r"\Z")
IND = "  "
CLIENT_CA = "/etc/kubernetes/pki/ca.crt"  # kubeadm's client CA (its PKI layout)
PSP_CLUSTER = [
    "# PodSecurityPolicies are in force: PodSecurityPolicy admission must stay on. Add the cluster's",
    "# other admission plugins here before you use the kube-apiserver patch in out/apiserver/.",
    "cluster {",
    f"{IND}admission PodSecurityPolicy",
    "}",
]


WIDTH = 100


def wrap(line: str) -> list[str]:
    """A line longer than WIDTH broken after commas (outside quoted strings), filling each line.

    The continuation lines are indented deeper than the statement, which makes them continue it
    (syntax/lexer.py); `policyc fmt` keeps such breaks and sets their indentation.
    """
    if len(line) <= WIDTH or line.lstrip().startswith("#"):
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    parts, start, quoted, escaped = [], 0, False, False
    for i, ch in enumerate(line):
        if quoted:
            escaped = ch == "\\" and not escaped
            quoted = not (ch == '"' and not escaped)
        elif ch == '"':
            quoted = True
        elif ch == "," and line[i + 1 : i + 2] == " ":
            parts.append(line[start : i + 1])
            start = i + 2
    parts.append(line[start:])
    out, current = [], parts[0]
    for part in parts[1:]:
        if len(current) + 1 + len(part) > WIDTH:
            out.append(current)
            current = indent + IND * 2 + part
        else:
            current += " " + part
    return [*out, current]


def q(text: str, reserved: tuple[str, ...] = ()) -> str:
    """`text` as a bare word when the lexer reads it back as the same name, else a quoted string."""
    if _WORD.match(text) and text not in reserved:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def ns_name(text: str) -> str:
    """A namespace in an `in` list (`cluster` is the keyword there, so a namespace of that name is quoted)."""
    return q(text, ("cluster",))


def subject(s: PSubject) -> str:
    """`user NAME`, `group NAME`, `serviceaccount NS/NAME`, `team NAME` or `everyone`."""
    return "everyone" if s.kind == "everyone" else f"{s.kind} {q(s.name)}"


def subjects(ss: tuple[PSubject, ...]) -> str:
    """Comma-separated subjects."""
    return ", ".join(subject(s) for s in ss)


def rule(r: LRule) -> str:
    """`VERBS TARGETS [named NAMES]` (a verb named `role` is quoted: after `grant` it is the keyword)."""
    text = ", ".join(q(v, ("role",)) for v in r.verbs) + " " + ", ".join(q(t) for t in r.targets)
    if r.names:
        text += " named " + ", ".join(q(n) for n in r.names)
    return text


def role_decl(role: PRole) -> list[str]:
    """A `role` declaration."""
    head = f"role {q(role.name)}"
    if role.namespace:
        head += f" in {q(role.namespace)}"
    if role.aggregates:
        return [f"{head} aggregates {', '.join(q(a) for a in role.aggregates)}"]
    if role.aggregate_to:
        head += f" aggregate-to {', '.join(q(a) for a in role.aggregate_to)}"
    if not role.rules:
        return [head + " {", "}"]
    return [head + " {", *(IND + rule(r) for r in role.rules), "}"]


def _what(g: PGrant) -> list[str]:
    """`role NAME`, or one rule per line for an inline grant."""
    return [rule(r) for r in g.rules] if g.rules else [f"role {q(g.role)}"]


def _grant_lines(g: PGrant, *, to: bool = True, place: str | None = "") -> list[str]:
    out = []
    for what in _what(g):
        text = f"grant {what}"
        if to:
            text += f" to {subjects(g.subjects)}"
        if place is None:
            text += " in cluster"
        elif place:
            text += f" in {place}"
        out.append(text)
    return out


def team_block(team: PTeam, grants: list[PGrant]) -> list[str]:
    """`team NAME { members ...; grant ... }` with grants of one role merged across namespaces."""
    lines = [f"team {q(team.name)} {{", f"{IND}members {subjects(team.members)}"]
    places: dict[str, list[str]] = defaultdict(list)
    cluster: set[str] = set()
    for g in grants:
        for what in _what(g):
            if g.scope is None:
                cluster.add(what)
            else:
                places[what].append(g.scope)
    for what in sorted(set(places) | cluster, key=lambda w: (not w.startswith("role "), w)):
        if what in places:
            lines.append(f"{IND}grant {what} in {', '.join(ns_name(n) for n in sorted(set(places[what])))}")
        if what in cluster:
            lines.append(f"{IND}grant {what} in cluster")
    return [*lines, "}"]


def namespace_block(plan: Plan, name: str, grants: list[PGrant]) -> list[str]:
    """`namespace NAME { labels, pod-security, limits, quota, grants }`."""
    ns = plan.namespaces[name]
    body: list[str] = []
    if ns.labels:
        body.append("labels " + ", ".join(q(f"{k}={v}") for k, v in ns.labels))
    if ns.pod_security:
        body.append("pod-security " + ", ".join(" ".join(w for w in mode if w) for mode in ns.pod_security))
    if ns.profile:
        body.append(f"pod-security {q(ns.profile)}")
    if ns.limits:
        rows: dict[tuple[str, str], list[str]] = {}
        for typ, kind, resource, qty in ns.limits:
            rows.setdefault((typ, kind), []).append(f"{q(resource)} {q(qty)}")
        order = ("container", "pod", "pvc"), ("max", "min", "default", "default-request", "max-ratio")
        body.append("limits {")
        for typ, kind in sorted(rows, key=lambda k: (order[0].index(k[0]), order[1].index(k[1]))):
            body.append(f"{IND}{typ} {kind} " + ", ".join(rows[(typ, kind)]))
        body.append("}")
    if ns.quota:
        body.append("quota " + ", ".join(f"{q(k)} {q(v)}" for k, v in ns.quota))
    body += [line for g in grants for line in _grant_lines(g, place="")]
    return [f"namespace {q(name)} {{", *(IND + line for line in body), "}"]


def _dedupe(grants: list[PGrant]) -> list[PGrant]:
    seen: dict[tuple, PGrant] = {}
    for g in grants:
        key = (g.role, g.role_ns, g.scope, g.subjects, g.rules)
        if key in seen:
            seen[key].docs.extend(g.docs)
        else:
            seen[key] = PGrant(g.role, g.scope, g.subjects, list(g.docs), g.rules, g.role_ns)
    return sorted(seen.values(), key=lambda g: (g.scope or "", g.role == "", g.role, g.subjects, g.rules))


def render(plan: Plan, teams: list[PTeam], grants: list[PGrant], header: list[str] | None = None) -> dict[str, str]:
    """Every file of the imported policy (relative path -> text), formatted."""
    grants = _dedupe(grants)
    team_grants: dict[str, list[PGrant]] = defaultdict(list)
    other: list[PGrant] = []
    for g in grants:
        if len(g.subjects) == 1 and g.subjects[0].kind == "team":
            team_grants[g.subjects[0].name].append(g)
        else:
            other.append(g)
    files: dict[str, list[list[str]]] = defaultdict(list)  # file -> declarations (lists of lines)
    cluster = "cluster.policy"
    files[cluster].append([*(header or []), f"kubernetes {plan.release[0]}.{plan.release[1]}"])
    if plan.psp_admission or plan.users:
        body = PSP_CLUSTER[:-1] if plan.psp_admission else ["cluster {"]
        if plan.users:
            body += [f"{IND}authentication {{",
                     f"{IND}{IND}# The client CA is not in the objects: this is kubeadm's; use the cluster's",
                     f"{IND}{IND}# `--client-ca-file` (PC627).",
                     f"{IND}{IND}certificates ca {CLIENT_CA}", f"{IND}}}"]
        files[cluster].append([*body, "}"])
    if plan.users:
        files[cluster].append([f"user {q(user)} auth certificate" + (f" groups {', '.join(q(g) for g in groups)}"
                                                                     if groups else "")
                               for user, groups in sorted(plan.users.items())])
    for psp in sorted(plan.psps.values(), key=lambda p: p.name):
        files[cluster].append([f"pod-security-policy {q(psp.name)} {{", *(IND + s for s in psp.settings), "}"])
    for (ns, _name), role in sorted(plan.roles.items()):
        files[f"namespaces/{ns}.policy" if ns else cluster].append(role_decl(role))
    for team in sorted(teams, key=lambda t: t.name):
        gs = team_grants.get(team.name, [])
        scopes = {g.scope for g in gs}
        where = f"namespaces/{next(iter(scopes))}.policy" if len(scopes) == 1 and None not in scopes else cluster
        files[where].append(team_block(team, gs))
    in_ns: dict[str, list[PGrant]] = defaultdict(list)
    for g in other:
        if g.scope is None:
            files[cluster].append(_grant_lines(g, place=None))
        elif g.scope in plan.namespaces and plan.namespaces[g.scope].declared:
            in_ns[g.scope].append(g)
        else:
            files[f"namespaces/{g.scope}.policy"].append(_grant_lines(g, place=ns_name(g.scope)))
    for name, ns in sorted(plan.namespaces.items()):
        if ns.declared or ns.limits or ns.quota or ns.pod_security or ns.labels or ns.profile:
            files[f"namespaces/{name}.policy"].insert(0, namespace_block(plan, name, in_ns.get(name, [])))
    for ns, sa in sorted(plan.serviceaccounts):
        files[f"namespaces/{ns}.policy"].append([f"serviceaccount {q(f'{ns}/{sa}')}"])
    out: dict[str, str] = {}
    for path, decls in sorted(files.items()):
        text = "\n\n".join("\n".join(w for line in d for w in wrap(line)) for d in decls) + "\n"
        if in_layout(text):
            out[path] = text
            continue
        formatted = format_text(text, path)
        out[path] = formatted.text if formatted.text is not None else text
    return out


def in_layout(text: str) -> bool:
    """Whether `render` keeps `text` as it is, known without the parser: the canonical layout of its
    tokens as `split` cuts them is the text itself.

    Exact: the layout reads where tokens start and end, line breaks, braces, commas and comments,
    never whether a word is a keyword (fmt/layout.py), and `split` cuts a text as the parser-driven
    `lex` does. So a text that parses formats to itself; one that does not is refused by the
    formatter, and `render` keeps it as it is too. Anything else (different, or not even cut into
    tokens) goes to the formatter (issue 19: its parser-driven lex was most of rendering's time).
    """
    try:
        stream = list(pieces(text, split))
        return layout.render(layout.build(stream)) == text
    except Exception:  # input the layout cannot even group: the formatter decides
        return False

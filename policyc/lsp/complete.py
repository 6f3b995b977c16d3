"""Completion: what may come next at the cursor, as the compiler's own parser sees it.

The text before the word being typed is fed to the LALR parser through the compiler's lexer
(`policyc.syntax.tokens.accepts`); the terminals the parser would accept next give the keywords,
and the statement read so far says which names fit: declared (and referenced) roles, teams,
users, groups, service accounts and namespaces, built-in roles, and the verbs and resources
of the target release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyc.k8s.bootstrap import AGGREGATE_LABELS, builtin_cluster_roles
from policyc.k8s.releases import ANY_SUBRESOURCE, SUPPORTED, Release, format_version
from policyc.k8s.rules import VERB_ALIASES
from policyc.lsp.index import LEVELS, Index
from policyc.syntax.lexer import WORD_RE
from policyc.syntax.tokens import Tok, accepts, keyword_terminals

_WORD = re.compile(WORD_RE)
_NOT_KEYWORDS = frozenset({"WORD", "STRING", "COMMA", "LBRACE", "RBRACE", "_NL"})
SUBJECT_KINDS = ("user", "group", "serviceaccount", "team")
AUTH_KINDS = ("certificate", "token", "basic", "oidc")
POD_SECURITY_MODES = ("enforce", "warn", "audit")
LIMIT_TYPES = ("container", "pod", "pvc")
LIMIT_KINDS = ("max", "min", "default", "default-request", "max-ratio")
# kube-apiserver --authorization-mode: "Comma-separated list of plugins ... AlwaysAllow,
# AlwaysDeny,ABAC,Webhook,RBAC,Node" (kube-apiserver reference, kubernetes.io).
AUTHORIZATION_MODES = ("Node", "RBAC", "Webhook", "ABAC", "AlwaysAllow", "AlwaysDeny")


@dataclass(frozen=True)
class CompletionContext:
    """What fits at the cursor: keywords the parser accepts, and the kind of name (if any)."""

    keywords: tuple[str, ...]
    want: str | None
    parsed: bool = True


def _is_keyword(tok: Tok) -> bool:
    return tok.type not in _NOT_KEYWORDS


def _list_index(tokens: list[Tok]) -> int:
    """Which comma-separated list the next word starts or continues (0 = first)."""
    index, after_name = 0, False
    for tok in tokens:
        if tok.type == "COMMA":
            after_name = False
        else:
            index += after_name
            after_name = True
    return index + after_name


def _rule_part(tokens: list[Tok]) -> str | None:
    """In a rule, verbs come first, then resources (`get, list pods, pods/log`)."""
    index = _list_index(tokens)
    return ("verb", "resource")[index] if index < 2 else None


def context(before: str) -> CompletionContext:
    """The completion context for a word starting right after `before` (the text up to it)."""
    parsed = accepts(before)
    if parsed is None:
        return CompletionContext(tuple(sorted(keyword_terminals().values())), None, parsed=False)
    tokens, next_terms = parsed
    words = keyword_terminals()
    keywords = tuple(sorted(words[t] for t in next_terms if t in words))
    heads: list[str] = []
    stmt: list[Tok] = []
    for tok in tokens:
        if tok.type == "_NL":
            stmt = []
        elif tok.type == "LBRACE":
            heads.append(stmt[0].value if stmt else "")
            stmt = []
        elif tok.type == "RBRACE":
            if heads:
                heads.pop()
            stmt = []
        else:
            stmt.append(tok)
    want = _want(stmt, heads[-1] if heads else "") if "WORD" in next_terms else None
    return CompletionContext(keywords, want)


def _want(stmt: list[Tok], head: str) -> str | None:
    k = len(stmt) - 1
    while k >= 0 and not _is_keyword(stmt[k]):
        k -= 1
    rest = stmt[k + 1 :]
    fresh = not rest or rest[-1].type == "COMMA"  # a list's first word, or one after a comma
    if k < 0:
        if head == "role":  # a rule of a role's block
            return _rule_part(rest)
        if head == "limits":
            return ("limit-type", "limit-kind")[len(rest)] if len(rest) < 2 else None
        return None
    keyword = stmt[k].value
    if keyword in ("grant", "forbid", "can", "cannot"):
        return _rule_part(rest)
    if not fresh:
        return None
    if keyword == "role":
        return "role" if k > 0 else None  # `grant role NAME`, not `role NAME { }`
    if keyword in SUBJECT_KINDS:
        return keyword if k > 0 else None  # a subject, not a declaration
    return {
        "aggregates": "cluster-role",
        "aggregate-to": "aggregation-target",
        "groups": "group",
        "in": "namespace",
        "auth": "auth",
        "pod-security": "pod-security",
        "authorization": "authorization-mode",
        "kubernetes": "release",
        "class": "class",
        "matching": "label",
        "allow": "code",
    }.get(keyword)


@dataclass(frozen=True)
class Candidate:
    """One completion: the text, its kind (an LSP CompletionItemKind name) and a short detail."""

    label: str
    kind: str
    detail: str = ""


def _names(index: Index, kind: str) -> list[str]:
    return sorted({o.name for occs in index.by_file.values() for o in occs if o.kind == kind})


def _resources(release: Release) -> list[Candidate]:
    out = [Candidate("*", "Field", "every resource of every group")]
    for group in sorted(release.groups()):
        for info in release.resources(group):
            scope = "namespaced" if info.namespaced else "cluster-scoped"
            version = info.versions[0] if info.versions else ""
            where = f"{group}/{version}" if group and version else version
            detail = ", ".join(x for x in (where, scope) if x)
            out.append(Candidate(info.qualified_name, "Field", detail))
            for sub in sorted(info.subresources):
                if sub != ANY_SUBRESOURCE:
                    out.append(Candidate(f"{info.qualified_name}/{sub}", "Field", f"subresource, {detail}"))
    return out


def candidates(ctx: CompletionContext, index: Index | None, release: Release) -> list[Candidate]:
    """Every completion for a context: keywords first, then names."""
    out = [Candidate(k, "Keyword") for k in ctx.keywords]
    want = ctx.want
    declared_roles = sorted({o.name for o in index.decls_of("role")}) if index else []
    if want == "role" or (not ctx.parsed and index):
        out += [Candidate(n, "Class", "declared role") for n in declared_roles]
        out += [Candidate(n, "Class", "built-in ClusterRole") for n in sorted(builtin_cluster_roles())]
    elif want == "cluster-role" and index:
        out += [Candidate(o.name, "Class", "declared ClusterRole") for o in index.decls_of("role") if not o.namespace]
    elif want == "aggregation-target":
        out += [Candidate(n, "Class", "built-in aggregated ClusterRole") for n in sorted(AGGREGATE_LABELS)]
        if index:
            out += [
                Candidate(r.name.text, "Class", "declared aggregated role")
                for r in index.policy.roles if r.is_aggregate
            ]
    elif want in SUBJECT_KINDS and index:
        out += [Candidate(n, "Reference", want) for n in _names(index, want)]
    elif want == "namespace" and index:
        out += [Candidate(n, "Module", "namespace") for n in _names(index, "namespace")]
    elif want == "verb":
        out += [Candidate(a, "Operator", "= " + ", ".join(v)) for a, v in VERB_ALIASES.items()]
        out += [Candidate("*", "Operator", "every verb")]
        out += [Candidate(v, "Operator", f"Kubernetes {release.label}") for v in sorted(release.verbs)]
    elif want == "resource":
        out += _resources(release)
    elif want == "pod-security":
        out += [Candidate(level, "EnumMember", "Pod Security Standards level") for level in LEVELS]
        out += [Candidate(mode, "EnumMember", "mode: enforce, warn or audit LEVEL") for mode in POD_SECURITY_MODES]
        if index:
            out += [Candidate(p.name.text, "Interface", "pod-security-policy") for p in index.policy.psps]
    elif want == "auth":
        out += [Candidate(a, "EnumMember", "authentication") for a in AUTH_KINDS]
    elif want == "limit-type":
        out += [Candidate(t, "EnumMember", "LimitRange type") for t in LIMIT_TYPES]
    elif want == "limit-kind":
        out += [Candidate(k, "EnumMember", "LimitRange bound") for k in LIMIT_KINDS]
    elif want == "authorization-mode":
        out += [Candidate(mode, "EnumMember", "--authorization-mode") for mode in AUTHORIZATION_MODES]
    elif want == "class" and index:
        out += [Candidate(c.name.text, "Class", "namespace class") for c in index.policy.namespace_classes]
    elif want == "label" and index:
        labels = {f"{k.text}={v.text}" for n in index.policy.namespaces for k, v in n.labels}
        labels |= {f"{k.text}={v.text}" for c in index.policy.namespace_classes for k, v in c.body.labels}
        out += [Candidate(x, "Value", "namespace label") for x in sorted(labels)]
    elif want == "code":
        from policyc.rules import WARNING, all_rules

        out += [Candidate(code, "Constant", r.summary) for code, r in all_rules().items() if r.severity is WARNING]
    elif want == "release":
        out += [Candidate(format_version(v), "Constant", "supported release") for v in reversed(SUPPORTED)]
    seen: set[str] = set()
    unique = []
    for c in out:
        if c.label not in seen:
            seen.add(c.label)
            unique.append(c)
    return unique


def needs_quotes(text: str) -> bool:
    """Whether a name must be written as a "quoted string" (it is not a bare word)."""
    return _WORD.fullmatch(text) is None

"""Document symbols: the declarations of one file, nested as written (grants inside their team
or namespace, rules inside their role)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lsprotocol import types

from policyc import model as m
from policyc.lsp.positions import LineMap
from policyc.source import Span

K = types.SymbolKind


@dataclass
class _Node:
    name: str
    kind: types.SymbolKind
    span: Span
    name_span: Span
    detail: str = ""
    children: list[_Node] = field(default_factory=list)


def _text(text: str, span: Span) -> str:
    """The first line of a span's text, blanks squeezed (a symbol's name for a statement)."""
    return " ".join(text[span.start : span.end].split("\n", 1)[0].split()) or "?"


def _nodes(policy: m.Policy, text: str) -> list[_Node]:
    nodes: list[_Node] = []
    for w in policy.kubernetes_decls:
        nodes.append(_Node(f"kubernetes {w.text}", K.Constant, w.span, w.span, "target release"))
    for c in policy.clusters:
        nodes.append(_Node("cluster", K.Object, c.span, c.span, "kube-apiserver settings"))
    for u in policy.users:
        nodes.append(_Node(u.name.text, K.Variable, u.span, u.name.span, f"user, auth {u.auth.text}"))
    for sa in policy.serviceaccounts:
        nodes.append(_Node(sa.ref.text, K.Variable, sa.span, sa.ref.span, "serviceaccount"))
    for t in policy.teams:
        node = _Node(t.name.text, K.Struct, t.span, t.name.span, "team")
        if t.members:
            first, last = t.members[0].span, t.members[-1].span
            span = Span(first.file, first.line, first.col, last.end_line, last.end_col, first.start, last.end)
            node.children.append(_Node("members", K.Field, span, span, ", ".join(str(s) for s in t.members)))
        nodes.append(node)
    for r in policy.roles:
        detail = "aggregated ClusterRole" if r.is_aggregate else "ClusterRole"
        if r.namespace:
            detail = f"Role in {r.namespace.text}"
        node = _Node(r.name.text, K.Class, r.span, r.name.span, detail)
        node.children = [_Node(_text(text, rule.span), K.Field, rule.span, rule.span, "rule") for rule in r.rules]
        nodes.append(node)
    for ns in policy.namespaces:
        nodes.append(_Node(ns.name.text, K.Namespace, ns.span, ns.name.span, "namespace"))
    for p in policy.psps:
        nodes.append(_Node(p.name.text, K.Interface, p.span, p.name.span, "pod-security-policy"))
    for g in policy.grants:
        nodes.append(_Node(_text(text, g.span), K.Event, g.span, g.span, "grant"))
    for guard in policy.guards:
        nodes.append(_Node(_text(text, guard.span), K.Key, guard.span, guard.span, "guard"))
    return nodes


def _nest(nodes: list[_Node]) -> list[_Node]:
    """Put each node inside the innermost node whose span contains it."""
    nodes.sort(key=lambda n: (n.span.start, -n.span.end))
    roots: list[_Node] = []
    stack: list[_Node] = []
    for node in nodes:
        while stack and not (stack[-1].span.start <= node.span.start and node.span.end <= stack[-1].span.end):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def document_symbols(policy: m.Policy, text: str, lines: LineMap) -> list[types.DocumentSymbol]:
    """The outline of one file (its own lowered model)."""

    def convert(node: _Node) -> types.DocumentSymbol:
        full = lines.span_range(node.span)
        name = lines.span_range(node.name_span)
        return types.DocumentSymbol(
            name=node.name,
            kind=node.kind,
            range=full,
            selection_range=name,
            detail=node.detail or None,
            children=[convert(c) for c in sorted(node.children, key=lambda c: c.span.start)] or None,
        )

    return [convert(n) for n in _nest(_nodes(policy, text))]

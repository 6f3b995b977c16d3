"""Namespace classes, selectors and places (PC105-PC109, PC240), resolved into plain declarations.

The check stage runs this first: what comes out is a Policy without classes or selectors, so
every later check, the backends and the access engine see ordinary namespace blocks, grants and
guards (docs/language.md, "Intent and reuse"):
- `namespace N, M class C { ... }`: each namespace gets a block derived from class C holding
  what its own blocks do not set (labels by key, limits by type, kind and resource, quota by
  resource, pod security as a whole); the class's grants apply in every namespace of the class;
- `in namespaces matching k=v, k!=v, k, !k`: the declared namespaces whose labels (class labels
  included) satisfy every term, with Kubernetes label-selector semantics;
- a place that no namespace block declares, that is not built in, and that is a small edit
  away from a declared namespace is probably a typo (PC106, "did you mean").
"""

from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from policyc import model as m
from policyc.check.context import Context
from policyc.diagnostics import Label
from policyc.rules import ERROR, WARNING, Rule, register

T = TypeVar("T", m.Grant, m.Guard, m.Expectation)

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC105", ERROR, "undefined namespace class (with \"did you mean\")", example="`namespace web class wbe`"),
    Rule(
        "PC106", WARNING,
        "a place no `namespace` block declares, close to one that is declared (\"did you mean\")",
        example="`grant role view to group g in web-prd` with `namespace web-prod { }`",
    ),
    Rule(
        "PC107", WARNING, "a selector on a label key no declared namespace has",
        example="`in namespaces matching tema=web`",
    ),
    Rule("PC108", WARNING, "a selector that matches no declared namespace", example="`in namespaces matching env=qa`"),
    Rule("PC109", WARNING, "a namespace class that no namespace uses", example="`namespace-class batch { }` alone"),
    Rule(
        "PC240", ERROR, "a namespace given two different classes",
        example="`namespace web class team` and `namespace web class batch`",
    ),
)

# Namespaces every cluster has (kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
# "Initial namespaces"); naming one without declaring it is never a typo.
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def close_namespace(name: str, declared: set[str]) -> str | None:
    """The declared namespace `name` is probably a typo of: at most 2 edits, and at most a third of the name."""
    best = sorted((_distance(name, d), d) for d in declared)
    if best and best[0][0] <= 2 and best[0][0] * 3 <= len(name):
        return best[0][1]
    return None


def _class_table(ctx: Context) -> dict[str, m.NamespaceClass]:
    table: dict[str, m.NamespaceClass] = {}
    for c in ctx.policy.namespace_classes:
        first = table.get(c.name.text)
        if first is not None:
            ctx.error(
                "PC110", f"namespace-class `{c.name.text}` is declared twice", c.name.span,
                "remove one declaration or rename it; a namespace-class is declared once for the whole policy",
                (Label(first.name.span, "first declared here"),),
            )
            continue
        table[c.name.text] = c
    return table


def _derived(name: str, own: list[m.Namespace], cls: m.NamespaceClass) -> m.Namespace:
    """The block class `cls` adds to namespace `name`: what the namespace's own blocks do not set."""
    body = cls.body
    keys = {k.text for b in own for k, _ in b.labels}
    cells = {(i.type.text, i.kind.text, i.amount.resource.text) for b in own for i in b.limits}
    quota = {a.resource.text for b in own for a in b.quota}
    limits = tuple(i for i in body.limits if (i.type.text, i.kind.text, i.amount.resource.text) not in cells)
    amounts = tuple(a for a in body.quota if a.resource.text not in quota)
    return m.Namespace(
        m.Word(name, cls.name.span),
        tuple(kv for kv in body.labels if kv[0].text not in keys),
        () if any(b.pod_security for b in own) else body.pod_security,
        limits,
        body.limits_span if limits else None,
        amounts,
        body.quota_span if amounts else None,
        cls.span,
        None,
        cls.name.text,
    )


def _classes(ctx: Context) -> tuple[list[m.Namespace], dict[str, list[str]]]:
    """The blocks classes add, and the namespaces of each class (PC105, PC109, PC240)."""
    classes = _class_table(ctx)
    own: dict[str, list[m.Namespace]] = defaultdict(list)
    chosen: dict[str, m.Word] = {}
    for ns in ctx.policy.namespaces:
        own[ns.name.text].append(ns)
        if ns.cls is None:
            continue
        first = chosen.get(ns.name.text)
        if first is not None and first.text != ns.cls.text:
            ctx.error(
                "PC240", f"namespace `{ns.name.text}` is given two classes, `{first.text}` and `{ns.cls.text}`",
                ns.cls.span, "a namespace takes one class: keep one, and write what differs in its own block",
                (Label(first.span, "first class given here"),),
            )
        elif first is None:
            if ns.cls.text not in classes:
                close = difflib.get_close_matches(ns.cls.text, sorted(classes), n=1, cutoff=0.6)
                ctx.error(
                    "PC105", f"undefined namespace class `{ns.cls.text}`", ns.cls.span,
                    f"did you mean `{close[0]}`?" if close else "declare it with `namespace-class NAME { ... }`",
                )
            chosen[ns.name.text] = ns.cls
    members: dict[str, list[str]] = defaultdict(list)
    derived = []
    for name in sorted(chosen):
        cls = classes.get(chosen[name].text)
        if cls is not None:
            members[cls.name.text].append(name)
            derived.append(_derived(name, own[name], cls))
    for name, cls in sorted(classes.items()):
        if name not in members:
            ctx.warn(
                "PC109", f"namespace class `{name}` is not used by any namespace", cls.name.span,
                f"use it with `namespace NAME class {name}`, or remove it",
            )
    return derived, members


def namespace_labels(namespaces: tuple[m.Namespace, ...]) -> dict[str, dict[str, str]]:
    """Each declared namespace's labels, every block (class blocks included) merged."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for ns in namespaces:
        labels = out[ns.name.text]
        for k, v in ns.labels:
            labels.setdefault(k.text, v.text)
    return dict(out)


def resolve_selector(ctx: Context, sel: m.Selector, labels: dict[str, dict[str, str]]) -> tuple[m.Word, ...]:
    """The declared namespaces a selector matches (PC107 unknown key, PC108 no match)."""
    keys = {k for ls in labels.values() for k in ls}
    unknown = False
    for term in sel.terms:
        if term.key.text not in keys:
            unknown = True
            close = difflib.get_close_matches(term.key.text, sorted(keys), n=1, cutoff=0.6)
            ctx.warn(
                "PC107", f"no declared namespace has the label `{term.key.text}`", term.key.span,
                f"did you mean `{close[0]}`?" if close else "add it with `labels` in the namespaces (or their class)",
            )
    matched = tuple(m.Word(n, sel.span) for n in sorted(labels) if sel.matches(labels[n]))
    if not matched and not unknown:
        ctx.warn(
            "PC108", f"`{sel}` matches no declared namespace", sel.span,
            "check the labels of the namespaces (`labels k=v`), or remove the statement",
        )
    return matched


def _typos(ctx: Context, words: tuple[m.Word, ...], declared: set[str]) -> None:
    for w in words:
        if w.text in declared or w.text in BUILTIN_NAMESPACES:
            continue
        close = close_namespace(w.text, declared)
        if close is not None:
            ctx.warn(
                "PC106", f"namespace `{w.text}` is not declared; did you mean `{close}`?", w.span,
                f"write `{close}`, or declare `namespace {w.text} {{ ... }}` if it is meant",
            )


def _placed(ctx: Context, item: T, labels: Callable[[], dict[str, dict[str, str]]], declared: set[str]) -> T | None:
    """A grant, guard or expectation with its selector resolved to namespaces; None when the
    selector matches none (it then applies nowhere: a guard holds vacuously, never "every
    namespace"). Without a selector its places are checked for typos."""
    if item.selector is None:
        _typos(ctx, item.namespaces, declared)
        return item
    found = resolve_selector(ctx, item.selector, labels())
    return replace(item, namespaces=found) if found else None


def apply_intent(ctx: Context) -> m.Policy:
    """The policy with classes applied and selectors resolved (see the module docstring)."""
    p = ctx.policy
    derived, members = _classes(ctx)
    namespaces = p.namespaces + tuple(derived)
    # `namespace_labels`, made when a selector first asks: a policy without selectors (most) never
    # pays for a pass over every namespace's label words, scattered in a large heap (a cache miss
    # per word at thousands of namespaces: the pass grew 12x for 10x).
    labels = functools.cache(functools.partial(namespace_labels, namespaces))
    declared = {ns.name.text for ns in namespaces}  # `namespace_labels`' keys

    grants = []
    for g in p.grants:
        if g.namespace_class:
            # A grant in a class block applies in every namespace of the class (none: it applies nowhere).
            names = members.get(g.namespace_class, [])
            if names:
                grants.append(replace(g, namespaces=tuple(m.Word(n, g.span) for n in names)))
        elif (placed := _placed(ctx, g, labels, declared)) is not None:
            grants.append(placed)
    guards = [x for x in (_placed(ctx, guard, labels, declared) for guard in p.guards) if x is not None]
    expectations = [x for x in (_placed(ctx, e, labels, declared) for e in p.expectations) if x is not None]

    for role in p.roles:
        if role.namespace is not None:
            _typos(ctx, (role.namespace,), declared)
    return replace(p, namespaces=namespaces, grants=tuple(grants), guards=tuple(guards),
                   expectations=tuple(expectations))

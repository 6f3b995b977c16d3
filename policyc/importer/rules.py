"""RBAC PolicyRules to rules of the language, and back: the exact inverse of check/grants.py.

A rule is split into atoms (one verb, group and resource, or one URL), merged again with
`policyc.k8s.rules.merge` (the same canonical merge the compiler uses) and written one line
per verb set and resourceNames, resources of every group on that line, sorted. Verb sets
that contain `read` (get, list, watch) or `write` (create, update, patch, delete,
deletecollection) are written with the alias.

Two kinds of atoms need care:
- *dead* atoms name a resource that a built-in API group of the target release does not
  serve (`deployments` in the core group, `deployments.extensions` on 1.16+), or a verb the
  release does not know on a built-in group. The API server would authorize such a request
  but can never serve one, so they grant nothing; the importer leaves them out and says so.
  The core group serves no resource whose name holds a dot, so such atoms are dead too.
- atoms the language cannot write: resources of the core group by wildcard (`apiGroups: [""]`
  with `resources: ["*"]`), an unknown verb on every group (`apiGroups: ["*"]`) or on a URL
  (one that is not an HTTP method). The whole object is then kept as it is. Verbs a custom
  resource's API defines (`knsubscribe`) and every HTTP method on URLs (`head /healthz`) are written.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from policyc.check.rules import HTTP_VERBS
from policyc.importer.plan import LRule
from policyc.k8s.releases import Release, check_resource, load_release, parse_resource
from policyc.k8s.rules import VERB_ALIASES, Atom, PolicyRule, expand_verbs, merge, split_resource

ALL = "*"


def target_text(group: str, resource: str) -> str | None:
    """How the language writes `resource` of `group` (`deployments.apps/scale`), or None if it cannot."""
    base, slash, sub = resource.partition("/")
    if not base or (slash and not sub):
        return None
    if group == ALL:
        text = ALL if base == ALL else f"{base}.*"
    elif group == "":
        if base == ALL or "." in base:
            return None
        text = base
    else:
        text = f"{base}.{group}"
    text += slash + sub
    return text if split_resource(text) == (group, resource) else None


def is_dead(atom: Atom, release: Release) -> bool:
    """Whether the atom names something a built-in group of the release can never serve."""
    return _is_dead(Atom(atom.verb, atom.group, atom.resource, (), atom.url), release.version)


@functools.lru_cache(maxsize=65536)
def _is_dead(atom: Atom, version: tuple[int, int]) -> bool:
    release = load_release(version)
    if atom.url or atom.group == ALL or not release.has_group(atom.group):
        return False
    if atom.verb != ALL and not release.is_known_verb(atom.verb):
        return True
    if atom.resource == ALL:
        return False
    if atom.group == "" and "." in atom.resource.partition("/")[0]:
        return True  # the core group serves no resource whose name holds a dot
    text = target_text(atom.group, atom.resource)
    if text is None:
        return False
    try:
        ref = parse_resource(text)
    except ValueError:
        return False
    return check_resource(release, ref, verbs=(atom.verb,)) is not None


def url_text(url: str) -> str:
    """A non-resource URL as the language writes it: `*` becomes `/*`.

    Every request path starts with `/`, so `/*` (the prefix `/`) matches exactly the paths `*`
    matches (NonResourceURLMatches in pkg/apis/rbac/v1/evaluation_helpers.go), and the
    language reads a target that does not start with `/` as a resource.
    """
    return "/*" if url == ALL else url


def rule_atoms(rule: PolicyRule) -> list[Atom]:
    """The atoms of a Kubernetes PolicyRule (groups x resources x verbs, or URLs x verbs)."""
    names = tuple(sorted(set(rule.resource_names)))
    out = [Atom(v, "", "", (), url_text(u)) for u in rule.non_resource_urls for v in rule.verbs]
    out += [Atom(v, g, r, names) for g in rule.api_groups for r in rule.resources for v in rule.verbs]
    return out


@dataclass
class Translated:
    """Rules as the language writes them, what was left out, and what cannot be written."""

    rules: tuple[LRule, ...] = ()
    dead: list[Atom] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def alias_verbs(verbs: Iterable[str]) -> tuple[str, ...]:
    """Verbs in canonical order, with `read` and `write` standing for the sets they contain."""
    vs = list(expand_verbs(verbs))
    if vs == [ALL]:
        return (ALL,)
    out: list[str] = []
    for alias in ("read", "write"):
        members = VERB_ALIASES[alias]
        if all(v in vs for v in members):
            out.append(alias)
            vs = [v for v in vs if v not in members]
    return (*out, *vs)


def describe_atom(a: Atom) -> str:
    """`get deployments.extensions` / `post /api` for messages."""
    target = a.url or target_text(a.group, a.resource) or f"{a.resource} (group `{a.group}`)"
    return f"{a.verb} {target}"


def translate_rules(rules: Iterable[PolicyRule], release: Release) -> Translated:
    """The language rules for Kubernetes PolicyRules (merged, sorted, aliases applied)."""
    out = Translated()
    live: list[Atom] = []
    for rule in rules:
        for a in rule_atoms(rule):
            if is_dead(a, release):
                out.dead.append(a)
                continue
            if a.url:
                if a.verb != ALL and not release.is_known_verb(a.verb) and a.verb not in HTTP_VERBS:
                    out.problems.append(f"verb `{a.verb}` on non-resource URL `{a.url}` is not an HTTP method")
                    continue
            else:
                if target_text(a.group, a.resource) is None:
                    where = "the core group" if a.group == "" else f"group `{a.group}`"
                    out.problems.append(f"resource `{a.resource}` of {where} cannot be written in the language")
                    continue
                # A custom resource's API may define its own verbs (Knative's `knsubscribe`); the
                # checker accepts them on groups the release does not build in (check/rules.py).
                if (a.verb != ALL and not release.is_known_verb(a.verb)
                        and (a.group == ALL or release.has_group(a.group))):
                    out.problems.append(f"verb `{a.verb}` is not a verb of Kubernetes {release.label}")
                    continue
            live.append(a)
    lines: dict[tuple[tuple[str, ...], tuple[str, ...], bool], list[str]] = {}
    for pr in merge(live):
        verbs = alias_verbs(pr.verbs)
        if pr.non_resource_urls:
            lines.setdefault((verbs, (), True), []).extend(pr.non_resource_urls)
            continue
        targets = [target_text(g, r) for g in pr.api_groups for r in pr.resources]
        lines.setdefault((verbs, pr.resource_names, False), []).extend(t for t in targets if t)
    out.rules = tuple(
        sorted(
            (LRule(verbs, tuple(sorted(set(targets))), names) for (verbs, names, _u), targets in lines.items()),
            key=lambda r: (r.targets[0].startswith("/"), r.names != (), r.targets, r.verbs, r.names),
        )
    )
    out.problems = sorted(set(out.problems))
    return out

"""RBAC PolicyRules: verb aliases, resource splitting, and canonical merging.

A rule of the language (`read, write deployments.apps, pods named x`) becomes Kubernetes
PolicyRules: one API group per rule, aliases expanded, then merged so that the same
permissions always produce the same, sorted list of rules.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

VERB_ALIASES: dict[str, tuple[str, ...]] = {
    "read": ("get", "list", "watch"),
    "write": ("create", "update", "patch", "delete", "deletecollection"),
}

# The order kubectl and the bootstrap policy list verbs in; unknown verbs sort after, by name.
_VERB_ORDER = {
    v: i
    for i, v in enumerate(
        ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
    )
}


def expand_verbs(verbs: Iterable[str]) -> tuple[str, ...]:
    """Verbs with aliases expanded, deduplicated, in canonical order (`*` absorbs the rest)."""
    return _expand_verbs(frozenset(verbs))


@functools.lru_cache(maxsize=4096)
def _expand_verbs(verbs: frozenset[str]) -> tuple[str, ...]:
    # Cached: the result depends on the set of verbs only, and policies repeat a few verb sets.
    out: set[str] = set()
    for v in verbs:
        out.update(VERB_ALIASES.get(v, (v,)))
    if "*" in out:
        return ("*",)
    return tuple(sorted(out, key=lambda v: (_VERB_ORDER.get(v, 99), v)))


def split_resource(text: str) -> tuple[str, str]:
    """`deployments.apps/scale` -> (`apps`, `deployments/scale`); `*` -> (`*`, `*`).

    The group is what follows the first dot of the resource part; `*` alone and `*/sub`
    mean every group.
    """
    base, slash, sub = text.partition("/")
    resource, dot, group = base.partition(".")
    if not dot:
        group = "*" if resource == "*" else ""
    return group, resource + slash + sub


@dataclass(frozen=True, order=True)
class PolicyRule:
    """One Kubernetes PolicyRule, its lists sorted."""

    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The rule as Kubernetes writes it (apiGroups, resources, resourceNames, verbs)."""
        out: dict[str, Any] = {}
        if self.non_resource_urls:
            out["nonResourceURLs"] = list(self.non_resource_urls)
        else:
            out["apiGroups"] = list(self.api_groups)
            out["resources"] = list(self.resources)
            if self.resource_names:
                out["resourceNames"] = list(self.resource_names)
        out["verbs"] = list(self.verbs)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PolicyRule:
        """A PolicyRule from a Kubernetes object's rule (missing lists are empty)."""
        return cls(
            tuple(d.get("apiGroups") or ()),
            tuple(d.get("resources") or ()),
            tuple(d.get("resourceNames") or ()),
            tuple(d.get("nonResourceURLs") or ()),
            tuple(d.get("verbs") or ()),
        )


@dataclass(frozen=True)
class Atom:
    """The smallest permission: one verb on one resource of one group (or one URL)."""

    verb: str
    group: str
    resource: str
    names: tuple[str, ...] = ()
    url: str = ""


def atoms_of(verbs: Iterable[str], targets: Iterable[str], names: Iterable[str] = ()) -> list[Atom]:
    """The atoms of a language rule: verbs (aliases expanded) times resources or URLs."""
    vs = expand_verbs(verbs)
    ns = tuple(sorted(set(names)))
    out = []
    for t in targets:
        if t.startswith("/"):
            out.extend(Atom(v, "", "", (), t) for v in vs)
        else:
            group, resource = split_resource(t)
            out.extend(Atom(v, group, resource, ns) for v in vs)
    return out


def merge(atoms: Iterable[Atom]) -> tuple[PolicyRule, ...]:
    """Canonical PolicyRules for a set of atoms.

    Per (group, resourceNames), resources with the same verb set share one rule; URLs with
    the same verb set share one rule. The result is sorted, so equal permissions give equal
    rules whatever order they were written in.
    """
    verbs_of: dict[tuple[str, tuple[str, ...], str, str], set[str]] = defaultdict(set)
    for a in atoms:
        verbs_of[(a.group, a.names, a.resource, a.url)].add(a.verb)
    grouped: dict[tuple[str, tuple[str, ...], tuple[str, ...], bool], list[str]] = defaultdict(list)
    for (group, names, resource, url), verbs in verbs_of.items():
        vs = expand_verbs(verbs)
        if url:
            grouped[("", (), vs, True)].append(url)
        else:
            grouped[(group, names, vs, False)].append(resource)
    rules = []
    for (group, names, vs, is_url), targets in grouped.items():
        targets = sorted(set(targets))
        if is_url:
            rules.append(PolicyRule(non_resource_urls=tuple(targets), verbs=vs))
        else:
            rules.append(PolicyRule((group,), tuple(targets), names, (), vs))
    return tuple(sorted(rules, key=_rule_key))


def _rule_key(r: PolicyRule) -> tuple:
    return (bool(r.non_resource_urls), r.api_groups, r.resources, r.resource_names, r.non_resource_urls, r.verbs)

"""Exclusions: `VERBS [except VERBS] RESOURCES [except RESOURCES]` expanded from the release tables.

RBAC has no deny (kubernetes.io/docs/reference/access-authn-authz/rbac/: "Permissions are purely
additive (there are no "deny" rules)"), so "every resource except secrets" can only be written as
the explicit list of what remains. `*` (or `*.GROUP`) stands for every resource and subresource the
release serves in its built-in groups (policyc/data/releases/, generated from the official client),
plus the custom resources the policy names elsewhere; excepting `R` removes `R` and every `R/...`.
`*` verbs mean every verb each resource supports (the REST verbs and the overlay's special verbs
such as `bind`, `escalate`, `use`).

With named verbs (`read * except secrets`) a wildcard gives each resource only the verbs it
supports, and leaves out the "connect" subresources (`pods/exec`, `pods/attach`,
`pods/portforward`, `pods/proxy`, `services/proxy`, `nodes/proxy`): their REST handlers
(pkg/registry/core/pod/rest/subresources.go, `rest.Connecter`) answer GET, so `get pods/exec`
opens a shell over a WebSocket on releases that authorize the upgrade as `get`
(KEP-4006; kubernetes/kubernetes#125144). Reading is not executing: name them to grant them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from policyc.k8s.releases import Release, parse_resource
from policyc.k8s.rules import expand_verbs

# The verbs of a resource the release tables do not describe (a custom resource): those of a
# CustomResourceDefinition's REST storage (apiextensions-apiserver/pkg/registry/customresource).
CUSTOM_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"})

# Subresources served by a `rest.Connecter` (exec, attach, port-forward, proxy).
CONNECT_SUBRESOURCES = frozenset({
    ("", "pods/attach"), ("", "pods/exec"), ("", "pods/portforward"), ("", "pods/proxy"),
    ("", "services/proxy"), ("", "nodes/proxy"),
})


@dataclass(frozen=True)
class Expansion:
    """What an exclusion leaves: (verb, resource) pairs, and what in the `except` lists removed nothing."""

    pairs: tuple[tuple[str, str], ...]
    idle_verbs: tuple[str, ...] = ()  # excepted verbs no remaining resource would have had
    idle_resources: tuple[str, ...] = ()  # excepted resources the list did not contain
    wildcard: bool = False  # a `*` was expanded: later resources or verbs are not covered
    served: frozenset[str] = field(default_factory=frozenset)  # every resource the wildcards stood for


def _text(group: str, resource: str) -> str:
    base, slash, sub = resource.partition("/")
    name = f"{base}.{group}" if group else base
    return name + slash + sub


def served_resources(release: Release, group: str | None, namespaced_only: bool) -> list[tuple[str, frozenset[str]]]:
    """Every served resource and subresource (`pods`, `pods/log`, `deployments.apps/scale`) with its
    verbs, in one group (None: every built-in group). Pseudo-resources (`users`, `signers`) are
    not served and are left out; so are cluster-scoped ones when `namespaced_only`."""
    out: list[tuple[str, frozenset[str]]] = []
    groups = sorted(release.groups()) if group is None else [group]
    for g in groups:
        for info in release.resources(g):
            if info.virtual or (namespaced_only and not info.namespaced):
                continue
            out.append((_text(g, info.name), info.verbs))
            for sub, verbs in info.subresources.items():
                if sub != "*":
                    out.append((_text(g, f"{info.name}/{sub}"), verbs))
    return out


def _is_connect(name: str) -> bool:
    ref = parse_resource(name)
    return ref.subresource is not None and (ref.group, f"{ref.resource}/{ref.subresource}") in CONNECT_SUBRESOURCES


def _covers(excepted: str, resource: str) -> bool:
    """Whether excepting `excepted` removes `resource` (`R` removes `R/...`; `*.G` the group G)."""
    if excepted == resource:
        return True
    ex, res = parse_resource(excepted), parse_resource(resource)
    if ex.resource == "*" and ex.subresource is None:
        return ex.group in ("*", res.group)
    return (ex.group, ex.resource) == (res.group, res.resource) and (
        ex.subresource is None or ex.subresource == res.subresource
    )


def expand(
    release: Release,
    verbs: Iterable[str],
    except_verbs: Iterable[str],
    resources: Iterable[str],
    except_resources: Iterable[str],
    custom: Iterable[str] = (),
    namespaced_only: bool = False,
) -> Expansion:
    """The (verb, resource) pairs of a rule with exclusions, sorted; see the module docstring.

    `custom` are the custom resources (groups the release does not build in) named elsewhere in
    the policy; `namespaced_only` leaves cluster-scoped resources out (a Role or a RoleBinding's
    inline rule cannot grant them).
    """
    wanted = expand_verbs(verbs)
    excluded_verbs = set(expand_verbs(except_verbs)) if except_verbs else set()
    all_verbs = "*" in wanted
    candidates: dict[str, frozenset[str] | None] = {}  # resource -> supported verbs (None: as written)
    wildcard = all_verbs
    served: set[str] = set()
    customs = sorted({c for c in custom if not release.has_group(parse_resource(c).group)})
    for text in resources:
        if text.startswith("/"):
            candidates[text] = None
            continue
        ref = parse_resource(text)
        if ref.resource == "*" and ref.subresource is None:
            wildcard = True
            group = None if ref.group == "*" else ref.group
            found = served_resources(release, group, namespaced_only) if group is None or release.has_group(group) \
                else []
            for name, supported in found:
                if not all_verbs and _is_connect(name):
                    continue
                candidates.setdefault(name, supported)
                served.add(name)
            for c in customs:
                if group is None or parse_resource(c).group == group:
                    candidates.setdefault(c, CUSTOM_VERBS)
                    served.add(c)
            continue
        info = release.lookup(ref.group, ref.resource)
        if info is None:
            candidates.setdefault(text, CUSTOM_VERBS if not release.has_group(ref.group) else None)
        elif ref.subresource is None:
            candidates.setdefault(text, info.verbs)
        else:
            candidates.setdefault(text, info.subresource_verbs(ref.subresource))
    excepts = list(dict.fromkeys(except_resources))
    used: set[str] = set()
    for name in list(candidates):
        hit = [e for e in excepts if not name.startswith("/") and not e.startswith("/") and _covers(e, name)]
        hit += [e for e in excepts if e == name]
        if hit:
            used.update(hit)
            del candidates[name]
    pairs: set[tuple[str, str]] = set()
    seen_verbs: set[str] = set()
    for name, supported in candidates.items():
        if all_verbs:
            have = set(supported) if supported is not None else {"*"}
        else:
            have = set(wanted) & set(supported) if supported is not None else set(wanted)
        seen_verbs |= have
        for v in sorted(have - excluded_verbs):
            pairs.add((v, name))
    if not all_verbs:
        seen_verbs |= set(wanted)
    idle_verbs = tuple(v for v in sorted(excluded_verbs) if v not in seen_verbs)
    idle_resources = tuple(e for e in excepts if e not in used)
    return Expansion(tuple(sorted(pairs, key=lambda p: (p[1], p[0]))), idle_verbs, idle_resources, wildcard,
                     frozenset(served))

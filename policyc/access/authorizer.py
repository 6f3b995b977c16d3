"""The access model: RBAC objects indexed for authorization, who-can and effective access.

Semantics are those of the RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go and
pkg/registry/rbac/validation/rule.go, VisitRulesFor):
- ClusterRoleBindings apply to every request; RoleBindings only to requests in their namespace,
  so cluster-scoped resources and non-resource URLs (namespace `""`) are reachable only through
  ClusterRoleBindings, and a RoleBinding to a ClusterRole grants it inside that namespace only;
- a subject applies by user name, by group, or (service accounts) by
  `system:serviceaccount:NS:NAME`; a RoleBinding's service account without namespace is taken
  from the binding (appliesToUser);
- a binding to a missing role grants nothing (the resolver reports an error and goes on);
- the group `system:masters` is allowed everything before RBAC runs (kube-apiserver puts the
  privileged-groups authorizer first: pkg/kubeapiserver/authorizer/config.go).

Indexes: bindings by subject (user, group, service account), rules by (verb, group, resource)
within each role and across roles (who-can), non-resource rules by verb. A query looks up a few
keys (the exact values and `*`); it never scans every rule of the cluster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from policyc.access import matching
from policyc.access.aggregation import aggregate
from policyc.access.objects import (
    BINDING_KINDS,
    ROLE_KINDS,
    BindingObj,
    ObjRef,
    RoleObj,
    parse_binding,
    parse_role,
)
from policyc.access.request import (
    ALL_SERVICE_ACCOUNTS,
    AUTHENTICATED,
    MASTERS,
    SA_PREFIX,
    UNAUTHENTICATED,
    Request,
    UserInfo,
    split_sa_username,
)
from policyc.k8s.bootstrap import bootstrap_objects
from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import RbacSubject

# The kinds from_objects reads; every other object is ignored.
ACCESS_KINDS = (*ROLE_KINDS, *BINDING_KINDS, "ServiceAccount", "Namespace")

ALL = "*"
EVERYTHING = (
    PolicyRule(api_groups=(ALL,), resources=(ALL,), verbs=(ALL,)),
    PolicyRule(non_resource_urls=(ALL,), verbs=(ALL,)),
)


@dataclass(frozen=True)
class Reason:
    """Why a rule applies to someone: the binding, the subject it matched, the role and the rule.

    For aggregated roles `via_role` names the ClusterRole the rule was aggregated from. A
    reason without binding is a superuser (`system:masters`) or an acquired permission (`note`).
    """

    binding: ObjRef | None
    role: ObjRef | None
    rule: PolicyRule
    subject: RbacSubject | None = None
    via_role: str = ""
    note: str = ""

    @property
    def sort_key(self) -> tuple:
        """A total order (None sorts first)."""
        none = ObjRef("", "", "")
        return (self.binding or none, self.role or none, self.rule, self.subject or RbacSubject("", ""),
                self.via_role, self.note)

    def __str__(self) -> str:
        if self.binding is None:
            return self.note
        via = f" (rule from ClusterRole `{self.via_role}`)" if self.via_role else ""
        who = f" to {self.subject}" if self.subject else ""
        return f"{self.binding} of {self.role}{who}{via}"


@dataclass(frozen=True)
class Permission:
    """A rule someone holds and where: `scope` is a RoleBinding's namespace, None for cluster-wide."""

    scope: str | None
    rule: PolicyRule
    reason: Reason

    @property
    def sort_key(self) -> tuple:
        """A total order: cluster-wide first, then by namespace, rule and reason."""
        return (self.scope is not None, self.scope or "", self.rule, self.reason.sort_key)

    def applies_in(self, namespace: str) -> bool:
        """Whether the permission counts for a request in `namespace` (`""`: cluster scope)."""
        return self.scope is None or (bool(namespace) and self.scope == namespace)


def _make_reason(binding: ObjRef, role: ObjRef, rule: PolicyRule, subject: RbacSubject, via_role: str) -> Reason:
    """`Reason(binding, role, rule, subject, via_role)` without the frozen dataclass's guarded
    assignments: `granted` makes one per rule per binding per subject (every user a team's
    bindings name: issue 19). The same object, field for field."""
    out = object.__new__(Reason)
    out.__dict__.update(binding=binding, role=role, rule=rule, subject=subject, via_role=via_role, note="")
    return out


def _permission(scope: str | None, rule: PolicyRule, reason: Reason) -> Permission:
    """`Permission(scope, rule, reason)`, made as `_make_reason` makes reasons."""
    out = object.__new__(Permission)
    out.__dict__.update(scope=scope, rule=rule, reason=reason)
    return out


class Granted(Sequence[Permission]):
    """The permissions one binding gives through one of its subjects, one per rule of its role in
    the role's order (`AccessModel.granted`), each made the first time it is read.

    Escalation asks most of them nothing but whether the role's rules meet a requirement, which
    the rules answer (access/permsets.py): at 3,000 `identity` namespaces some 570,000 were made
    and about one in ten read (issue 19). Reading a place twice gives the same object, so every
    list made of them (`AccessModel.permissions`, blocks, answers, grants) holds the same
    objects, as when they were made at once."""

    __slots__ = ("scope", "binding", "role", "rules", "subject", "sources", "_made", "_all")

    def __init__(self, b: BindingObj, role: RoleObj, s: RbacSubject) -> None:
        self.scope, self.binding, self.role, self.rules, self.subject = b.scope, b.ref, role.ref, role.rules, s
        self.sources = role.rule_sources
        self._made: list[Permission | None] = [None] * len(role.rules)
        self._all: tuple[Permission, ...] | None = None

    def _make(self, i: int) -> Permission:
        p = self._made[i]
        if p is None:
            rule, sources = self.rules[i], self.sources
            p = self._made[i] = _permission(self.scope, rule, _make_reason(
                self.binding, self.role, rule, self.subject, sources[i] if i < len(sources) else ""))
        return p

    def made(self, i: int) -> bool:
        """Whether the permission at place `i` was made (read) already."""
        return self._made[i] is not None

    def whole(self) -> tuple[Permission, ...]:
        """Every permission, in order (made now where not made yet)."""
        out = self._all
        if out is None:
            out = self._all = tuple(self._make(i) for i in range(len(self._made)))
        return out

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return self.whole()[i]
        p = self._made[i]
        return p if p is not None else self._make(i if i >= 0 else i + len(self._made))

    def __iter__(self) -> Iterator[Permission]:
        return iter(self._all if self._all is not None else self.whole())


@dataclass(frozen=True)
class Decision:
    """The answer to one request: allowed or not, and every rule that allows it."""

    allowed: bool
    reasons: tuple[Reason, ...] = ()
    user: UserInfo | None = None
    request: Request | None = None


@dataclass(frozen=True)
class WhoCan:
    """One subject allowed a request, and why."""

    subject: RbacSubject
    reason: Reason


class RuleIndex:
    """Rules keyed by (verb, group, resource) as written (wildcards included), URLs by verb."""

    def __init__(self) -> None:
        self._resource: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
        self._url: dict[str, list[Any]] = defaultdict(list)

    def add(self, rule: PolicyRule, value: Any) -> None:
        """Index `value` under every key of `rule`."""
        for v in rule.verbs:
            for g in rule.api_groups:
                for r in rule.resources:
                    self._resource[(v, g, r)].append(value)
            if rule.non_resource_urls:
                self._url[v].append(value)

    def candidates(self, request: Request) -> Iterator[Any]:
        """Every indexed value whose rule may allow the request (at most 12 lookups), once each."""
        seen: set[int] = set()
        if request.is_resource_request:
            resources = [request.combined_resource, ALL]
            if request.subresource:
                resources.append(f"*/{request.subresource}")
            keys = [(v, g, r) for v in (request.verb, ALL) for g in (request.group, ALL) for r in resources]
            buckets = [self._resource.get(k, ()) for k in keys]
        else:
            buckets = [self._url.get(v, ()) for v in (request.verb, ALL)]
        for bucket in buckets:
            for value in bucket:
                if id(value) not in seen:
                    seen.add(id(value))
                    yield value


class _IndexedRole:
    """A role and its rule index, built on the first question that reaches the role: `can-i`
    over 100,000 rules asks a handful of roles (issue 19)."""

    __slots__ = ("role", "_index")

    def __init__(self, role: RoleObj) -> None:
        self.role = role
        self._index: RuleIndex | None = None

    @property
    def index(self) -> RuleIndex:
        """The role's rules by (verb, group, resource)."""
        if self._index is None:
            self._index = RuleIndex()
            for i, rule in enumerate(self.role.rules):
                self._index.add(rule, (self.role, i))
        return self._index


# A binding that applies to a user: its rank (AccessModel.bindings_ranked), it, the subject matched.
Ranked = tuple[int, BindingObj, RbacSubject]


# The bindings by scope per user name, group name and service account (`AccessModel._scoped_tables`).
_ScopedTables = tuple[dict[str, dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]],
                      dict[str, dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]],
                      dict[tuple[str, str], dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]]]


# A binding's reference as a tuple (ObjRef's order, its fields in turn), read in C: the key of the
# sort of every binding (a Python function per binding, and ObjRef's own __lt__, cost more).
_REF_KEY = attrgetter("ref.kind", "ref.namespace", "ref.name")


_RANK = itemgetter(0)  # `_first` as a sort key called in C (a tuple of groups' part is sorted per tuple)


def _first(entry: Ranked) -> int:
    return entry[0]


def _indexed_roles(roles: Mapping[ObjRef, RoleObj]) -> dict[ObjRef, _IndexedRole]:
    return {ref: _IndexedRole(r) for ref, r in roles.items()}


def _by_fields(roles: Mapping[ObjRef, RoleObj]) -> dict[tuple[str, str, str], RoleObj]:
    return {(ref.kind, ref.namespace, ref.name): role for ref, role in roles.items()}


def _by_namespace(serviceaccounts: Iterable[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    by_ns: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for sa in serviceaccounts:
        by_ns[sa[0]].append(sa)
    for names in by_ns.values():
        names.sort()
    return by_ns


class AccessModel:
    """Roles, bindings, service accounts and namespaces of a cluster, indexed.

    Build it with `from_objects` (Kubernetes dicts: YAML or emitted manifests) or
    `policyc.access.policy.model_from_result` (a compiled policy, with provenance).
    """

    def __init__(
        self,
        roles: Mapping[ObjRef, RoleObj],
        bindings: Iterable[BindingObj],
        serviceaccounts: Iterable[tuple[str, str]] = (),
        namespaces: Iterable[str] = (),
        release: tuple[int, int] | None = None,
        *,
        sorted_bindings: bool = False,
    ) -> None:
        """Index the given objects; aggregated ClusterRoles are computed here. `sorted_bindings`: the
        caller gives `bindings` as a list sorted by reference (ObjRef's order), no reference twice
        (policy.py `_model` sorts their fields in C; sorting them again read every binding once more)."""
        self.release = release
        self.roles: dict[ObjRef, RoleObj] = aggregate(roles)
        # ObjRef's order (its fields in turn) as a tuple key: no Python-level __lt__ per comparison.
        self.bindings: list[BindingObj] = (bindings if sorted_bindings and type(bindings) is list
                                           else sorted(bindings, key=_REF_KEY))
        self._by_user: dict[str, list[tuple[BindingObj, RbacSubject]]] = defaultdict(list)
        self._by_group: dict[str, list[tuple[BindingObj, RbacSubject]]] = defaultdict(list)
        self._by_sa: dict[tuple[str, str], list[tuple[BindingObj, RbacSubject]]] = defaultdict(list)
        # Indexes made when first asked (`_by_role`, `_scoped_tables`), in a dict that the model's
        # copies share (policy.py's reused models), as they share the indexes made here.
        self._lazy: dict[str, Any] = {}
        # The same by scope (`_scoped_user`, `_scoped_group`, `_scoped_sa`) are made when `authorize`
        # first asks (a build's guards and lints never do).
        spaces = self._index_bindings()
        self._who_index: RuleIndex | None = None  # every rule, for who_can: built on its first question
        sas = set(serviceaccounts)
        sas.update(self._by_sa)
        self.serviceaccounts: frozenset[tuple[str, str]] = frozenset(sas)
        ns = set(namespaces)
        spaces.update([r.namespace for r in self.roles])
        spaces.discard("")  # cluster-scoped objects name none
        ns.update(spaces)
        ns.update([n for n, _ in sas])
        self.namespaces: frozenset[str] = frozenset(ns)
        self._permissions: dict[UserInfo, tuple[Permission, ...]] = {}
        # The permissions one binding gives through one of its subjects, shared by every user
        # that subject matches (a group's members): made once, not once per user (issue 19).
        self._granted: dict[tuple[str, str, str, RbacSubject], Granted] = {}
        # `bindings_for`'s order as numbers, and what each tuple of groups gives (made when asked).
        self._ranks: dict[ObjRef, int] | None = None
        # `sorted_bindings` promises no reference twice: a binding's rank (`_rank`) is then its place
        # (`_rank_ids` reads no binding's reference).
        self._unique_refs = sorted_bindings and type(bindings) is list
        self._by_groups: dict[tuple[str, ...], tuple[dict[int, Ranked], list[Ranked]]] = {}
        self._by_group_rank: dict[str, dict[int, Ranked]] = {}
        # Set by policyc.access.policy when the objects come from a compiled policy.
        self.provenance: Any = None

    def _index_bindings(self) -> set[str]:
        """The bindings by subject, and the namespaces of the bindings (`""` included: cluster-scoped).
        One pass over every subject of every binding (hundreds of thousands in a large policy): the
        indexes are locals, and each binding is read once while it is at hand (a second pass for
        the namespaces read 15,000 bindings again, spread over a heap larger than the cache: issue 19).
        Where each subject of a tuple of subjects goes is found once per tuple object: a compiled
        team's bindings share one (check/grants.py `_sorted_subjects`)."""
        plans: dict[int, tuple[tuple[RbacSubject, ...], list[tuple[list[tuple[BindingObj, RbacSubject]],
                                                                     RbacSubject]]]] = {}
        spaces: set[str] = set()
        add_space = spaces.add
        for b in self.bindings:
            add_space(b.ref.namespace)
            subjects = b.subjects
            plan = plans.get(id(subjects))
            if plan is None or plan[0] is not subjects:  # the entry keeps its tuple: ids are not reused
                plan = plans[id(subjects)] = (subjects, self._slots(subjects))
            for named, s in plan[1]:
                named.append((b, s))
        return spaces

    def _slots(self, subjects: tuple[RbacSubject, ...]) -> list[tuple[list[tuple[BindingObj, RbacSubject]],
                                                                      RbacSubject]]:
        """Per subject, its list in `_by_user`, `_by_group` or `_by_sa`, and the subject."""
        out: list[tuple[list[tuple[BindingObj, RbacSubject]], RbacSubject]] = []
        for s in subjects:
            kind = s.kind
            if kind == "User":
                out.append((self._by_user[s.name], s))
            elif kind == "Group":
                out.append((self._by_group[s.name], s))
            else:
                out.append((self._by_sa[(s.namespace, s.name)], s))
        return out

    def _scoped_tables(self) -> _ScopedTables:
        """The bindings by subject and scope (None: ClusterRoleBindings), each with the subject and
        its index in the binding: by user name, group name and service account, in the order of
        `_index_bindings`' pass (made on the first question: the same pass, each binding's scope
        read once and each tuple of subjects planned once)."""
        out: _ScopedTables | None = self._lazy.get("scoped")
        if out is None:
            users: dict[str, dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]] = {}
            groups: dict[str, dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]] = {}
            sas: dict[tuple[str, str], dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]] = {}
            plans: dict[int, tuple[tuple[RbacSubject, ...], list[tuple[dict[str | None, Any], RbacSubject, int]]]] = {}
            for b in self.bindings:
                scope = b.scope
                subjects = b.subjects
                plan = plans.get(id(subjects))
                if plan is None or plan[0] is not subjects:
                    slots: list[tuple[dict[str | None, Any], RbacSubject, int]] = []
                    for k, s in enumerate(subjects):
                        kind = s.kind
                        table = (users.setdefault(s.name, {}) if kind == "User" else
                                 groups.setdefault(s.name, {}) if kind == "Group" else
                                 sas.setdefault((s.namespace, s.name), {}))
                        slots.append((table, s, k))
                    plan = plans[id(subjects)] = (subjects, slots)
                for scoped, s, k in plan[1]:
                    entries = scoped.get(scope)
                    if entries is None:
                        entries = scoped[scope] = []
                    entries.append((b, s, k))
            out = self._lazy["scoped"] = (users, groups, sas)
        return out

    @property
    def _roles(self) -> dict[ObjRef, _IndexedRole]:
        """Each role with its rule index (itself made on the role's first question), made on the
        first question that reaches a role (`authorize`, `who_can`: a build asks none). Kept with
        `roles`, where the model's copies share it (`_lazy`)."""
        return self._kept("indexed_roles", self.roles, _indexed_roles)  # type: ignore[no-any-return]

    @property
    def _by_role(self) -> dict[ObjRef, list[BindingObj]]:
        """The bindings of each role, in `bindings` order (made on the first question: keyed by
        ObjRef, which hashes and compares in Python, and only the editor and `who-can` ask)."""
        out: dict[ObjRef, list[BindingObj]] | None = self._lazy.get("by_role")
        if out is None:
            out = defaultdict(list)
            for b in self.bindings:
                out[b.role].append(b)
            self._lazy["by_role"] = out
        return out

    @property
    def _scoped_user(self) -> dict[str, dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]]:
        return self._scoped_tables()[0]

    @property
    def _scoped_group(self) -> dict[str, dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]]:
        return self._scoped_tables()[1]

    @property
    def _scoped_sa(self) -> dict[tuple[str, str], dict[str | None, list[tuple[BindingObj, RbacSubject, int]]]]:
        return self._scoped_tables()[2]

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_objects(
        cls, objs: Iterable[Mapping[str, Any] | tuple[Mapping[str, Any], str]],
        release: tuple[int, int] | None = None, *, bootstrap: bool = True, namespaced_bootstrap: bool = True,
    ) -> AccessModel:
        """A model from Kubernetes objects (dicts, or (dict, origin) pairs; a `BindingObj` in place of
        a binding's dict is taken as it is).

        With `bootstrap`, the built-in ClusterRoles and default ClusterRoleBindings, and the
        Roles and RoleBindings of kube-system and kube-public (unless `namespaced_bootstrap` is
        False), of the release (policyc/k8s/bootstrap.py) are present unless an object of the same kind and name
        replaces them. Objects other than Roles, ClusterRoles, their bindings, ServiceAccounts
        and Namespaces are ignored.
        """
        roles: dict[ObjRef, RoleObj] = {}
        bindings: dict[ObjRef, BindingObj] = {}
        sas: set[tuple[str, str]] = set()
        namespaces: set[str] = set()
        items: list[tuple[Mapping[str, Any], str]] = []
        if bootstrap:
            items += [(o, "bootstrap") for o in bootstrap_objects(release)
                      if namespaced_bootstrap or o.get("kind") not in ("Role", "RoleBinding")]
        for o in objs:
            items.append(o if isinstance(o, tuple) else (o, ""))
        rules_of: dict[int, tuple[Any, tuple[PolicyRule, ...]]] = {}  # `parse_role`'s, while `items` lives
        for obj, origin in items:
            if type(obj) is BindingObj:  # parsed already (access/policy.py `_model`: a compiled binding)
                bindings[obj.ref] = obj
                continue
            if not isinstance(obj, Mapping):
                continue
            kind = obj.get("kind")
            meta = obj.get("metadata") or {}
            if kind in ROLE_KINDS:
                role = parse_role(obj, origin, rules_of)
                roles[role.ref] = role
            elif kind in BINDING_KINDS:
                binding = parse_binding(obj, origin)
                bindings[binding.ref] = binding
            elif kind == "ServiceAccount" and meta.get("namespace") and meta.get("name"):
                sas.add((str(meta["namespace"]), str(meta["name"])))
            elif kind == "Namespace" and meta.get("name"):
                namespaces.add(str(meta["name"]))
        return cls(roles, bindings.values(), sas, namespaces, release)

    # ------------------------------------------------------------------ lookups

    def role(self, ref: ObjRef) -> RoleObj | None:
        """A role by reference (aggregated rules computed), or None when it does not exist."""
        return self.roles.get(ref)

    def bindings_of_role(self, ref: ObjRef) -> list[BindingObj]:
        """The bindings that reference a role."""
        return list(self._by_role.get(ref, ()))

    def users(self) -> list[str]:
        """Names of every user a binding names."""
        return sorted(self._by_user)

    def dangling_bindings(self) -> list[BindingObj]:
        """Bindings whose role does not exist (they grant nothing, as in a cluster)."""
        return [b for b in self.bindings if b.role not in self.roles]

    def serviceaccounts_in(self, namespace: str) -> list[tuple[str, str]]:
        """Known service accounts of a namespace, always including its `default`."""
        out = self._sa_by_ns().get(namespace, [])
        if (namespace, "default") in self.serviceaccounts:
            return list(out)
        return sorted([*out, (namespace, "default")])

    def _sa_by_ns(self) -> dict[str, list[tuple[str, str]]]:
        """The service accounts of each namespace, sorted: made on the first question (the escalation
        graph indexes its own), each namespace's few sorted rather than every one of them together.
        Kept with `serviceaccounts`, where the model's copies share it (`_lazy`)."""
        return self._kept("sa_by_ns", self.serviceaccounts, _by_namespace)  # type: ignore[no-any-return]

    def _kept(self, key: str, source: Any, make: Callable[[Any], Any]) -> Any:
        """`make(source)`, made on the first call and kept in `_lazy` (which the model's copies share)
        for as long as `source` is the object the model holds."""
        entry = self._lazy.get(key)
        if entry is None or entry[0] is not source:
            entry = self._lazy[key] = (source, make(source))
        return entry[1]

    def named_by(self, user: UserInfo) -> list[tuple[tuple[str, ...], list[tuple[BindingObj, RbacSubject]]]]:
        """The bindings naming the user, per name it goes by: its user name, each of its groups and
        its service account, each keyed by (kind, name) or ("ServiceAccount", namespace, name).

        What `bindings_for` merges; a group's list is the same for every member (importer/verify.py
        compares it once per group, issue 19)."""
        out: list[tuple[tuple[str, ...], list[tuple[BindingObj, RbacSubject]]]] = [
            (("User", user.name), self._by_user.get(user.name, []))]
        out += [(("Group", g), self._by_group.get(g, [])) for g in user.groups]
        if (sa := split_sa_username(user.name)) is not None:
            out.append((("ServiceAccount", *sa), self._by_sa.get(sa, [])))
        return out

    def bindings_for(self, user: UserInfo) -> list[tuple[BindingObj, RbacSubject]]:
        """Every binding with a subject that applies to the user, and the first such subject."""
        return [(b, s) for _rank, b, s in self.bindings_ranked(user)[0]]

    def bindings_ranked(self, user: UserInfo) -> tuple[list[Ranked], tuple[int, ...]]:
        """`bindings_for` with each binding's rank (its place in `self.bindings`, sorted by
        reference: the order `bindings_for` sorts by), and the ranks of the bindings that apply
        through the user's own name or service account rather than through one of its groups.

        The part its groups give is made once per tuple of groups and shared by every member
        (a team's users, a namespace's service accounts); only the user's own subjects are
        merged per user (issue 19). For each binding the subject kept is the one earliest in the
        binding's subjects, and of equal ones the first found (user, groups, service account):
        hits of different lists are never equal (they differ in kind or name), so folding the
        groups' first and the user's own after keeps the same subject objects.
        """
        gfound, glist = self.group_part(user.groups)
        own, mine = self.own_ranked(user)
        if not own:
            return list(glist), ()
        found = dict(gfound)
        found.update(own)
        return sorted(found.values(), key=_first), mine

    def own_ranked(self, user: UserInfo) -> tuple[dict[int, Ranked], tuple[int, ...]]:
        """The entries of `bindings_ranked(user)[0]` that apply through the user's own name or
        service account, by rank, and their ranks sorted (`bindings_ranked(user)[1]`): the
        user's own subjects folded over its groups' part, without merging the two lists."""
        own = list(self._by_user.get(user.name, ()))
        if user.name.startswith(SA_PREFIX) and (sa := split_sa_username(user.name)) is not None:
            own += self._by_sa.get(sa, ())
        if not own:
            return {}, ()
        gfound = self.group_part(user.groups)[0]
        by_id = self._rank_ids()
        mine: dict[int, Ranked] = {}
        for b, s in own:
            entry = by_id.get(id(b))
            r = entry[1] if entry is not None and entry[0] is b else self._rank()[b.ref]
            prev = mine.get(r) or gfound.get(r)
            if prev is None or b.subjects.index(s) < b.subjects.index(prev[2]):
                mine[r] = (r, b, s)
        return mine, tuple(sorted(mine))

    def own_ranks(self, name: str, groups: tuple[str, ...]) -> tuple[int, ...]:
        """`own_ranked(UserInfo(name, groups))[1]` for a name that is no service account's: the
        ranks alone, without the UserInfo, the entries and the dict of them (`EscalationGraph.share_key`
        asks it once for each user of an organisation, and keeps only the ranks). A rank is kept
        as `own_ranked` keeps its entry: the first time a binding naming the user is met, unless
        the groups' part holds it with a subject earlier in the binding."""
        if name.startswith(SA_PREFIX) and split_sa_username(name) is not None:
            return self.own_ranked(UserInfo(name, groups))[1]
        own = self._by_user.get(name)
        if not own:
            return ()
        gfound = self.group_part(groups)[0]
        by_id = self._rank_ids()
        ranks: dict[int, None] = {}
        for b, s in own:
            entry = by_id.get(id(b))
            r = entry[1] if entry is not None and entry[0] is b else self._rank()[b.ref]
            if r in ranks:  # `own_ranked` may replace its entry, never remove it
                continue
            prev = gfound.get(r)
            if prev is None or b.subjects.index(s) < b.subjects.index(prev[2]):
                ranks[r] = None
        return tuple(sorted(ranks))

    def _rank_ids(self) -> dict[int, tuple[BindingObj, int]]:
        """`_rank()` by the binding object's id, with the object (`own_ranked` and `one_group`
        rank every binding naming each user and group; an ObjRef hashes in Python). The model
        holds its bindings, so their ids are not reused."""
        by_id: dict[int, tuple[BindingObj, int]] | None = self.__dict__.get("_rank_by_id")
        if by_id is None:
            if self._unique_refs:  # each binding's rank is its place: no reference read or hashed
                by_id = {id(b): (b, i) for i, b in enumerate(self.bindings)}
            else:
                rank = self._rank()
                by_id = {id(b): (b, rank[b.ref]) for b in self.bindings}
            self.__dict__["_rank_by_id"] = by_id
        return by_id

    def _rank(self) -> dict[ObjRef, int]:
        if self._ranks is None:
            ranks: dict[ObjRef, int] = {}
            for i, b in enumerate(self.bindings):
                ranks.setdefault(b.ref, i)
            self._ranks = ranks
        return self._ranks

    def group_part(self, groups: tuple[str, ...]) -> tuple[dict[int, Ranked], list[Ranked]]:
        """What `bindings_for` finds through a tuple of groups alone, by rank and in order
        (cached per tuple). Each group's part is made once (`system:authenticated`'s is in
        every tuple) and the parts are merged: a binding naming two of the groups keeps the
        subject earliest in the binding (two groups' subjects are never equal, so which part is
        merged first does not matter)."""
        part = self._by_groups.get(groups)
        if part is None:
            # Groups no binding names add nothing (a namespace's `system:serviceaccounts:NS`,
            # most often): the tuple of the others gives the same, so every such tuple shares it.
            named = tuple([g for g in groups if self.one_group(g)])
            if named != groups:
                part = self._by_groups[groups] = self.group_part(named)
                return part
            parts = sorted((self.one_group(g) for g in groups), key=len, reverse=True)
            found = dict(parts[0]) if parts else {}
            for other in parts[1:]:
                for r, e in other.items():
                    prev = found.get(r)
                    if prev is None or e[1].subjects.index(e[2]) < e[1].subjects.index(prev[2]):
                        found[r] = e
            part = self._by_groups[groups] = (found, sorted(found.values(), key=_RANK))  # `_first`, in C
        return part

    def one_group(self, group: str) -> dict[int, Ranked]:
        """One group's bindings by rank, each with the group's earliest subject in it (cached:
        do not change what is returned)."""
        out = self._by_group_rank.get(group)
        if out is None:
            by_id = self._rank_ids()
            out = {}
            for b, s in self._by_group.get(group, ()):
                entry = by_id.get(id(b))
                r = entry[1] if entry is not None and entry[0] is b else self._rank()[b.ref]
                prev = out.get(r)
                if prev is None or b.subjects.index(s) < b.subjects.index(prev[2]):
                    out[r] = (r, b, s)
            self._by_group_rank[group] = out
        return out

    # ------------------------------------------------------------------ authorization

    def _reason(self, b: BindingObj, s: RbacSubject, role: RoleObj, i: int) -> Reason:
        return Reason(b.ref, role.ref, role.rules[i], s, role.source_of(i))

    def authorize(self, user: UserInfo, request: Request) -> Decision:
        """Decide a request as the API server would; every allowing rule is a reason (sorted).

        Only the bindings of the user's name, groups and service account that apply in the
        request's scope are visited (pre-indexed by scope), and in each role only the rules
        indexed under the request's (verb, group, resource) keys: a question costs a few dict
        lookups per binding, whatever the size of the model (`can-i --batch`).
        """
        reasons: list[Reason] = []
        if MASTERS in user.groups:
            reasons.append(superuser_reason())
        keys, url = _index_keys(request)
        indexed = self._roles
        for b, s in self._bindings_in_scope(user, request.namespace):
            ir = indexed.get(b.role)
            if ir is None:
                continue
            table = ir.index._url if url else ir.index._resource
            seen: set[int] = set()
            for k in keys:
                for role, i in table.get(k, ()):
                    if i not in seen:
                        seen.add(i)
                        if matching.rule_allows(role.rules[i], request):
                            reasons.append(self._reason(b, s, role, i))
        if len(reasons) > 1:
            head = [reasons[0]] if reasons[0].binding is None else []
            reasons = head + sorted((r for r in reasons if r.binding is not None), key=lambda r: r.sort_key)
        return Decision(bool(reasons), tuple(reasons), user, request)

    def _bindings_in_scope(self, user: UserInfo, namespace: str) -> list[tuple[BindingObj, RbacSubject]]:
        """The bindings that apply to the user in `namespace` (`""`: cluster scope), each with the
        first of its subjects that names the user (as `bindings_for`), in no particular order."""
        tables = [self._scoped_user.get(user.name)]
        tables += [self._scoped_group.get(g) for g in user.groups]
        if user.name.startswith(SA_PREFIX) and (sa := split_sa_username(user.name)) is not None:
            tables.append(self._scoped_sa.get(sa))
        hits: list[tuple[BindingObj, RbacSubject, int]] = []
        for t in tables:
            if t:
                hits += t.get(None, ())
                if namespace:
                    hits += t.get(namespace, ())
        if len(hits) <= 1:
            return [(b, s) for b, s, _ in hits]
        chosen: dict[int, tuple[BindingObj, RbacSubject, int]] = {}
        for hit in hits:
            prev = chosen.get(id(hit[0]))
            if prev is None or hit[2] < prev[2]:
                chosen[id(hit[0])] = hit
        return [(b, s) for b, s, _ in chosen.values()]

    def permissions(self, user: UserInfo) -> tuple[Permission, ...]:
        """Every rule the user holds, with its scope and reason (cached)."""
        cached = self._permissions.get(user)
        if cached is not None:
            return cached
        out: list[Permission] = []
        if MASTERS in user.groups:
            out += [Permission(None, rule, superuser_reason()) for rule in EVERYTHING]
        for b, s in self.bindings_for(user):
            granted = self.granted(b, s)
            if granted is not None:
                out += granted
        result = tuple(out)
        self._permissions[user] = result
        return result

    def granted(self, b: BindingObj, s: RbacSubject) -> Granted | None:
        """The permissions binding `b` gives through its subject `s`, one per rule of its role in
        the role's order (the same objects for every user `s` matches, each made when first read:
        `Granted`); None when the role does not exist."""
        # Keyed by the reference's fields (what ObjRef's equality compares), hashed in C: an
        # ObjRef hashes in Python, and each (binding, subject) of a block is asked once.
        ref = b.ref
        key = (ref.kind, ref.namespace, ref.name, s)
        granted = self._granted.get(key)
        if granted is None:
            rr = b.role
            role = self._roles_by_fields().get((rr.kind, rr.namespace, rr.name))
            if role is None:
                return None
            granted = self._granted[key] = Granted(b, role, s)
        return granted

    def _roles_by_fields(self) -> dict[tuple[str, str, str], RoleObj]:
        """`self.roles` keyed by each reference's fields (what ObjRef's equality compares), hashed
        and compared in C: a binding's role reference is another ObjRef than the role's own, so
        `roles.get(b.role)` hashes and compares in Python (once per binding and subject; issue 19).
        Made once per `roles` dict (kept with it, where the model's copies share it: `_lazy`)."""
        return self._kept("roles_fields", self.roles, _by_fields)  # type: ignore[no-any-return]

    def who_can(self, request: Request) -> list[WhoCan]:
        """Every subject of a binding that allows the request, with the reason (sorted).

        The group `system:masters` is always listed: it bypasses authorization.
        """
        out: list[WhoCan] = [WhoCan(RbacSubject("Group", MASTERS), superuser_reason())]
        if self._who_index is None:
            self._who_index = RuleIndex()
            for ir in self._roles.values():
                for i, rule in enumerate(ir.role.rules):
                    self._who_index.add(rule, (ir.role, i))
        for role, i in self._who_index.candidates(request):
            if not matching.rule_allows(role.rules[i], request):
                continue
            for b in self._by_role.get(role.ref, ()):
                if b.scope is not None and (not request.namespace or b.scope != request.namespace):
                    continue
                out.extend(WhoCan(s, self._reason(b, s, role, i)) for s in b.subjects)
        head, rest = out[0], sorted(set(out[1:]), key=lambda w: (w.subject, w.reason.sort_key))
        return [head, *rest]


def name_key(subject: RbacSubject) -> tuple[str, ...]:
    """The name a binding's subject applies by, as `named_by` keys it: ("User", name), ("Group", name)
    or ("ServiceAccount", namespace, name) (every other kind is filed as a service account)."""
    if subject.kind in ("User", "Group"):
        return (subject.kind, subject.name)
    return ("ServiceAccount", subject.namespace, subject.name)


def _index_keys(request: Request) -> tuple[list[Any], bool]:
    """The RuleIndex keys a request's rules may be filed under, and whether they are URL keys."""
    if not request.is_resource_request:
        return [request.verb, ALL], True
    resources = [request.combined_resource, ALL]
    if request.subresource:
        resources.append(f"*/{request.subresource}")
    return [(v, g, r) for v in (request.verb, ALL) for g in (request.group, ALL) for r in resources], False


def superuser_reason() -> Reason:
    """The reason the group `system:masters` is allowed everything."""
    return Reason(None, None, EVERYTHING[0], RbacSubject("Group", MASTERS),
                  note="the group `system:masters` bypasses authorization (superuser)")


def group_member(group: str) -> UserInfo:
    """A member of `group` with no other binding: what membership alone grants.

    Members of any group but `system:unauthenticated` are authenticated; members of a service
    account group are service accounts and so also in `system:serviceaccounts`.
    """
    return UserInfo("", member_groups(group))


def member_groups(group: str) -> tuple[str, ...]:
    """`group_member(group).groups`, without making the user (the groups of `everyone`)."""
    groups = [group]
    if group.startswith(ALL_SERVICE_ACCOUNTS + ":"):
        groups.append(ALL_SERVICE_ACCOUNTS)
    if group != UNAUTHENTICATED:
        groups.append(AUTHENTICATED)
    return tuple(dict.fromkeys(groups))


__all__ = [
    "AccessModel",
    "Decision",
    "Granted",
    "Permission",
    "Reason",
    "RuleIndex",
    "WhoCan",
    "group_member",
    "member_groups",
    "name_key",
    "superuser_reason",
]

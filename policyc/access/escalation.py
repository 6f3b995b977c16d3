"""Effective access: what a subject can reach beyond its own grants, as paths of escalation steps.

The graph's nodes are identities a subject can make requests as; an edge is one step, taken with
permissions the identity holds, whose grants are kept with the step. The steps come from ONE
table, access/escalation_rules.py: each row says what it requires, what it yields and the
releases it holds for; `_EFFECTS` below maps a row's `effect` to the code that computes its
targets. Rows of the model's release only are used (every row when the release is unknown).

Yields are other identities (service accounts, impersonated users and groups, a node, the
superuser) or the same identity holding more (`Acquired`): roles it binds, everything a role it
may rewrite reaches, the secrets and configmaps a pod it creates mounts, the secret data an
update returns.

Reachability is the least fixed point of these edges, computed breadth-first over identities whose
permissions and edges are computed once and cached (indexed by verb, group and resource), so
the first path found to an identity is a shortest one. Service accounts per namespace and the
members of aggregated roles are indexed once per graph. Identities bound alike share one search
of the table (`search_key`), and users bound alike one reach, renamed (`representative`): a
team's members cost one search, not one each (issue 19). Docs: docs/access.md.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from policyc.access import matching
from policyc.access.authorizer import EVERYTHING, AccessModel, Permission, Reason, RuleIndex, member_groups
from policyc.access.describe import rule_text
from policyc.access.escalation_rules import EscalationRule, Need, rules_for
from policyc.access.objects import ObjRef, RoleObj
from policyc.access.permsets import (
    Block,
    PermissionSets,
    Segment,
    blocks_line_up,
    pair_blocks,
    rule_meets,
    signer_allowed,
)
from policyc.access.request import (
    AUTHENTICATED,
    MASTERS,
    SA_PREFIX,
    Request,
    UserInfo,
    authenticated_groups,
    sa_groups,
    sa_username,
)
from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import RbacSubject

try:
    from _collections import _count_elements  # type: ignore[import-not-found]  # Counter.update's, in C
except ImportError:  # an interpreter without it: what Counter itself falls back to

    def _count_elements(mapping: dict[Any, int], iterable: Iterable[Any]) -> None:
        get = mapping.get
        for elem in iterable:
            mapping[elem] = get(elem, 0) + 1

ALL = "*"
NODES = "system:nodes"
NODE_PREFIX = "system:node:"
# The ClusterRole the Node authorizer's graph is bounded by (plugin/pkg/auth/authorizer/node: a node
# may read what its pods reference; policyc takes every namespace's).
NODE_ROLE = ObjRef("ClusterRole", "", "system:node")
# What the namespace controller does in a namespace being deleted (its role: delete * on *).
DELETE_ALL = PolicyRule(api_groups=(ALL,), resources=(ALL,), verbs=("delete", "deletecollection"))
# What a pod's volumes and env may read without any RBAC check on its creator.
MOUNT_RULE = PolicyRule(("",), ("configmaps", "secrets"), (), (), ("get",))
# The user (or service account) impersonating groups needs (answers are cached by the Need object).
_IMPERSONATE_USERS = Need(("impersonate",), "", "users", cluster=True)
_IMPERSONATE_SAS = Need(("impersonate",), "", "serviceaccounts")
_UNSET = object()
_T = TypeVar("_T")

# Step kinds (shown, and used to prefer one step over another on equal length), per effect.
_KIND = {
    "impersonate-user": "impersonate", "impersonate-group": "impersonate", "impersonate-sa": "impersonate",
    "impersonate-node": "impersonate", "csr": "csr", "bind": "bind", "escalate": "escalate",
    "aggregated-member": "escalate", "workload": "pods", "pod-entry": "pods", "token": "token",
    "read-tokens": "secrets", "token-secret": "secrets", "read-on-write": "secrets",
    "namespace-delete": "namespaces",
}
_STEP_ORDER = ("impersonate", "csr", "bind", "escalate", "webhooks", "nodes-proxy", "pods", "token", "secrets",
               "namespaces")


def step_kind(row: EscalationRule) -> str:
    """The kind of step a row makes (`pods`, `secrets`, `impersonate`, ...)."""
    if row.effect == "every-sa":
        return "nodes-proxy" if row.name == "nodes-proxy" else "webhooks"
    return _KIND.get(row.effect, row.effect)


@dataclass(frozen=True)
class Acquired:
    """What an identity gave itself: a role (`bind`), everything (`role` and `rules` empty: `escalate`),
    or rules (`rules`, e.g. the secrets a pod it creates mounts), in a namespace or cluster-wide."""

    scope: str | None
    role: ObjRef | None
    rules: tuple[PolicyRule, ...] = ()
    why: str = ""

    @property
    def everything(self) -> bool:
        """Every permission in the scope."""
        return self.role is None and not self.rules

    def __lt__(self, other: Acquired) -> bool:
        return _acq_key(self) < _acq_key(other)

    def __post_init__(self) -> None:
        # Sets of acquired roles are made per step (`_gain`) and identities hash their tuples: the
        # hash (rules included) is computed once, when made (an attribute set as the fields are:
        # reading `__dict__` would make every later read of the fields slower).
        object.__setattr__(self, "_hash", hash((self.scope, self.role, self.rules, self.why)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    def __reduce__(self) -> tuple:
        # Made again from its fields, its hash with them (`RbacSubject.__reduce__`).
        return (Acquired, (self.scope, self.role, self.rules, self.why))

    def __str__(self) -> str:
        where = f"in namespace `{self.scope}`" if self.scope else "cluster-wide"
        if self.rules:
            what = ", ".join(rule_text(r) for r in self.rules)
            return f"{what} {where}" + (f" ({self.why})" if self.why else "")
        what = f"{self.role.kind} `{self.role.name}`" if self.role else "every permission"
        return f"{what} {where}"


# hash(acquired) per tuple object (kept with the tuple, so an id is not reused). Hashing a
# tuple of acquired roles calls `Acquired.__hash__` (Python) once per role; the members of a
# class are renamed from one identity's tuple (`_Class.targets`, `_merged`), so most identities
# holding acquired roles are made of a tuple hashed before. Cleared when large (the editor).
_ACQUIRED_HASHES: dict[int, tuple[tuple[Acquired, ...], int]] = {}
_SETATTR = object.__setattr__


def _acquired_hash(acquired: tuple[Acquired, ...]) -> int:
    entry = _ACQUIRED_HASHES.get(id(acquired))
    if entry is not None and entry[0] is acquired:
        return entry[1]
    if len(_ACQUIRED_HASHES) >= 1 << 16:
        _ACQUIRED_HASHES.clear()
    h = hash(acquired)
    _ACQUIRED_HASHES[id(acquired)] = (acquired, h)
    return h


@dataclass(frozen=True, order=True, init=False)
class Identity:
    """Someone requests can be made as: a user, a group member, a service account, or the superuser.

    `acquired` are roles the identity has granted itself on the way (bind/escalate).
    """

    kind: str  # user | group | serviceaccount | superuser
    name: str = ""
    namespace: str = ""
    groups: tuple[str, ...] = ()
    acquired: tuple[Acquired, ...] = ()
    # Made when first asked (`base`, `user_info`), then set on the instance: until then the class's
    # None is read (no assignment per identity made; not fields: ClassVar).
    _base: ClassVar[Identity | None] = None
    _user_info: ClassVar[UserInfo | None] = None

    def __init__(self, kind: str, name: str = "", namespace: str = "", groups: tuple[str, ...] = (),
                 acquired: tuple[Acquired, ...] = ()) -> None:
        # Identities key every cache of the search and the guards' walks (millions of lookups):
        # their hash is computed once, here, the acquired roles' by their tuple
        # (`_acquired_hash`). Fields are set through object.__setattr__ as the frozen
        # dataclass's __init__ does (writing `__dict__` would make every later read slower).
        setattr_ = _SETATTR
        setattr_(self, "kind", kind)
        setattr_(self, "name", name)
        setattr_(self, "namespace", namespace)
        setattr_(self, "groups", groups)
        setattr_(self, "acquired", acquired)
        setattr_(self, "_hash", hash((kind, name, namespace, groups, _acquired_hash(acquired) if acquired else ())))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    def __reduce__(self) -> tuple:
        # Made again from its fields, its hash with them (`RbacSubject.__reduce__`); what it
        # caches (`_base`, `_user_info`) is made again when asked.
        return (Identity, (self.kind, self.name, self.namespace, self.groups, self.acquired))

    @classmethod
    def user(cls, name: str, groups: Iterable[str] = ()) -> Identity:
        """An authenticated user with the groups its authenticator reports."""
        if not name.startswith(SA_PREFIX):  # not a service account (`split_sa_username` is None):
            # `UserInfo.authenticated`'s groups, without making the UserInfo (everyone's users).
            return cls("user", name, "", authenticated_groups(name, tuple(groups)))
        info = UserInfo.authenticated(name, tuple(groups))
        if (sa := info.service_account_ref) is not None:
            return cls.service_account(*sa)
        return cls("user", name, "", info.groups)

    @classmethod
    def impersonated(cls, name: str, groups: Iterable[str] = ()) -> Identity:
        """A user as impersonation makes it: the impersonated groups, and `system:authenticated`."""
        return cls("user", name, "", UserInfo.impersonated(name, tuple(groups)).groups)

    @classmethod
    def node(cls, name: str = "") -> Identity:
        """A kubelet: `system:node:NAME` in `system:nodes` (`NAME` unknown: any node)."""
        return cls.impersonated(NODE_PREFIX + (name or "<any node>"), (NODES,))

    @classmethod
    def group(cls, name: str) -> Identity:
        """A member of a group whose other bindings are unknown."""
        if name == MASTERS:
            return cls.superuser()
        return cls("group", name, "", member_groups(name))

    @classmethod
    def service_account(cls, namespace: str, name: str) -> Identity:
        """A service account (its token or a pod running as it)."""
        # `UserInfo.service_account(namespace, name).groups`, without making the user.
        return cls("serviceaccount", name, namespace, (*sa_groups(namespace), AUTHENTICATED))

    @classmethod
    def superuser(cls) -> Identity:
        """A member of `system:masters`."""
        return cls("superuser", MASTERS, "", (MASTERS,))

    @classmethod
    def from_user_info(cls, info: UserInfo) -> Identity:
        """The identity of a request's user."""
        if MASTERS in info.groups:
            return cls.superuser()
        if (sa := info.service_account_ref) is not None:
            return cls("serviceaccount", sa[1], sa[0], info.groups)
        return cls("user" if info.name else "group", info.name, "", info.groups)

    @property
    def user_info(self) -> UserInfo:
        """What the authorizer sees (made once: the walk asks it for blocks and search keys)."""
        out = self._user_info
        if out is None:
            if self.kind == "serviceaccount":
                out = UserInfo(sa_username(self.namespace, self.name), self.groups)
            else:
                out = UserInfo(self.name if self.kind == "user" else "", self.groups)
            _SETATTR(self, "_user_info", out)
        return out

    @property
    def is_node(self) -> bool:
        """Whether the Node authorizer takes the identity for a kubelet (pkg/auth/nodeidentifier/default.go)."""
        return self.kind == "user" and self.name.startswith(NODE_PREFIX) and NODES in self.groups

    @property
    def base(self) -> Identity:
        """The identity without acquired roles (made once)."""
        if not self.acquired:
            return self
        out = self._base
        if out is None:
            out = Identity(self.kind, self.name, self.namespace, self.groups)
            _SETATTR(self, "_base", out)
        return out

    @property
    def key(self) -> tuple[str, str, str]:
        """Kind, namespace and name: identity regardless of groups (for `except`)."""
        return (self.kind, self.namespace, self.name)

    def __str__(self) -> str:
        if self.kind == "superuser":
            text = "group `system:masters` (superuser)"
        elif self.kind == "serviceaccount":
            text = f"serviceaccount `{self.namespace}/{self.name}`"
        elif self.kind == "group":
            text = f"group `{self.groups[0]}`" if self.groups else "group"
        elif self.is_node:
            text = f"node `{self.name}` (group `{NODES}`)"
        else:
            text = f"user `{self.name}`"
        if self.acquired:
            text += " holding " + ", ".join(str(a) for a in self.acquired)
        return text


@dataclass(frozen=True)
class Step:
    """One escalation step: what is done, with which grants, and who the subject becomes.

    `rule` names the row of access/escalation_rules.py the step comes from.
    """

    kind: str
    action: str
    target: Identity
    grants: tuple[Permission, ...]
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.action}, so acts as {self.target}"


def _step(kind: str, action: str, target: Identity, grants: tuple[Permission, ...], rule: str) -> Step:
    """`Step(kind, action, target, grants, rule)` without the frozen dataclass's five guarded
    assignments: searches make a step per service account per namespace per row."""
    step = object.__new__(Step)
    step.__dict__.update(kind=kind, action=action, target=target, grants=grants, rule=rule)
    return step


class _Fan:
    """Steps that differ only in their target: one row's steps to service accounts of one
    namespace (`_sa_steps`), in the order they would be listed. A search yields one per row
    and namespace instead of one step per service account; the guards' walks read only the
    targets (`_Class.targets`), and the steps are made when edges are asked for (`steps`,
    once per fan: fans are shared between searches whose answers are the same objects)."""

    __slots__ = ("kind", "action", "grants", "rule", "targets", "_steps")

    def __init__(self, kind: str, action: str, grants: tuple[Permission, ...], rule: str,
                 targets: tuple[Identity, ...]) -> None:
        self.kind, self.action, self.grants, self.rule, self.targets = kind, action, grants, rule, targets
        self._steps: list[Step] | None = None

    def steps(self) -> list[Step]:
        """The steps, one per target, in the targets' order (the same objects on every call)."""
        out = self._steps
        if out is None:
            kind, action, grants, rule = self.kind, self.action, self.grants, self.rule
            out = self._steps = [_step(kind, action, t, grants, rule) for t in self.targets]
        return out


# What the rows yield for an identity: steps, and fans standing for the steps they list.
Raw = list["Step | _Fan"]


def expand(raw: Raw) -> list[Step]:
    """The steps of a search's raw list, fans listed in place (the list the rows' effects made
    before fans)."""
    out: list[Step] = []
    for item in raw:
        if type(item) is _Fan:
            out += item.steps()
        else:
            out.append(item)  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class EffectiveGrant:
    """A permission a subject can use: held by `holder`, reached through `path` (empty: its own)."""

    permission: Permission
    holder: Identity
    path: tuple[Step, ...] = ()


__all__ = ["signer_allowed"]  # re-exported (access_lints); defined beside the blocks that use it


class _Facts:
    """What an EscalationGraph keeps of one identity's blocks: `blocks`, then, when first asked,
    `_present_of` (`present`), `relevant_blocks` (`relevant`) and `inert` (`_UNSET` / None until
    then). One record reached by one dict lookup, where four dicts were: the guards' walk asks
    these of each of some 28,000 identities at 3,000 namespaces, one after the other, and each
    dict's slot for an identity was a cold read of its own (issue 19)."""

    __slots__ = ("blocks", "present", "relevant", "inert")

    def __init__(self, blocks: tuple[Block, ...] | None) -> None:
        self.blocks = blocks
        self.present: set[int] | None | object = _UNSET
        self.relevant: list[Block] | None | object = _UNSET
        self.inert: bool | None = None


class EscalationGraph:
    """Identities, their permissions and escalation edges over one AccessModel (cached)."""

    def __init__(self, model: AccessModel, extra_namespaces: Iterable[str] = ()) -> None:
        """`extra_namespaces` widens "every namespace" beyond those the objects name."""
        self.model = model
        self.namespaces = sorted(set(model.namespaces) | set(extra_namespaces))
        self.rules = rules_for(model.release)
        self._perms: dict[Identity, tuple[Permission, ...]] = {}
        self._index: dict[Identity, RuleIndex] = {}
        self._edges: dict[Identity, tuple[Step, ...]] = {}
        self._targets: dict[Identity, tuple[Identity, ...]] = {}  # `targets` not made from `_edges`
        # Indexed once per graph: service accounts by namespace (`default` always), every one of them.
        by_ns: dict[str, set[tuple[str, str]]] = {ns: {(ns, "default")} for ns in self.namespaces}
        for ns, name in model.serviceaccounts:
            by_ns.setdefault(ns, {(ns, "default")}).add((ns, name))
        self._sas = {ns: sorted(sas) for ns, sas in by_ns.items()}
        self._all_sas = sorted({sa for ns in self.namespaces for sa in self._sas.get(ns, ())})
        self._members: dict[ObjRef, frozenset[str]] | None = None
        # Looked up, not rebuilt: every guard walks every subject's reach (issue 19).
        self._reach: dict[Identity, dict[Identity, tuple[Step, ...]]] = {}
        # Users with the same bindings (a team's members) share one search (see `representative`).
        self._reps: dict[tuple, Identity] = {}
        self._shareable: dict[Identity, bool] = {}
        self._rep_of: dict[Identity, Identity | None] = {}
        self.searches = 0  # searches of the table's rows made (tests count them)
        self.verdicts: dict[tuple, list] = {}  # guard checks already made (access/guards.py)
        self.condensation: Any = None  # the graph's strongly connected components (access/guards.py)
        self._values: dict[Permission, int] = {}
        self._value_ids: dict[int, tuple[Permission, int]] = {}
        self._rows: dict[tuple, _Class] = {}
        self._impersonate_users = [row for row in self.rules if row.effect == "impersonate-user"]
        self._meets_cache: dict[tuple[int, int], tuple[PolicyRule, bool]] = {}
        self._role_meets_cache: dict[tuple[int, int], tuple[RoleObj, bool]] = {}
        # Permissions as blocks shared between identities; every requirement a row asks (and the
        # impersonation filter's) answered once per block.
        self.sets = PermissionSets(model, (*(n for row in self.rules for n in row.requires), _IMPERSONATE_USERS,
                                           _IMPERSONATE_SAS))
        # Per identity, what its blocks decide (`blocks`, `_present_of`, `relevant_blocks`, `inert`):
        # one record in one dict, not four dicts (see `_Facts`).
        self._facts: dict[Identity, _Facts] = {}
        self._acquired_blocks: dict[int, tuple[Acquired, Block]] = {}  # `blocks`, by the acquired object
        self._acquired_parts: dict[int, tuple[tuple[Acquired, ...], tuple[tuple[Block, ...], set[int]]]] = {}
        self._sa_idents: dict[tuple[str, str], Identity] = {}
        self._sa_lists: dict[str, list[tuple[str, Identity]]] = {}
        self._sa_tuples: dict[str, tuple[Identity, ...]] = {}
        self._by_answers: dict[tuple, tuple[list[list[Permission]], Any]] = {}  # `_answered`
        self._actions: dict[tuple[str, str], str] = {}  # a fan's action per row text and namespace
        self._gains: dict[tuple[Identity, frozenset[Acquired]], Identity | None] = {}
        self._mounts: dict[str, Acquired] = {}
        self._binding_rows = [row for row in self.rules if row.effect in ("escalate", "aggregated-member")]
        # Every row that steps requires something the blocks answer (`inert`); kept per identity.
        self._rows_require = all(row.requires and all(self.sets.asks(n) for n in row.requires)
                                 for row in self.rules if row.effect in _EFFECTS)

    def sharing(self, model: AccessModel) -> EscalationGraph:
        """A graph over `model`, made of the same objects as this graph's model, that shares this
        graph's searches, reaches and guard verdicts (the language server's next analysis)."""
        other = object.__new__(EscalationGraph)
        other.__dict__.update(self.__dict__)
        other.model = model
        return other

    # ------------------------------------------------------------------ permissions

    def permissions(self, ident: Identity) -> tuple[Permission, ...]:
        """Every permission the identity holds, acquired ones included."""
        cached = self._perms.get(ident)
        if cached is not None:
            return cached
        blocks = self.blocks(ident)
        if blocks is not None:
            # The model's list (binding order), then the node's and the acquired blocks: the
            # same permissions, in the same order, as below, made once per block.
            out = list(self.model.permissions(ident.user_info))
            for blk in blocks[len(self.sets.user_blocks(ident.user_info)):]:
                out += blk.permissions
            result = self._perms[ident] = tuple(out)
            return result
        # The superuser and members of system:masters: listed whole, the same segments unshared.
        user = UserInfo("", (MASTERS,)) if ident.kind == "superuser" else ident.user_info
        out = list(self.model.permissions(user))
        if ident.is_node and (node := self.model.role(NODE_ROLE)) is not None:
            out += self._node_segment(node)[2]
        for acq in ident.acquired:
            for _scope, _rules, perms in self._acquired_segments(acq):
                out += perms
        result = tuple(out)
        self._perms[ident] = result
        return result

    def blocks(self, ident: Identity) -> tuple[Block, ...] | None:
        """The identity's permissions as shared blocks (permsets.py): its bindings' per subject,
        then the node's, then one per acquired role, as `permissions` lists them; None for the
        superuser and members of `system:masters` (their permissions are listed whole)."""
        # `_facts_of(ident).blocks` in line: asked some 70,000 times at 3,000 namespaces.
        facts = self._facts.get(ident)
        if facts is None:
            facts = self._facts[ident] = _Facts(self._blocks_of(ident))
        return facts.blocks

    def _facts_of(self, ident: Identity) -> _Facts:
        """The identity's record (made with its blocks on the first ask)."""
        facts = self._facts.get(ident)
        if facts is None:
            facts = self._facts[ident] = _Facts(self._blocks_of(ident))
        return facts

    def _blocks_of(self, ident: Identity) -> tuple[Block, ...] | None:
        """`blocks(ident)`, made (kept by `blocks` in the identity's `_Facts`)."""
        out = None
        if ident.kind != "superuser" and MASTERS not in ident.groups:
            mine = self.sets.user_blocks(ident.user_info)
            node = self.model.role(NODE_ROLE) if ident.is_node else None
            if node is None and not ident.acquired:
                out = mine  # the user's tuple itself (`present_in` keeps its answer by the tuple)
            else:
                if node is not None:
                    mine += (self.sets.block(("node",), lambda: (self._node_segment(node),)),)
                out = mine + self._acquired_part(ident.acquired)[0] if ident.acquired else mine
        return out

    def _acquired_part(self, acquired: tuple[Acquired, ...]) -> tuple[tuple[Block, ...], set[int]]:
        """The blocks of acquired roles, one per role in order, and the requirements they answer
        (`PermissionSets.present_in`); kept per tuple object (with the tuple: an id is not
        reused), which the members of a class and the classes of a team share (`_gain_of`)."""
        entry = self._acquired_parts.get(id(acquired))
        if entry is not None and entry[0] is acquired:
            return entry[1]
        acquired_blocks = self._acquired_blocks
        blocks = []
        for acq in acquired:
            # By the object first (acquired roles are shared by the identities holding them).
            found = acquired_blocks.get(id(acq))
            if found is None or found[0] is not acq:
                found = acquired_blocks[id(acq)] = (acq, self.sets.block(
                    ("acquired", acq), lambda acq=acq: self._acquired_segments(acq)))
            blocks.append(found[1])
        part = (tuple(blocks), self.sets.present_in(blocks))
        self._acquired_parts[id(acquired)] = (acquired, part)
        return part

    def perm_pairs(self, a: Identity, b: Identity) -> dict[int, Permission] | None:
        """Identities whose permissions line up (the same `search_key` or `share_key`): a's
        permissions mapped to b's at the same place of the same list, by id, leaving out those
        both hold (the blocks they share: their groups', `system:authenticated`'s, acquired
        roles'); None when the lists do not line up (b is then searched on its own)."""
        mine, theirs = self.blocks(a), self.blocks(b)
        if mine is not None and theirs is not None:
            return pair_blocks(mine, theirs)
        pa, pb = self.permissions(a), self.permissions(b)
        if len(pa) != len(pb):
            return None
        return {id(p): q for p, q in zip(pa, pb, strict=True)}

    @staticmethod
    def _node_segment(node: RoleObj) -> Segment:
        note = ("the Node authorizer: what the node's pods reference, bounded by ClusterRole `system:node` "
                "(plugin/pkg/auth/authorizer/node/node_authorizer.go)")
        return (None, node.rules, tuple(Permission(None, r, Reason(None, NODE_ROLE, r, note=note))
                                        for r in node.rules))

    def _acquired_segments(self, acq: Acquired) -> tuple[Segment, ...]:
        note = f"acquired {acq}"
        if acq.rules:
            rules = acq.rules
            reason_role = None
        elif acq.role is None:
            rules = EVERYTHING if acq.scope is None else EVERYTHING[:1]
            reason_role = None
        elif (role := self.model.role(acq.role)) is not None:
            rules = role.rules
            reason_role = role.ref
        else:
            return ()
        return ((acq.scope, rules, tuple(Permission(acq.scope, r, Reason(None, reason_role, r, note=note))
                                         for r in rules)),)

    def find(
        self, ident: Identity, verbs: Iterable[str], group: str, resource: str, sub: str = "",
        name: str = "", any_name: bool = False,
    ) -> list[Permission]:
        """Permissions allowing one of `verbs` on the resource, in any scope.

        With `name` empty the rule must allow every name; `any_name` accepts rules limited by
        resourceNames too (callers read the names).
        """
        index = self._index.get(ident)
        if index is None:  # built on the first search only: most callers just list permissions
            index = self._index[ident] = RuleIndex()
            for p in self.permissions(ident):
                index.add(p.rule, p)
        found: dict[int, Permission] = {}
        for verb in verbs:
            req = Request(verb, group, resource, sub, name)
            for p in index.candidates(req):
                if any_name:
                    ok = (matching.verb_matches(p.rule, verb) and matching.group_matches(p.rule, group)
                          and matching.resource_matches(p.rule, req.combined_resource, sub))
                else:
                    ok = matching.rule_allows(p.rule, req)
                if ok:
                    found[id(p)] = p
        return sorted(found.values(), key=self.sets.sort_key)

    def need(self, ident: Identity, need: Need) -> list[Permission]:
        """The identity's permissions that satisfy one requirement of a rule (answered per block,
        permsets.py; the same permissions, in the same order, as `find` on the identity's list)."""
        blocks = self.blocks(ident)
        if blocks is not None:
            answer = self.sets.need(blocks, need)
            if answer is not None:
                return answer
        verbs = need.verbs if ALL not in need.verbs else ("*",)
        perms = self.find(ident, verbs, need.group, need.resource, need.sub, any_name=need.named or bool(need.names))
        if need.cluster:
            perms = [p for p in perms if p.scope is None]
        if need.names:
            perms = [p for p in perms if signer_allowed(p.rule, need.names)]
        return perms

    # ------------------------------------------------------------------ helpers

    def serviceaccounts_in(self, namespace: str) -> list[tuple[str, str]]:
        """Known service accounts of a namespace and its `default` (indexed once)."""
        return self._sas.get(namespace) or [(namespace, "default")]

    def _mount(self, namespace: str) -> Acquired:
        """What a pod created in the namespace mounts (one object per namespace: its hash is kept)."""
        acq = self._mounts.get(namespace)
        if acq is None:
            acq = self._mounts[namespace] = Acquired(namespace, None, (MOUNT_RULE,), "mounted by a pod it creates")
        return acq

    def _sa_identity(self, namespace: str, name: str) -> Identity:
        """`Identity.service_account`, made once per graph (steps to it are made per search)."""
        ident = self._sa_idents.get((namespace, name))
        if ident is None:
            ident = self._sa_idents[(namespace, name)] = Identity.service_account(namespace, name)
        return ident

    def _sa_targets(self, namespace: str) -> list[tuple[str, Identity]]:
        """`serviceaccounts_in(namespace)`: each name with its identity (`_sa_identity`), listed
        once per namespace (every row that reaches the namespace's pods steps to each of them)."""
        out = self._sa_lists.get(namespace)
        if out is None:
            out = self._sa_lists[namespace] = [(name, self._sa_identity(sa_ns, name))
                                               for sa_ns, name in self.serviceaccounts_in(namespace)]
        return out

    def _sa_target_idents(self, namespace: str) -> tuple[Identity, ...]:
        """The identities of `_sa_targets(namespace)`, in its order (one tuple per namespace)."""
        out = self._sa_tuples.get(namespace)
        if out is None:
            out = self._sa_tuples[namespace] = tuple(t for _n, t in self._sa_targets(namespace))
        return out

    def _scopes(self, perms: Iterable[Permission]) -> dict[str, list[Permission]]:
        """Namespaces each permission reaches (a cluster-wide one reaches every namespace)."""
        out: dict[str, list[Permission]] = {}
        for p in perms:
            for ns in ([p.scope] if p.scope else self.namespaces):
                out.setdefault(ns, []).append(p)
        return out

    def _named(self, perms: list[Permission]) -> dict[str, set[str] | None]:
        """Per namespace: the resourceNames allowed, or None for every name."""
        out: dict[str, set[str] | None] = {}
        for ns, ps in self._scopes(perms).items():
            names: set[str] | None = set()
            for p in ps:
                if not p.rule.resource_names:
                    names = None
                    break
                names.update(p.rule.resource_names)
            out[ns] = names
        return out

    @staticmethod
    def _cluster_names(perms: list[Permission]) -> tuple[list[Permission], set[str] | None]:
        """Cluster-wide permissions only (cluster-scoped requests) and the names they allow."""
        wide = [p for p in perms if p.scope is None]
        names: set[str] | None = set()
        for p in wide:
            if not p.rule.resource_names:
                return wide, None
            names.update(p.rule.resource_names)
        return wide, names

    def _all_needs(self, ident: Identity, row: EscalationRule) -> list[list[Permission]] | None:
        """The permissions behind each requirement of a row, or None when one is missing."""
        out = []
        for need in row.requires:
            perms = self.need(ident, need)
            if not perms:
                return None
            out.append(perms)
        return out

    def _sa_steps(self, row: EscalationRule, scoped: dict[str, list[Permission]], what: str,
                  names: dict[str, set[str] | None] | None = None) -> list[_Fan]:
        """The row's steps to the service accounts of each namespace in `scoped` (its grants
        there), those `names` allows when it limits them: one fan per namespace, in namespace
        order, known accounts first, then the other names allowed, sorted."""
        out: list[_Fan] = []
        kind = step_kind(row)
        for ns, perms in sorted(scoped.items()):
            targets = self._fan_targets(ns, names.get(ns) if names is not None else None)
            if not targets:
                continue
            action = self._actions.get((what, ns))
            if action is None:
                action = self._actions[(what, ns)] = what.format(where=f"in namespace `{ns}`")
            out.append(_Fan(kind, action, tuple(perms), row.name, targets))
        return out

    def _fan_targets(self, ns: str, allowed: AbstractSet[str] | None) -> tuple[Identity, ...]:
        """The service accounts of a namespace a fan steps to: every one (`allowed` None), or
        the known ones `allowed` names, then the other names it allows, sorted."""
        if allowed is None:
            return self._sa_target_idents(ns)
        known = self._sa_targets(ns)
        return tuple([t for sa_name, t in known if sa_name in allowed]
                     + [self._sa_identity(ns, name) for name in sorted(allowed - {n for n, _ in known})])

    def _acquire(self, ident: Identity, row: EscalationRule, gains: AbstractSet[Acquired], action: str,
                 basis: Iterable[Permission]) -> list[Step]:
        target = self._gain(ident, gains)
        if target is None:
            return []
        return [_step(step_kind(row), action, target, tuple(basis), row.name)]

    # ------------------------------------------------------------------ edges

    def edges(self, ident: Identity) -> tuple[Step, ...]:
        """Every step out of an identity (cached), one per target, in a fixed order."""
        cached = self._edges.get(ident)
        if cached is not None:
            return cached
        result = self._edges[ident] = self._search(ident)
        return result

    def targets(self, ident: Identity) -> tuple[Identity, ...]:
        """The targets of `edges(ident)` (each once, in no particular order), without making the
        steps when the identity's class made its search: what a walk that only asks who is
        reached needs (guards' verdicts, `representative`). A member's targets are those
        `_Class.edges` gives its steps (`_Class.targets`); the grants, which only the steps
        carry, are not renamed."""
        cached = self._edges.get(ident)
        if cached is not None:
            return tuple(st.target for st in cached)
        out = self._targets.get(ident)
        if out is not None:
            return out
        found = None
        if ident.kind == "superuser":
            found = ()
        else:
            key = self.search_key(ident)
            if key is not None:
                cls = self._rows.get(key)
                if cls is None:
                    cls = self._rows[key] = _Class(ident)
                found = cls.targets(self, ident)
        if found is None:
            found = tuple(st.target for st in self.edges(ident))
        self._targets[ident] = found
        return found

    def walk_targets(self, ident: Identity) -> tuple[Identity, ...]:
        """`targets(ident)`, without the search key and the class's search for an identity that
        answers no requirement (`inert`): no row yields for it (about half the identities of an
        organisation: its users, groups and service accounts that hold only `view` and the like)."""
        out = self._targets.get(ident)
        if out is not None:
            return out
        return () if self.inert(ident) else self.targets(ident)

    def inert(self, ident: Identity) -> bool:
        """Whether no row of the table yields for the identity, decided from its blocks alone:
        every row that steps requires one of the blocks' requirements at least (`_rows_require`,
        checked once per graph), and its blocks answer none of them (acquired and node blocks
        included), so each effect's `_all_needs` is None and its search yields nothing. False
        for the superuser and `system:masters`, whose permissions are listed whole."""
        facts = self._facts_of(ident)
        done = facts.inert
        if done is None:
            present = self._present_of(ident) if self._rows_require else None
            done = facts.inert = present is not None and not present
        return done

    def _search(self, ident: Identity) -> tuple[Step, ...]:
        """The steps out of an identity, one per target, in a fixed order: from the search its
        class made (`search_key`, `_Class`), or its own."""
        if ident.kind == "superuser":
            return ()
        key = self.search_key(ident)
        if key is not None:
            cls = self._rows.get(key)
            if cls is None:
                cls = self._rows[key] = _Class(ident)
            edges = cls.edges(self, ident)
            if edges is not None:
                return edges
        return self._finish(ident, self._row_steps(ident))

    def _finish(self, ident: Identity, raw: Raw) -> tuple[Step, ...]:
        """An identity's edges from what the rows yield for it: the steps by which it acquires
        merged into one (`_acquire_step`), then one step per target, by `_step_key`."""
        steps: list[Step] = []
        acquiring: list[Step] = []
        for step in expand(raw):
            (acquiring if _same_base(step.target, ident) and step.target.kind != "superuser"
             else steps).append(step)
        steps += self._acquire_step(ident, acquiring)
        best: dict[Identity, Step] = {}
        for s in sorted(steps, key=_step_key):
            if s.target != ident and s.target not in best:
                best[s.target] = s
        return tuple(best.values())

    def _row_steps(self, ident: Identity) -> Raw:
        """What every row of the table yields for the identity: the search (the costly part, some
        50 requirements looked up), made once per class (`_search`). Steps to service accounts
        come as fans (`expand` lists the steps)."""
        self.searches += 1
        out: Raw = []
        present = self._present_of(ident)
        for row, effect, needs in self._row_plan():
            # Every effect yields nothing unless each requirement of its row is answered.
            if present is None or present.issuperset(needs):
                out += effect(self, ident, row)
        return out

    def _row_plan(self) -> list[tuple[EscalationRule, Callable[[EscalationGraph, Identity, EscalationRule], Raw],
                                      frozenset[int]]]:
        """The rows that take steps, each with its effect and the ids of its requirements (made once)."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = [(row, effect, frozenset(id(n) for n in row.requires))
                                             for row in self.rules if (effect := _EFFECTS.get(row.effect)) is not None]
        return plan

    def _row_targets(self, ident: Identity) -> list[tuple[Identity, ...] | Identity]:
        """The targets of `_row_steps(ident)`, each as often as a step goes to it: a fan's as
        its tuple, the others one by one (`_Class.targets` counts them). What a walk that asks
        only who is reached needs (issue 19): the rows whose targets depend only on the scopes
        and names their answers reach (`_TARGETS`) are read from the blocks' summaries
        (`PermissionSets.scopes`), without merging permission lists, writing actions or sorting
        grants; the other rows' effects are run and their steps' targets taken."""
        present = self._present_of(ident)
        if present is None:
            return [item.targets if type(item) is _Fan else item.target  # type: ignore[union-attr]
                    for item in self._row_steps(ident)]
        self.searches += 1
        out: list[tuple[Identity, ...] | Identity] = []
        parts = self._parts(ident)
        # The rows of one effect that read one answer's summaries (`_BY_SCOPE`) yield alike when
        # those are the same objects (the same `_Scoped`): a class that may create pods,
        # deployments, jobs... in the same namespaces asks a dozen workload rows the same. Each
        # is computed once per identity (the identity is the same: `_gain`'s result too).
        done: dict[tuple[Any, tuple[int, ...]], list[tuple[Identity, ...] | Identity]] = {}
        for row, effect, fast, first in self._answered_rows(present):
            if fast is None:
                out += [item.targets if type(item) is _Fan else item.target  # type: ignore[union-attr]
                        for item in effect(self, ident, row)]
            elif first is not None:
                key = (fast, tuple(map(id, parts.get(first, ()))))
                got = done.get(key)
                if got is None:
                    got = done[key] = fast(self, ident, row)
                out += got
            else:
                out += fast(self, ident, row)
        return out

    def _answered_rows(self, present: set[int]) -> list[tuple[EscalationRule, Callable[..., Any], Any, int | None]]:
        """The rows of `_row_plan` whose requirements are all in `present` (an identity's answered
        requirements), each with its effect, its targets' function (`_TARGETS`, or None) and,
        for those that read one summary (`_BY_SCOPE`), the id of the requirement read; kept per
        set of requirements (the classes of an organisation answer a few alike)."""
        cache: dict[frozenset[int], list[tuple[EscalationRule, Callable[..., Any], Any, int | None]]] = (
            self.__dict__.setdefault("_answered_cache", {}))
        key = frozenset(present)
        out = cache.get(key)
        if out is None:
            out = cache[key] = [
                (row, effect, fast, id(row.requires[0]) if fast in _BY_SCOPE else None)
                for row, effect, needs in self._row_plan() if present.issuperset(needs)
                for fast in (_TARGETS.get(row.effect),)]
        return out

    def _parts(self, ident: Identity) -> dict[int, list[dict[str | None, frozenset[str] | None]]]:
        """The summaries of the identity's blocks (it has blocks) by requirement id, in block
        order: gathered once for its rows (the last identity's are kept)."""
        held = self.__dict__.get("_parts_of")
        if held is None or held[0] is not ident:
            parts: dict[int, list[dict[str | None, frozenset[str] | None]]] = {}
            for blk in self.relevant_blocks(ident) or ():
                for k, part in (blk.scopes if blk.scopes is not None else self.sets.scopes(blk)).items():
                    if k in parts:
                        parts[k].append(part)
                    else:
                        parts[k] = [part]
            held = self.__dict__["_parts_of"] = (ident, parts)
        return held[1]  # type: ignore[no-any-return]

    def _scoped(self, ident: Identity, need: Need) -> _Scoped:
        """What the answer to `need` reaches (`_Scoped`), from the summaries of the identity's
        blocks (it has blocks): kept per tuple of summaries, which are shared objects, so the
        rows and classes whose answers reach the same namespaces make it once."""
        mine = self._parts(ident).get(id(need), [])
        cache: dict[tuple[int, ...], _Scoped] = self.__dict__.setdefault("_scoped_cache", {})
        ids = tuple(map(id, mine))
        out = cache.get(ids)
        if out is None:
            out = cache[ids] = _Scoped(self, mine)
        return out

    def _fans_over(self, ident: Identity, row: EscalationRule) -> list[tuple[Identity, ...]]:
        """`_sa_steps(row, _scopes(<first answer>), ...)`'s targets: every service account of each
        namespace the answer reaches (workload, pod-entry, read-tokens)."""
        return self._scoped(ident, row.requires[0]).fans()

    def _workload_targets(self, ident: Identity, row: EscalationRule) -> list[tuple[Identity, ...] | Identity]:
        """`_workload`'s targets: the fans, and the identity holding the mounts of each namespace."""
        scoped = self._scoped(ident, row.requires[0])
        out: list[tuple[Identity, ...] | Identity] = list(scoped.fans())
        target = self._gain(ident, scoped.mounts())
        if target is not None:
            out.append(target)
        return out

    def _named_targets(self, ident: Identity, row: EscalationRule) -> list[tuple[Identity, ...]]:
        """`_sa_steps(row, _scopes(a), ..., _named(a))`'s targets (token, impersonate-sa): the
        service accounts each namespace's names allow."""
        return self._scoped(ident, row.requires[0]).named_fans()

    def _token_secret_targets(self, ident: Identity, row: EscalationRule) -> list[tuple[Identity, ...]]:
        """`_token_secret_of`'s targets: the namespaces where both answers reach."""
        create, read = (self._scoped(ident, n).named for n in row.requires)
        return [self._sa_target_idents(ns) for ns in sorted(create) if ns in read]

    def _read_on_write_targets(self, ident: Identity, row: EscalationRule) -> list[Identity]:
        """`_read_on_write`'s targets: per permission answering, the identity holding the secrets
        its names allow in its scope (from the blocks' rules; no permission made)."""
        need = row.requires[0]
        cache: dict[tuple[str | None, tuple[str, ...]], frozenset[Acquired]] = self.__dict__.setdefault(
            "_read_gains", {})
        out: list[Identity] = []
        for blk in self.relevant_blocks(ident) or ():
            if id(need) not in (blk.present if blk.present is not None else self.sets.present(blk)):
                continue
            for scope, rule in self.sets.answer_rules(blk, need):
                gains = cache.get((scope, rule.resource_names))
                if gains is None:
                    gains = cache[(scope, rule.resource_names)] = frozenset([_read_on_write_acquired(
                        scope, rule.resource_names)])
                target = self._gain(ident, gains)
                if target is not None:
                    out.append(target)
        return out

    def _every_sa_targets(self, ident: Identity, row: EscalationRule) -> list[tuple[Identity, ...]]:
        """`_every_sa`'s targets: every service account (one tuple per graph)."""
        out = self.__dict__.get("_every_sa_tuple")
        if out is None:
            out = self.__dict__["_every_sa_tuple"] = tuple(self._sa_identity(ns, name) for ns, name in self._all_sas)
        return [out]

    def search_key(self, ident: Identity) -> tuple | None:
        """What the rows' search for an identity depends on, or None when it is not shared.

        The rows read the identity's permissions (the same rules through the same bindings in the
        same order when the bindings that apply to it are the same: AccessModel.permissions,
        `bindings_for`), the roles it holds acquired, and the bindings that name it (escalate);
        what they yield is other identities, or the identity itself holding more. Only
        impersonating users depends on its name (it is left out of the users it may become):
        an identity that may do so is not shared. The subject a binding matched is written None
        when it is the identity itself, so a team's users, its group and its service accounts
        that its grants bind alike share one search (issue 19).

        Coarser still when no row reads the bindings (escalate, aggregated roles do): only the
        blocks a requirement draws on (`PermissionSets.relevant`) are in the key, so identities
        that differ in bindings no row can use (`view`, a configmap of their own) share too.
        """
        kind = ident.kind
        if kind == "superuser" or ident.is_node or MASTERS in ident.groups:
            return None
        if kind == "serviceaccount":
            own_kind, own_name, own_ns = "ServiceAccount", ident.name, ident.namespace
        elif kind == "group":
            own_kind, own_name, own_ns = "Group", ident.groups[0] if ident.groups else "", ""
        else:
            own_kind, own_name, own_ns = "User", ident.name, ""
        present = self._present_of(ident)
        if present is not None:
            # The identity's requirements, read once (`_may_impersonate_users` and
            # `_reads_bindings` ask the same rows with the blocks' answers).
            if self._answers_a_row(ident, present, self._impersonate_users):
                return None
            if not self._answers_a_row(ident, present, self._binding_rows):
                # Only the blocks a requirement may draw on count (`relevant`): every answer, and
                # so every step, comes from them; the identity's own block by its bindings (its
                # subject equal to the identity's own, field by field).
                return ("relevant", ident.acquired, tuple(
                    ("own", blk.ranks) if (sub := blk.subject) is not None and sub.name == own_name
                    and sub.kind == own_kind and sub.namespace == own_ns else blk
                    for blk in self.relevant_blocks(ident)))  # type: ignore[union-attr]
        elif self._may_impersonate_users(ident):
            return None
        own = RbacSubject(own_kind, own_name, own_ns)
        bound = tuple((b.ref, None if s == own else s) for b, s in self.sets.bound(ident.user_info))
        return (ident.acquired, bound)

    def _answers_a_row(self, ident: Identity, present: set[int], rows: list[EscalationRule]) -> bool:
        """`any(self._has_all(ident, row) for row in rows)` for an identity with blocks, whose
        blocks answer `present`: a row whose requirements are all the table's is answered when
        `present` holds them all (a set test per row, made once per graph)."""
        tests: dict[int, tuple[EscalationRule, frozenset[int] | None]] = self.__dict__.setdefault("_row_tests", {})
        for row in rows:
            test = tests.get(id(row))
            if test is None or test[0] is not row:
                asked = all(self.sets.asks(n) for n in row.requires)
                test = tests[id(row)] = (row, frozenset(id(n) for n in row.requires) if asked else None)
            ids = test[1]
            if (present.issuperset(ids) if ids is not None else self._has_all(ident, row)):
                return True
        return False

    def _reads_bindings(self, ident: Identity) -> bool:
        """Whether a row that reads the bindings naming the identity (escalate, aggregated roles:
        the roles it may rewrite are those bound to it) finds what it requires."""
        return any(self._has_all(ident, row) for row in self._binding_rows)

    def _has_all(self, ident: Identity, row: EscalationRule) -> bool:
        """`self._all_needs(ident, row) is not None`, asking the blocks whether each answer is
        empty rather than merging the answers."""
        present = self._present_of(ident)
        if present is not None:
            for need in row.requires:
                if id(need) not in present:
                    if self.sets.asks(need):
                        return False
                    return self._all_needs(ident, row) is not None  # not the table's: asked plainly
            return True
        return self._all_needs(ident, row) is not None

    def _present_of(self, ident: Identity) -> set[int] | None:
        """The ids of the requirements the identity's blocks answer (`PermissionSets.present`),
        once per identity (None: see `blocks`)."""
        facts = self._facts_of(ident)
        out = facts.present
        if out is _UNSET:
            blocks = facts.blocks
            if blocks is None:
                out = None
            elif ident.acquired and not ident.is_node:
                # Its user's blocks' (kept per tuple), then its acquired roles' (per tuple of roles):
                # one union, not one per block (`blocks`: the user's, then the acquired part).
                out = self.sets.present_in(self.sets.user_blocks(ident.user_info)) | self._acquired_part(
                    ident.acquired)[1]
            else:
                out = self.sets.present_in(blocks)
            facts.present = out
        return out  # type: ignore[return-value]

    def relevant_blocks(self, ident: Identity) -> list[Block] | None:
        """The identity's blocks a requirement of the table may draw on (None: see `blocks`)."""
        facts = self._facts_of(ident)
        out = facts.relevant
        if out is _UNSET:
            blocks = facts.blocks
            # `sets.relevant(blk)` in line (some 5 blocks per identity).
            present = self.sets.present
            out = facts.relevant = (None if blocks is None else [
                blk for blk in blocks if (blk.present if blk.present is not None else present(blk))])
        return out  # type: ignore[return-value]

    def _may_impersonate_users(self, ident: Identity) -> bool:
        """Whether a row impersonating users yields for the identity (a cheap test of each rule
        first, cached per rule: most identities hold none that could)."""
        if not self._impersonate_users:
            return False
        if self.blocks(ident) is not None:  # answers are cheap: ask the rows themselves
            return any(self._has_all(ident, row) for row in self._impersonate_users)
        # The identity's rules are its bindings' roles' rules and its acquired ones
        # (AccessModel.permissions): tested per role, cached, rather than per permission.
        roles = [self.model.roles.get(b.role) for b, _s in self.sets.bound(ident.user_info)]
        acquired = [p.rule for p in self.permissions(ident) if p.reason.binding is None] if ident.acquired else []
        for row in self._impersonate_users:
            need = row.requires[0]
            if ((any(role is not None and self._role_meets(role, need) for role in roles)
                 or any(self._meets(rule, need) for rule in acquired))
                    and self._all_needs(ident, row) is not None):
                return True
        return False

    def _role_meets(self, role: RoleObj, need: Need) -> bool:
        key = (id(role), id(need))
        entry = self._role_meets_cache.get(key)
        if entry is None or entry[0] is not role:
            entry = self._role_meets_cache[key] = (role, any(self._meets(r, need) for r in role.rules))
        return entry[1]

    def _meets(self, rule: PolicyRule, need: Need) -> bool:
        """Whether a rule may satisfy a requirement in some scope (what `find` accepts, without its
        index; scope and signer names are `need`'s business)."""
        # Keyed by the rule object (roles' rules are shared by every permission that holds them;
        # hashing a rule is the cost); the entry keeps the rule, so its id is not reused.
        key = (id(rule), id(need))
        entry = self._meets_cache.get(key)
        if entry is not None and entry[0] is rule:
            return entry[1]
        hit = rule_meets(rule, need)
        self._meets_cache[key] = (rule, hit)
        return hit

    def _acquire_step(self, ident: Identity, steps: list[Step]) -> list[Step]:
        """The acquiring steps of an identity (bind, escalate, mounts, ...) merged into one step to the
        union of their gains.

        Acquisitions only ever add permissions, so taking them all at once reaches the same
        permissions as taking them one by one; one merged step per identity keeps the search a
        fixpoint (a chain of ever larger identities) instead of a walk over every subset of gains.
        """
        if len(steps) <= 1:
            return steps
        ordered = sorted(steps, key=_step_key)
        gained: set[Acquired] = set()
        for step in ordered:
            gained.update(step.target.acquired)
        target = self._gain(ident, gained - set(ident.acquired))
        if target is None:
            return []
        basis: dict[int, Permission] = {}
        for step in ordered:
            for p in step.grants:
                basis.setdefault(id(p), p)
        action = _merge_actions(tuple(step.action for step in ordered))
        rules = ",".join(dict.fromkeys(s.rule for s in ordered))
        return [Step(ordered[0].kind, action, target, tuple(sorted(basis.values(), key=self.sets.sort_key)),
                     rules)]

    def _gain(self, ident: Identity, gains: AbstractSet[Acquired]) -> Identity | None:
        """The identity holding `gains` besides what it holds, or None when they add nothing.
        A function of its arguments, kept per graph: a search's workload rows gain the same
        mounts (one per namespace its pods run in) row after row."""
        key = (ident, frozenset(gains))
        out = self._gains.get(key, _UNSET)
        if out is _UNSET:
            out = self._gains[key] = self._gain_of(ident, key[1])
        return out  # type: ignore[return-value]

    def _gain_of(self, ident: Identity, gains: AbstractSet[Acquired]) -> Identity | None:
        # Most gains are rules in namespaces (mounts: one per namespace a pod may be created in,
        # every namespace for a cluster-wide grant) by an identity that holds no `everything`:
        # then they add what the identity does not hold (sets compared in C, the scopes of
        # `everything` members found once per set of gains and per identity).
        plain = self._everything_scopes(gains)
        if not plain and not self._everything_scopes(ident.acquired):
            held = self._held(ident)
            if held.issuperset(gains):
                return None
            # The sorted union, once per pair of sets (frozensets: their hashes are kept): the
            # classes of a team gain its namespaces' mounts alike, holding the same or nothing.
            unions: dict[tuple[frozenset[Acquired], AbstractSet[Acquired]], tuple[Acquired, ...]] = (
                self.__dict__.setdefault("_unions", {}))
            key = (held, gains if type(gains) is frozenset else frozenset(gains))
            merged = unions.get(key)
            if merged is None:
                merged = unions[key] = tuple(sorted(held.union(gains), key=_acq_key))
            return Identity(ident.kind, ident.name, ident.namespace, ident.groups, merged)
        if None in plain:  # everything cluster-wide
            return Identity.superuser()
        held = set(ident.acquired)
        # Anything in a scope where everything is already held adds nothing. (`Acquired(scope,
        # None) in held`, without making one per gain: the scopes of such members of held.)
        everywhere = {a.scope for a in held if _is_everything(a)}
        gains = {a for a in gains if a.scope not in everywhere}
        new = held | gains
        if any(a.everything for a in gains):
            everywhere = {a.scope for a in new if _is_everything(a)}
            new = {a for a in new if a.everything or a.scope not in everywhere}
        if new == held:
            return None
        return Identity(ident.kind, ident.name, ident.namespace, ident.groups, tuple(sorted(new, key=_acq_key)))

    def _everything_scopes(self, gains: AbstractSet[Acquired] | tuple[Acquired, ...]) -> frozenset[str | None]:
        """The scopes of the members of `gains` that are every permission there (`everything`),
        once per set (kept by id with the set: mounts' sets are shared by rows and classes)."""
        cache: dict[int, tuple[Any, frozenset[str | None]]] = self.__dict__.setdefault("_everything_cache", {})
        entry = cache.get(id(gains))
        if entry is None or entry[0] is not gains:
            entry = cache[id(gains)] = (gains, frozenset(a.scope for a in gains if a.everything))
        return entry[1]

    def _held(self, ident: Identity) -> frozenset[Acquired]:
        """`set(ident.acquired)`, once per tuple of acquired roles (kept with the tuple: an id is
        not reused; the members of a class share their representative's tuple)."""
        acquired = ident.acquired
        cache: dict[int, tuple[tuple[Acquired, ...], frozenset[Acquired]]] = self.__dict__.setdefault("_held_cache", {})
        entry = cache.get(id(acquired))
        if entry is None or entry[0] is not acquired:
            entry = cache[id(acquired)] = (acquired, frozenset(acquired))
        return entry[1]

    # -- effects: one function per `effect` of the table ------------------------------------

    def _answered(self, row: EscalationRule, needs: list[list[Permission]], make: Callable[[], _T]) -> _T:
        """What `make` computes from a row's answers alone (the permission objects in `needs`, and
        the graph's tables), once per row and answers: the classes of a namespace's service
        accounts, a team's group and their acquired variants find the same permissions. The entry
        keeps the answers alive, so the ids in its key are not reused while it lives."""
        key = (row.name, tuple([tuple([id(p) for p in ps]) for ps in needs]))
        entry = self._by_answers.get(key)
        if entry is None:
            entry = self._by_answers[key] = (needs, make())
        return entry[1]  # type: ignore[no-any-return]

    def _workload(self, ident: Identity, row: EscalationRule) -> Raw:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        fans, gains, action, basis = self._answered(row, needs, lambda: self._workload_of(row, needs))
        return [*fans, *self._acquire(ident, row, gains, action, basis)]

    def _workload_of(self, row: EscalationRule, needs: list[list[Permission]],
                     ) -> tuple[list[_Fan], frozenset[Acquired], str, tuple[Permission, ...]]:
        need = row.requires[0]
        scoped = self._scopes(needs[0])
        verb = "/".join(need.verbs)
        fans = self._sa_steps(row, scoped, f"can {verb} {need.target} {{where}} (pods run as any service "
                              "account there)")
        # One acquisition for every namespace at once: linear in the namespaces, not quadratic.
        names = sorted(scoped)
        where = (f"namespace `{names[0]}`" if len(names) == 1
                 else "namespaces " + ", ".join(f"`{n}`" for n in names))
        gains = frozenset(self._mount(ns) for ns in names)
        basis = tuple(sorted({id(p): p for ps in scoped.values() for p in ps}.values(), key=self.sets.sort_key))
        return fans, gains, (f"can {verb} {need.target} in {where} (its pods mount any secret and configmap "
                             "there)"), basis

    def _pod_entry(self, ident: Identity, row: EscalationRule) -> Raw:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        need = row.requires[0]
        how = " (WebSocket)" if need.verbs == ("get",) else ""
        return self._answered(row, needs, lambda: self._sa_steps(
            row, self._scopes(needs[0]), f"can {'/'.join(need.verbs)} {need.target}{how} "
            "{where} (runs code in pods of any service account there)"))

    def _token(self, ident: Identity, row: EscalationRule) -> Raw:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        return self._answered(row, needs, lambda: self._sa_steps(
            row, self._scopes(needs[0]), "can create serviceaccounts/token {where}", self._named(needs[0])))

    def _read_tokens(self, ident: Identity, row: EscalationRule) -> Raw:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        what = "auto-created service account tokens" if row.last is not None else "service account tokens"
        return self._answered(row, needs, lambda: self._sa_steps(
            row, self._scopes(needs[0]), f"can read secrets {{where}} ({what})"))

    def _token_secret(self, ident: Identity, row: EscalationRule) -> Raw:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        return self._answered(row, needs, lambda: self._token_secret_of(row, needs))

    def _token_secret_of(self, row: EscalationRule, needs: list[list[Permission]]) -> list[_Fan]:
        create, read = (self._scopes(n) for n in needs)
        scoped = {ns: create[ns] + read[ns] for ns in create if ns in read}
        return self._sa_steps(row, scoped, "can create a service-account-token secret and read it back {where}")

    def _read_on_write(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        out: list[Step] = []
        for p in needs[0]:
            where = f"in namespace `{p.scope}`" if p.scope else "cluster-wide"
            acq = _read_on_write_acquired(p.scope, p.rule.resource_names)
            out += self._acquire(ident, row, {acq}, f"can update/patch secrets {where} (the response carries "
                                 "the data)", [p])
        return out

    def _impersonate_sa(self, ident: Identity, row: EscalationRule) -> Raw:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        return self._answered(row, needs, lambda: self._sa_steps(
            row, self._scopes(needs[0]), "can impersonate serviceaccounts {where}", self._named(needs[0])))

    def _impersonate_user(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        perms, names = self._cluster_names(needs[0])
        users = sorted(self.model.users() if names is None else names)
        return [Step("impersonate", f"can impersonate user `{name}`", Identity.impersonated(name), tuple(perms),
                     row.name) for name in users if name != ident.name]

    def _impersonate_group(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        group_perms, group_names = self._cluster_names(needs[0])
        # The impersonation filter needs a user (or service account) to impersonate with the groups.
        with_user = self.need(ident, _IMPERSONATE_USERS) or self.need(ident, _IMPERSONATE_SAS)
        if not with_user:
            return []
        basis = tuple(group_perms) + tuple(with_user)
        if group_names is None or MASTERS in group_names:
            what = "can impersonate every group" if group_names is None else "can impersonate group `system:masters`"
            return [Step("impersonate", what, Identity.superuser(), basis, row.name)]
        return [Step("impersonate", f"can impersonate group `{g}`", Identity.group(g), basis, row.name)
                for g in sorted(group_names)]

    def _impersonate_node(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        _, users = self._cluster_names(needs[0])
        if users is None:
            node = ""
        else:
            nodes = sorted(u for u in users if u.startswith(NODE_PREFIX))
            if not nodes:
                return []
            node = nodes[0][len(NODE_PREFIX):]
        basis = tuple(needs[0]) + tuple(needs[1])
        return [Step("impersonate", f"can impersonate a node (user `{NODE_PREFIX}{node or '*'}`, group `{NODES}`)",
                     Identity.node(node), basis, row.name)]

    def _bind(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        bind, write = needs
        bind_need = row.requires[0]
        kind = "ClusterRole" if bind_need.resource == "clusterroles" else "Role"
        if bind_need.cluster:
            _, names = self._cluster_names(bind)
            gains = {Acquired(None, None)} if names is None else {
                Acquired(None, ObjRef(kind, "", n)) for n in names if ObjRef(kind, "", n) in self.model.roles}
            return self._acquire(ident, row, gains, "can bind clusterroles and write clusterrolebindings",
                                 bind + write)
        out: list[Step] = []
        write_scopes = self._scopes(write)
        bind_scopes = self._scopes(bind)
        for ns, names in sorted(self._named(bind).items()):
            if ns not in write_scopes:
                continue
            if kind == "ClusterRole":
                gains = {Acquired(ns, None)} if names is None else {
                    Acquired(ns, ObjRef(kind, "", n)) for n in names if ObjRef(kind, "", n) in self.model.roles}
            else:
                roles = {ref for ref in self.model.roles if ref.kind == "Role" and ref.namespace == ns}
                gains = {Acquired(ns, r) for r in roles if names is None or r.name in names}
            out += self._acquire(ident, row, gains, f"can bind {bind_need.resource} and write rolebindings in "
                                 f"namespace `{ns}`", bind_scopes[ns] + write_scopes[ns])
        return out

    def _escalate(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        esc, upd = needs
        kind = "ClusterRole" if row.requires[0].resource == "clusterroles" else "Role"
        out: list[Step] = []
        for b, _s in self.sets.bound(ident.user_info):
            if b.role.kind != kind:
                continue
            where = "" if kind == "ClusterRole" else b.role.namespace

            def ok(p: Permission, name: str = b.role.name, where: str = where) -> bool:
                return p.applies_in(where) and (not p.rule.resource_names or name in p.rule.resource_names)

            basis = [p for p in esc if ok(p)] + [p for p in upd if ok(p)]
            if any(ok(p) for p in esc) and any(ok(p) for p in upd):
                acq = Acquired(b.scope, None)
                out += self._acquire(ident, row, {acq}, f"can escalate and update {kind} `{b.role.name}` bound to "
                                     f"it ({acq})", basis)
        return out

    def _aggregated_members(self) -> dict[ObjRef, frozenset[str]]:
        """Each aggregated ClusterRole and the ClusterRoles whose rules flow into it (nested followed)."""
        if self._members is None:
            cluster = [r for r in self.model.roles.values() if r.ref.kind == "ClusterRole"]
            direct = {r.ref: {m.ref.name for m in cluster if m.ref != r.ref and any(
                sel.matches(dict(m.labels)) for sel in (r.selectors or ()))} for r in cluster if r.is_aggregated}
            members: dict[ObjRef, frozenset[str]] = {}
            for ref in direct:
                seen: set[str] = set()
                stack = list(direct[ref])
                while stack:
                    name = stack.pop()
                    if name in seen:
                        continue
                    seen.add(name)
                    stack += direct.get(ObjRef("ClusterRole", "", name), ())
                members[ref] = frozenset(seen)
            self._members = members
        return self._members

    def _aggregated_member(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        esc, write = needs
        creates = [p for p in write if matching.verb_matches(p.rule, "create") and not p.rule.resource_names]
        members = self._aggregated_members()
        out: list[Step] = []
        for b, _s in self.sets.bound(ident.user_info):
            names = members.get(b.role)
            if names is None or b.role.kind != "ClusterRole":
                continue

            def allows(p: Permission, names: frozenset[str] = names) -> bool:
                return not p.rule.resource_names or bool(set(p.rule.resource_names) & names)

            ok_esc = [p for p in esc if allows(p)]
            ok_upd = creates or [p for p in write if allows(p)]
            if ok_esc and ok_upd:
                acq = Acquired(b.scope, None)
                how = "create a ClusterRole labelled for" if creates else "rewrite a member of"
                out += self._acquire(ident, row, {acq}, f"can escalate and {how} aggregated ClusterRole "
                                     f"`{b.role.name}` bound to it ({acq})", ok_esc + ok_upd)
        return out

    def _csr(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        signer = row.requires[-1].names[0] if row.requires[-1].names else ""
        what = f"the `{signer}` signer" if signer else "any signer (no signer check)"
        basis = tuple(p for n in needs for p in n)
        return [Step("csr", f"can create and approve certificate signing requests for {what} (a client "
                     "certificate in group `system:masters`)", Identity.superuser(), basis, row.name)]

    def _every_sa(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        need = row.requires[0]
        action = (f"can {'/'.join(need.verbs)} {need.target} ({row.yields.split('(', 1)[-1].rstrip(')')})")
        grants = tuple(needs[0])
        return [Step(step_kind(row), action, self._sa_identity(ns, name), grants, row.name)
                for ns, name in self._all_sas]

    def _namespace_delete(self, ident: Identity, row: EscalationRule) -> list[Step]:
        needs = self._all_needs(ident, row)
        if needs is None:
            return []
        # A cluster-wide grant deletes the namespaces it names (every one without names); a grant in NS
        # only NS itself (the namespace's own object).
        targets: dict[str, list[Permission]] = {}
        for p in needs[0]:
            names = p.rule.resource_names
            if p.scope is None:
                spaces = sorted(set(names)) if names else list(self.namespaces)
            else:
                spaces = [p.scope] if not names or p.scope in names else []
            for ns in spaces:
                targets.setdefault(ns, []).append(p)
        if not targets:
            return []
        names = sorted(targets)
        where = (f"namespace `{names[0]}`" if len(names) == 1
                 else "namespaces " + ", ".join(f"`{n}`" for n in names))
        gains = {Acquired(ns, None, (DELETE_ALL,), "the namespace controller deletes it with the namespace")
                 for ns in names}
        basis = sorted({id(p): p for ps in targets.values() for p in ps}.values(), key=self.sets.sort_key)
        return self._acquire(ident, row, gains, f"can delete {where} (the namespace controller then deletes "
                             "everything in it)", basis)

    # ------------------------------------------------------------------ reachability

    def reach(self, start: Identity) -> dict[Identity, tuple[Step, ...]]:
        """Every identity reachable from `start`, with a shortest path, in breadth-first order.

        Computed once per start (do not change the dictionary returned); a user that shares its
        bindings with an earlier one gets that one's reach renamed (`representative`)."""
        cached = self._reach.get(start)
        if cached is not None:
            return cached
        rep = self.representative(start)
        if rep is not None and rep != start:
            mapped = _Renaming(self, rep, start).reach(self.reach(rep))
            if mapped is not None:
                self._reach[start] = mapped
                return mapped
        return self._bfs(start)

    def reachable(self, start: Identity) -> Collection[Identity]:
        """The identities of `reach(start)` (its keys, in no particular order), found over
        `targets`: without the paths, and without steps where a class searched (the guards walk
        targets only, so a reach is not made for every subject; issue 19)."""
        cached = self._reach.get(start)
        if cached is not None:
            return cached.keys()
        seen = {start}
        todo = [start]
        while todo:
            for t in self.targets(todo.pop()):
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    def _bfs(self, start: Identity) -> dict[Identity, tuple[Step, ...]]:
        cached = self._reach.get(start)
        if cached is not None:
            return cached
        paths: dict[Identity, tuple[Step, ...]] = {start: ()}
        queue = deque([start])
        while queue:
            ident = queue.popleft()
            for step in self.edges(ident):
                if step.target not in paths:
                    paths[step.target] = (*paths[ident], step)
                    queue.append(step.target)
        self._reach[start] = paths
        return paths

    # ------------------------------------------------------------------ classes of users

    def share_key(self, ident: Identity) -> tuple | None:
        """What a user's search depends on: its groups and the bindings that name it (the user's
        own name written as None), or None for identities that never share (service accounts,
        groups, nodes, `system:` names, identities holding acquired roles).

        Two users with the same key hold the same rules through the same bindings in the same
        order (AccessModel.permissions), so every row of the table finds the same permissions
        for both, bar the subject the reasons name.
        """
        if ident.kind != "user" or ident.acquired or not ident.name or ident.name.startswith("system:"):
            return None
        if MASTERS in ident.groups or ident.is_node:
            return None
        # The list of (binding, subject) with the user's own name written None is its groups'
        # part (AccessModel.group_part, the same for the same groups) with the bindings that
        # matched it by name in place: the ranks of those are the rest of the key. (A user name
        # is not a service account's: `system:` names do not share; so its own subjects are all
        # `User` subjects of its name.)
        # `sets.own(ident.user_info)[1]`, without making the user (its fields are the identity's).
        return (ident.groups, self.sets.own_ranks(ident.name, ident.groups))

    def representative(self, ident: Identity, can_share: Callable[[Identity], bool] | None = None) -> Identity | None:
        """The first user seen with the same `share_key` whose reach, renamed, is this user's; None
        when the identity does not share (its own search is made).

        A class shares only when the representative's search never depends on its name: no
        identity it reaches is another user (impersonation lists users by name and leaves the
        impersonator out, and orders them by name), and it cannot impersonate users at all.
        Otherwise every member is searched on its own, as before (issue 19). `can_share` decides
        that of a new representative in place of `_can_share` (the guards' walk knows who each
        identity reaches).
        """
        done = self._rep_of.get(ident, _UNSET)  # one lookup: every guard's plan asks each subject
        if done is not _UNSET:
            return done  # type: ignore[return-value]
        key = self.share_key(ident)
        rep: Identity | None = None
        if key is not None:
            rep = self._reps.setdefault(key, ident)
            ok = self._shareable.get(rep)
            if ok is None:
                ok = self._shareable[rep] = (can_share or self._can_share)(rep)
            rep = rep if ok else None
        self._rep_of[ident] = rep
        return rep

    def _can_share(self, rep: Identity) -> bool:
        # The identities `_bfs(rep)` reaches (by `targets`, the same edges' targets), in any order.
        seen = {rep}
        todo = [rep]
        while todo:
            ident = todo.pop()
            if not self.shares_past(rep, ident):
                return False
            for t in self.walk_targets(ident):
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return True

    def shares_past(self, rep: Identity, ident: Identity) -> bool:
        """Whether `rep`'s class may share its search as far as an identity it reaches goes
        (`representative`): not another user, nor the representative (or it holding more) able
        to impersonate users."""
        if ident.base == rep.base:
            return not any(self._has_all(ident, row) for row in self._impersonate_users)
        return ident.kind != "user"

    def effective_access(self, start: Identity) -> list[EffectiveGrant]:
        """Every permission `start` can use, directly or through escalation (shortest path first)."""
        seen: set[int] = set()
        out: list[EffectiveGrant] = []
        for ident, path in self.reach(start).items():
            for p in self.permissions(ident):
                key = self._value_id(p)
                if key not in seen:
                    seen.add(key)
                    out.append(EffectiveGrant(p, ident, path))
        return out

    def _value_id(self, p: Permission) -> int:
        """A number per permission value (scope, rule, reason), looked up by the object: each
        permission object is hashed once per graph, not once per subject that reaches it."""
        entry = self._value_ids.get(id(p))
        if entry is None or entry[0] is not p:
            number = self._values.setdefault(p, len(self._values))
            entry = self._value_ids[id(p)] = (p, number)
        return entry[1]

    def escalation_paths(self, start: Identity) -> list[tuple[Identity, tuple[Step, ...]]]:
        """Every identity `start` can become (other than itself), with the path."""
        return [(i, p) for i, p in self.reach(start).items() if p]


class _Renaming:
    """A representative's reach rewritten for another member of its class: the representative and
    what it acquires become the member (same kind, groups and acquired roles), and the grants of
    steps out of them become the member's permissions, which list the same rules in the same
    order (share_key). Steps out of anyone else are kept as they are. The orders of the search
    are the same: a step out of the representative has at most one target of kind `user` (itself
    holding more), so comparing targets never compares the two names."""

    def __init__(self, graph: EscalationGraph, rep: Identity, member: Identity) -> None:
        self.graph, self.rep, self.member = graph, rep.base, member.base
        self._perms: dict[Identity, dict[int, Permission]] = {}
        self._steps: dict[int, Step] = {}

    def ident(self, i: Identity) -> Identity:
        if not _same_base(i, self.rep):
            return i
        m = self.member
        return Identity(m.kind, m.name, m.namespace, m.groups, i.acquired)

    def _perm_map(self, source: Identity) -> dict[int, Permission]:
        out = self._perms.get(source)
        if out is None:
            out = self.graph.perm_pairs(source, self.ident(source))
            if out is None:
                raise _NotShared
            self._perms[source] = out
        return out

    def step(self, source: Identity, step: Step) -> Step:
        done = self._steps.get(id(step))
        if done is not None:
            return done
        if _same_base(source, self.rep):
            perms = self._perm_map(source)
            grants = tuple(perms.get(id(p), p) for p in step.grants) if perms else step.grants
            done = Step(step.kind, step.action, self.ident(step.target), grants, step.rule)
        elif _same_base(step.target, self.rep):
            raise _NotShared
        else:
            done = step
        self._steps[id(step)] = done
        return done

    def reach(self, paths: dict[Identity, tuple[Step, ...]]) -> dict[Identity, tuple[Step, ...]] | None:
        """The member's reach, or None when something does not map (the member is searched)."""
        out: dict[Identity, tuple[Step, ...]] = {}
        try:
            for ident, path in paths.items():
                source = self.rep
                mapped = []
                for st in path:
                    mapped.append(self.step(source, st))
                    source = st.target
                out[self.ident(ident)] = tuple(mapped)
        except _NotShared:
            return None
        return out


class _Class:
    """The rows' search of the first identity of a `search_key` (`rep`), and each other member's
    edges made from it without searching: what `_finish` makes of the steps the member's own
    search would yield, which are the representative's with targets that hold acquired roles
    (only `_gain` makes them: the searcher holding more) made the member holding the same, and
    grants made the member's permissions at the same place of the same blocks.

    Steps to other identities do not depend on who searched: they are sorted and kept one per
    target once per class; per member only its own acquiring steps are merged (`_acquire_step`)
    and put in place, and the grants of the steps it keeps renamed.
    """

    __slots__ = ("rep", "_raw", "_acquiring", "_to", "_firsts", "_keys", "_counts", "_acquired_targets", "_gained",
                 "_rep_blocks", "_every", "_merged_gain")

    def __init__(self, rep: Identity) -> None:
        self.rep = rep
        # The rows' search (`_row_steps`), made on the first `edges`: `targets` reads the rows'
        # targets alone (`_row_targets`), without steps.
        self._raw: Raw | None = None
        # Made on the first `edges` (`_order`): walks that ask only who is reached never list
        # the steps of the fans.
        self._acquiring: list[tuple[int, Step]] = []  # steps to the searcher holding more
        self._to: dict[Identity, list[tuple[int, Step]]] = {}  # the other steps, by target
        self._firsts: list[Step] | None = None
        self._keys: list[tuple] = []
        # Made on the first `targets`: how many steps go to each target that holds nothing
        # acquired (fans counted target by target; 2 stands for 2 or more), and the targets
        # that do (only `_gain` makes them: the searcher holding more), one per step.
        self._counts: dict[Identity, int] | None = None
        self._acquired_targets: list[Identity] = []
        self._gained: frozenset[Acquired] = frozenset()  # what those hold, together
        # Every target of `_counts`, as a tuple and as a dict (copied per member that acquires).
        self._every: tuple[tuple[Identity, ...], dict[Identity, None]] | None = None
        self._rep_blocks: Any = _UNSET  # `relevant_blocks(rep)`, asked once
        self._merged_gain: Any = _UNSET  # what the acquiring steps gain together, the representative's

    def raw(self, graph: EscalationGraph) -> Raw:
        """What the rows yield for the representative (searched once)."""
        raw = self._raw
        if raw is None:
            raw = self._raw = graph._row_steps(self.rep)
        return raw

    def _order(self, graph: EscalationGraph) -> list[Step]:
        firsts = self._firsts
        if firsts is not None:
            return firsts
        for i, st in enumerate(expand(self.raw(graph))):
            if st.target.acquired:
                self._acquiring.append((i, st))
            else:
                self._to.setdefault(st.target, []).append((i, st))
        # The first step to each target in `_step_key` order (a stable sort: row order on ties).
        # Steps to one target differ in their key by kind and action only.
        first: dict[Identity, tuple[tuple[int, str, int], Step]] = {}
        for target, steps in self._to.items():
            first[target] = min(((_STEP_RANK[st.kind], st.action, i), st) for i, st in steps)
        ordered = sorted(((_step_key(st), k[2], st) for k, st in first.values()), key=lambda e: (e[0], e[1]))
        firsts = self._firsts = [st for _key, _i, st in ordered]
        self._keys = [key for key, _i, _st in ordered]
        return firsts

    def _target_counts(self, graph: EscalationGraph) -> dict[Identity, int]:
        counts = self._counts
        if counts is None:
            found = (graph._row_targets(self.rep) if self._raw is None
                     else [item.targets if type(item) is _Fan else item.target  # type: ignore[union-attr]
                           for item in self._raw])
            # A fan's tuple is listed once per row that reaches its namespace alike (a class's
            # workload rows, a dozen): each tuple is counted once, twice when listed more often,
            # since `targets` asks a count only whether it is 0, 1 or more.
            fans: dict[int, list] = {}
            for item in found:
                if type(item) is tuple:
                    entry = fans.get(id(item))
                    if entry is None:
                        fans[id(item)] = [item, 1]
                    else:
                        entry[1] += 1
            # A plain dict counted in C (`Counter.update`'s own helper; `Counter` would add a
            # Python-level call per fan and per missing key), in the same insertion order.
            counts = {}
            for fan, times in fans.values():
                _count_elements(counts, fan)
                if times > 1:
                    _count_elements(counts, fan)
            get = counts.get
            for t in found:
                if type(t) is not tuple:
                    if t.acquired:  # type: ignore[union-attr]
                        self._acquired_targets.append(t)
                    else:
                        counts[t] = get(t, 0) + 1  # type: ignore[index]
            self._gained = frozenset(a for t in self._acquired_targets for a in t.acquired)
            self._counts = counts
        return counts

    def targets(self, graph: EscalationGraph, ident: Identity) -> tuple[Identity, ...] | None:
        """The targets of `edges(graph, ident)` (each once, in no particular order), or None when
        the blocks do not line up; without pairing or renaming grants. They are the targets
        `edges` gives its steps: the class's first steps' but the member itself, and the target
        of its acquiring steps renamed and merged as `_acquire_step` merges them (one step is
        kept as it is; several become one to the member holding the union of what they gain,
        `_gain`, or none)."""
        mine = self._rep_blocks
        if mine is _UNSET:
            mine = self._rep_blocks = graph.relevant_blocks(self.rep)
        theirs = graph.relevant_blocks(ident)
        if mine is None or theirs is None or not blocks_line_up(mine, theirs):
            return None
        base = ident.base
        counts = self._target_counts(graph)
        # The acquiring steps: to the searcher holding more, and to the member itself.
        acquiring = self._acquired_targets + [base] * counts.get(base, 0)
        every = self._every
        if every is None:
            every = self._every = (tuple(counts), dict.fromkeys(counts))
        if not acquiring:
            # Neither the member nor the member holding more is a target: the class's targets,
            # one tuple for every such member.
            return every[0]
        out = every[1].copy()  # `dict.fromkeys(counts)`: a copy keeps the hashes (identities hash in Python)
        out.pop(base, None)
        if len(acquiring) == 1:
            t = acquiring[0]
            out[Identity(ident.kind, ident.name, ident.namespace, ident.groups, t.acquired) if t.acquired else t] = None
        elif acquiring:
            # What they gain together (steps to the member itself gain nothing).
            target = self._merged(graph, ident)
            if target is not None:
                out[target] = None
        out.pop(ident, None)
        return tuple(out)

    def _merged(self, graph: EscalationGraph, ident: Identity) -> Identity | None:
        """`graph._gain(ident, self._gained - set(ident.acquired))`: the representative's, made
        the member. The members of a class hold the same acquired roles (`search_key` holds
        them), and `_gain_of` reads of an identity only those, then names it: its result for
        the representative is everyone's, renamed (the superuser is no one's to rename)."""
        rep = self.rep
        if ident.acquired != rep.acquired:  # not a member: asked plainly
            return graph._gain(ident, self._gained - set(ident.acquired))
        merged = self._merged_gain
        if merged is _UNSET:
            merged = self._merged_gain = graph._gain(rep, self._gained - set(rep.acquired))
        if merged is None or merged.kind == "superuser":
            return merged  # type: ignore[no-any-return]
        return Identity(ident.kind, ident.name, ident.namespace, ident.groups, merged.acquired)  # type: ignore[union-attr]

    def edges(self, graph: EscalationGraph, ident: Identity) -> tuple[Step, ...] | None:
        """`graph._finish(ident, <ident's own rows>)`, or None when the blocks do not line up."""
        mine, theirs = graph.relevant_blocks(self.rep), graph.relevant_blocks(ident)
        if mine is None or theirs is None:
            return None
        # Steps' grants come from requirements' answers, which come from these blocks only.
        perms = pair_blocks(mine, theirs)
        if perms is None:
            return None

        def renamed(st: Step) -> Step:
            target = st.target
            if target.acquired:
                target = Identity(ident.kind, ident.name, ident.namespace, ident.groups, target.acquired)
            grants = st.grants
            if perms and any(id(p) in perms for p in grants):
                grants = tuple(perms.get(id(p), p) for p in grants)
            elif target is st.target:
                return st
            return _step(st.kind, st.action, target, grants, st.rule)

        firsts = self._order(graph)
        base = ident.base
        own = self._to.get(base, [])
        # Merged as the member (the order of the steps merged compares their targets: the member
        # holding more, or itself).
        acquiring = [renamed(st) for _i, st in sorted(self._acquiring + own, key=lambda e: e[0])]
        merged = graph._acquire_step(ident, acquiring)
        out = [st for st in firsts if st.target != base]
        keys = [k for st, k in zip(firsts, self._keys, strict=True) if st.target != base]
        for st in merged:
            # Appended after the others before a stable sort: after every step of an equal key.
            key = _step_key(st)
            at = bisect.bisect_right(keys, key)
            out.insert(at, st)
            keys.insert(at, key)
        best: dict[Identity, Step] = {}
        for st in out:
            if st.target != ident and st.target not in best:
                best[st.target] = st
        return tuple(st if st.target.base == base else renamed(st) for st in best.values())


class _Scoped:
    """Where an identity's answer to one requirement reaches (`EscalationGraph._scoped`): per
    namespace, the resourceNames allowed there (`named`, as `_named` makes it: None for every
    name; a cluster-wide permission reaches every namespace, as in `_scopes`), and what the
    rows' effects make of it, each made once: the fans' targets, all or by name, and the
    mounts of a pod created in each namespace."""

    __slots__ = ("graph", "parts", "named", "_fans", "_named_fans", "_mounts")

    def __init__(self, graph: EscalationGraph, parts: list[dict[str | None, frozenset[str] | None]]) -> None:
        self.graph, self.parts = graph, parts  # the parts are kept: the cache is keyed by their ids
        merged: dict[str | None, frozenset[str] | None] = {}
        for part in parts:
            for scope, names in part.items():
                merged[scope] = _union_names(merged[scope], names) if scope in merged else names
        named: dict[str, frozenset[str] | None] = {scope: names for scope, names in merged.items() if scope}
        for scope, names in merged.items():
            if not scope:  # cluster-wide (`_scopes`: a permission without a scope)
                for ns in graph.namespaces:
                    named[ns] = _union_names(named[ns], names) if ns in named else names
        self.named = named
        self._fans: list[tuple[Identity, ...]] | None = None
        self._named_fans: list[tuple[Identity, ...]] | None = None
        self._mounts: frozenset[Acquired] | None = None

    def fans(self) -> list[tuple[Identity, ...]]:
        """Every service account of each namespace, in namespace order (do not change the list)."""
        out = self._fans
        if out is None:
            out = self._fans = [self.graph._sa_target_idents(ns) for ns in sorted(self.named)]
        return out

    def named_fans(self) -> list[tuple[Identity, ...]]:
        """The service accounts the names allow in each namespace, those that have some."""
        out = self._named_fans
        if out is None:
            fan = self.graph._fan_targets
            out = self._named_fans = [t for ns in sorted(self.named) if (t := fan(ns, self.named[ns]))]
        return out

    def mounts(self) -> frozenset[Acquired]:
        """What pods created in the namespaces mount (`_workload_of`'s gains)."""
        out = self._mounts
        if out is None:
            out = self._mounts = frozenset([self.graph._mount(ns) for ns in self.named])
        return out


def _read_on_write_acquired(scope: str | None, names: tuple[str, ...]) -> Acquired:
    """The secrets an update/patch in `scope` of those `names` (all: empty) returns the data of."""
    rule = PolicyRule(("",), ("secrets",), names, (), ("get",))
    return Acquired(scope, None, (rule,), "returned by update/patch")


class _NotShared(Exception):
    """A representative's reach that does not rename (never expected; the member is searched)."""


_IN_NAMESPACE = re.compile(r"(.*) in namespace `([^`]*)`")


@functools.lru_cache(maxsize=4096)
def _merge_actions(actions: tuple[str, ...]) -> str:
    """`X in namespace `a``, `X in namespace `b`` -> `X in namespaces `a`, `b``; other actions kept."""
    merged: dict[str, list[str]] = {}
    for action in actions:
        m = _IN_NAMESPACE.fullmatch(action)
        prefix, ns = (m.group(1), m.group(2)) if m else (action, "")
        merged.setdefault(prefix, [])
        if ns and ns not in merged[prefix]:
            merged[prefix].append(ns)
    parts = []
    for prefix, namespaces in merged.items():
        if not namespaces:
            parts.append(prefix)
        else:
            where = "namespace" if len(namespaces) == 1 else "namespaces"
            parts.append(f"{prefix} in {where} " + ", ".join(f"`{n}`" for n in namespaces))
    return "; ".join(parts)


_STEP_RANK = {kind: i for i, kind in enumerate(_STEP_ORDER)}


def _step_key(s: Step) -> tuple:
    """Steps ordered by kind, target and action (the fields of a target compared as Identity's
    order compares them, computed once per step rather than once per comparison)."""
    t = s.target
    return (_STEP_RANK[s.kind], (t.kind, t.name, t.namespace, t.groups, t.acquired), s.action)


def _same_base(a: Identity, b: Identity) -> bool:
    """`a.base == b.base` without making the two identities."""
    return a.kind == b.kind and a.name == b.name and a.namespace == b.namespace and a.groups == b.groups


_NO_ROLE = ObjRef("", "", "")


def _is_everything(a: Acquired) -> bool:
    """`a == Acquired(a.scope, None)`."""
    return a.role is None and not a.rules and not a.why


def _union_names(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The names two sets of permissions allow together (None: every name)."""
    return None if a is None or b is None else a | b


def _acq_key(a: Acquired) -> tuple:
    return (a.scope or "", a.role or _NO_ROLE, a.rules, a.why)

# An effect may read the identity only through its permissions (`need`, `find`), its acquired
# roles (`_gain`) and the bindings that apply to it (`bindings_for`): searches are shared by
# `search_key` on exactly these. An effect that reads the identity's name or kind must be
# excluded there, as impersonating users is (`_may_impersonate_users`).
_EFFECTS: dict[str, Callable[[EscalationGraph, Identity, EscalationRule], Raw]] = {
    "workload": EscalationGraph._workload,
    "pod-entry": EscalationGraph._pod_entry,
    "token": EscalationGraph._token,
    "read-tokens": EscalationGraph._read_tokens,
    "token-secret": EscalationGraph._token_secret,
    "read-on-write": EscalationGraph._read_on_write,
    "impersonate-sa": EscalationGraph._impersonate_sa,
    "impersonate-user": EscalationGraph._impersonate_user,
    "impersonate-group": EscalationGraph._impersonate_group,
    "impersonate-node": EscalationGraph._impersonate_node,
    "bind": EscalationGraph._bind,
    "escalate": EscalationGraph._escalate,
    "aggregated-member": EscalationGraph._aggregated_member,
    "csr": EscalationGraph._csr,
    "every-sa": EscalationGraph._every_sa,
    "namespace-delete": EscalationGraph._namespace_delete,
}
# Effects whose targets `_row_targets` reads from the answers' scopes and names (the others' effects run).
# Each must give the targets of the effect of the same name, as often (tests/unit/access/test_class_targets.py).
_TARGETS: dict[str, Callable[[EscalationGraph, Identity, EscalationRule], list[tuple[Identity, ...] | Identity]]] = {
    "workload": EscalationGraph._workload_targets,
    "pod-entry": EscalationGraph._fans_over,
    "token": EscalationGraph._named_targets,
    "read-tokens": EscalationGraph._fans_over,
    "token-secret": EscalationGraph._token_secret_targets,
    "impersonate-sa": EscalationGraph._named_targets,
    "every-sa": EscalationGraph._every_sa_targets,
    "read-on-write": EscalationGraph._read_on_write_targets,
}
# Of those, the ones that read only the identity and `_scoped(ident, row.requires[0])`: equal for
# the rows of one effect whose first answers have the same summaries (`_row_targets`).
_BY_SCOPE = frozenset([EscalationGraph._workload_targets, EscalationGraph._fans_over, EscalationGraph._named_targets])
# Effects that are not steps: facts the table records for guards, can-i and the docs (`controller-sa`:
# the generic service-account rows take these steps; the row records the controllers they reach).
NOT_STEPS = ("none", "request", "controller-sa")


"""Guard verdicts carried from one access model to the next one that differs in a few roles or
bindings (the language server only: `access/policy.py` `graph_for` with `reuse_searches()` on).

A guard's verdict for a subject S (`access/guards.py` `first_violation`) is read from S's reach
(`EscalationGraph.reach`: breadth-first over `edges`) and from the permissions of each identity
X in it. Both are functions of, per X:

- the bindings that apply to X (`AccessModel.bindings_for(X.user_info)`: each binding, the
  subject that matched, in ref order) and the rules of their roles;
- the rules of the roles X holds acquired (`Acquired.role`), and of `system:node` for a node;

and of what every search reads beyond X (the *global* part, compared whole by `delta`): the release, the namespaces
(the graph's, with the policy's extra ones), the service accounts, the users bindings name
(impersonation lists them), the set of roles and their labels and aggregation selectors (bind
lists roles by name, aggregated members by labels), and the guard's spec.

So when the next model has the same global part and differs only in the rules of some roles
(the set C, aggregated ClusterRoles compared after aggregation) and in some bindings (the set
B: added, removed or changed), an identity X is *dirty* when a binding of B, or a binding of a
role of C, applies to it in either model (it goes by a name, `AccessModel.named_by`, that such a
binding's subjects name), or it holds a role of C acquired (or is a node and `system:node` is
in C). A subject whose earlier reach holds no
dirty identity has, in the new model, the same reach (every edge on it is the same, by
induction along the breadth-first order) and the same permissions on it, so its earlier verdict
is its verdict now; every other subject, and every one the earlier graph did not check, is
checked again on the new graph. Anything else that
differs (a namespace, a service account, a user name, a role added or removed or relabelled, the
release) and nothing is carried: the guard is checked whole. `tests/unit/lsp/test_lsp_guard_reuse.py`
compares the result after many edits with a fresh compile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policyc.access.authorizer import AccessModel
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.objects import ObjRef
from policyc.access.request import MASTERS, UserInfo, split_sa_username

if TYPE_CHECKING:
    from policyc.access.guards import GuardSpec, Violation

# `system:node`, the ClusterRole the Node authorizer bounds a kubelet by (escalation.NODE_ROLE).
_NODE_ROLE = ObjRef("ClusterRole", "", "system:node")

Check = Callable[[EscalationGraph, "GuardSpec", list[Identity], Set[tuple[str, str, str]]], list["Violation"]]


@dataclass(frozen=True)
class Delta:
    """The roles whose rules differ (C) and the bindings that differ (B) between two models whose
    global parts are equal."""

    roles: frozenset[ObjRef]
    bindings: frozenset[ObjRef]


def _roles_shape(model: AccessModel) -> dict[ObjRef, tuple]:
    return {ref: (r.labels, r.selectors) for ref, r in model.roles.items()}


def delta(old: EscalationGraph, new: EscalationGraph) -> Delta | None:
    """What differs between the graphs' models, or None when something a search reads beyond an
    identity's own bindings and roles differs (then nothing is carried)."""
    a, b = old.model, new.model
    if (a.release != b.release or old.namespaces != new.namespaces or a.serviceaccounts != b.serviceaccounts
            or a.users() != b.users() or a.roles.keys() != b.roles.keys() or _roles_shape(a) != _roles_shape(b)):
        return None
    roles = frozenset(ref for ref, r in b.roles.items()
                      if (o := a.roles[ref]) is not r and (o.rules != r.rules or o.rule_sources != r.rule_sources))
    ob = {x.ref: x for x in a.bindings}
    nb = {x.ref: x for x in b.bindings}
    bindings = frozenset(ref for ref in ob.keys() | nb.keys() if ob.get(ref) != nb.get(ref))
    return Delta(roles, bindings)


def _user_info(ident: Identity) -> UserInfo:
    # As EscalationGraph.permissions asks the model: the superuser is a member of system:masters.
    return UserInfo("", (MASTERS,)) if ident.kind == "superuser" else ident.user_info


class _Counts:
    """What carrying did so far in this process (tests count the difference an edit makes)."""

    def __init__(self) -> None:
        self.carries = 0  # graphs that carry from an earlier one
        self.carried = 0  # (guard, subject) verdicts carried
        self.checked = 0  # (guard, subject) verdicts checked again on the new graph


COUNTS = _Counts()


class _Earlier:
    """What carrying from one graph found, kept for the next carry from it (an edit made again
    and again in one place carries from the same graph with the same difference).

    Keyed by the graph's verdicts dictionary (shared by every copy `EscalationGraph.sharing`
    makes, and only added to): a copy answers every question as the graph does."""

    def __init__(self, verdicts: dict) -> None:
        self.verdicts = verdicts  # kept alive, so its id is not reused while this entry lives
        # Per spec: how many verdicts the dictionary held when read, and what they say.
        self.by_spec: dict[GuardSpec, tuple[int, set[Identity], dict[Identity, Violation | None]]] = {}
        # Per difference (the dirty names and roles): `Carried._dirty` and `_affected`, functions
        # of the graph and of those only.
        self.by_diff: dict[tuple, tuple[dict, dict]] = {}
        # Each subject's reach on the graph (`reached`), by the subject object (identities are made
        # once per value, `access/policy.py` `identity_of`): every carry from this graph reads the
        # reach of every subject it carries, and walking them again cost most of a new-RBAC edit.
        self.reach: dict[int, tuple[Identity, Collection[Identity]]] = {}

    def reach_of(self, graph: EscalationGraph, subject: Identity) -> Collection[Identity]:
        """`reached(graph, subject)`, for a graph sharing this entry's verdicts."""
        entry = self.reach.get(id(subject))
        if entry is None or entry[0] is not subject:
            entry = self.reach[id(subject)] = (subject, reached(graph, subject))
        return entry[1]

    def verdicts_of(self, spec: GuardSpec) -> tuple[set[Identity], dict[Identity, Violation | None]]:
        """The subjects checked for `spec` and their violations."""
        entry = self.by_spec.get(spec)
        if entry is None or entry[0] != len(self.verdicts):
            known: set[Identity] = set()
            found: dict[Identity, Violation | None] = {}
            for (o_spec, o_subjects, o_excepted), violations in list(self.verdicts.items()):
                if o_spec == spec:
                    known.update(o_subjects if not o_excepted else
                                 (s for s in o_subjects if s.key not in o_excepted))
                    found.update((v.subject, v) for v in violations)
            entry = self.by_spec[spec] = (len(self.verdicts), known, found)
        return entry[1], entry[2]


_EARLIER: dict[int, _Earlier] = {}  # by id(graph.verdicts), the last few graphs carried from


_EARLIER_LOCK = threading.Lock()  # the server may analyse two folders at once


def _earlier(graph: EscalationGraph) -> _Earlier:
    with _EARLIER_LOCK:
        entry = _EARLIER.get(id(graph.verdicts))
        if entry is None or entry.verdicts is not graph.verdicts:
            entry = _EARLIER[id(graph.verdicts)] = _Earlier(graph.verdicts)
            while len(_EARLIER) > 4:
                del _EARLIER[next(iter(_EARLIER))]
        return entry


class Carried:
    """The verdicts of `old` that hold on `graph` (whose model differs from old's by `diff`)."""

    def __init__(self, old: EscalationGraph, graph: EscalationGraph, diff: Delta) -> None:
        self.old: EscalationGraph | None = old
        self.graph, self.diff = graph, diff
        self._dirty: dict[int, tuple[Identity, bool]] = {}
        self._names: set[tuple[str, ...]] | None = None
        self._affected_key: tuple | None = None
        self._affected: dict[Identity, bool] = {}
        self._earlier: _Earlier | None = None
        # The reach (identities only) of each subject whose verdict was carried: the same on this
        # graph as on `old`, kept so that the next model can carry from this one without `old`.
        self.reached: dict[Identity, Collection[Identity]] = {}

    def release(self) -> None:
        """Forget `old` (a newer graph carries from this one now): what is not carried is checked."""
        self.old = None

    def _dirty_names(self, old: EscalationGraph) -> set[tuple[str, ...]]:
        """The names (`AccessModel.named_by` keys) a binding of B or a binding of a role of C gives,
        in either model: an identity going by one of them has other bindings or other rules."""
        names = self._names
        if names is None:
            bindings = [b for model in (old.model, self.graph.model) for b in model.bindings
                        if b.ref in self.diff.bindings]
            for ref in self.diff.roles:
                bindings += old.model.bindings_of_role(ref) + self.graph.model.bindings_of_role(ref)
            names = self._names = {
                ("ServiceAccount", s.namespace, s.name) if s.kind == "ServiceAccount" else (s.kind, s.name)
                for b in bindings for s in b.subjects}
        return names

    def _is_dirty(self, old: EscalationGraph, ident: Identity) -> bool:
        # By the object (the graphs make each identity once; hashing an identity is Python code);
        # the entry keeps the object, so its id is not reused.
        entry = self._dirty.get(id(ident))
        if entry is not None and entry[0] is ident:
            return entry[1]
        user = _user_info(ident)
        names = self._dirty_names(old)
        # The names the authorizer looks a user up by (AccessModel.named_by).
        dirty = ("User", user.name) in names or any(("Group", g) in names for g in user.groups)
        if not dirty and (sa := split_sa_username(user.name)) is not None:
            dirty = ("ServiceAccount", *sa) in names
        roles = self.diff.roles
        if not dirty and roles:
            dirty = any(acq.role in roles for acq in ident.acquired) or (ident.is_node and _NODE_ROLE in roles)
        self._dirty[id(ident)] = (ident, dirty)
        return dirty

    def _is_affected(self, old: EscalationGraph, subject: Identity) -> bool:
        earlier = self._earlier
        assert earlier is not None  # set by `check` before the first call
        done = self._affected.get(subject)
        if done is not None:
            if not done and subject not in self.reached:  # found by an earlier carry from `old`
                self.reached[subject] = earlier.reach_of(old, subject)
            return done
        reach = earlier.reach_of(old, subject)
        dirty = self._dirty
        affected = False
        for x in reach:  # a loop, not `any`: this is the carry's cost, some 30,000 identities
            entry = dirty.get(id(x))
            if entry is None or entry[0] is not x:
                entry = (x, self._is_dirty(old, x))
            if entry[1]:
                affected = True
                break
        if not affected:
            self.reached[subject] = reach
        self._affected[subject] = affected
        return affected

    def check(self, spec: GuardSpec, subjects: list[Identity], excepted: Set[tuple[str, str, str]],
              compute: Check) -> list[Violation]:
        """`check_guard`'s answer on `graph`: earlier verdicts of unaffected subjects, the others
        checked by `compute` (`guards._check_guard`); in the order of `subjects`, as a check of
        them all gives."""
        old = self.old  # read once: a newer graph may release it meanwhile (another folder's analysis)
        if old is None:
            return compute(self.graph, spec, subjects, excepted)
        # Every earlier verdict of this spec: a subject's verdict depends on the graph only.
        earlier = self._earlier = _earlier(old)
        known, found_before = earlier.verdicts_of(spec)
        found = dict(found_before)
        if self._affected_key is None:
            self._affected_key = (frozenset(self._dirty_names(old)), self.diff.roles)
            self._dirty, self._affected = earlier.by_diff.setdefault(self._affected_key, ({}, {}))
        if excepted:
            subjects = [s for s in subjects if s.key not in excepted]
        affected = self._is_affected
        todo = [s for s in subjects if s not in known or affected(old, s)]
        COUNTS.checked += len(todo)
        COUNTS.carried += len(subjects) - len(todo)
        if todo:
            found.update((s, None) for s in todo)
            found.update((v.subject, v) for v in compute(self.graph, spec, todo, excepted))
        return [v for s in subjects if (v := found.get(s)) is not None]


def reached(graph: EscalationGraph, subject: Identity) -> Collection[Identity]:
    """The identities `subject` reaches on `graph`: carried from an earlier graph when its verdict
    was, else the graph's own reach (searched if not yet)."""
    carried: Carried | None = getattr(graph, "carried", None)
    if carried is not None:
        known = carried.reached.get(subject)
        if known is not None:
            return known
    return graph.reachable(subject)


def carry(old: EscalationGraph, graph: EscalationGraph) -> bool:
    """Let `graph` carry `old`'s guard verdicts where they hold (see the module's text); False
    when the models differ in something that leaves nothing to carry."""
    diff = delta(old, graph)
    if diff is None:
        return False
    previous: Carried | None = getattr(old, "carried", None)
    if previous is not None:
        previous.release()  # `graph` carries from `old` now; old's own source is not needed
    graph.carried = Carried(old, graph, diff)  # type: ignore[attr-defined]
    COUNTS.carries += 1
    return True

"""The access engine on a compiled policy: the model of its manifests, provenance, and its subjects.

Provenance maps every emitted binding and role back to the policy: `Program.bindings` keep the
grants (with spans) behind each binding, `Program.compiled_roles` the declared role behind each
role. A reason (binding + role + rule) is traced to the grant lines that made the binding and
the role rules that made the rule.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import marshal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from policyc import model as m
from policyc.access import matching
from policyc.access.aggregation import aggregate
from policyc.access.authorizer import AccessModel, Reason
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.objects import (
    BINDING_KINDS,
    ROLE_KINDS,
    BindingObj,
    LabelSelector,
    ObjRef,
    RoleObj,
    binding_of,
    parse_binding,
    parse_role,
)
from policyc.access.request import ALL_SERVICE_ACCOUNTS, AUTHENTICATED, UNAUTHENTICATED, sa_groups
from policyc.access.reuse import carry
from policyc.k8s.bootstrap import bootstrap_objects
from policyc.k8s.rules import Atom, PolicyRule
from policyc.model.program import Program
from policyc.model.rbac import SUBJECT_ORDER, Binding, CompiledRole, RbacSubject, subject_fields
from policyc.source import Span

if TYPE_CHECKING:
    from policyc.model.manifest import Manifest


def _rule_atoms(rule: m.Rule) -> list[Atom]:
    return rule.atoms()


def _produces(source: m.Rule, rule: PolicyRule) -> bool:
    """Whether a language rule contributed to an emitted PolicyRule: one of its atoms is written in the
    rule (its group, resource, verb and names). Not "the rule allows the atom": `patch */scale` allows
    the atom of a `patch deployments.apps/scale` line without that line writing it."""
    for a in _rule_atoms(source):
        if a.url:
            if a.url in rule.non_resource_urls and matching.verb_matches(rule, a.verb):
                return True
            continue
        if (a.group in rule.api_groups and a.resource in rule.resources and matching.verb_matches(rule, a.verb)
                and set(a.names) == set(rule.resource_names)):
            return True
    return False


def _by_ref(objs: Iterable[Any]) -> dict[ObjRef, Any]:
    """Bindings or compiled roles by the object reference they are emitted as."""
    return {ObjRef(o.kind, o.namespace or "", o.name): o for o in objs}


class Provenance:
    """Emitted objects mapped back to the policy text."""

    def __init__(self, bindings: dict[ObjRef, Binding] | None = None, roles: dict[ObjRef, CompiledRole] | None = None,
                 program: Program | None = None) -> None:
        self._bindings, self._roles, self._program = bindings, roles, program

    @classmethod
    def from_program(cls, program: Program) -> Provenance:
        """The provenance of a checked program's bindings and roles (indexed when first asked: most
        analyses ask for none, and indexing every binding cost the editor some 8 ms per edit)."""
        return cls(program=program)

    @property
    def bindings(self) -> dict[ObjRef, Binding]:
        """Every binding of the program by its object reference."""
        if self._bindings is None:
            self._bindings = _by_ref(self._program.bindings if self._program is not None else ())
        return self._bindings

    @property
    def roles(self) -> dict[ObjRef, CompiledRole]:
        """Every compiled role of the program by its object reference."""
        if self._roles is None:
            self._roles = _by_ref(self._program.compiled_roles if self._program is not None else ())
        return self._roles

    def grants_for(self, reason: Reason) -> tuple[m.Grant, ...]:
        """The grants behind a reason's binding; for inline rules, those that wrote the rule."""
        b = self.bindings.get(reason.binding) if reason.binding else None
        if b is None:
            return ()
        inline = [g for g in b.grants if g.rule is not None]
        if inline:
            hits = tuple(g for g in inline if g.rule is not None and _produces(g.rule, reason.rule))
            if hits:
                return hits
        return tuple(b.grants)

    def grant_spans(self, reason: Reason) -> tuple[Span, ...]:
        """Where the grants behind a reason are written."""
        return tuple(g.span for g in self.grants_for(reason))

    def role_spans(self, reason: Reason) -> tuple[Span, ...]:
        """Where the rules of a declared role behind a reason are written (aggregation followed)."""
        ref = reason.role
        if reason.via_role:
            ref = ObjRef("ClusterRole", "", reason.via_role)
        role = self.roles.get(ref) if ref else None
        if role is None or role.declared is None:
            return ()
        return tuple(r.span for r in role.declared.rules if _produces(r, reason.rule))

    def describe(self, reason: Reason, where: Callable[[Span], str] = str) -> str:
        """`team ci at teams.policy:20` style origin of a reason, or its binding when not from the policy.

        `where` names a span (the CLI names files relative to the working directory).
        """
        grants = self.grants_for(reason)
        if not grants:
            return str(reason)
        return ", ".join(f"{_origin(g)} at {where(g.span)}" for g in grants)


def _origin(g: m.Grant) -> str:
    if g.team:
        return f"grant of team `{g.team}`"
    if g.namespace_block:
        return f"grant in namespace `{g.namespace_block}`"
    return "grant"


def model_from_manifests(
    manifests: Sequence[Manifest], release: tuple[int, int] | None = None, provenance: Provenance | None = None
) -> AccessModel:
    """The access model of emitted manifests (every backend's), with the built-in roles."""
    if not _REUSE.enabled:
        model = _model(manifests, release)
        model.provenance = provenance
        return model
    # What the model is made of, for `graph_for` to find the search of an earlier analysis, and
    # for the model itself: a model is a function of its objects and release, so the model of an
    # earlier analysis made of the same objects is shared (a shallow copy: its indexes and caches,
    # this analysis's provenance).
    # Each body's bytes (`_body_bytes`): the digest, and the key of its parsed object.
    texts = [_body_bytes(mf.body) for mf in manifests]
    digest = hashlib.blake2b(b"".join(len(t).to_bytes(8, "big") + t for t in texts), digest_size=16).hexdigest()
    key = (digest, release)
    with _REUSE.lock:
        known = _REUSE.models.get(key)
    if known is None:
        known = _parsed_model(manifests, texts, release)
    model = copy.copy(known)
    model.provenance = provenance
    with _REUSE.lock:
        _REUSE.models.pop(key, None)
        _REUSE.models[key] = known
        while len(_REUSE.models) > _REUSE.keep:
            del _REUSE.models[next(iter(_REUSE.models))]
        _REUSE.fingerprints[id(model)] = (model, key)
        while len(_REUSE.fingerprints) > 8:  # a model no graph was asked for is not kept
            del _REUSE.fingerprints[next(iter(_REUSE.fingerprints))]
    return model


def _body_bytes(body: object) -> bytes:
    """Bytes that only equal bodies give: `marshal` format 2 (no back-references, so the bytes do not
    depend on which objects are shared; it distinguishes types and decodes to the value, so equal
    bytes are equal bodies), which costs a third of `repr`; `repr` for a body marshal cannot write.
    Equal bodies may still give other bytes where marshal tells apart what `==` does not (`1` and
    `1.0`, two orders of one set): then a model is made again, never a wrong one reused."""
    try:
        return b"m" + marshal.dumps(body, 2)
    except ValueError:
        return b"r" + repr(body).encode()


def _model(manifests: Sequence[Manifest], release: tuple[int, int] | None) -> AccessModel:
    """`AccessModel.from_objects` of the manifests with the cluster-scoped defaults, in one pass over
    the manifests (tests/unit/access/test_model_one_pass.py compares the two models).

    A binding the RBAC backend made from a compiled binding is read from that (`binding_of`, what
    parsing its body gives) rather than parsed back from the body: a build's bindings name some
    hundred thousand subjects (issue 19). The cluster-scoped defaults only: a policy cannot name
    kube-system's and kube-public's bootstrap Roles, and its reviews (diff, guards) stay about the
    namespaces it names. `--from` YAML models them (Session.of_objects)."""
    boot_roles, boot_bindings = _bootstrap_parsed(release)
    roles: dict[ObjRef, RoleObj] = dict(boot_roles)
    # By the reference's fields (what ObjRef's equality compares; a later object replaces an
    # earlier one, as in `from_objects`), hashed and sorted in C: the model's order is theirs.
    bindings: dict[tuple[str, str, str], BindingObj] = {
        (ref.kind, ref.namespace, ref.name): b for ref, b in boot_bindings.items()}
    sas: set[tuple[str, str]] = set()
    namespaces: set[str] = set()
    as_parsed: dict[int, tuple[RbacSubject, ...]] = {}  # the subject tuples `binding_of` keeps as they are
    rules_of: dict[int, tuple[Any, tuple[PolicyRule, ...]]] = {}  # `parse_role`'s, while the bodies live
    role_refs: dict[tuple[str, str, str], ObjRef] = {}  # `binding_of`'s role references
    for mf in manifests:
        obj = mf.body
        if mf.binding is not None and mf.kind in BINDING_KINDS:
            obj = binding_of(mf.binding, "policy", as_parsed, role_refs)
        if type(obj) is BindingObj:  # as `from_objects` takes one
            ref = obj.ref
            bindings[ref.kind, ref.namespace, ref.name] = obj
            continue
        if type(obj) is not dict and not isinstance(obj, Mapping):  # a dict's test first: the ABC's is slow
            continue
        kind = obj.get("kind")
        if kind in ROLE_KINDS:
            role = parse_role(obj, "policy", rules_of)
            roles[role.ref] = role
        elif kind in BINDING_KINDS:
            binding = parse_binding(obj, "policy")
            ref = binding.ref
            bindings[ref.kind, ref.namespace, ref.name] = binding
        elif kind == "ServiceAccount" or kind == "Namespace":
            meta = obj.get("metadata") or {}
            if kind == "Namespace":
                if meta.get("name"):
                    namespaces.add(str(meta["name"]))
            elif meta.get("namespace") and meta.get("name"):
                sas.add((str(meta["namespace"]), str(meta["name"])))
    return AccessModel(roles, [bindings[key] for key in sorted(bindings)], sas, namespaces, release,
                       sorted_bindings=True)


@functools.cache
def _bootstrap_parsed(release: tuple[int, int] | None) -> tuple[dict[ObjRef, RoleObj], dict[ObjRef, BindingObj]]:
    """The roles and bindings `_model` starts from (the cluster-scoped defaults), parsed once."""
    model = AccessModel.from_objects((), release, namespaced_bootstrap=False)
    roles = {ref: r for ref, r in _bootstrap_roles(release).items()}
    bindings = {b.ref: b for b in model.bindings}
    return roles, bindings


def _parsed_model(manifests: Sequence[Manifest], texts: Sequence[bytes], release: tuple[int, int] | None,
                  ) -> AccessModel:
    """`_model`, parsing each role and binding once while its body is the same: a body's bytes
    (`_body_bytes`) are its whole content (kind included), so the object parsed from equal bytes is
    the one this body gives (`tests/unit/access/test_reused_models.py` compares the two models)."""
    boot_roles, boot_bindings = _bootstrap_parsed(release)
    roles: dict[ObjRef, RoleObj] = dict(boot_roles)
    bindings: dict[ObjRef, BindingObj] = dict(boot_bindings)
    sas: set[tuple[str, str]] = set()
    namespaces: set[str] = set()
    known, parsed = _REUSE.parsed, {}
    for mf, text in zip(manifests, texts, strict=True):
        obj = mf.body
        if not isinstance(obj, Mapping):
            continue
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        if kind in ROLE_KINDS or kind in BINDING_KINDS:
            done = known.get(text)
            if done is None:
                done = parse_role(obj, "policy") if kind in ROLE_KINDS else parse_binding(obj, "policy")
            parsed[text] = done
            if isinstance(done, RoleObj):
                roles[done.ref] = done
            else:
                bindings[done.ref] = done
        elif kind == "ServiceAccount" and meta.get("namespace") and meta.get("name"):
            sas.add((str(meta["namespace"]), str(meta["name"])))
        elif kind == "Namespace" and meta.get("name"):
            namespaces.add(str(meta["name"]))
    _REUSE.parsed = parsed  # this model's objects: what the next edit mostly keeps
    return AccessModel(roles, bindings.values(), sas, namespaces, release)


def model_from_program(program: Program, manifests: Sequence[Manifest]) -> AccessModel:
    """The access model of a compiled program, with provenance attached as `model.provenance`."""
    return model_from_manifests(manifests, program.release, Provenance.from_program(program))


# ------------------------------------------------------------------ subjects of a policy


def user_groups(program: Program) -> dict[str, tuple[str, ...]]:
    """Declared users by the name the API server sees (OIDC prefix applied) -> declared groups.

    Built once per program (`Program.user_groups`); do not change the dictionary returned."""
    return program.user_groups


def identity_of(s: RbacSubject, program: Program | None) -> Identity:
    """The identity an RBAC subject stands for; declared users carry their declared groups."""
    return _identity_by(s.kind, s.name, s.namespace, program)


def _identity_by(kind: str, name: str, namespace: str, program: Program | None) -> Identity:
    """`identity_of` of the RBAC subject with these fields."""
    if program is not None and not _REUSE.enabled:
        # One object per identity of a program (a value, a function of these fields and the program):
        # `everyone` makes each one the policy names, and the guards' ranges (a team's members, per
        # guard of the team) and the expectations ask for them again. Kept as `everyone` keeps its value.
        made = _identities_made(program)
        key = (kind, name, namespace)
        found = made.get(key)
        if found is None:
            groups = user_groups(program).get(name, ()) if kind == "User" else ()
            found = made[key] = _identity(kind, name, namespace, groups)
        return found
    groups = user_groups(program).get(name, ()) if program is not None and kind == "User" else ()
    if _REUSE.enabled:
        # The editor: one object per identity across analyses (an identity is a value, a function of
        # these inputs), so that the guards' lookups of this analysis's subjects in what earlier
        # ones kept (verdicts, reaches) find the same object instead of comparing two in Python.
        key = (kind, name, namespace, groups)
        known = _REUSE.identities.get(key)
        if known is None:
            if len(_REUSE.identities) > 200_000:  # a long session's renamed subjects: start again
                _REUSE.identities.clear()
            known = _REUSE.identities[key] = _identity(kind, name, namespace, groups)
        return known
    return _identity(kind, name, namespace, groups)


def _identities_made(program: Program) -> dict[tuple[str, str, str], Identity]:
    """The program's identities by their subject's (kind, name, namespace) (see `_identity_by`)."""
    made = program.__dict__.get("_identity_memo")
    if made is None:
        made = program.__dict__["_identity_memo"] = {}
    return made


def _identity(kind: str, name: str, namespace: str, groups: tuple[str, ...]) -> Identity:
    if kind == "ServiceAccount":
        return Identity.service_account(namespace, name)
    if kind == "Group":
        return Identity.group(name)
    return Identity.user(name, groups)


def rbac_subjects_of(subject: m.Subject, program: Program) -> list[RbacSubject]:
    """The RBAC subjects a language subject names (teams expanded; `everyone` not included)."""
    if subject.kind == "team":
        return list(program.team_members.get(subject.name, ()))
    if subject.kind == "everyone":
        return []
    return program.rbac_subjects(subject)


def _named_subjects(program: Program, teams_and_grants: bool = True) -> Iterable[m.Subject]:
    """Every subject the policy names (its teams' members and grants' subjects only with `teams_and_grants`)."""
    p = program.policy
    if teams_and_grants:
        for t in p.teams:
            yield from t.members
        for g in p.grants:
            yield from g.subjects
    for guard in p.guards:
        yield from guard.subjects
        yield from guard.excepts
    for e in p.expectations:
        yield e.subject


def everyone(program: Program) -> list[Identity]:
    """What `everyone` ranges over in a guard (docs/access.md).

    Every user, group and service account the policy names (declared, granted, team members,
    guards), the groups of those users and service accounts, `system:authenticated`,
    `system:unauthenticated` and `system:serviceaccounts`.

    Computed once per program (every guard `for everyone` asks; a program does not change).
    """
    cached = program.__dict__.get("_everyone")  # kept as functools.cached_property keeps its values
    if cached is None:
        cached = _everyone(program)
        program.__dict__["_everyone"] = cached
    return list(cached)




def _everyone(program: Program) -> tuple[Identity, ...]:
    # Subjects as (kind, name, namespace) tuples, RbacSubject's fields in its dataclass order:
    # tuples hash and compare in C, the dataclass in Python (some 8,000 binding subjects and 2,500
    # identities in an identity-heavy workspace, every analysis of the editor).
    subjects: set[tuple[str, str, str]] = set()
    declared = user_groups(program)
    subjects.update(("User", name, "") for name in declared)
    for ref in program.serviceaccounts:
        ns, _, name = ref.partition("/")
        subjects.add(("ServiceAccount", name, ns))
    # What a subject stands for depends on its kind and name only: a team named by a hundred
    # grants is expanded once, and a user, group or service account is made straight into its
    # tuple (`Program.subject_fields`, which `rbac_subjects_of` makes its RbacSubject of).
    named: dict[tuple[str, str], m.Subject] = {}
    p = program.policy
    for t in p.teams:  # `_named_subjects`, without a generator's resumption per subject
        for s in t.members:
            named[s.kind, s.name] = s
    for g in p.grants:
        for s in g.subjects:
            named[s.kind, s.name] = s
    for s in _named_subjects(program, teams_and_grants=False):  # the few of guards and expectations
        named[s.kind, s.name] = s
    members = program.team_members
    # Once per tuple of subjects: a team's bindings share one tuple with its member list
    # (check/grants.py `SubjectSets`); `program` keeps the tuples, so their ids are not reused.
    added: set[int] = set()
    oidc_users, prefix = program._oidc_users, program.oidc_username_prefix  # as `Program.subject_fields` reads them
    for (kind, name), s in named.items():
        if kind == "team":
            team = members.get(name, ())
            if id(team) not in added:
                added.add(id(team))
                subjects.update(map(SUBJECT_ORDER, team))
        elif kind != "everyone":
            found = subject_fields(kind, name, oidc_users, prefix)
            if found is not None:
                subjects.add(found)
            else:
                subjects.update(map(SUBJECT_ORDER, rbac_subjects_of(s, program)))
    for b in program.bindings:
        if id(b.subjects) not in added:
            added.add(id(b.subjects))
            subjects.update(map(SUBJECT_ORDER, b.subjects))
    groups = {AUTHENTICATED, UNAUTHENTICATED, ALL_SERVICE_ACCOUNTS}
    # The groups of the users and service accounts: every declared user is a subject (above), and
    # only declared users have groups of their own; a service account's groups are its namespace's.
    for declared_groups in declared.values():
        groups.update(declared_groups)
    for ns in {ns for kind, _, ns in subjects if kind == "ServiceAccount"}:
        groups.update(sa_groups(ns))
    subjects.update(("Group", g, "") for g in groups)
    # RbacSubject's order (kind, name, namespace) is the tuples' own.
    if _REUSE.enabled:
        return tuple(_identity_by(kind, name, ns, program) for kind, name, ns in sorted(subjects))
    # `_identity_by` in line, each subject's tuple the key of the program's identities.
    made = _identities_made(program)
    out: list[Identity] = []
    for key in sorted(subjects):
        found = made.get(key)
        if found is None:
            kind, name, ns = key
            found = made[key] = _identity(kind, name, ns, declared.get(name, ()) if kind == "User" else ())
        out.append(found)
    return tuple(out)


def graph_for(model: AccessModel, program: Program | None = None) -> EscalationGraph:
    """An escalation graph whose "every namespace" includes the policy's namespaces.

    With `reuse_searches()` on (the editor), a model made of the same objects as one of the last
    analyses gets that analysis's searches (`EscalationGraph.sharing`); a model of other objects
    carries the guard verdicts of a recent one where the difference cannot reach them
    (access/reuse.py `carry`)."""
    extra: set[str] = set()
    if program is not None:
        extra.update(program.namespaces)
        extra.update(ns.text for g in program.policy.grants for ns in g.namespaces)
        extra.update(ns.text for g in program.policy.guards for ns in g.namespaces)
        extra.update(ns.text for e in program.policy.expectations for ns in e.namespaces)
    if not _REUSE.enabled:
        return EscalationGraph(model, extra)
    with _REUSE.lock:  # the server may analyse two folders at once
        entry = _REUSE.fingerprints.pop(id(model), None)
        if entry is None or entry[0] is not model:
            return EscalationGraph(model, extra)
        key = (entry[1], tuple(sorted(extra)))
        for i, (known, graph) in enumerate(_REUSE.graphs):
            if known == key:
                del _REUSE.graphs[i]
                graph = graph.sharing(model)
                break
        else:
            graph = EscalationGraph(model, extra)
            # Other objects: the guard verdicts of the latest graph that differs only in some roles'
            # rules and some bindings are carried where those cannot reach (access/reuse.py).
            for _known, earlier in _REUSE.graphs:
                if carry(earlier, graph):
                    break
        _REUSE.graphs.insert(0, (key, graph))
        del _REUSE.graphs[_REUSE.keep:]
        return graph


class _Reuse:
    """Searches kept from one analysis to the next (off unless `reuse_searches()` turns it on)."""

    def __init__(self) -> None:
        self.enabled = False
        self.keep = 2  # the last two models: an edit and its undo, a broken line and the fixed one
        self.graphs: list[tuple[tuple, EscalationGraph]] = []
        self.models: dict[tuple, AccessModel] = {}  # by what they are made of, the last `keep`
        self.parsed: dict[bytes, RoleObj | BindingObj] = {}  # the last model's roles and bindings, by `_body_bytes`
        self.identities: dict[tuple, Identity] = {}  # `identity_of`'s, by its inputs
        self.fingerprints: dict[int, tuple[AccessModel, tuple]] = {}
        self.lock = threading.Lock()


_REUSE = _Reuse()


def reuse_searches(on: bool = True) -> None:
    """Keep escalation searches and guard verdicts from one analysis for the next one whose
    emitted objects are the same (the language server: most edits change no RBAC object, or
    change one and then change it back). Off for one-shot commands, which would only pay for
    the fingerprint."""
    with _REUSE.lock:
        _REUSE.enabled = on
        _REUSE.graphs.clear()
        _REUSE.models.clear()
        _REUSE.fingerprints.clear()
        _REUSE.parsed = {}
        _REUSE.identities.clear()


# ------------------------------------------------------------------ roles of a program


@functools.cache
def _bootstrap_roles(release: tuple[int, int] | None = None) -> dict[ObjRef, RoleObj]:
    roles = (parse_role(o, "bootstrap") for o in bootstrap_objects(release) if o.get("kind") == "ClusterRole")
    return {r.ref: r for r in roles}


@functools.cache
def builtin_roles() -> dict[ObjRef, RoleObj]:
    """The built-in ClusterRoles of the RBAC bootstrap policy, aggregated among themselves."""
    return aggregate(_bootstrap_roles())


def _role_obj(role: CompiledRole) -> RoleObj:
    selectors = tuple(LabelSelector(((k, v),)) for k, v in role.selectors) if role.selectors else None
    return RoleObj(ObjRef(role.kind, role.namespace or "", role.name), role.rules, role.labels, selectors, "policy")


def roles_of(program: Program | None) -> dict[ObjRef, RoleObj]:
    """Every role of the cluster a program builds (built-in and declared), with aggregated
    ClusterRoles filled in as the clusterrole-aggregation controller does (access/aggregation.py).

    Made from the compiled roles, so it answers for a program whose errors stop the backends
    too; for a program that emits, these are the roles `model_from_program` indexes.
    """
    if program is None:
        return builtin_roles()
    roles = dict(_bootstrap_roles(program.release))
    for role in program.compiled_roles:
        if role.declared is not None:
            roles[ObjRef(role.kind, role.namespace or "", role.name)] = _role_obj(role)
    return aggregate(roles)

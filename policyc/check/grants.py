"""Resolve roles and grants into the Roles, ClusterRoles and bindings to emit (PC10x, PC17x).

Names of generated objects (documented in docs/language.md):
- a declared role keeps its name; an aggregated role selects `rbac.policyc.dev/aggregate-to-NAME`;
- inline rules of one owner in one scope become one role `policyc:OWNER` (a Role in a
  namespace, a ClusterRole for `in cluster`), bound by a binding of the same name;
- a declared or built-in role granted to an owner in a scope is bound by `policyc:OWNER:ROLE`.
OWNER is `team:T` for grants of team T, else the subject (`user:bob`, `group:dev`,
`serviceaccount:NS:NAME`, `everyone`), or `subjects:HASH` for several subjects.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping

from policyc import model as m
from policyc.check.context import Context
from policyc.check.resolve import role_did_you_mean
from policyc.k8s.bootstrap import AGGREGATE_LABELS, builtin_cluster_roles, is_builtin_role, releases_with_role
from policyc.k8s.names import path_segment
from policyc.k8s.releases import NEWEST, OLDEST, format_version
from policyc.k8s.rules import Atom, PolicyRule, merge
from policyc.model.rbac import SUBJECT_ORDER, Binding, CompiledRole, RbacSubject, subject_fields
from policyc.rules import ERROR, WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC101", ERROR, "undefined role (with \"did you mean\")", example="`grant role pod-reder ...`"),
    Rule(
        "PC104", WARNING, "a `system:` role not in policyc's bootstrap data of the target release: bound, but its "
        "rules are unknown (or, when other releases have it, it grants nothing there)",
        example="`grant role system:kube-dns ...`",
    ),
    Rule("PC170", ERROR, "a grant without subjects", example="`grant role view in default`"),
    Rule("PC171", ERROR, "a grant without a place", example="`grant role view to user a`"),
    Rule(
        "PC172", ERROR, "a namespaced role granted outside its namespace or in the cluster",
        example="`role r in a ...; grant role r ... in b`",
    ),
    Rule(
        "PC173", ERROR, "an invalid `aggregates` member (built-in or namespaced role)",
        example="`role r aggregates view`",
    ),
    Rule(
        "PC174", ERROR, "an invalid `aggregate-to` target, or `aggregate-to` on a namespaced role",
        example="`role r aggregate-to x`",
    ),
)

_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def aggregation_label(role: str) -> str:
    """The label an aggregated role NAME selects its members by."""
    name = f"aggregate-to-{role}"
    if len(name) <= 63 and _LABEL_NAME.match(name):
        return f"rbac.policyc.dev/{name}"
    safe = re.sub(r"[^-A-Za-z0-9_.]", "-", role)[:40].strip("-_.") or "role"
    return f"rbac.policyc.dev/aggregate-to-{safe}-{_short_hash(role)}"


def safe_name(name: str) -> str:
    """`name` if it is a valid RBAC object name, else a valid one with a stable hash suffix."""
    if path_segment(name) is None:
        return name
    return re.sub(r"[/%]", "-", name) + "-" + _short_hash(name)


def owner_of(g: m.Grant) -> str:
    """Who a grant's binding belongs to: its team, or its subjects."""
    subjects, team = g.subjects, g.team
    if len(subjects) != 1:
        if team and all(s.kind == "team" and s.name == team for s in subjects):
            return f"team:{team}"
        key = ",".join(sorted(str(s) for s in subjects))
        return f"subjects:{_short_hash(key)}"
    s = subjects[0]  # most grants: one subject
    if team and s.kind == "team" and s.name == team:
        return f"team:{team}"
    if s.kind == "everyone":
        return "everyone"
    if s.kind == "serviceaccount":
        return f"serviceaccount:{s.namespace}:{s.sa_name}"
    return f"{s.kind}:{s.name}"


class _Entry:
    """One binding being assembled: the subjects as the sets of its grants (`compile_grants`: one per
    grant, or the one set of every grant naming one subject), its grants, and the atoms of each of
    its inline grants (`_Atoms.of`: one tuple per rule text; `_assemble` merges equal lists once).
    Bindings whose grants name the same subjects share one sorted tuple (`_assemble`), and what is
    made of it later once per tuple (the emitted subject list and its YAML, the access model's
    index entries)."""

    __slots__ = ("atoms", "grants", "subjects")

    def __init__(self) -> None:
        self.subjects: list[frozenset[RbacSubject]] = []
        self.grants: list[m.Grant] = []
        self.atoms: list[tuple[Atom, ...]] = []


def _in_order(subjects: frozenset[RbacSubject]) -> tuple[RbacSubject, ...]:
    """A set's subjects in RbacSubject's order (compared in C); a set of one as it is (most grants')."""
    return tuple(subjects) if len(subjects) < 2 else tuple(sorted(subjects, key=SUBJECT_ORDER))


class SubjectSets:
    """The RBAC subjects of language subjects, each (kind, name) expanded once, as a frozenset, and
    each set's sorted tuple made once: the grants' bindings and the teams' member lists
    (`check`'s `team_members`) share them. A user, group or service account is one RbacSubject
    object wherever it is named (a team's member and a grant's subject); a team is the union of its
    members' sets (`rbac_subjects`: the members `expand_members` flattened). Adding a set to a
    grant's set reuses the hashes it holds (RbacSubject's hash is a Python-level call)."""

    def __init__(self, members: Mapping[str, tuple[m.Subject, ...]], oidc_users: set[str], prefix: str) -> None:
        self.members, self.oidc_users, self.prefix = members, oidc_users, prefix
        self._sets: dict[tuple[str, str], frozenset[RbacSubject]] = {}
        # By the set's identity; the entry keeps its set, so its id is not reused while it lives.
        self.ordered: dict[int, tuple[frozenset[RbacSubject], tuple[RbacSubject, ...]]] = {}

    def of(self, kind: str, name: str) -> frozenset[RbacSubject]:
        """`frozenset(rbac_subjects(subject))` of a subject of this kind and name."""
        key = (kind, name)
        found = self._sets.get(key)
        if found is None:
            fields = subject_fields(kind, name, self.oidc_users, self.prefix)
            if fields is not None:
                found = frozenset((RbacSubject(*fields),))
            else:  # a team: its members (rbac_subjects reads nothing else of a subject)
                found = frozenset().union(*[self.of(s.kind, s.name) for s in self.members.get(name, ())])
            self._sets[key] = found
        return found

    def sorted(self, subjects: frozenset[RbacSubject]) -> tuple[RbacSubject, ...]:
        """The set's subjects in RbacSubject's order (compared in C), one tuple per set."""
        entry = self.ordered.get(id(subjects))
        if entry is None or entry[0] is not subjects:
            entry = self.ordered[id(subjects)] = (subjects, _in_order(subjects))
        return entry[1]


# `rule_text` by the rule's identity: the rule checks (check/rules.py), the compilation and the
# access lints each ask for every rule's. The entry keeps its rule (a frozen node), so its id is not
# reused. Cleared when large.
_TEXTS: dict[int, tuple[m.Rule, tuple]] = {}


def rule_text(rule: m.Rule) -> tuple:
    """What `Rule.atoms()` reads of a rule: rules equal in it (the same rule written in every
    team, with its own spans) have equal atoms."""
    entry = _TEXTS.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1]
    names = rule.names
    text = (tuple([w.text for w in rule.verbs]), tuple([w.text for w in rule.resources]),
            tuple([w.text for w in names]) if names else (), rule.has_exclusion, rule.expansion)
    if len(_TEXTS) > 100_000:
        _TEXTS.clear()
    _TEXTS[id(rule)] = (rule, text)
    return text


class _Atoms:
    """`Rule.atoms()`, and the merged rules of a role, by the text they are made from: within
    one compile, so nothing outlives the policy it was computed from."""

    def __init__(self) -> None:
        self._atoms: dict[tuple, tuple[Atom, ...]] = {}
        self._merged: dict[tuple, tuple[PolicyRule, ...]] = {}

    def of(self, rule: m.Rule) -> tuple[Atom, ...]:
        key = rule_text(rule)
        found = self._atoms.get(key)
        if found is None:
            found = self._atoms[key] = tuple(rule.atoms())
        return found

    def merged(self, role: m.Role) -> tuple[PolicyRule, ...]:
        """`merge` of the atoms of the role's rules."""
        key = tuple([rule_text(r) for r in role.rules])
        found = self._merged.get(key)
        if found is None:
            atoms: list[Atom] = []
            for r in role.rules:
                atoms += self.of(r)
            found = self._merged[key] = merge(atoms)
        return found


def compile_roles(ctx: Context, roles: dict[tuple[str, str], m.Role]) -> list[CompiledRole]:
    """Declared roles as Roles and ClusterRoles, with aggregation labels and selectors (PC173/174)."""
    rules_of = _Atoms()
    labels: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for role in ctx.policy.roles:
        key = (role.namespace.text if role.namespace else "", role.name.text)
        if roles.get(key) is not role:
            continue
        for member in role.aggregates:
            target = roles.get(("", member.text))
            if target is None:
                if is_builtin_role(member.text):
                    ctx.error(
                        "PC173",
                        f"built-in role `{member.text}` cannot be aggregated into `{role.name.text}`",
                        member.span,
                        "Kubernetes manages the labels of built-in roles; grant it alongside instead",
                    )
                elif any(n == member.text for (_, n) in roles):
                    ctx.error(
                        "PC173",
                        f"namespaced role `{member.text}` cannot be aggregated",
                        member.span,
                        "aggregation selects ClusterRoles only: declare the member without `in`",
                    )
                else:
                    ctx.error("PC101", f"undefined role `{member.text}`", member.span,
                              role_did_you_mean(member.text, roles))
                continue
            labels[("", member.text)][aggregation_label(role.name.text)] = "true"
        for target_word in role.aggregate_to:
            target = target_word.text
            if role.namespace is not None:
                ctx.error(
                    "PC174",
                    f"namespaced role `{role.name.text}` cannot aggregate into `{target}`",
                    target_word.span,
                    "only ClusterRoles aggregate: declare the role without `in`",
                )
            elif target in AGGREGATE_LABELS:
                labels[key][AGGREGATE_LABELS[target]] = "true"
            elif ("", target) in roles and roles[("", target)].is_aggregate:
                labels[key][aggregation_label(target)] = "true"
            elif ("", target) in roles or is_builtin_role(target):
                ctx.error(
                    "PC174",
                    f"role `{target}` does not aggregate other roles",
                    target_word.span,
                    "`aggregate-to` names `admin`, `edit`, `view` or a role declared with `aggregates`",
                )
            else:
                ctx.error("PC101", f"undefined role `{target}`", target_word.span, role_did_you_mean(target, roles))
    out = []
    for key, role in sorted(roles.items()):
        ns, name = key
        selectors = ((aggregation_label(name), "true"),) if role.is_aggregate else ()
        out.append(
            CompiledRole(
                kind="Role" if ns else "ClusterRole",
                name=name,
                namespace=ns or None,
                rules=() if role.is_aggregate else rules_of.merged(role),
                labels=tuple(sorted(labels[key].items())),
                selectors=selectors,
                declared=role,
                sources=(role.span.file,),
            )
        )
    return out


def _has_urls(role: m.Role, known: dict[int, tuple[m.Role, bool]] | None = None) -> bool:
    """Whether a role has a non-resource URL rule; kept in `known` by the role's identity (a role
    granted in every namespace of a team is asked once)."""
    if known is None:
        return any(r.is_nonresource for r in role.rules)
    entry = known.get(id(role))
    if entry is None or entry[0] is not role:  # the entry keeps its role: its id is not reused
        entry = known[id(role)] = (role, any(r.is_nonresource for r in role.rules))
    return entry[1]


def compile_grants(
    ctx: Context,
    roles: dict[tuple[str, str], m.Role],
    members: dict[str, tuple[m.Subject, ...]] | SubjectSets,
    oidc_users: set[str] | None = None,
    prefix: str = "",
) -> tuple[list[CompiledRole], list[Binding]]:
    """Grants as bindings (one per role, scope and owner) and roles synthesized for inline rules.
    `members`: the teams' expanded members, or the `SubjectSets` made of them (kept by the caller)."""
    sets = members if isinstance(members, SubjectSets) else SubjectSets(members, oidc_users or set(), prefix)
    acc: dict[tuple, _Entry] = {}
    rules_of = _Atoms()
    urls: dict[int, tuple[m.Role, bool]] = {}
    for g in ctx.policy.grants:
        if not g.subjects:
            ctx.error(
                "PC170",
                "grant has no subjects",
                g.span,
                "add `to user NAME`, `to group NAME`, `to serviceaccount NS/NAME`, `to team NAME` or `to everyone`",
            )
            continue
        if not g.namespaces and not g.cluster:
            ctx.error(
                "PC171",
                "grant does not say where it applies",
                g.span,
                "add `in NAMESPACE, ...` for RoleBindings or `in cluster` for a ClusterRoleBinding",
            )
            continue
        subjects: frozenset[RbacSubject] = frozenset()
        for s in g.subjects:
            expanded = sets.of(s.kind, s.name)
            subjects = expanded if not subjects else subjects | expanded  # one subject: its own set, shared
        owner = owner_of(g)
        scopes = [None] if g.cluster else [ns.text for ns in g.namespaces]
        if g.rule is not None:
            atoms = rules_of.of(g.rule)
            for scope in scopes:
                key = (scope, "inline", owner)
                entry = acc.get(key)
                if entry is None:
                    entry = acc[key] = _Entry()
                entry.atoms.append(atoms)
                entry.subjects.append(subjects)
                entry.grants.append(g)
            continue
        assert g.role is not None
        for scope in scopes:
            role_kind = _resolve_role(ctx, g, scope, roles, urls)
            if role_kind is None:
                continue
            key = (scope, role_kind, g.role.text, owner)
            entry = acc.get(key)
            if entry is None:
                entry = acc[key] = _Entry()
            entry.subjects.append(subjects)
            entry.grants.append(g)
    return _assemble(acc, sets)


def declared_role(name: str, scope: str | None, roles: Mapping[tuple[str, str], object]) -> tuple[str, str] | None:
    """The key `(namespace or "", name)` of the declared role a grant of role `name` in `scope`
    (None: the cluster) binds: the Role of that name in the namespace, else the ClusterRole; None
    when neither is declared. A RoleBinding may name a Role of its own namespace or a ClusterRole;
    a ClusterRoleBinding only a ClusterRole (RBAC docs, "RoleBinding and ClusterRoleBinding").
    The language server resolves references with this same function."""
    if scope is not None and (scope, name) in roles:
        return (scope, name)
    if ("", name) in roles:
        return ("", name)
    return None


def _release_range(having: tuple[tuple[int, int], ...]) -> str:
    """`from 1.34`, `up to 1.19`, `on 1.20 to 1.33`."""
    first, last = format_version(having[0]), format_version(having[-1])
    if having[-1] == NEWEST:
        return f"from {first}"
    return f"up to {last}" if having[0] == OLDEST else f"on {first} to {last}"


def _resolve_role(ctx: Context, g: m.Grant, scope: str | None, roles: dict,
                  urls: dict[int, tuple[m.Role, bool]] | None = None) -> str | None:
    """`Role` or `ClusterRole` for a granted role in a scope; None (and a diagnostic) if invalid.
    `urls`: `_has_urls`' answers, kept by the caller."""
    assert g.role is not None
    name = g.role.text
    key = declared_role(name, scope, roles)
    if key is not None and key[0]:
        return "Role"
    if key is not None:
        declared = roles[key]
        if scope is not None and _has_urls(declared, urls):
            ctx.error(
                "PC141",
                f"role `{name}` holds non-resource URLs but is granted in namespace `{scope}`",
                g.span,
                "non-resource URLs only work through a ClusterRoleBinding: grant it `in cluster`",
            )
            return None
        return "ClusterRole"
    if is_builtin_role(name):
        if name not in builtin_cluster_roles(ctx.release.version):
            having = releases_with_role(name)
            if having:  # the bootstrap policy of other releases has it (k8s/bootstrap.py RELEASE_CHANGES)
                ctx.warn(
                    "PC104",
                    f"built-in role `{name}` does not exist on Kubernetes {ctx.release.label} (the API server "
                    f"creates it {_release_range(having)}); the binding grants nothing there",
                    g.role.span,
                    "grant a role this release has, or target a release that has this one",
                )
            else:
                ctx.warn(
                    "PC104",
                    f"built-in role `{name}` is not in policyc's bootstrap data; its rules are not checked",
                    g.role.span,
                    "check the name against `kubectl get clusterroles`",
                )
        return "ClusterRole"
    elsewhere = sorted(ns for (ns, n) in roles if n == name and ns)
    if elsewhere:
        place = "the cluster" if scope is None else f"namespace `{scope}`"
        ctx.error(
            "PC172",
            f"role `{name}` is declared in namespace `{elsewhere[0]}` and cannot be granted in {place}",
            g.role.span,
            f"grant it `in {elsewhere[0]}`, or declare the role without `in` to reuse it in other namespaces",
        )
        return None
    ctx.error("PC101", f"undefined role `{name}`", g.role.span, role_did_you_mean(name, roles))
    return None




def _sorted_subjects(parts: list[frozenset[RbacSubject]], ordered: dict[int, tuple]) -> tuple[RbacSubject, ...]:
    """The union of a binding's subject sets, sorted (RbacSubject's order, in C). Of one set (or one
    set named by each grant), the one tuple of every binding of that set (`ordered`, by the set's
    identity: `SubjectSets.ordered`)."""
    first = parts[0]
    if len(parts) == 1 or all(p is first for p in parts):
        entry = ordered.get(id(first))
        if entry is None or entry[0] is not first:  # the entry keeps its set: its id is not reused
            entry = ordered[id(first)] = (first, _in_order(first))
        return entry[1]  # type: ignore[no-any-return]
    return tuple(sorted(frozenset().union(*parts), key=SUBJECT_ORDER))


def _binding_order(key: tuple) -> tuple:
    """A binding key with the cluster (None) first, as "" (every other part is a string)."""
    return (key[0] or "", *key[1:])


def _assemble(acc: dict[tuple, _Entry], sets: SubjectSets) -> tuple[list[CompiledRole], list[Binding]]:
    synthesized: list[CompiledRole] = []
    bindings: list[Binding] = []
    merged: dict[tuple[int, ...], tuple[PolicyRule, ...]] = {}
    ordered = sets.ordered
    for key in sorted(acc, key=_binding_order):
        entry = acc[key]
        scope = key[0]
        grants = tuple(entry.grants)
        if len(grants) == 1:  # most bindings: one grant, one file
            sources: tuple[str, ...] = (grants[0].span.file,)
        else:
            sources = tuple(sorted({g.span.file for g in grants}))
        subjects = _sorted_subjects(entry.subjects, ordered)
        if key[1] == "inline":
            owner = key[2]
            name = safe_name(f"policyc:{owner}")
            role_kind = "ClusterRole" if scope is None else "Role"
            parts = entry.atoms
            same = tuple(map(id, parts))
            rules = merged.get(same)
            if rules is None:
                rules = merged[same] = merge(a for atoms in parts for a in atoms)
            synthesized.append(CompiledRole(role_kind, name, scope, rules, sources=sources))
            role_name = name
        else:
            role_kind, role_name, owner = key[1], key[2], key[3]
            name = safe_name(f"policyc:{owner}:{role_name}")
        kind = "ClusterRoleBinding" if scope is None else "RoleBinding"
        bindings.append(Binding(kind, name, scope, role_kind, role_name, subjects, owner, grants, sources))
    return synthesized, bindings

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
from collections.abc import Iterator, Mapping

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
    s = subjects[0]  # most grants: one subject (its team's, `team:T`, is named as any other subject)
    return subject_owner(s.kind, s.name)


def subject_owner(kind: str, name: str) -> str:
    """The owner of a grant to one subject (`owner_of`): `everyone`, `serviceaccount:NS:NAME`, `KIND:NAME`."""
    if kind == "everyone":
        return "everyone"
    if kind == "serviceaccount":  # the subject's own reading of `NS/NAME` (made once per subject: `SubjectSets`)
        s = m.Subject(kind, name)
        return f"serviceaccount:{s.namespace}:{s.sa_name}"
    return f"{kind}:{name}"


class _Entry:
    """One binding being assembled: its name (`safe_name`, made with the entry while the strings it is
    made of were just read), its first grant with that grant's subject set (`SubjectSets`) and, for an
    inline grant, atoms (`_Atoms.of`: one tuple per rule text; `_assemble` merges equal lists once),
    and the same of each further grant (`more`). Most bindings have one grant: their entry is one
    object, no lists. Bindings whose grants name the same subjects share one sorted tuple
    (`_assemble`), and what is made of it later once per tuple (the emitted subject list and its
    YAML, the access model's index entries)."""

    __slots__ = ("atoms", "grant", "more", "name", "subjects")

    def __init__(self, name: str, grant: m.Grant, subjects: frozenset[RbacSubject], atoms: tuple[Atom, ...]) -> None:
        self.name = name
        self.grant = grant
        self.subjects = subjects
        self.atoms = atoms
        self.more: list[tuple[m.Grant, frozenset[RbacSubject], tuple[Atom, ...]]] | None = None

    def add(self, grant: m.Grant, subjects: frozenset[RbacSubject], atoms: tuple[Atom, ...]) -> None:
        """A further grant of this binding."""
        if self.more is None:
            self.more = []
        self.more.append((grant, subjects, atoms))


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
        self._sets: dict[tuple[str, str], tuple[frozenset[RbacSubject], str]] = {}
        # By the set's identity; the entry keeps its set, so its id is not reused while it lives.
        self.ordered: dict[int, tuple[frozenset[RbacSubject], tuple[RbacSubject, ...]]] = {}

    def of(self, kind: str, name: str) -> frozenset[RbacSubject]:
        """`frozenset(rbac_subjects(subject))` of a subject of this kind and name."""
        found = self._sets.get((kind, name))
        return (found or self._add(kind, name))[0]

    def owned(self, kind: str, name: str) -> tuple[frozenset[RbacSubject], str]:
        """`of(kind, name)`, and the owner of a grant to that one subject (`subject_owner`, made once:
        the bindings' keys share the string, its hash kept), in one lookup."""
        return self._sets.get((kind, name)) or self._add(kind, name)

    def _add(self, kind: str, name: str) -> tuple[frozenset[RbacSubject], str]:
        fields = subject_fields(kind, name, self.oidc_users, self.prefix)
        if fields is not None:
            found = frozenset((RbacSubject(*fields),))
        else:  # a team: its members (rbac_subjects reads nothing else of a subject)
            found = frozenset().union(*[self.of(s.kind, s.name) for s in self.members.get(name, ())])
        entry = self._sets[(kind, name)] = (found, subject_owner(kind, name))
        return entry

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
# One tuple per distinct text (`rule_text`), cleared with `_TEXTS`.
_ONE_TEXT: dict[tuple, tuple] = {}


def rule_text(rule: m.Rule) -> tuple:
    """What `Rule.atoms()` reads of a rule: rules equal in it (the same rule written in every
    team, with its own spans) have equal atoms, and one text tuple: what is keyed by a text can
    be keyed by its identity (`_Atoms.of`), not by hashing its words again when they are long
    out of the cache."""
    entry = _TEXTS.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1]
    names = rule.names
    text = (tuple([w.text for w in rule.verbs]), tuple([w.text for w in rule.resources]),
            tuple([w.text for w in names]) if names else (), rule.has_exclusion, rule.expansion)
    if len(_TEXTS) > 100_000:
        _TEXTS.clear()
        _ONE_TEXT.clear()
    text = _ONE_TEXT.setdefault(text, text)
    _TEXTS[id(rule)] = (rule, text)
    return text


class _Atoms:
    """`Rule.atoms()`, and the merged rules of a role, by the text they are made from: within
    one compile, so nothing outlives the policy it was computed from."""

    def __init__(self) -> None:
        # By the text's identity (`rule_text`: one tuple per text); the entry keeps its text.
        self._atoms: dict[int, tuple[tuple, tuple[Atom, ...]]] = {}
        self._merged: dict[tuple, tuple[PolicyRule, ...]] = {}

    def of(self, rule: m.Rule) -> tuple[Atom, ...]:
        text = rule_text(rule)
        found = self._atoms.get(id(text))
        if found is None or found[0] is not text:  # a text made after `_ONE_TEXT` was cleared
            found = self._atoms[id(text)] = (text, tuple(rule.atoms()))
        return found[1]

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
    # The bindings by scope, each scope's by (role kind, role, owner) or ("inline", owner): grants
    # come file by file, so the next grant's scope is mostly the last one's (no lookup), and
    # `_assemble` sorts the scopes and each scope's few bindings, not every binding of the program.
    # The cluster (None) and a namespace written "" (PC120) share a scope keyed by None, their keys
    # ending in the scope (`_assemble`: they tie as "").
    scoped: dict[str | None, dict[tuple, _Entry]] = {}
    last: str | None | object = _UNSEEN
    bucket: dict[tuple, _Entry] = {}
    rules_of = _Atoms()
    urls: dict[int, tuple[m.Role, bool]] = {}
    # Per role name: "ClusterRole" when every grant of it binds that without a diagnostic, whatever
    # the scope (`_everywhere_cluster_role`); None: resolved per scope (`_resolve_role`).
    fixed_kinds: dict[str, str | None] = {}
    namespaced = {n for (ns, n) in roles if ns}
    builtin = builtin_cluster_roles(ctx.release.version)
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
        if len(g.subjects) == 1:  # most grants: the subject's set and owner, made once
            s = g.subjects[0]
            subjects, owner = sets.owned(s.kind, s.name)
        else:
            subjects = frozenset()
            for s in g.subjects:
                expanded = sets.of(s.kind, s.name)
                subjects = expanded if not subjects else subjects | expanded
            owner = owner_of(g)
        scopes = [None] if g.cluster else [ns.text for ns in g.namespaces]
        if g.rule is not None:
            atoms = rules_of.of(g.rule)
            for scope in scopes:
                if scope != last:
                    bucket, last = _scope_bucket(scoped, scope), scope
                key = ("inline", owner) if scope else ("inline", owner, scope)
                entry = bucket.get(key)
                if entry is None:
                    bucket[key] = _Entry(safe_name(f"policyc:{owner}"), g, subjects, atoms)
                else:
                    entry.add(g, subjects, atoms)
            continue
        assert g.role is not None
        name = g.role.text
        fixed = fixed_kinds.get(name, _UNSEEN)
        if fixed is _UNSEEN:
            fixed = fixed_kinds[name] = _everywhere_cluster_role(name, roles, namespaced, builtin, urls)
        for scope in scopes:
            role_kind = fixed or _resolve_role(ctx, g, scope, roles, urls)
            if role_kind is None:
                continue
            if scope != last:
                bucket, last = _scope_bucket(scoped, scope), scope
            key = (role_kind, name, owner) if scope else (role_kind, name, owner, scope)
            entry = bucket.get(key)
            if entry is None:
                bucket[key] = _Entry(safe_name(f"policyc:{owner}:{name}"), g, subjects, ())
            else:
                entry.add(g, subjects, ())
    return _assemble(scoped, sets)


# Not seen yet: no scope before the first grant (None is the cluster's), a role name not looked at
# yet (None: resolved per scope).
_UNSEEN: object = object()


def _scope_bucket(scoped: dict[str | None, dict[tuple, _Entry]], scope: str | None) -> dict[tuple, _Entry]:
    """The bindings of a scope being assembled (`compile_grants`); the cluster's hold a namespace `""`."""
    key = scope or None
    bucket = scoped.get(key)
    if bucket is None:
        bucket = scoped[key] = {}
    return bucket


def _everywhere_cluster_role(name: str, roles: Mapping[tuple[str, str], m.Role], namespaced: set[str],
                             builtin: Mapping[str, object], urls: dict[int, tuple[m.Role, bool]]) -> str | None:
    """The kind "ClusterRole" when every grant of role `name` binds the ClusterRole of that name without a
    diagnostic in any scope (`_resolve_role`'s answer, known once per name): no Role of that name
    is declared in any namespace, and it is a declared ClusterRole without non-resource URLs, or
    (undeclared) a ClusterRole of the target release's bootstrap policy. Else None."""
    if name in namespaced:
        return None
    declared = roles.get(("", name))
    if declared is not None:
        return None if _has_urls(declared, urls) else "ClusterRole"
    return "ClusterRole" if is_builtin_role(name) and name in builtin else None


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
    set named by each grant), that set's one tuple (`_sorted_set`)."""
    first = parts[0]
    if all(p is first for p in parts):
        return _sorted_set(first, ordered)
    return tuple(sorted(frozenset().union(*parts), key=SUBJECT_ORDER))


def _sorted_set(subjects: frozenset[RbacSubject], ordered: dict[int, tuple]) -> tuple[RbacSubject, ...]:
    """The one sorted tuple of every binding of this set (`ordered`, by the set's identity:
    `SubjectSets.ordered`)."""
    entry = ordered.get(id(subjects))
    if entry is None or entry[0] is not subjects:  # the entry keeps its set: its id is not reused
        entry = ordered[id(subjects)] = (subjects, _in_order(subjects))
    return entry[1]  # type: ignore[no-any-return]


def _in_binding_order(scoped: dict[str | None, dict[tuple, _Entry]]) -> Iterator[tuple[str | None, tuple, _Entry]]:
    """(scope, key, entry) of every binding `compile_grants` gathered, in the order of the one stable
    sort of every binding key `(scope, *key)`, the cluster (None) as "", that it replaces: the scopes
    sorted (the cluster first), then each scope's few keys, all strings compared in C. The cluster's bucket
    (a namespace written "" is there too, its key ending in the scope) sorts by the key without the
    scope; the sort is stable, so the two keep the grants' order when they tie."""
    cluster = scoped.get(None)
    if cluster is not None:
        for key in sorted(cluster, key=_without_scope):
            yield key[-1], key[:-1], cluster[key]
    for scope in sorted([s for s in scoped if s is not None]):
        bucket = scoped[scope]
        for key in sorted(bucket):
            yield scope, key, bucket[key]


def _without_scope(key: tuple) -> tuple:
    return key[:-1]


def _assemble(scoped: dict[str | None, dict[tuple, _Entry]],
              sets: SubjectSets) -> tuple[list[CompiledRole], list[Binding]]:
    synthesized: list[CompiledRole] = []
    bindings: list[Binding] = []
    merged: dict[tuple[int, ...], tuple[PolicyRule, ...]] = {}
    ordered = sets.ordered
    for scope, key, entry in _in_binding_order(scoped):
        first, more = entry.grant, entry.more
        if more is None:  # most bindings: one grant, one file, one subject set
            grants: tuple[m.Grant, ...] = (first,)
            sources: tuple[str, ...] = (first.span.file,)
            subjects = _sorted_set(entry.subjects, ordered)
        else:
            grants = (first, *[g for g, _, _ in more])
            sources = tuple(sorted({g.span.file for g in grants}))
            subjects = _sorted_subjects([entry.subjects, *[s for _, s, _ in more]], ordered)
        name = entry.name
        if key[0] == "inline":
            owner = key[1]
            role_kind = "ClusterRole" if scope is None else "Role"
            parts = [entry.atoms] if more is None else [entry.atoms, *[a for _, _, a in more]]
            same = tuple(map(id, parts))
            rules = merged.get(same)
            if rules is None:
                rules = merged[same] = merge(a for atoms in parts for a in atoms)
            synthesized.append(CompiledRole(role_kind, name, scope, rules, sources=sources))
            role_name = name
        else:
            role_kind, role_name, owner = key
        kind = "ClusterRoleBinding" if scope is None else "RoleBinding"
        bindings.append(Binding(kind, name, scope, role_kind, role_name, subjects, owner, grants, sources))
    return synthesized, bindings

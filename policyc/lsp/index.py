"""Where every name of a program occurs, declared or referenced, and what each reference means.

Built from the lowered model (no second parser): each model node carries the span of the
words it was written with. Occurrences are computed per file (and cached with the file's
lowering); resolving a reference to its declaration needs the whole program and happens at
query time, with the compiler's own function and symbol table:
- a granted role is the Role of that name in the grant's namespace, else the ClusterRole of
  that name, else a built-in ClusterRole (check/grants.py `declared_role`, `Program.roles`);
- `aggregates` and `aggregate-to` name ClusterRoles (or the built-in admin, edit, view);
- a namespace may be declared by several blocks, which merge: each is a definition.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from policyc import model as m
from policyc.check.grants import declared_role
from policyc.k8s.bootstrap import is_builtin_role
from policyc.model.program import Program
from policyc.source import SourceFile, Span

LEVELS = ("privileged", "baseline", "restricted")

# Kinds of names that have declarations (go-to-definition, find-references, rename-safe keys).
DECLARED_KINDS = ("role", "team", "namespace", "user", "serviceaccount", "psp", "class")


@dataclass(frozen=True)
class Occurrence:
    """A name as written in a file.

    kind: role | team | namespace | user | serviceaccount | psp | class | group | verb | resource | url.
    For a role declaration `namespace` is the role's namespace (`""` for a ClusterRole); for a
    role reference `scopes` are the namespaces the grant applies in (`()` for the cluster).
    """

    kind: str
    name: str
    span: Span
    decl: bool = False
    namespace: str = ""
    scopes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """What the occurrence names, as a table key."""
        return (self.kind, self.name)


class _Collector:
    def __init__(self, src: SourceFile) -> None:
        self.src = src
        self.out: list[Occurrence] = []

    def add(self, kind: str, word: m.Word, **extra: object) -> None:
        self.out.append(Occurrence(kind, word.text, word.span, **extra))  # type: ignore[arg-type]

    def rule(self, verbs: tuple[m.Word, ...], targets: tuple[m.Word, ...]) -> None:
        for v in verbs:
            self.add("verb", v)
        for t in targets:
            self.add("url" if t.text.startswith("/") else "resource", t)

    def subject(self, s: m.Subject) -> None:
        """The name of `user N`, `group N`, `team N` or `serviceaccount NS/N` (not `everyone`)."""
        if s.kind == "everyone":
            return
        raw = self.src.text[s.span.start : s.span.end]
        if not raw.startswith(s.kind):  # the implicit subject of a grant inside `team T { }`
            return
        rest = raw[len(s.kind) :]
        start = s.span.start + len(s.kind) + len(rest) - len(rest.lstrip())
        word = m.Word(s.name, self.src.span(start, s.span.end))
        if s.kind == "serviceaccount":
            self.serviceaccount(word)
        else:
            self.add(s.kind, word)

    def serviceaccount(self, word: m.Word, decl: bool = False) -> None:
        self.add("serviceaccount", word, decl=decl)
        ns, slash, _ = word.text.partition("/")
        raw = self.src.text[word.span.start : word.span.end]
        if slash and ns and raw.startswith(ns + "/"):  # a bare word, not a quoted string
            self.add("namespace", m.Word(ns, self.src.span(word.span.start, word.span.start + len(ns))))

    def namespaces(self, words: tuple[m.Word, ...], implicit: Span | None = None) -> None:
        for w in words:
            if w.span != implicit:  # the default place of a grant inside `namespace N { }`
                self.add("namespace", w)


def file_occurrences(policy: m.Policy, src: SourceFile) -> tuple[Occurrence, ...]:
    """Every occurrence of a name in one file's lowered model, in text order."""
    c = _Collector(src)
    for role in policy.roles:
        c.add("role", role.name, decl=True, namespace=role.namespace.text if role.namespace else "")
        if role.namespace:
            c.add("namespace", role.namespace)
        for w in role.aggregates + role.aggregate_to:
            c.add("role", w)
        for r in role.rules:
            c.rule(r.verbs + r.except_verbs, r.resources + r.except_resources)
    for team in policy.teams:
        c.add("team", team.name, decl=True)
        for s in team.members:
            c.subject(s)
    for user in policy.users:
        c.add("user", user.name, decl=True)
        for g in user.groups:
            c.add("group", g)
    for sa in policy.serviceaccounts:
        c.serviceaccount(sa.ref, decl=True)
    psp_names = {p.name.text for p in policy.psps}
    for cls in policy.namespace_classes:
        c.add("class", cls.name, decl=True)
    blocks = [(ns, True) for ns in policy.namespaces] + [(cls.body, False) for cls in policy.namespace_classes]
    for ns, is_namespace in blocks:
        if is_namespace:
            c.add("namespace", ns.name, decl=True)
            if ns.cls is not None:
                c.add("class", ns.cls)
        for ps in ns.pod_security:
            for mode in ps.modes:
                if mode.mode is None and (mode.level.text not in LEVELS or mode.level.text in psp_names):
                    c.add("psp", mode.level)
    for psp in policy.psps:
        c.add("psp", psp.name, decl=True)
    for g in policy.grants:
        if g.role is not None:
            scopes = tuple(w.text for w in g.namespaces) if not g.cluster else ()
            c.add("role", g.role, scopes=scopes)
        if g.rule is not None:
            c.rule(g.rule.verbs + g.rule.except_verbs, g.rule.resources + g.rule.except_resources)
        for s in g.subjects:
            if s.span != g.span:
                c.subject(s)
        c.namespaces(g.namespaces, implicit=g.span)
    for guard in policy.guards:
        c.rule(guard.verbs, guard.resources)
        for s in guard.subjects + guard.excepts:
            c.subject(s)
        c.namespaces(guard.namespaces)
    for e in policy.expectations:
        c.rule(e.rule.verbs + e.rule.except_verbs, e.rule.resources + e.rule.except_resources)
        c.subject(e.subject)
        c.namespaces(e.namespaces)
    # `namespace a, b class C` lowers to one block per name, each naming the class: one occurrence.
    unique = {(o.kind, o.span.start, o.span.end, o.decl): o for o in c.out}
    return tuple(sorted(unique.values(), key=lambda o: (o.span.start, -o.span.end)))


@dataclass(frozen=True)
class Builtin:
    """A built-in ClusterRole a reference resolves to (it has no declaration in the policy)."""

    name: str


class Index:
    """Occurrences of a whole program, and the resolution of references to declarations."""

    def __init__(
        self,
        policy: m.Policy,
        program: Program | None,
        sources: dict[str, SourceFile],
        occurrences: dict[str, tuple[Occurrence, ...]],
    ) -> None:
        self.policy = policy
        self.program = program
        self.sources = sources
        self.by_file = occurrences
        self.decls: dict[tuple[str, str], list[Occurrence]] = defaultdict(list)
        self.roles: dict[tuple[str, str], Occurrence] = {}
        for name in sorted(occurrences):
            for occ in occurrences[name]:
                if not occ.decl:
                    continue
                self.decls[occ.key].append(occ)
                if occ.kind == "role":
                    self.roles.setdefault((occ.namespace, occ.name), occ)

    def decls_of(self, kind: str) -> list[Occurrence]:
        """Every declaration of a kind of name, in file and text order."""
        return [o for o in self._all(kind) if o.decl]

    def at(self, file: str, offset: int) -> Occurrence | None:
        """The innermost occurrence at a character offset of a file (its end included)."""
        best: Occurrence | None = None
        for occ in self.by_file.get(file, ()):
            if occ.span.start > offset:
                break
            if occ.span.start <= offset <= occ.span.end and (
                best is None or occ.span.end - occ.span.start < best.span.end - best.span.start
            ):
                best = occ
        return best

    def resolve_role(self, occ: Occurrence) -> list[Occurrence] | Builtin | None:
        """The declarations a role reference names (a built-in role, or None if undefined).

        The compiler's resolution (check/grants.py `declared_role`) over the compiler's symbol
        table of roles (`Program.roles`; the declarations found here when there is no program),
        in each namespace the grant applies in (`aggregates` and `aggregate-to` name ClusterRoles).
        """
        if occ.decl:
            return [occ]
        table = self.program.roles if self.program is not None else self.roles
        found: list[Occurrence] = []
        for scope in occ.scopes or (None,):
            key = declared_role(occ.name, scope, table)
            if key is not None and key in self.roles and self.roles[key] not in found:
                found.append(self.roles[key])
        if found:
            return found
        return Builtin(occ.name) if is_builtin_role(occ.name) else None

    def definitions(self, occ: Occurrence) -> list[Occurrence] | Builtin | None:
        """Where what `occ` names is declared."""
        if occ.kind == "role":
            return self.resolve_role(occ)
        if occ.kind not in DECLARED_KINDS:
            return None
        return list(self.decls.get(occ.key, ())) or None

    def references(self, occ: Occurrence, include_declaration: bool = True) -> list[Occurrence]:
        """Every occurrence of what `occ` names, across the program, in file and text order."""
        if occ.kind == "role":
            target = self.resolve_role(occ)
            if target is None:
                return [o for o in self._all("role") if o.name == occ.name and self.resolve_role(o) is None]
            wanted = target if isinstance(target, Builtin) else {(o.namespace, o.name) for o in target}
            out = []
            for o in self._all("role"):
                if o.decl and not include_declaration:
                    continue
                other = self.resolve_role(o)
                if isinstance(wanted, Builtin):
                    hit = other == wanted
                else:
                    hit = isinstance(other, list) and any((d.namespace, d.name) in wanted for d in other)
                if hit:
                    out.append(o)
            return out
        return [o for o in self._all(occ.kind) if o.name == occ.name and (include_declaration or not o.decl)]

    def named(self, kind: str, name: str | None = None) -> list[Occurrence]:
        """Every occurrence of a kind of name (of that name, if given), in file and text order."""
        return [o for o in self._all(kind) if name is None or o.name == name]

    def _all(self, kind: str) -> list[Occurrence]:
        return [o for name in sorted(self.by_file) for o in self.by_file[name] if o.kind == kind]

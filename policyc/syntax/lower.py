"""Lowering: syntax trees to the frozen model; `merge` joins the models of separate files."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lark.exceptions import UnexpectedInput

from policyc import model as m
from policyc.diagnostics import Diagnostic, error
from policyc.gcpause import gc_paused
from policyc.model.nodes import placed_word
from policyc.rules import ERROR, Rule, register
from policyc.source import SourceFile, Span, span_at
from policyc.syntax.errors import syntax_diagnostic
from policyc.syntax.escapes import EscapedWord
from policyc.syntax.lexer import RawToken
from policyc.syntax.parser import Node, parse_text

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC010", ERROR, "a label without `=value`", example="`labels team`"),
)

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}


def unquote(raw: str) -> str:
    """The value of a double-quoted string token (`\\"`, `\\\\`, `\\n`, `\\t` escapes)."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    out = []
    it = iter(body)
    for ch in it:
        if ch == "\\":
            nxt = next(it, "")
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def _text(tok: RawToken) -> str:
    """The text of a WORD or STRING token (a `name` node)."""
    return unquote(tok[1]) if tok[0] == "STRING" else tok[1]


@dataclass
class _Parts:
    """Declarations collected from the files, in file order."""

    kubernetes: list[m.Word] = field(default_factory=list)
    clusters: list[m.Cluster] = field(default_factory=list)
    users: list[m.User] = field(default_factory=list)
    serviceaccounts: list[m.ServiceAccount] = field(default_factory=list)
    teams: list[m.Team] = field(default_factory=list)
    roles: list[m.Role] = field(default_factory=list)
    namespaces: list[m.Namespace] = field(default_factory=list)
    psps: list[m.PodSecurityPolicy] = field(default_factory=list)
    grants: list[m.Grant] = field(default_factory=list)
    guards: list[m.Guard] = field(default_factory=list)
    classes: list[m.NamespaceClass] = field(default_factory=list)
    expectations: list[m.Expectation] = field(default_factory=list)
    allowances: list[m.Allowance] = field(default_factory=list)


class _Lowerer:
    """Walks one file's tree and appends model nodes to the shared parts."""

    def __init__(self, src: SourceFile, parts: _Parts, diags: list[Diagnostic]) -> None:
        self.src = src
        self.name = src.name
        self.parts = parts
        self.diags = diags

    # -- helpers --------------------------------------------------------------
    # Spans come from the line and column the lexer gave each token and node (the same figures
    # SourceFile.span computes from offsets), which saves two searches per span. A node's
    # `meta` and a token's place hold Span's fields after the file name, in its order.
    def span(self, node: Node) -> Span:
        meta = node.meta
        if meta is None:  # a node without tokens
            return self.src.span(0, 0)
        return span_at(self.name, meta)

    def word(self, tok: RawToken) -> m.Word:
        """The word of a `name` node (its token); its Span is made when first read (`placed_word`)."""
        kind, value, place, _ = tok
        if kind != "STRING":  # `_text` in line: a WORD is its text
            return placed_word(value, self.name, place)
        if "\\" in value:  # positions in the value differ from the source's
            return EscapedWord(unquote(value), span_at(self.name, place), value)
        return placed_word(unquote(value), self.name, place)

    def words(self, node: Node) -> tuple[m.Word, ...]:
        """The words of a list of `name` nodes; a bare WORD's in line (`word` is a call per word)."""
        file, word = self.name, self.word
        return tuple([placed_word(tok[1], file, tok[2]) if tok[0] == "WORD" else word(tok)
                      for tok in node.children])

    def setting(self, node: Node) -> m.Setting:
        return m.Setting(tuple(self.words(g) for g in node.children), self.span(node))

    def subjects(self, node: Node) -> tuple[m.Subject, ...]:
        out = []
        file = self.name
        for sub in node.children:
            children = sub.children
            kind = children[0][1]  # the keyword token's text
            name = _text(children[1]) if len(children) > 1 else ""
            out.append(m.Subject(kind, name, span_at(file, sub.meta)))  # `span` in line: a subject has tokens
        return tuple(out)

    def rule(self, node: Node) -> m.Rule:
        lists: list[tuple[m.Word, ...]] = []
        except_verbs: tuple[m.Word, ...] = ()
        except_resources: tuple[m.Word, ...] = ()
        names: tuple[m.Word, ...] = ()
        for c in node.children:
            if c.data == "names":
                lists.append(self.words(c))
            elif c.data == "except_verbs":
                except_verbs = self.words(c.children[0])
            elif c.data == "except_resources":
                except_resources = self.words(c.children[0])
            else:
                names = self.words(c.children[0])
        verbs, resources = lists
        return m.Rule(verbs, resources, names, self.span(node), except_verbs, except_resources)

    @staticmethod
    def child(node: Node, data: str) -> Node | None:
        for c in node.children:
            if type(c) is Node and c.data == data:
                return c
        return None

    # -- declarations ------------------------------------------------------------
    def _kubernetes_decl(self, node: Node) -> None:
        self.parts.kubernetes.append(self.word(node.children[0]))

    def _cluster_decl(self, node: Node) -> None:
        authz: tuple[m.Word | m.AuthzWebhookRef, ...] = ()
        admission: tuple[m.Word, ...] = ()
        authz_span = admission_span = None
        authn: list[m.AuthSetting] = []
        settings: list[m.Setting] = []
        webhooks: list[m.AuthzWebhook] = []
        for item in node.children:
            if item.data == "authorization":
                authz, authz_span = authz + self._authorizers(item), self.span(item)
            elif item.data == "authz_webhook":
                webhooks.append(m.AuthzWebhook(
                    self.word(item.children[0]), tuple(self.setting(s) for s in item.children[1:]), self.span(item)))
            elif item.data == "admission":
                admission, admission_span = admission + self.words(item.children[0]), self.span(item)
            elif item.data == "authentication":
                for s in item.children:
                    setting = self.setting(s)
                    authn.append(m.AuthSetting(setting.groups[0][0], setting, setting.span))
            else:
                settings.append(self.setting(item))
        self.parts.clusters.append(
            m.Cluster(authz, authz_span, admission, admission_span, tuple(authn), tuple(settings), self.span(node),
                      tuple(webhooks))
        )

    def _authorizers(self, node: Node) -> tuple[m.Word | m.AuthzWebhookRef, ...]:
        """`Node, RBAC, webhook NAME`: mode words, and references to `webhook NAME { }` blocks."""
        return tuple(
            m.AuthzWebhookRef(self.word(c.children[0]), self.span(c)) if type(c) is Node else self.word(c)
            for c in node.children
        )

    def _user_decl(self, node: Node) -> None:
        name, auth, *rest = node.children
        groups: tuple[m.Word, ...] = ()
        options = []
        for item in rest:
            if item.data == "user_groups":
                groups += self.words(item.children[0])
            else:
                options.append((self.word(item.children[0]), self.word(item.children[1])))
        self.parts.users.append(m.User(self.word(name), self.word(auth), groups, tuple(options), self.span(node)))

    def _serviceaccount_decl(self, node: Node) -> None:
        ref, *opts = node.children
        self.parts.serviceaccounts.append(
            m.ServiceAccount(self.word(ref), tuple(self.word(o) for o in opts), self.span(node))
        )

    def _team_decl(self, node: Node) -> None:
        name = self.word(node.children[0])
        members: tuple[m.Subject, ...] = ()
        for item in node.children[1:]:
            if item.data == "members":
                members += self.subjects(item.children[0])
            else:
                self._grant(item, team=name.text)
        self.parts.teams.append(m.Team(name, members, self.span(node)))

    def _role_decl(self, node: Node) -> None:
        name = self.word(node.children[0])
        scope = self.child(node, "role_scope")
        aggregates = self.child(node, "aggregates")
        aggregate_to = self.child(node, "aggregate_to")
        block = self.child(node, "rule_block")
        self.parts.roles.append(
            m.Role(
                name=name,
                namespace=self.word(scope.children[0]) if scope else None,
                rules=tuple(self.rule(r) for r in block.children) if block else (),
                aggregates=self.words(aggregates.children[0]) if aggregates else (),
                aggregate_to=self.words(aggregate_to.children[0]) if aggregate_to else (),
                is_aggregate=aggregates is not None,
                span=self.span(node),
            )
        )

    def _namespace_decl(self, node: Node) -> None:
        names = [self.word(c) for c in node.children if type(c) is tuple]  # `name` nodes are tokens
        cls_node = self.child(node, "ns_class")
        cls = self.word(cls_node.children[0]) if cls_node is not None else None
        body = self.child(node, "ns_body")
        span = self.span(node)
        for i, name in enumerate(names):
            # One block per name; the grants of a block for several names are lowered once, for all.
            self.parts.namespaces.append(
                self._ns_body(body, name, span, [n.text for n in names] if i == 0 else None, ns_class=cls))

    def _namespace_class_decl(self, node: Node) -> None:
        name = self.word(node.children[0])
        body = self._ns_body(node.children[1], name, self.span(node), None, cls=name.text)
        self.parts.classes.append(m.NamespaceClass(name, body, self.span(node)))

    def _ns_body(self, body: Node | None, name: m.Word, span: Span, grant_places: list[str] | None,
                 cls: str = "", ns_class: m.Word | None = None) -> m.Namespace:
        """The settings of a namespace (or class) block; its grants go to the parts when
        `grant_places` (the namespaces they default to) is given or the block is a class (`cls`).
        `ns_class` is the class a namespace block names (`namespace N class C`)."""
        labels: list[tuple[m.Word, m.Word]] = []
        pod_security: list[m.PodSecurity] = []
        limits: list[m.LimitItem] = []
        quota: list[m.Amount] = []
        limits_span = quota_span = None
        for item in body.children if body is not None else ():
            kind = item.data
            if kind == "labels":
                label = self._label
                labels += [label(n) for n in item.children[0].children]
            elif kind == "pod_security":
                modes = []
                for pm in item.children:
                    ws = list(self.words(pm))
                    # `[MODE] LEVEL [VERSION]`: two words are `LEVEL latest` or `MODE LEVEL`.
                    version = ws.pop() if len(ws) == 3 or (len(ws) == 2 and ws[1].text == "latest") else None
                    modes.append(m.PodSecurityMode(ws[0] if len(ws) == 2 else None, ws[-1], self.span(pm), version))
                pod_security.append(m.PodSecurity(tuple(modes), self.span(item)))
            elif kind == "limits":
                limits_span = limits_span or self.span(item)
                for line in item.children:
                    typ, knd = self.word(line.children[0]), self.word(line.children[1])
                    for amount in line.children[2:]:
                        limits.append(m.LimitItem(typ, knd, self.amount(amount), self.span(amount)))
            elif kind == "quota":
                quota_span = quota_span or self.span(item)
                quota.extend(self.amount(a) for a in item.children)
            elif cls:
                self._grant(item, namespace_class=cls)
            elif grant_places is not None:
                self._grant(item, namespace=name.text, places=grant_places)
        return m.Namespace(
            name,
            tuple(labels),
            tuple(pod_security),
            tuple(limits),
            limits_span,
            tuple(quota),
            quota_span,
            span,
            ns_class,
        )

    def amount(self, node: Node) -> m.Amount:
        res, qty = self.words(node)
        return m.Amount(res, qty, self.span(node))

    def _label(self, node: RawToken) -> tuple[m.Word, m.Word]:
        """`key=value` (a `name` node, its token): the key's and the value's words, columns inside the token.

        The whole word is made only for PC010 (a label's word is not kept otherwise)."""
        key, eq, value = _text(node).partition("=")
        if not eq:
            w = self.word(node)
            self.diags.append(
                error("PC010", f"label `{w.text}` has no value", w.span, "write labels as `key=value`")
            )
        kind, written, place, _ = node
        name, n = self.name, len(key)
        if kind == "STRING" and "\\" in written:
            # Escapes: a column of the value is not a column of the source; both words point at
            # the whole quoted label rather than at a wrong part of it.
            return placed_word(key, name, place), placed_word(value, name, place)
        line, col, end_line, end_col, start, end = place
        quote = 1 if kind == "STRING" else 0  # the key starts after the opening quote, the value ends before the last
        col, start = col + quote, start + quote
        return (placed_word(key, name, (line, col, line, col + n, start, start + n)),
                placed_word(value, name, (line, col + n + 1, end_line, end_col - quote, start + n + 1, end - quote)))

    def _psp_decl(self, node: Node) -> None:
        name = self.word(node.children[0])
        settings = tuple(self.setting(s) for s in node.children[1:])
        self.parts.psps.append(m.PodSecurityPolicy(name, settings, self.span(node)))

    def _grant(self, node: Node, team: str = "", namespace: str = "", places: list[str] | None = None,
               namespace_class: str = "") -> None:
        what, *rest = node.children
        role = self.word(what.children[0]) if what.data == "grant_role" else None
        rule = self.rule(what) if what.data == "rule" else None
        to = where = None
        for c in rest:  # `to SUBJECTS`, then `in PLACES`, each optional
            if c.data == "grant_to":
                to = c
            else:
                where = c
        # One (immutable) object for every use below, made whole: the access lints sort every
        # grant by its line and column (check/access_lints.py `grant_uses`), in every build.
        span = Span(self.name, *node.meta)
        subjects = self.subjects(to.children[0]) if to else ()
        if not subjects and team:
            subjects = (m.Subject("team", team, span),)
        namespaces, cluster, selector = self._place(where)
        if where is None and namespace:
            namespaces = tuple([m.Word(n, span) for n in (places or [namespace])])
        self.parts.grants.append(
            m.Grant(role, rule, subjects, namespaces, cluster, team, namespace, span, selector,
                    namespace_class if where is None else "")
        )

    def _place(self, where: Node | None) -> tuple[tuple[m.Word, ...], bool, m.Selector | None]:
        if where is None:
            return (), False, None
        target = where.children[0]
        if target.data == "in_cluster":
            return (), True, None
        if target.data == "in_matching":
            return (), False, self.selector(target)
        return self.words(target), False, None

    def selector(self, node: Node) -> m.Selector:
        terms = []
        for t in node.children:
            span = self.span(t)
            if t.data == "selector_not_equal":
                terms.append(m.SelectorTerm(self.word(t.children[0]), "!=", self.word(t.children[1]), span))
            elif t.data == "selector_absent":
                terms.append(m.SelectorTerm(self.word(t.children[0]), "!", None, span))
            else:
                if "=" in _text(t.children[0]):
                    key, value = self._label(t.children[0])
                    terms.append(m.SelectorTerm(key, "=", value, span))
                else:
                    terms.append(m.SelectorTerm(self.word(t.children[0]), "exists", None, span))
        return m.Selector(tuple(terms), self.span(node))

    def _expect(self, node: Node) -> None:
        subject = self.subjects(Node("subjects", [node.children[0]]))[0]
        can = node.children[1].data == "expect_can"
        rule = self.rule(node.children[2])
        namespaces, cluster, selector = self._place(self.child(node, "grant_in"))
        self.parts.expectations.append(
            m.Expectation(subject, can, rule, namespaces, cluster, selector, self.span(node))
        )

    def _allow_decl(self, node: Node) -> None:
        codes = self.words(node.children[0])
        reason = self.word(node.children[1].children[0]) if len(node.children) > 1 else None
        self.parts.allowances.append(m.Allowance(codes, reason, self.span(node)))

    def _forbid(self, node: Node) -> None:
        verbs = self.words(node.children[0])
        resources: tuple[m.Word, ...] = ()
        subjects: tuple[m.Subject, ...] = ()
        excepts: tuple[m.Subject, ...] = ()
        namespaces: tuple[m.Word, ...] = ()
        cluster = False
        selector = None
        for item in node.children[1:]:
            if item.data == "names":
                resources = self.words(item)
            elif item.data == "forbid_for":
                subjects = self.subjects(item.children[0])
            elif item.data == "forbid_except":
                excepts = self.subjects(item.children[0])
            else:
                namespaces, cluster, selector = self._place(item)
        self.parts.guards.append(
            m.Guard(verbs, resources, subjects, excepts, namespaces, cluster, self.span(node), selector)
        )




def lower_file(src: SourceFile, parts: _Parts, diags: list[Diagnostic]) -> None:
    """Parse and lower one file into `parts`; syntax errors become diagnostics."""
    try:
        tree = parse_text(src.text)
    except UnexpectedInput as exc:
        diags.append(syntax_diagnostic(exc, src))
        return
    lowerer = _Lowerer(src, parts, diags)
    for node in tree.children:
        lower_decl = _DECLS.get(node.data)
        if lower_decl is None:  # `grant_decl` -> _Lowerer._grant_decl, looked up once
            lower_decl = _DECLS[node.data] = getattr(_Lowerer, f"_{node.data}")
        lower_decl(lowerer, node)


# The method of _Lowerer that lowers each kind of declaration, by the tree's name.
_DECLS: dict[str, Callable[[_Lowerer, Node], None]] = {}


@gc_paused  # what it builds lives until it returns: see policyc/gcpause.py
def lower(sources: Iterable[SourceFile]) -> tuple[m.Policy, list[Diagnostic]]:
    """Parse and lower every source file into one Policy, in sorted file order."""
    parts = _Parts()
    diags: list[Diagnostic] = []
    srcs = sorted(sources, key=lambda s: s.name)
    for src in srcs:
        lower_file(src, parts, diags)
    policy = m.Policy(
        kubernetes=parts.kubernetes[0] if parts.kubernetes else None,
        kubernetes_decls=tuple(parts.kubernetes),
        clusters=tuple(parts.clusters),
        users=tuple(parts.users),
        serviceaccounts=tuple(parts.serviceaccounts),
        teams=tuple(parts.teams),
        roles=tuple(parts.roles),
        namespaces=tuple(parts.namespaces),
        psps=tuple(parts.psps),
        grants=tuple(parts.grants),
        guards=tuple(parts.guards),
        files=tuple(s.name for s in srcs),
        namespace_classes=tuple(parts.classes),
        expectations=tuple(parts.expectations),
        allowances=tuple(parts.allowances),
    )
    return policy, diags


def merge(parts: Iterable[m.Policy]) -> m.Policy:
    """The Policy `lower()` makes of several files, from the Policies of each file (in sorted name order).

    `lower()` appends each file's declarations in sorted file order and takes the first
    `kubernetes` declaration as the target; every other field is a tuple to concatenate. The
    language server lowers file by file (caching each) and merges.
    """
    parts = list(parts)
    values: dict[str, tuple] = {}
    for f in dataclasses.fields(m.Policy):
        if f.name != "kubernetes":
            values[f.name] = tuple(item for p in parts for item in getattr(p, f.name))
    decls = values["kubernetes_decls"]
    return m.Policy(kubernetes=decls[0] if decls else None, **values)

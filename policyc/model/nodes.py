"""Model nodes. Tuples, not lists; spans never take part in equality."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.k8s.rules import Atom, atoms_of
from policyc.slotted import frozen_slots as node
from policyc.source import NO_SPAN, Span, span_at


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, hash=False, repr=False)


class _Placed:
    """Where a word the parser made was written, until its `Span` is first asked for (`Word.span`)."""

    __slots__ = ("_at",)


@dataclass(frozen=True, slots=True, init=False)
class Word(_Placed):
    """A name or value as written, with where it was written.

    Slots, not an instance dict: `placed_word` (the lowering, 143,000 words at `grants` 3,000)
    makes a word with two slot stores and no `Span`; `span` is made from the token's position
    when first read (by `__getattr__`, reached only while the slot is empty), which about one
    word in nine ever is, in a build without errors. Equality, hash and repr are the dataclass's
    (the text alone), as before.
    """

    text: str
    span: Span = _span()

    def __init__(self, text: str, span: Span = NO_SPAN) -> None:
        _set_text(self, text)  # a frozen dataclass's own __init__ goes through object.__setattr__
        _set_span(self, span)

    def __getattr__(self, name: str) -> Span:
        if name != "span":
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        file, place = self._at  # a word `placed_word` made: its span is due now
        span = span_at(file, place)
        _set_span(self, span)
        return span

    def __str__(self) -> str:
        return self.text


_set_text = Word.text.__set__  # type: ignore[attr-defined]  (slot descriptors: they bypass the frozen __setattr__)
_set_span = Word.span.__set__  # type: ignore[attr-defined]
_set_at = _Placed._at.__set__  # type: ignore[attr-defined]
_new = object.__new__


def placed_word(text: str, file: str, place: tuple[int, int, int, int, int, int]) -> Word:
    """The word `text` written at `place` (line, column, end line, end column, start and end offsets,
    as `Span` has them after the file name) in `file`; its `Span` is made when first read."""
    word = _new(Word)
    _set_text(word, text)
    _set_at(word, (file, place))
    return word


@node
class Rule:
    """`VERBS RESOURCES [named NAMES]` or `VERBS /urls`: one permission statement."""

    verbs: tuple[Word, ...]
    resources: tuple[Word, ...]
    names: tuple[Word, ...] = ()
    span: Span = _span()
    except_verbs: tuple[Word, ...] = ()  # `VERBS except VERBS`
    except_resources: tuple[Word, ...] = ()  # `RESOURCES except RESOURCES`
    # What an exclusion expands to against the release tables (check/exclusions.py):
    # ((verb, resource as written, e.g. `deployments.apps/scale`), ...). Empty: no exclusion.
    expansion: tuple[tuple[str, str], ...] = ()

    @property
    def has_exclusion(self) -> bool:
        """Whether the rule says `except` (its permissions are `expansion`, once checked)."""
        return bool(self.except_verbs or self.except_resources)

    def atoms(self) -> list[Atom]:
        """The rule's atoms: verbs (aliases expanded) times resources, or the expanded exclusion."""
        names = [n.text for n in self.names]
        if self.has_exclusion:
            out: list[Atom] = []
            for verb, resource in self.expansion:
                out += atoms_of([verb], [resource], names)
            return out
        return atoms_of([v.text for v in self.verbs], [t.text for t in self.resources], names)

    @property
    def is_nonresource(self) -> bool:
        """Whether the targets are non-resource URLs (`/healthz`)."""
        return bool(self.resources) and all(r.text.startswith("/") for r in self.resources)


@node
class Subject:
    """`user NAME`, `group NAME`, `serviceaccount NS/NAME`, `team NAME` or `everyone`."""

    kind: str  # user | group | serviceaccount | team | everyone
    name: str = ""
    span: Span = _span()

    @property
    def namespace(self) -> str:
        """The namespace of a service account (`NS/NAME`); empty when there is none."""
        return self.name.partition("/")[0] if self.kind == "serviceaccount" and "/" in self.name else ""

    @property
    def sa_name(self) -> str:
        """The name part of a service account (`NS/NAME`)."""
        return self.name.partition("/")[2] if "/" in self.name else self.name

    def __str__(self) -> str:
        return self.kind if self.kind == "everyone" else f"{self.kind} {self.name}"


@node
class Role:
    """`role NAME [in NS] { rules }`, `role NAME aggregates A, B`, `role NAME aggregate-to R { rules }`."""

    name: Word
    namespace: Word | None
    rules: tuple[Rule, ...] = ()
    aggregates: tuple[Word, ...] = ()
    aggregate_to: tuple[Word, ...] = ()
    is_aggregate: bool = False
    span: Span = _span()


@node
class Grant:
    """A grant of a role or an inline rule to subjects, in namespaces or the cluster.

    `team` and `namespace_block` record the block the grant was written in: they supply the
    default subject and place, and name the origin in diagnostics and review output.
    """

    role: Word | None
    rule: Rule | None
    subjects: tuple[Subject, ...]
    namespaces: tuple[Word, ...]
    cluster: bool
    team: str = ""
    namespace_block: str = ""
    span: Span = _span()
    selector: Selector | None = None  # `in namespaces matching ...` (resolved into `namespaces`)
    namespace_class: str = ""  # written in `namespace-class NAME { }`: the place is its namespaces


@node
class SelectorTerm:
    """One term of `in namespaces matching`: `k=v` (op `=`), `k!=v` (`!=`), `k` (`exists`), `!k` (`!`)."""

    key: Word
    op: str
    value: Word | None = None
    span: Span = _span()

    def matches(self, labels: dict[str, str]) -> bool:
        """Kubernetes label-selector semantics (k8s.io/apimachinery/pkg/labels/selector.go,
        `Requirement.Matches`): `!=` also matches when the key is absent."""
        key = self.key.text
        if self.op == "exists":
            return key in labels
        if self.op == "!":
            return key not in labels
        value = self.value.text if self.value is not None else ""
        if self.op == "=":
            return labels.get(key) == value
        return labels.get(key) != value

    def __str__(self) -> str:
        key = self.key.text
        return {"exists": key, "!": f"!{key}", "=": f"{key}={self.value}", "!=": f"{key}!={self.value}"}[self.op]


@node
class Selector:
    """`namespaces matching TERM, ...`: every declared namespace whose labels satisfy all terms."""

    terms: tuple[SelectorTerm, ...]
    span: Span = _span()

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether namespace labels satisfy every term."""
        return all(t.matches(labels) for t in self.terms)

    def __str__(self) -> str:
        return "namespaces matching " + ", ".join(str(t) for t in self.terms)


@node
class Team:
    """`team NAME { members ...; grant ... }`; grants live in Policy.grants with `team` set."""

    name: Word
    members: tuple[Subject, ...]
    span: Span = _span()


@node
class User:
    """`user NAME auth KIND [groups G, ...] [OPTION VALUE ...]`."""

    name: Word
    auth: Word
    groups: tuple[Word, ...] = ()
    options: tuple[tuple[Word, Word], ...] = ()
    span: Span = _span()


@node
class ServiceAccount:
    """`serviceaccount NS/NAME [OPTIONS]`."""

    ref: Word
    options: tuple[Word, ...] = ()
    span: Span = _span()

    @property
    def namespace(self) -> str:
        """The service account's namespace."""
        return self.ref.text.partition("/")[0]

    @property
    def name(self) -> str:
        """The service account's name."""
        return self.ref.text.partition("/")[2]


@node
class PodSecurityMode:
    """One `MODE LEVEL` pair, or a bare `LEVEL`/`POLICY` (mode empty), optionally followed by the
    version its labels pin (`latest`; none: the target release)."""

    mode: Word | None
    level: Word
    span: Span = _span()
    version: Word | None = None


@node
class PodSecurity:
    """`pod-security LEVEL`, `pod-security enforce L1, warn L2`, or `pod-security POLICY`."""

    modes: tuple[PodSecurityMode, ...]
    span: Span = _span()


@node
class Amount:
    """`RESOURCE QUANTITY`, as in a limit or a quota."""

    resource: Word
    quantity: Word
    span: Span = _span()


@node
class LimitItem:
    """`TYPE KIND RESOURCE QTY`: one cell of a LimitRange (`container max memory 1Gi`)."""

    type: Word
    kind: Word
    amount: Amount
    span: Span = _span()


@node
class Namespace:
    """One `namespace NAME { ... }` block; blocks for the same name merge in the check stage."""

    name: Word
    labels: tuple[tuple[Word, Word], ...] = ()
    pod_security: tuple[PodSecurity, ...] = ()
    limits: tuple[LimitItem, ...] = ()
    limits_span: Span | None = field(default=None, compare=False, hash=False, repr=False)
    quota: tuple[Amount, ...] = ()
    quota_span: Span | None = field(default=None, compare=False, hash=False, repr=False)
    span: Span = _span()
    cls: Word | None = None  # `namespace N class C`
    from_class: str = ""  # a block the check stage derived from class `from_class`


@node
class NamespaceClass:
    """`namespace-class NAME { ... }`: what a namespace block takes, for `namespace N class NAME`.

    `body` holds the settings as a Namespace block named after the class; its grants live in
    Policy.grants with `namespace_class` set.
    """

    name: Word
    body: Namespace
    span: Span = _span()


@node
class Expectation:
    """`expect SUBJECT can|cannot RULE [in NAMESPACES | in namespaces matching ... | in cluster]`."""

    subject: Subject
    can: bool
    rule: Rule
    namespaces: tuple[Word, ...] = ()
    cluster: bool = False
    selector: Selector | None = None
    span: Span = _span()


@node
class Allowance:
    """`allow CODE, ... because "REASON"`: warnings silenced for the whole policy."""

    codes: tuple[Word, ...]
    reason: Word | None
    span: Span = _span()


@node
class Setting:
    """A settings line: comma-separated groups of words (`host-network no, host-pid no`)."""

    groups: tuple[tuple[Word, ...], ...]
    span: Span = _span()


@node
class PodSecurityPolicy:
    """`pod-security-policy NAME { settings }`: a custom pod security profile."""

    name: Word
    settings: tuple[Setting, ...]
    span: Span = _span()


@node
class AuthSetting:
    """One line of `authentication { }`: a method keyword and its `key value` options."""

    method: Word
    setting: Setting
    span: Span = _span()


@node
class AuthzWebhookRef:
    """`webhook NAME` in `authorization`: a structured-configuration webhook authorizer."""

    name: Word
    span: Span = _span()

    @property
    def text(self) -> str:
        return f"webhook {self.name.text}"


@node
class AuthzWebhook:
    """`webhook NAME { kubeconfig PATH ... }` in `cluster`: the settings of a webhook authorizer."""

    name: Word
    settings: tuple[Setting, ...]
    span: Span = _span()


@node
class Cluster:
    """`cluster { authorization ...; admission ...; authentication { ... } }`."""

    authorization: tuple[Word | AuthzWebhookRef, ...] = ()
    authorization_span: Span | None = field(default=None, compare=False, hash=False, repr=False)
    admission: tuple[Word, ...] = ()
    admission_span: Span | None = field(default=None, compare=False, hash=False, repr=False)
    authentication: tuple[AuthSetting, ...] = ()
    settings: tuple[Setting, ...] = ()
    span: Span = _span()
    webhooks: tuple[AuthzWebhook, ...] = ()


@node
class Guard:
    """`forbid VERBS [RESOURCES] [for SUBJECTS] [except SUBJECTS] [in NAMESPACES | in cluster]`."""

    verbs: tuple[Word, ...]
    resources: tuple[Word, ...]
    subjects: tuple[Subject, ...]
    excepts: tuple[Subject, ...]
    namespaces: tuple[Word, ...]
    cluster: bool
    span: Span = _span()
    selector: Selector | None = None  # `in namespaces matching ...` (resolved into `namespaces`)


@node
class Policy:
    """A whole program: every declaration of every file, in source order per file."""

    kubernetes: Word | None = None
    kubernetes_decls: tuple[Word, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    users: tuple[User, ...] = ()
    serviceaccounts: tuple[ServiceAccount, ...] = ()
    teams: tuple[Team, ...] = ()
    roles: tuple[Role, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    psps: tuple[PodSecurityPolicy, ...] = ()
    grants: tuple[Grant, ...] = ()
    guards: tuple[Guard, ...] = ()
    files: tuple[str, ...] = ()
    namespace_classes: tuple[NamespaceClass, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    allowances: tuple[Allowance, ...] = ()

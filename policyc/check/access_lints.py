"""Access lints (PC501-PC522): warnings with CIS Kubernetes Benchmark ids where one exists.

Each grant is judged by what it really allows: the rules of its role after aggregation (built-in
roles included, so `edit` counts as reading secrets and creating pods) or its inline rule.
Each rule names its CIS section 5.1 control by key (RULES below); the id is the one of the
benchmark kube-bench applies to the target release (policyc/rules.py `cite`, docs/cis.md).
PC502-PC512 flag the escalation paths of access/escalation_rules.py that hold on the policy's
release ("what each lint flags" below; docs/access.md, "Access lints and the table").
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from operator import attrgetter

from policyc import model as m
from policyc.access import escalation_rules, matching
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import signer_allowed
from policyc.access.escalation_rules import EscalationRule, Need
from policyc.access.objects import ObjRef
from policyc.check.grants import rule_text
from policyc.diagnostics import Diagnostic, Label, warning
from policyc.k8s.rules import PolicyRule, merge
from policyc.model.program import Program
from policyc.model.rbac import SUBJECT_ORDER, Binding, RbacSubject
from policyc.rules import WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "access",
    Rule(
        "PC501", WARNING, "cluster-admin (or `* * *`) is granted",
        example="``grant of role `cluster-admin` gives every permission cluster-wide``",
        help=(
            "grant a narrower role (`admin`, `edit` or one of your own); keep cluster-admin for break-glass "
            "accounts"
        ),
        cis="rbac-cluster-admin",
    ),
    Rule(
        "PC502", WARNING, "a grant allows get/list/watch secrets (built-in roles included)",
        example="``grant of role `edit` allows reading secrets in namespace `app` ``",
        help=(
            "grant only the secrets it needs (`get secrets named ...`), or a role without secrets (`view` "
            "instead of `edit`)"
        ),
        cis="rbac-secrets",
    ),
    Rule(
        "PC503", WARNING, "a rule of a role or inline grant uses `*` (verbs or resources)",
        example="``rule uses the wildcard `*.apps` ``",
        help=(
            "name the verbs and resources it needs; a wildcard also grants whatever later releases and custom"
            " resources add"
        ),
        cis="rbac-wildcards",
    ),
    Rule(
        "PC504", WARNING, "a grant allows creating pods, or creating or updating a workload that runs pods "
        "(replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs; pods update)",
        example=("``grant allows creating pods in namespace `dev` ``, ``grant allows creating or updating workloads "
                 "that run pods (`deployments.apps`) in namespace `dev` ``"),
        help=(
            "a pod runs as any service account of its namespace; grant pod creation to deployment tooling "
            "only"
        ),
        cis="rbac-create-pods",
    ),
    Rule(
        "PC505", WARNING, "a grant gives rights to a namespace's `default` service account",
        example="``grant of role `view` gives rights to the `default` service account of `app` ``",
        help=(
            "every pod that names no service account runs as `default`; create a service account for the "
            "workload and grant it instead"
        ),
        cis="rbac-default-service-accounts",
    ),
    Rule(
        "PC506", WARNING,
        "a grant allows bind, escalate (roles) or impersonate (users, groups, serviceaccounts, uids, userextras)",
        example=(
            "``grant allows `impersonate` cluster-wide``, ``grant of role `edit` allows `impersonate` in "
            "namespace `app` ``"
        ),
        help="these verbs step around RBAC's escalation checks; grant them to administrators only",
        cis="rbac-bind-impersonate-escalate",
    ),
    Rule(
        "PC507", WARNING, "a grant allows creating persistent volumes",
        example="``grant allows creating persistent volumes cluster-wide``",
        help=(
            "a hostPath persistent volume reads and writes the node's disk; let a storage class provision "
            "volumes"
        ),
        cis="rbac-create-persistent-volumes",
    ),
    Rule(
        "PC508", WARNING, "a grant allows nodes/proxy",
        example="``grant allows access to nodes/proxy cluster-wide``",
        help=(
            "nodes/proxy reaches the kubelet API, which runs commands in any pod of the node; grant "
            "nodes/metrics or nodes/stats instead"
        ),
        cis="rbac-nodes-proxy",
    ),
    Rule(
        "PC509", WARNING, "a grant allows update/patch certificatesigningrequests/approval",
        example="``grant allows approving certificate signing requests cluster-wide``",
        help=(
            "an approver can issue a client certificate for any user or group; keep approval with the cluster"
            " admins"
        ),
        cis="rbac-csr-approval",
    ),
    Rule(
        "PC510", WARNING, "a grant allows writing validating or mutating webhook configurations",
        example="``grant allows writing admission webhook configurations cluster-wide``",
        help=(
            "a webhook sees and may change every object it selects; keep webhook configuration with the "
            "cluster admins"
        ),
        cis="rbac-webhook-configurations",
    ),
    Rule(
        "PC511", WARNING, "a grant allows create serviceaccounts/token",
        example="``grant allows creating service account tokens in namespace `a` ``",
        help="a token request acts as the service account; grant it by name (`named`) to what needs it",
        cis="rbac-service-account-token-creation",
    ),
    Rule(
        "PC512", WARNING,
        "a grant allows running code in existing pods: exec or attach (`create`, or `get` over WebSocket up to "
        "1.34) or ephemeral containers (1.23+)",
        example="``grant allows running code in existing pods (`create pods/exec`) in namespace `app` ``",
        help=(
            "code run in a pod acts as its service account and reads what it mounts; grant exec and attach to "
            "operators only, in the namespaces they run"
        ),
    ),
    Rule(
        "PC520", WARNING,
        "a grant whose every permission its subjects already get from other grants (the later of two equal grants is "
        "reported; notes name the covering grants)",
        example=(
            "`grant role edit in payments` then `grant read pods/log, events in payments`: ``grant is redundant: "
            "its subjects already have everything it allows through other grants``"
        ),
    ),
    Rule(
        "PC521", WARNING,
        "a declared role no grant uses (directly, or through an aggregating role that is granted; `aggregate-to` "
        "roles count as used)",
        example="``role `lonely` is never granted``",
    ),
    Rule("PC522", WARNING, "a team without members", example="``team `ghosts` has no members``"),
)

# ------------------------------------------------------------------ what each lint flags
#
# The escalation paths come from ONE table, access/escalation_rules.py: a lint names the needs it
# is about (`concern`) and flags a grant that meets such a need of a row holding on the target
# release, when every other need of the row is met too, by the grant itself or by another grant of
# one of its subjects in the same scope (the guard's engine combines grants the same way). A row
# added to the table is flagged by the lint whose concern it matches, without editing the lint;
# tests/unit/check/test_lints_from_table.py fails for a row (effect) no lint covers.
#
# `cis` lists what a lint flags beyond the table: what the CIS control names although it is not an
# escalation path on its own (each entry says why it stays).

# Rows that yield no access (portforward, userextras), are request facts, or record what the generic
# rows reach (`controller-sa`: kube-system's controllers, through the service-account rows linted here).
_NOT_A_STEP = ("none", "request", "controller-sa")
_SPECIAL_VERBS = ("bind", "escalate", "impersonate")
_READ = ("get", "list", "watch")


@dataclass(frozen=True)
class _Lint:
    code: str
    what: str
    concern: Callable[[EscalationRule, Need], bool]
    cis: tuple[Need, ...] = ()

    def covers(self, row: EscalationRule) -> bool:
        return row.effect not in _NOT_A_STEP and any(self.concern(row, n) for n in row.requires)


_LINTS = (
    # CIS 5.1.2 "minimize access to secrets" names get/list/watch, by name too (the data is read); the
    # table adds update/patch (the response carries the data) and create + read back a token Secret.
    _Lint("PC502", "reading secrets", lambda row, n: (n.group, n.resource) == ("", "secrets"),
          cis=(Need(_READ, "", "secrets"),)),
    _Lint("PC504", "creating pods", lambda row, n: row.effect == "workload"),
    # CIS 5.1.8 names the verbs: `bind`/`escalate` alone take effect with a binding or role write
    # from elsewhere (another tool, a later grant), and impersonating uids/userextras matters under
    # a webhook authorizer; the table's rows (RBAC paths) need the companion writes. Users, groups,
    # uids and extras are impersonated by a request without a namespace, so only cluster-wide
    # grants count (staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go); service
    # accounts in their namespace.
    _Lint("PC506", "`bind`, `escalate` or `impersonate`",
          lambda row, n: bool(set(n.verbs) & set(_SPECIAL_VERBS)),
          cis=(*(Need((v,), escalation_rules.RBAC, r) for v in ("bind", "escalate") for r in ("roles", "clusterroles")),
               Need(("impersonate",), "", "serviceaccounts"),
               *(Need(("impersonate",), g, r, cluster=True) for g, r in (
                   ("", "users"), ("", "groups"), ("authentication.k8s.io", "uids"),
                   ("authentication.k8s.io", "userextras"))))),
    # Not an escalation row: a hostPath volume is a path to the node, not to an identity. Nodes,
    # persistent volumes, signers, CSRs and webhook configurations are cluster-scoped: a RoleBinding
    # never reaches them (the request has no namespace), so the CIS entries below are cluster-wide.
    _Lint("PC507", "creating persistent volumes", lambda row, n: False,
          cis=(Need(("create",), "", "persistentvolumes", cluster=True),)),
    # CIS 5.1.10 names every access to nodes/proxy; the kubelet paths (exec, run) are get/create.
    _Lint("PC508", "access to nodes/proxy", lambda row, n: (n.resource, n.sub) == ("nodes", "proxy"),
          cis=(Need(("get", "create", "update", "patch", "delete", "list", "watch"), "", "nodes", "proxy",
                    cluster=True),)),
    # CIS 5.1.11 names the approval subresource alone; the table adds `approve` on a client signer.
    _Lint("PC509", "approving certificate signing requests",
          lambda row, n: n.group == escalation_rules.CERTS and (n.sub == "approval" or n.resource == "signers"),
          cis=(Need(("update", "patch"), escalation_rules.CERTS, "certificatesigningrequests", "approval",
                    cluster=True),)),
    # CIS 5.1.12 names every write; deleting a webhook configuration switches off the admission
    # control it enforces (not an escalation path, so not in the table).
    _Lint("PC510", "writing admission webhook configurations",
          lambda row, n: n.group == escalation_rules.ADMISSION,
          cis=tuple(Need(("delete", "deletecollection"), escalation_rules.ADMISSION, r, cluster=True)
                    for r in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"))),
    _Lint("PC511", "creating service account tokens", lambda row, n: row.effect == "token"),
    _Lint("PC512", "running code in existing pods", lambda row, n: row.effect == "pod-entry"),
)


def covering_lints(row: EscalationRule) -> list[str]:
    """The codes of the lints that flag a row's path (tests read it)."""
    return [lint.code for lint in _LINTS if lint.covers(row)]


def _meets(rule: PolicyRule, need: Need) -> bool:
    """Whether one rule satisfies a requirement, read as the escalation engine reads it
    (access/escalation.py `EscalationGraph.need`): names limit only where the need says."""
    combined = f"{need.resource}/{need.sub}" if need.sub else need.resource
    if not (matching.resource_matches(rule, combined, need.sub) and matching.group_matches(rule, need.group)):
        return False  # tested first: most rules are about other resources
    verbs = ("*",) if "*" in need.verbs else need.verbs
    if not any(matching.verb_matches(rule, v) for v in verbs):
        return False
    if rule.resource_names and not (need.named or need.names):
        return False  # e.g. `create` carries no name
    return not need.names or signer_allowed(rule, need.names)


def _is_everything(rules: Iterable[PolicyRule]) -> bool:
    return any("*" in r.verbs and "*" in r.api_groups and "*" in r.resources for r in rules)


_HELP = {rule.code: rule.help for rule in RULES}  # the registered fix of each lint (SARIF shows it too)


@dataclass
class _GrantUse:
    """One grant: its bindings' scopes, the subjects they bind, and the rules it gives."""

    grant: m.Grant
    scopes: list[str | None]
    # Read only: a grant whose bindings name one tuple of subjects (most) shares its set with every
    # grant of that tuple (`grant_uses`).
    subjects: frozenset[RbacSubject]
    rules: tuple[PolicyRule, ...]
    places: set[str | None] = field(default_factory=set)  # `scopes` as a set, for membership tests


# An inline grant's rules by its rule object (a frozen node: the lowering cache keeps it from one
# analysis to the next); the entry keeps the object, so its id is not reused. Cleared when large.
_INLINE: dict[int, tuple[m.Rule, tuple[PolicyRule, ...]]] = {}


# The same by what `atoms()` reads of a rule: the rule written in every team (a new node each,
# with its own spans) is expanded and merged once per build. Cleared when large.
_BY_TEXT: dict[tuple, tuple[PolicyRule, ...]] = {}


def _inline_rules(rule: m.Rule) -> tuple[PolicyRule, ...]:
    entry = _INLINE.get(id(rule))
    if entry is None or entry[0] is not rule:
        if len(_INLINE) > 100_000:
            _INLINE.clear()
        text = rule_text(rule)
        merged = _BY_TEXT.get(text)
        if merged is None:
            if len(_BY_TEXT) > 100_000:
                _BY_TEXT.clear()
            merged = _BY_TEXT[text] = merge(rule.atoms())
        entry = _INLINE[id(rule)] = (rule, merged)
    return entry[1]


def _grant_rules(b: Binding, g: m.Grant, model: AccessModel) -> tuple[PolicyRule, ...]:
    if g.rule is not None:
        return _inline_rules(g.rule)
    ref = ObjRef(b.role_kind, (b.namespace or "") if b.role_kind == "Role" else "", b.role_name)
    role = model.role(ref)
    return role.rules if role is not None else ()


def grant_uses(program: Program, model: AccessModel) -> list[_GrantUse]:
    """Every grant of the program with what it allows, in source order."""
    uses: dict[int, _GrantUse] = {}
    # Equal rules share one tuple: the lints' caches are keyed by the tuple's identity, so a rule
    # written inline in every team, or a role generated per team with the same rules (1,637
    # tuples, 136 distinct, in bench/gen_org.py's `teams` at 3,000 namespaces), is planned once.
    shared: dict[tuple[PolicyRule, ...], tuple[PolicyRule, ...]] = {}
    # The same by the tuple's identity, and a granted role's rules by the role's (kind, namespace,
    # name) as plain strings: hashing a tuple of rules, or an ObjRef, is a Python-level call per
    # rule or reference, once per grant otherwise. Each entry keeps its tuple, so its id is not reused.
    by_id: dict[int, tuple[tuple[PolicyRule, ...], tuple[PolicyRule, ...]]] = {}
    role_rules: dict[tuple[str, str, str], tuple[PolicyRule, ...]] = {}
    # Each binding's subjects as a set once per tuple object: a team's bindings share one tuple
    # (check/grants.py), so its grants share one set instead of each hashing every member into its own.
    subject_sets: dict[int, tuple[tuple[RbacSubject, ...], frozenset[RbacSubject]]] = {}
    for b in program.bindings:
        named = subject_sets.get(id(b.subjects))
        if named is None or named[0] is not b.subjects:  # the entry keeps its tuple: ids are not reused
            named = subject_sets[id(b.subjects)] = (b.subjects, frozenset(b.subjects))
        for g in b.grants:
            use = uses.get(id(g))
            if use is None:
                if g.rule is None:
                    key = (b.role_kind, (b.namespace or "") if b.role_kind == "Role" else "", b.role_name)
                    rules = role_rules.get(key)
                    if rules is None:
                        rules = role_rules[key] = _grant_rules(b, g, model)
                else:
                    rules = _grant_rules(b, g, model)
                entry = by_id.get(id(rules))
                if entry is None or entry[0] is not rules:
                    entry = by_id[id(rules)] = (rules, shared.setdefault(rules, rules))
                use = uses[id(g)] = _GrantUse(g, [], named[1], entry[1])
            elif use.subjects is not named[1]:
                use.subjects = use.subjects | named[1]
            use.scopes.append(b.namespace)
            use.places.add(b.namespace)
    return sorted(uses.values(), key=_SOURCE_ORDER)


# `Span.sort_key` of a grant use's grant (file, line, column), read in C: sorting every grant of a build.
_SOURCE_ORDER = attrgetter("grant.span.file", "grant.span.line", "grant.span.col")


def _places(scopes: list[str | None]) -> str:
    if None in scopes:
        return "cluster-wide"
    names = sorted({s for s in scopes if s})
    return ("in namespace " if len(names) == 1 else "in namespaces ") + ", ".join(f"`{n}`" for n in names)


def _granted(g: m.Grant) -> str:
    return f"grant of role `{g.role.text}`" if g.role is not None else "grant"


# Per lint: the CIS needs a grant meets, and per row it meets part of, (its needs, the needs it lacks).
_Plan = tuple[list[Need], list[tuple[list[Need], list[Need]]]]


class _Flagger:
    """Which lints fire on a grant: per row of the release's table, its needs met by the grant, or by
    the grant together with other grants of one of its subjects in one scope."""

    def __init__(self, uses: list[_GrantUse], release: escalation_rules.Release | None,
                 by_subject: dict[RbacSubject, list[_GrantUse]] | None = None) -> None:
        self.rows = {lint.code: [r for r in escalation_rules.rules_for(release) if lint.covers(r)] for lint in _LINTS}
        self.by_subject = _by_subject(uses) if by_subject is None else by_subject
        # By the identity of the rules: grants of one role share its tuple (hashing it is not free).
        self._met: dict[tuple[int, Need], bool] = {}
        self._plans: dict[tuple[int, bool], dict[str, _Plan]] = {}
        # The lints with something of their concern in a plan, in `_LINTS`' order, by the plan's key.
        self._concerned: dict[tuple[int, bool], list[_Lint]] = {}
        self._single: dict[tuple[Need, str], Need] = {}  # a need narrowed to one of its verbs
        # `_what`'s phrase by the lint, the grant's rules and scope kind and the needs (as `_plan`).
        self.phrases: dict[tuple, str] = {}
        self._everything: dict[int, tuple[tuple[PolicyRule, ...], bool]] = {}
        self._defaults: dict[int, tuple[frozenset[RbacSubject], list[RbacSubject]]] = {}

    def everything(self, rules: tuple[PolicyRule, ...]) -> bool:
        """`_is_everything(rules)`, once per tuple (grants of one role share theirs: `grant_uses`)."""
        entry = self._everything.get(id(rules))
        if entry is None or entry[0] is not rules:  # the entry keeps its tuple: its id is not reused
            entry = self._everything[id(rules)] = (rules, _is_everything(rules))
        return entry[1]

    def default_accounts(self, subjects: frozenset[RbacSubject]) -> list[RbacSubject]:
        """The `default` service accounts of a grant's subjects, sorted; once per set (a team's grants
        share one: `grant_uses`)."""
        entry = self._defaults.get(id(subjects))
        if entry is None or entry[0] is not subjects:  # the entry keeps its set: its id is not reused
            found = sorted([s for s in subjects if s.kind == "ServiceAccount" and s.name == "default"])
            entry = self._defaults[id(subjects)] = (subjects, found)
        return entry[1]

    def one_verb(self, need: Need, verb: str) -> Need:
        """`need` accepting `verb` alone (one object per pair: `replace` is slow and `met` caches by need)."""
        found = self._single.get((need, verb))
        if found is None:
            found = self._single[need, verb] = replace(need, verbs=(verb,))
        return found

    def met(self, use: _GrantUse, need: Need, scope: str | None = "") -> bool:
        """The grant meets the need (in `scope`; "" for any of its scopes)."""
        places = use.places
        if need.cluster and None not in places:
            return False
        if scope and scope not in places and None not in places:
            return False
        if scope is None and None not in places:
            return False
        key = (id(use.rules), need)
        hit = self._met.get(key)
        if hit is None:
            hit = self._met[key] = any(_meets(r, need) for r in use.rules)
        return hit

    def _companions(self, use: _GrantUse, missing: list[Need]) -> list[_GrantUse] | None:
        """Other grants of one subject of `use` that meet every missing need in one scope, or None.

        Linear in the subject's grants: per missing need, the first grant meeting it in each scope
        it holds in (None: cluster-wide, which holds in every namespace too).
        """
        tried: set[tuple[int, ...]] = set()
        for subject in sorted(use.subjects, key=SUBJECT_ORDER):
            others = [o for o in self.by_subject[subject] if o is not use]
            # The answer depends on the subject only through its other grants: subjects bound by
            # the same grants (a team's members) give the same answer, and this one found none.
            ids = tuple(map(id, others))
            if ids in tried:
                continue
            tried.add(ids)
            where: list[dict[str | None, _GrantUse]] = []
            for need in missing:
                by_scope: dict[str | None, _GrantUse] = {}
                for o in others:
                    if self.met(o, need):
                        for scope in o.scopes:
                            by_scope.setdefault(scope, o)
                where.append(by_scope)
            scopes: set[str | None] = set(use.scopes)
            if None in use.scopes:  # a cluster-wide grant also holds in every namespace of the others
                scopes |= {scope for by_scope in where for scope in by_scope}
            for scope in sorted(scopes, key=lambda s: s or ""):
                found = [by_scope.get(scope) or by_scope.get(None) for by_scope in where]
                if all(o is not None for o in found):
                    return found  # type: ignore[return-value]
        return None

    def _plan(self, use: _GrantUse) -> dict[str, _Plan]:
        """Per lint, what the grant's rules meet alone: the same for every grant of one role and scope kind."""
        key = (id(use.rules), None in use.places)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = {}
            for lint in _LINTS:
                rows = []
                for row in self.rows[lint.code]:
                    mine = [n for n in row.requires if lint.concern(row, n) and self.met(use, n)]
                    if mine:
                        rows.append((mine, [n for n in row.requires if not self.met(use, n)]))
                plan[lint.code] = ([n for n in lint.cis if self.met(use, n)], rows)
        return plan

    def concerned(self, use: _GrantUse) -> list[_Lint]:
        """The lints whose plan for the grant is not empty (most lints on most grants have nothing
        of their concern in its rules): the same for every grant of one role and scope kind."""
        key = (id(use.rules), None in use.places)
        found = self._concerned.get(key)
        if found is None:
            plan = self._plan(use)
            found = self._concerned[key] = [lint for lint in _LINTS if plan[lint.code][0] or plan[lint.code][1]]
        return found

    def fire(self, lint: _Lint, use: _GrantUse) -> tuple[list[Need], list[_GrantUse]] | None:
        """The needs of the lint's concern the grant meets and the grants it needs besides, or None."""
        cis, rows = self._plan(use)[lint.code]
        needs = list(cis)
        companions: dict[int, _GrantUse] = {}
        for mine, missing in rows:
            others = self._companions(use, missing) if missing else []
            if others is None:
                continue
            needs += mine
            if others:
                companions.update((id(o), o) for o in others)
        if not needs:
            return None
        return needs, sorted(companions.values(), key=lambda o: o.grant.span.sort_key) if companions else []


def _what(lint: _Lint, needs: list[Need], use: _GrantUse, flag: _Flagger) -> str:
    """The lint's phrase, made precise from the needs the grant meets.

    It reads of the grant only what `_Flagger.met` reads with no scope (its rules and whether it
    holds cluster-wide): kept by those and the needs' identities (the plan's objects, alive as
    long as the flagger)."""
    key = (lint.code, id(use.rules), None in use.places, tuple(map(id, needs)))
    phrase = flag.phrases.get(key)
    if phrase is None:
        phrase = flag.phrases[key] = _phrase(lint, needs, use, flag)
    return phrase


def _phrase(lint: _Lint, needs: list[Need], use: _GrantUse, flag: _Flagger) -> str:
    if lint.code == "PC504":
        if any((n.group, n.resource) == ("", "pods") and "create" in n.verbs for n in needs):
            return "creating pods"
        kinds = dict.fromkeys(n.target for n in needs)
        return "creating or updating workloads that run pods (" + ", ".join(f"`{k}`" for k in kinds) + ")"
    # The verbs the grant itself allows, one by one (a need accepts any of its verbs).
    met = [(v, n) for n in needs for v in n.verbs if flag.met(use, flag.one_verb(n, v))]
    if lint.code == "PC506":
        return " and ".join(f"`{v}`" for v in _SPECIAL_VERBS if any(v == verb for verb, _ in met))
    if lint.code == "PC512":
        return f"{lint.what} ({', '.join(dict.fromkeys(f'`{v} {n.target}`' for v, n in met))})"
    return lint.what


def _cis_of(u: _GrantUse, flag: _Flagger) -> list[Diagnostic]:
    """PC501, PC502, PC504-PC512 on one grant."""
    out: list[Diagnostic] = []
    g = u.grant
    if (g.role is not None and g.role.text == "cluster-admin") or flag.everything(u.rules):
        return [warning("PC501", f"{_granted(g)} gives every permission {_places(u.scopes)}", g.span,
                        _HELP["PC501"])]
    places = ""  # `_places(u.scopes)`, made when a first lint fires (several often fire on one grant)
    for lint in flag.concerned(u):
        fired = flag.fire(lint, u)
        if fired is None:
            continue
        needs, companions = fired
        labels = [Label(o.grant.span, "together with this grant") for o in companions]
        places = places or _places(u.scopes)
        out.append(warning(lint.code, f"{_granted(g)} allows {_what(lint, needs, u, flag)} {places}",
                           g.span, _HELP[lint.code], labels))
    # Sorted are only the default service accounts (sorting every grant's subjects to find them
    # compared RbacSubjects in Python, for every grant).
    for s in flag.default_accounts(u.subjects):
        out.append(warning(
            "PC505", f"{_granted(g)} gives rights to the `default` service account of `{s.namespace}`",
            g.span, _HELP["PC505"]))
    return out


def _by_subject(uses: list[_GrantUse]) -> dict[RbacSubject, list[_GrantUse]]:
    """The grants binding each subject, in the order of `uses` (the lints' index; read only)."""
    out: dict[RbacSubject, list[_GrantUse]] = defaultdict(list)
    # Each set's lists found once: the grants of a team share one set (`grant_uses`).
    lists: dict[int, list[list[_GrantUse]]] = {}  # by the set's id (the uses keep their sets)
    for u in uses:
        found = lists.get(id(u.subjects))
        if found is None:
            found = lists[id(u.subjects)] = [out[s] for s in u.subjects]
        for named in found:
            named.append(u)
    return out


def cis_lints(uses: list[_GrantUse], release: escalation_rules.Release | None = None,
              by_subject: dict[RbacSubject, list[_GrantUse]] | None = None) -> list[Diagnostic]:
    """PC501, PC502, PC504-PC512 on every grant (rows of the escalation table that hold on `release`);
    `by_subject`: `_by_subject(uses)` when the caller has it."""
    flag = _Flagger(uses, release, by_subject)
    return [d for u in uses for d in _cis_of(u, flag)]


def wildcard_lints(program: Program) -> list[Diagnostic]:
    """PC503: rules written with `*` in declared roles and inline grants."""
    rules = [r for role in program.policy.roles for r in role.rules]
    rules += [g.rule for g in program.policy.grants if g.rule is not None]
    out = []
    for r in rules:
        # The texts `rule_text` keeps for the rule since the compile read it (check/grants.py): most
        # rules have no `*`, and reading their words again (10,894 rules at `teams` 3,000, spread
        # over a heap larger than the cache) grew 14x for 10x rules (issue 19).
        verbs, resources, _names, excluded, _expansion = rule_text(r)
        # An exclusion emits the explicit list the `*` expands to (PC144 says what it misses).
        if excluded or ("*" not in "".join(verbs) and "*" not in "".join(resources)):
            continue
        word = next(w for w in (*r.verbs, *r.resources) if "*" in w.text)
        out.append(warning("PC503", f"rule uses the wildcard `{word.text}`", word.span, _HELP["PC503"]))
    return out


def _covered(use: _GrantUse, scope: str | None, others: list[_GrantUse], pieces: list[PolicyRule],
             memo: dict[tuple[int, int], bool], solved: dict[tuple, tuple[int, ...]]) -> list[_GrantUse]:
    """The other grants of a subject (`others`: each binds it) that together cover `use` (`pieces`:
    its rules broken down) in `scope`, or [] if they do not.

    Which of them cover depends only on `pieces` and the rules of the grants that hold in `scope`,
    in order: `solved` keeps the answer as their positions by the identity of those tuples (grants
    of one role share its tuple, `grant_uses`), so a role granted in every namespace is matched
    once, not once per grant. `memo`: `rule_covers` by the ids of rule and piece. Both live as
    long as `_redundant`'s caller holds the uses (the ids stay theirs)."""
    if scope is None:
        owners = [o for o in others if None in o.places]
    else:
        owners = [o for o in others if None in o.places or scope in o.places]
    key = (id(pieces), tuple([id(o.rules) for o in owners]))
    hits = solved.get(key)
    if hits is None:
        hits = solved[key] = _cover_positions(pieces, [o.rules for o in owners], memo)
    if not hits:
        return []
    return sorted([owners[i] for i in hits], key=lambda o: o.grant.span.sort_key)


def _cover_positions(pieces: list[PolicyRule], owner_rules: list[tuple[PolicyRule, ...]],
                     memo: dict[tuple[int, int], bool]) -> tuple[int, ...]:
    """Per piece, the position of the first owner with a rule covering it (each position once, in
    the order first used), or () if a piece is covered by none."""
    rules = [(r, i) for i, rs in enumerate(owner_rules) for r in rs]
    used: dict[int, None] = {}
    for piece in pieces:
        hit = None
        for r, i in rules:
            key = (id(r), id(piece))
            covers = memo.get(key)
            if covers is None:
                covers = memo[key] = matching.rule_covers(r, piece)
            if covers:
                hit = i
                break
        if hit is None:
            return ()
        used[hit] = None
    return tuple(used)


def _redundant(uses: list[_GrantUse],
               by_subject: dict[RbacSubject, list[_GrantUse]] | None = None) -> dict[int, Diagnostic]:
    """PC520 by the id of the grant use it is on (see `redundancy_lints`)."""
    out: dict[int, Diagnostic] = {}
    flagged: set[int] = set()
    # Only grants that bind a subject can cover it: index them once (in source order, which
    # _covered relies on) instead of passing over every grant for every grant.
    if by_subject is None:
        by_subject = _by_subject(uses)
    # Grants with equal rules share one tuple (grant_uses): break each tuple down once.
    broken: dict[int, list[PolicyRule]] = {}
    memo: dict[tuple[int, int], bool] = {}
    solved: dict[tuple, tuple[int, ...]] = {}
    for use in reversed(uses):
        if not use.rules or not use.subjects:
            continue
        pieces = broken.get(id(use.rules))
        if pieces is None:
            pieces = broken[id(use.rules)] = [p for rule in use.rules for p in matching.breakdown(rule)]
        covering: dict[int, _GrantUse] = {}
        ok = True
        # _covered depends on a subject only through its other grants (every one of them binds
        # it): the members of a team share them, so their answer is computed once per grant.
        answers: dict[tuple[tuple[int, ...], str | None], list[_GrantUse]] = {}
        for subject in use.subjects:
            others = [o for o in by_subject[subject] if o is not use and id(o) not in flagged]
            ids = tuple(map(id, others))
            for scope in use.scopes:
                found = answers.get((ids, scope))
                if found is None:
                    found = answers[ids, scope] = _covered(use, scope, others, pieces, memo, solved)
                if not found:
                    ok = False
                    break
                covering.update((id(o), o) for o in found)
            if not ok:
                break
        if not ok:
            continue
        flagged.add(id(use))
        labels = tuple(Label(o.grant.span, "already granted here") for o in
                       sorted(covering.values(), key=lambda o: o.grant.span.sort_key))
        out[id(use)] = warning(
            "PC520", f"{_granted(use.grant)} is redundant: its subjects already have everything it allows through "
            "other grants", use.grant.span, "remove it, or narrow the broader grant if this one states the intended "
            "access", labels)
    return out


def redundancy_lints(uses: list[_GrantUse],
                     by_subject: dict[RbacSubject, list[_GrantUse]] | None = None) -> list[Diagnostic]:
    """PC520: a grant whose every permission its subjects already have through other grants.

    Of two grants that cover each other, the later one is reported.
    """
    found = _redundant(uses, by_subject)
    return [found[id(u)] for u in reversed(uses) if id(u) in found]


def unused_role_lints(program: Program) -> list[Diagnostic]:
    """PC521: declared roles no grant uses (directly or through aggregation)."""
    used = {((b.namespace or "") if b.role_kind == "Role" else "", b.role_name) for b in program.bindings}
    members: dict[str, list[str]] = defaultdict(list)
    for (ns, name), role in program.roles.items():
        if not ns:
            for member in role.aggregates:
                members[name].append(member.text)
    stack = [name for ns, name in used if not ns]
    while stack:
        for member in members.get(stack.pop(), ()):
            if ("", member) not in used:
                used.add(("", member))
                stack.append(member)
    out = []
    for key, role in sorted(program.roles.items()):
        if key in used or role.aggregate_to:
            continue
        out.append(warning("PC521", f"role `{role.name.text}` is never granted", role.name.span,
                           f"grant it (`grant role {role.name.text} to ... in ...`) or delete it"))
    return out


def empty_team_lints(program: Program) -> list[Diagnostic]:
    """PC522: teams without members (their grants bind nobody)."""
    return [
        warning("PC522", f"team `{name}` has no members", team.name.span,
                "add `members ...`, or delete the team: its grants bind nobody")
        for name, team in sorted(program.teams.items())
        if not program.team_members.get(name)
    ]


# ------------------------------------------------------------------ incremental (the language server)
#
# The grant lints (PC501-PC512, PC520) of a grant read only the grants that share a subject with it
# (`_Flagger._companions`, `_redundant`'s index by subject): grants fall into classes connected by
# shared subjects, and each class's diagnostics are a function of its grants alone (each one's span,
# role name, scopes, subjects and rules: `_use_key`) and the release. The server keeps each class's
# diagnostics from the last two analyses and recomputes only the classes an edit touched; the
# result is the same list, in the same order, as `cis_lints` + `redundancy_lints` over every grant
# (tests/unit/check/test_incremental_lints.py).


class _Kept:
    """Each class's lint results from the last two analyses (off unless `keep_lint_results()`)."""

    def __init__(self) -> None:
        self.enabled = False
        self.generations: list[dict[_Hashed, tuple]] = [{}, {}]
        self.lock = threading.Lock()
        self.computed = 0  # classes computed rather than kept (tests count them)


_KEPT = _Kept()


def keep_lint_results(on: bool = True) -> None:
    """Keep the grant lints' results per class of grants for the next analysis (the language server;
    off for one-shot commands, which would only pay for the keys)."""
    with _KEPT.lock:
        _KEPT.enabled = on
        _KEPT.generations = [{}, {}]




def _use_key(u: _GrantUse) -> tuple:
    """Everything the grant lints read of a grant use (its rules compare by value)."""
    g = u.grant
    subjects = tuple(sorted(u.subjects, key=SUBJECT_ORDER))
    return (g.span, g.role.text if g.role is not None else None, tuple(u.scopes), subjects, u.rules)


class _Hashed:
    """A class's key with its hash computed once (a tuple computes it again on every lookup)."""

    __slots__ = ("hash", "value")

    def __init__(self, value: tuple) -> None:
        self.value = value
        self.hash = hash(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Hashed) and self.hash == other.hash and self.value == other.value


def _classes(uses: list[_GrantUse]) -> list[list[int]]:
    """The positions of `uses` grouped into classes of grants connected by a shared subject, each in
    source order, the classes by their first grant."""
    parent = list(range(len(uses)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[RbacSubject, int] = {}
    for i, u in enumerate(uses):
        for s in u.subjects:
            j = first.setdefault(s, i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(uses)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _class_lints(uses: list[_GrantUse], release: escalation_rules.Release | None) -> tuple:
    """Per grant of one class (in its order): its PC50x diagnostics and its PC520 or None."""
    index = _by_subject(uses)
    flag = _Flagger(uses, release, index)
    redundant = _redundant(uses, index)
    return tuple((tuple(_cis_of(u, flag)), redundant.get(id(u))) for u in uses)


def grant_lints(uses: list[_GrantUse], release: escalation_rules.Release | None = None) -> list[Diagnostic]:
    """`cis_lints(uses) + redundancy_lints(uses)`, each class of grants kept or computed."""
    if not _KEPT.enabled:
        index = _by_subject(uses)  # one index for both
        return cis_lints(uses, release, index) + redundancy_lints(uses, index)
    cis: list[tuple[Diagnostic, ...]] = [()] * len(uses)
    red: list[Diagnostic | None] = [None] * len(uses)
    with _KEPT.lock:
        recent, older = _KEPT.generations
    now: dict[_Hashed, tuple] = {}
    for members in _classes(uses):
        key = _Hashed((release, tuple(_use_key(uses[i]) for i in members)))
        found = recent.get(key)
        if found is None:
            found = older.get(key)
        if found is None:
            found = _class_lints([uses[i] for i in members], release)
            _KEPT.computed += 1
        now[key] = found
        for i, (c, r) in zip(members, found, strict=True):
            cis[i], red[i] = c, r
    with _KEPT.lock:
        if _KEPT.enabled:
            _KEPT.generations = [now, recent]
    return [d for c in cis for d in c] + [r for r in reversed(red) if r is not None]


def lint_all(program: Program, model: AccessModel) -> list[Diagnostic]:
    """Every access lint."""
    uses = grant_uses(program, model)
    grants = grant_lints(uses, program.release)
    cis = [d for d in grants if d.code != "PC520"]
    return (cis + wildcard_lints(program) + [d for d in grants if d.code == "PC520"]
            + unused_role_lints(program) + empty_team_lints(program))

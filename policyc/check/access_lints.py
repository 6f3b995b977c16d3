"""Access lints (PC501-PC522): warnings with CIS Kubernetes Benchmark ids where one exists.

Each grant is judged by what it really allows: the rules of its role after aggregation (built-in
roles included, so `edit` counts as reading secrets and creating pods) or its inline rule.
Each rule names its CIS section 5.1 control by key (RULES below); the id is the one of the
benchmark kube-bench applies to the target release (policyc/rules.py `cite`, docs/cis.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from policyc import model as m
from policyc.access import escalation_rules, matching
from policyc.access.authorizer import AccessModel
from policyc.access.escalation_rules import EscalationRule, Need
from policyc.access.objects import ObjRef
from policyc.diagnostics import Diagnostic, Label, warning
from policyc.k8s.rules import PolicyRule, merge
from policyc.model.program import Program
from policyc.model.rbac import Binding, RbacSubject
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

_READ = ("get", "list", "watch")
_WRITE = ("create", "update", "patch", "delete", "deletecollection")


def _allows(rules: Iterable[PolicyRule], verbs: Iterable[str], group: str, resource: str, sub: str = "") -> bool:
    """Whether a rule allows one of the verbs on the resource, for some object name."""
    combined = f"{resource}/{sub}" if sub else resource
    return any(
        matching.verb_matches(r, v) and matching.group_matches(r, group) and matching.resource_matches(r, combined, sub)
        for r in rules for v in verbs
    )


def _special_verbs(rules: tuple[PolicyRule, ...]) -> list[str]:
    """Which of bind, escalate (on roles) and impersonate (on identities) the rules allow."""
    out = []
    for verb in ("bind", "escalate"):
        if any(_allows(rules, (verb,), "rbac.authorization.k8s.io", r) for r in ("roles", "clusterroles")):
            out.append(verb)
    identities = (("", "users"), ("", "groups"), ("", "serviceaccounts"), ("authentication.k8s.io", "uids"),
                  ("authentication.k8s.io", "userextras"))
    if any(_allows(rules, ("impersonate",), g, r) for g, r in identities):
        out.append("impersonate")
    return out


def _need_args(need: Need) -> tuple[tuple[str, ...], str, str, str]:
    return need.verbs, need.group, need.resource, need.sub


def _is_everything(rules: Iterable[PolicyRule]) -> bool:
    return any("*" in r.verbs and "*" in r.api_groups and "*" in r.resources for r in rules)


@dataclass(frozen=True)
class _Lint:
    code: str
    test: Callable[[tuple[PolicyRule, ...]], bool]
    what: str


_HELP = {rule.code: rule.help for rule in RULES}  # the registered fix of each lint (SARIF shows it too)

def _needs_met(rules: tuple[PolicyRule, ...], row: EscalationRule) -> bool:
    """Whether the rules meet every requirement of an escalation rule (names not read)."""
    return all(_allows(rules, need.verbs, need.group, need.resource, need.sub) for need in row.requires)


# PC504's family: every workload kind whose pod template runs as any service account and mounts
# any secret of the namespace (escalation_rules `workload-create:*`, `workload-update:*`).
_WORKLOAD_ROWS = (*escalation_rules.named("workload-create"), *escalation_rules.named("workload-update"))


def _workloads(rules: tuple[PolicyRule, ...]) -> list[str]:
    """`pods`, `deployments.apps`, ...: the workload kinds the rules let a subject create or update."""
    return list(dict.fromkeys(row.requires[0].target for row in _WORKLOAD_ROWS if _needs_met(rules, row)))


def _workload_text(rules: tuple[PolicyRule, ...]) -> str:
    kinds = _workloads(rules)
    if _allows(rules, ("create",), "", "pods"):
        return "creating pods"
    return "creating or updating workloads that run pods (" + ", ".join(f"`{k}`" for k in kinds) + ")"


_LINTS = (
    _Lint("PC502", lambda rs: _allows(rs, _READ, "", "secrets"), "reading secrets"),
    _Lint("PC504", lambda rs: bool(_workloads(rs)), "creating pods"),
    _Lint("PC506", lambda rs: bool(_special_verbs(rs)), "`bind`, `escalate` or `impersonate`"),
    _Lint("PC507", lambda rs: _allows(rs, ("create",), "", "persistentvolumes"),
          "creating persistent volumes"),
    _Lint("PC508", lambda rs: _allows(rs, ("get", "create", "update", "patch", "delete", "list", "watch"),
                                                "", "nodes", "proxy"),
          "access to nodes/proxy"),
    _Lint("PC509", lambda rs: _allows(rs, *_need_args(escalation_rules.BY_NAME["csr-kube-apiserver-client"]
                                                  .requires[1])),
          "approving certificate signing requests"),
    _Lint("PC510", lambda rs: any(_allows(rs, _WRITE, "admissionregistration.k8s.io", r) for r in (
        "validatingwebhookconfigurations", "mutatingwebhookconfigurations")),
          "writing admission webhook configurations"),
    _Lint("PC511", lambda rs: _allows(rs, *_need_args(escalation_rules.BY_NAME["token-request"].requires[0])),
          "creating service account tokens"),
)


@dataclass
class _GrantUse:
    """One grant: its bindings' scopes, the subjects they bind, and the rules it gives."""

    grant: m.Grant
    scopes: list[str | None]
    subjects: set[RbacSubject]
    rules: tuple[PolicyRule, ...]


def _grant_rules(b: Binding, g: m.Grant, model: AccessModel) -> tuple[PolicyRule, ...]:
    if g.rule is not None:
        return merge(g.rule.atoms())
    ref = ObjRef(b.role_kind, (b.namespace or "") if b.role_kind == "Role" else "", b.role_name)
    role = model.role(ref)
    return role.rules if role is not None else ()


def grant_uses(program: Program, model: AccessModel) -> list[_GrantUse]:
    """Every grant of the program with what it allows, in source order."""
    uses: dict[int, _GrantUse] = {}
    for b in program.bindings:
        for g in b.grants:
            use = uses.get(id(g))
            if use is None:
                use = uses[id(g)] = _GrantUse(g, [], set(), _grant_rules(b, g, model))
            use.scopes.append(b.namespace)
            use.subjects.update(b.subjects)
    return sorted(uses.values(), key=lambda u: u.grant.span.sort_key)


def _places(scopes: list[str | None]) -> str:
    if None in scopes:
        return "cluster-wide"
    names = sorted({s for s in scopes if s})
    return ("in namespace " if len(names) == 1 else "in namespaces ") + ", ".join(f"`{n}`" for n in names)


def _granted(g: m.Grant) -> str:
    return f"grant of role `{g.role.text}`" if g.role is not None else "grant"


def cis_lints(uses: list[_GrantUse]) -> list[Diagnostic]:
    """PC501, PC502, PC504-PC511 on every grant."""
    out: list[Diagnostic] = []
    # Grants of one role share its rules: test each set of rules once, not once per grant.
    fired: dict[tuple[PolicyRule, ...], list[_Lint]] = {}
    for u in uses:
        g, where = u.grant, _places(u.scopes)
        if (g.role is not None and g.role.text == "cluster-admin") or _is_everything(u.rules):
            out.append(warning("PC501", f"{_granted(g)} gives every permission {where}", g.span,
                               _HELP["PC501"]))
            continue
        lints = fired.get(u.rules)
        if lints is None:
            lints = fired[u.rules] = [lint for lint in _LINTS if lint.test(u.rules)]
        for lint in lints:
            what = lint.what
            if lint.code == "PC504":
                what = _workload_text(u.rules)
            if lint.code == "PC506":
                what = " and ".join(f"`{v}`" for v in _special_verbs(u.rules))
            out.append(warning(lint.code, f"{_granted(g)} allows {what} {where}", g.span, _HELP[lint.code]))
        for s in sorted(u.subjects):
            if s.kind == "ServiceAccount" and s.name == "default":
                out.append(warning(
                    "PC505", f"{_granted(g)} gives rights to the `default` service account of `{s.namespace}`",
                    g.span, _HELP["PC505"]))
    return out


def wildcard_lints(program: Program) -> list[Diagnostic]:
    """PC503: rules written with `*` in declared roles and inline grants."""
    rules = [r for role in program.policy.roles for r in role.rules]
    rules += [g.rule for g in program.policy.grants if g.rule is not None]
    out = []
    for r in rules:
        # An exclusion emits the explicit list the `*` expands to (PC144 says what it misses).
        words = [w for w in (*r.verbs, *r.resources) if "*" in w.text and not r.has_exclusion]
        if words:
            out.append(warning("PC503", f"rule uses the wildcard `{words[0].text}`", words[0].span,
                               _HELP["PC503"]))
    return out


def _covered(use: _GrantUse, scope: str | None, subject: RbacSubject, others: list[_GrantUse]) -> list[_GrantUse]:
    """The other grants of `subject` that together cover `use` in `scope`, or [] if they do not."""
    owners = [o for o in others if subject in o.subjects and (None in o.scopes or scope in o.scopes)]
    if scope is None:
        owners = [o for o in owners if None in o.scopes]
    rules = [(r, o) for o in owners for r in o.rules]
    used: dict[int, _GrantUse] = {}
    for rule in use.rules:
        for piece in matching.breakdown(rule):
            hit = next((o for r, o in rules if matching.rule_covers(r, piece)), None)
            if hit is None:
                return []
            used[id(hit)] = hit
    return sorted(used.values(), key=lambda o: o.grant.span.sort_key)


def redundancy_lints(uses: list[_GrantUse]) -> list[Diagnostic]:
    """PC520: a grant whose every permission its subjects already have through other grants.

    Of two grants that cover each other, the later one is reported.
    """
    out: list[Diagnostic] = []
    flagged: set[int] = set()
    # Only grants that bind a subject can cover it: index them once (in source order, which
    # _covered relies on) instead of passing over every grant for every grant.
    by_subject: dict[RbacSubject, list[_GrantUse]] = defaultdict(list)
    for o in uses:
        for subject in o.subjects:
            by_subject[subject].append(o)
    for use in reversed(uses):
        if not use.rules or not use.subjects:
            continue
        covering: dict[int, _GrantUse] = {}
        ok = True
        for subject in use.subjects:
            others = [o for o in by_subject[subject] if o is not use and id(o) not in flagged]
            for scope in use.scopes:
                found = _covered(use, scope, subject, others)
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
        out.append(warning("PC520", f"{_granted(use.grant)} is redundant: its subjects already have everything it "
                           "allows through other grants", use.grant.span,
                           "remove it, or narrow the broader grant if this one states the intended access", labels))
    return out


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


def lint_all(program: Program, model: AccessModel) -> list[Diagnostic]:
    """Every access lint."""
    uses = grant_uses(program, model)
    return (cis_lints(uses) + wildcard_lints(program) + redundancy_lints(uses) + unused_role_lints(program)
            + empty_team_lints(program))

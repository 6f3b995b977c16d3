"""`kubectl auth can-i --list`: the rules a user holds in a namespace, as kubectl prints them.

kubectl asks for a SelfSubjectRulesReview in the namespace (its context namespace, or `-n`):
the RBAC rule resolver's RulesFor, i.e. the rules of every ClusterRoleBinding and of the
RoleBindings of that namespace that apply to the user (pkg/registry/rbac/validation/rule.go
VisitRulesFor). kubectl then breaks every rule down to one group, resource, verb and name (or one
URL and verb), merges the single-resource rules that differ only in verbs, sorts the rules by
their Go string form and prints four columns (staging/src/k8s.io/kubectl/pkg/cmd/auth/cani.go
printStatus; staging/src/k8s.io/kubectl/pkg/util/rbac/rbac.go BreakdownRule, CompactRules,
SortableRuleSlice; staging/src/k8s.io/kubectl/pkg/describe/describe.go CombineResourceGroup).
"""

from __future__ import annotations

from policyc.access.authorizer import AccessModel
from policyc.access.matching import breakdown  # BreakdownRule, one copy for the engine and --list
from policyc.access.request import UserInfo
from policyc.k8s.rules import PolicyRule

HEADERS = ("Resources", "Non-Resource URLs", "Resource Names", "Verbs")


def rules_for(model: AccessModel, user: UserInfo, namespace: str) -> list[PolicyRule]:
    """The rules of a SelfSubjectRulesReview: cluster-wide bindings first, then the namespace's."""
    perms = model.permissions(user)
    cluster = [p.rule for p in perms if p.scope is None]
    local = [p.rule for p in perms if p.scope is not None and p.scope == namespace]
    return cluster + local


def compact(rules: list[PolicyRule]) -> list[PolicyRule]:
    """CompactRules: single-group, single-resource rules with at most one name merge their verbs
    (in the order met); the rest is kept as is, before them."""
    simple: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    others: list[PolicyRule] = []
    for r in rules:
        if len(r.resource_names) > 1 or r.non_resource_urls or len(r.api_groups) != 1 or len(r.resources) != 1:
            others.append(r)
            continue
        verbs = simple.setdefault((r.api_groups[0], r.resources[0], r.resource_names), [])
        verbs += [v for v in r.verbs if v not in verbs]
    return others + [PolicyRule((g,), (res,), names, (), tuple(verbs)) for (g, res, names), verbs in simple.items()]


def _go_list(items: tuple[str, ...]) -> str:
    """fmt's %v of a []string: `[a b]`."""
    return "[" + " ".join(items) + "]"


def _go_string(rule: PolicyRule) -> str:
    """The generated PolicyRule.String() (fields in protobuf order) that kubectl sorts by."""
    return (f"&PolicyRule{{Verbs:{_go_list(rule.verbs)},APIGroups:{_go_list(rule.api_groups)},"
            f"Resources:{_go_list(rule.resources)},ResourceNames:{_go_list(rule.resource_names)},"
            f"NonResourceURLs:{_go_list(rule.non_resource_urls)},}}")


def combine_resource_group(resources: tuple[str, ...], groups: tuple[str, ...]) -> str:
    """CombineResourceGroup: `deployments.apps/scale`, `pods`, `*.*`; empty without resources."""
    if not resources:
        return ""
    base, slash, sub = resources[0].partition("/")
    if groups and groups[0]:
        base = f"{base}.{groups[0]}"
    return f"{base}/{sub}" if slash else base


def list_rows(model: AccessModel, user: UserInfo, namespace: str) -> list[tuple[str, str, str, str]]:
    """The rows of `kubectl auth can-i --list` (without the header), in kubectl's order."""
    broken = [piece for rule in rules_for(model, user, namespace) for piece in breakdown(rule)]
    rules = sorted(compact(broken), key=lambda r: _go_string(r).encode())  # strings.Compare: bytes
    return [(combine_resource_group(r.resources, r.api_groups), _go_list(r.non_resource_urls),
             _go_list(r.resource_names), _go_list(r.verbs)) for r in rules]


def tabwrite(rows: list[tuple[str, ...]]) -> str:
    """Rows as Go's text/tabwriter writes them the way kubectl sets it up
    (k8s.io/cli-runtime/pkg/printers/tabwriter.go: minimum width 6, padding 3, spaces); the
    last cell of a line is not padded."""
    if not rows:
        return ""
    widths = [max(max(len(r[i]) for r in rows) + 3, 6) for i in range(len(rows[0]) - 1)]
    return "".join("".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + r[-1] + "\n" for r in rows)

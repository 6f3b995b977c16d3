"""Every row of the escalation table (policyc/access/escalation_rules.py): the smallest cluster showing its
path, and the smallest change that closes it. Each case is (row, release, objects, closed objects, goal):
alice, holding the objects' grants, can reach the goal through a step of that row; with the closed
objects (or release) she cannot. Rows that are not steps show that their grant alone gives nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rbac_fixtures import cr, crb, rb, role, rule

from policyc.access.authorizer import AccessModel
from policyc.access.escalation import NOT_STEPS, EscalationGraph, Identity
from policyc.access.escalation_rules import BY_NAME, RULES, WORKLOAD_KINDS, with_table
from policyc.access.guards import can_reach

ALICE = Identity.user("alice")
RBAC = "rbac.authorization.k8s.io"
CERTS = "certificates.k8s.io"
ADM = "admissionregistration.k8s.io"
# The prize: service account app/deployer may delete nodes; reaching it shows the step.
PRIZE = (cr("prize", rule("delete", "", "nodes")), crb("prize", "prize", "ServiceAccount:app/deployer"))
NODES = (("delete",), ("nodes",), None, False)
APP_SECRETS = (("get",), ("secrets",), ("app",), False)
EVERYTHING_APP = (("create",), ("rolebindings.rbac.authorization.k8s.io",), ("app",), False)


def in_app(*rules, kind="ClusterRole"):
    return [cr("granted", *rules), rb("app", "granted", "ClusterRole", "granted", "User:alice")]


def wide(*rules):
    return [cr("granted", *rules), crb("granted", "granted", "User:alice")]


def in_ks(*rules):
    return [cr("granted", *rules), rb("kube-system", "granted", "ClusterRole", "granted", "User:alice")]


# A controller's service account (generic-garbage-collector, namespace-controller) deletes secrets there.
KS_SECRETS = (("delete",), ("secrets",), ("kube-system",), False)


def _workload_cases():
    for group, resource in WORKLOAD_KINDS:
        target = f"{resource}.{group}" if group else resource
        yield (f"workload-create:{target}", (1, 30), in_app(rule("create", group, resource)),
               in_app(rule("create", group, resource, names="web")), APP_SECRETS)
        yield (f"workload-update:{target}", (1, 30), in_app(rule("patch", group, resource, names="web")),
               [cr("granted", rule("patch", group, resource)), rb("other", "g", "ClusterRole", "granted",
                                                                  "User:alice")], APP_SECRETS)


AGG = {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}

CASES = [
    *_workload_cases(),
    ("ephemeral-containers", (1, 30), in_app(rule("update", "", "pods/ephemeralcontainers")), (1, 22), NODES),
    ("exec", (1, 35), in_app(rule("create", "", "pods/exec")), in_app(rule("get", "", "pods/exec")), NODES),
    ("attach", (1, 35), in_app(rule("create", "", "pods/attach")), in_app(rule("get", "", "pods/attach")), NODES),
    ("exec-websocket-get", (1, 34), in_app(rule("get", "", "pods/exec")), (1, 35), NODES),
    ("attach-websocket-get", (1, 30), in_app(rule("get", "", "pods/attach")), (1, 35), NODES),
    ("portforward", (1, 30), None, in_app(rule("create,get", "", "pods/portforward")), NODES),
    ("token-request", (1, 30), in_app(rule("create", "", "serviceaccounts/token", names="deployer")),
     in_app(rule("create", "", "serviceaccounts/token", names="builder")), NODES),
    ("legacy-token-secrets", (1, 23), in_app(rule("list", "", "secrets")),
     in_app(rule("get", "", "secrets", names="x")), NODES),
    ("token-secrets", (1, 30), in_app(rule("watch", "", "secrets")), in_app(rule("get", "", "secrets", names="x")),
     NODES),
    ("create-token-secret", (1, 30), in_app(rule("create", "", "secrets"), rule("get", "", "secrets", names="tok")),
     in_app(rule("get", "", "secrets", names="tok")), NODES),
    ("write-secrets-reads", (1, 30), in_app(rule("patch", "", "secrets", names="db")),
     in_app(rule("delete", "", "secrets", names="db")), APP_SECRETS),
    ("impersonate-serviceaccounts", (1, 30), in_app(rule("impersonate", "", "serviceaccounts", names="deployer")),
     in_app(rule("impersonate", "", "serviceaccounts", names="builder")), NODES),
    ("impersonate-users", (1, 30), wide(rule("impersonate", "", "users")),
     wide(rule("impersonate", "", "users", names="bob")), (("get",), ("secrets",), None, False)),
    ("impersonate-groups", (1, 30),
     [*wide(rule("impersonate", "", "users", names="bob"), rule("impersonate", "", "groups", names="ops")),
      crb("ops", "prize", "Group:ops")],
     [*wide(rule("impersonate", "", "groups", names="ops")), crb("ops", "prize", "Group:ops")], NODES),
    ("impersonate-node", (1, 30),
     wide(rule("impersonate", "", "users", names="system:node:n1"),
          rule("impersonate", "", "groups", names="system:nodes")),
     wide(rule("impersonate", "", "users", names="system:node:n1"), rule("impersonate", "", "groups", names="ops")),
     (("get",), ("secrets",), ("other",), False)),
    ("impersonate-userextras", (1, 30), None,
     wide(rule("impersonate", "authentication.k8s.io", "userextras,uids")), NODES),
    ("bind-clusterroles-cluster", (1, 30), wide(rule("bind", RBAC, "clusterroles"), rule("create", RBAC,
                                                                                           "clusterrolebindings")),
     wide(rule("bind", RBAC, "clusterroles"), rule("get", RBAC, "clusterrolebindings")), NODES),
    ("bind-clusterroles", (1, 30),
     [*in_app(rule("bind", RBAC, "clusterroles", names="secret-deleter"), rule("create", RBAC, "rolebindings")),
      cr("secret-deleter", rule("delete", "", "secrets"))],
     [*in_app(rule("bind", RBAC, "clusterroles", names="secret-deleter")),
      cr("secret-deleter", rule("delete", "", "secrets"))], (("delete",), ("secrets",), ("app",), False)),
    ("bind-roles", (1, 30),
     [*in_app(rule("bind", RBAC, "roles"), rule("create", RBAC, "rolebindings")),
      role("app", "secret-deleter", rule("delete", "", "secrets"))],
     [*in_app(rule("bind", RBAC, "roles"), rule("create", RBAC, "rolebindings")),
      role("other", "secret-deleter", rule("delete", "", "secrets"))], (("delete",), ("secrets",), ("app",), False)),
    ("escalate-clusterroles", (1, 30), wide(rule("escalate,update", RBAC, "clusterroles")),
     wide(rule("escalate", RBAC, "clusterroles")), NODES),
    ("escalate-roles", (1, 30),
     [role("app", "mine", rule("escalate,update", RBAC, "roles")), rb("app", "b", "Role", "mine", "User:alice")],
     [role("app", "mine", rule("update", RBAC, "roles")), rb("app", "b", "Role", "mine", "User:alice")],
     EVERYTHING_APP),
    ("escalate-aggregated-member", (1, 30),
     [cr("member", rule("get", "", "pods"), labels=AGG), rb("app", "edit", "ClusterRole", "edit", "User:alice"),
      *wide(rule("escalate,update", RBAC, "clusterroles", names="member"))],
     [cr("member", rule("get", "", "pods"), labels=AGG), rb("app", "edit", "ClusterRole", "edit", "User:alice"),
      *wide(rule("update", RBAC, "clusterroles", names="member"))], EVERYTHING_APP),
    ("csr-no-signer", (1, 17),
     wide(rule("create", CERTS, "certificatesigningrequests"), rule("update", CERTS,
                                                                     "certificatesigningrequests/approval")),
     (1, 18), NODES),
    ("csr-legacy-unknown", (1, 20),
     wide(rule("create", CERTS, "certificatesigningrequests"),
          rule("update", CERTS, "certificatesigningrequests/approval"),
          rule("approve", CERTS, "signers", names="kubernetes.io/legacy-unknown")), (1, 22), NODES),
    ("csr-kube-apiserver-client", (1, 30),
     wide(rule("create", CERTS, "certificatesigningrequests"),
          rule("patch", CERTS, "certificatesigningrequests/approval"),
          rule("approve", CERTS, "signers", names="kubernetes.io/*")),
     wide(rule("create", CERTS, "certificatesigningrequests"),
          rule("patch", CERTS, "certificatesigningrequests/approval"),
          rule("approve", CERTS, "signers", names="kubernetes.io/kubelet-serving")), NODES),
    ("nodes-proxy", (1, 30), wide(rule("get", "", "nodes/proxy")), in_app(rule("get", "", "nodes/proxy")), NODES),
    ("mutating-webhooks", (1, 30), wide(rule("patch", ADM, "mutatingwebhookconfigurations")),
     wide(rule("get", ADM, "mutatingwebhookconfigurations")), NODES),
    ("validating-webhooks", (1, 30), wide(rule("create", ADM, "validatingwebhookconfigurations")),
     wide(rule("list", ADM, "validatingwebhookconfigurations")), NODES),
    ("namespace-deletion", (1, 30), wide(rule("delete", "", "namespaces", names="app")),
     wide(rule("delete", "", "namespaces", names="other")), (("delete",), ("secrets",), ("app",), False)),
    ("controller-sa-impersonate", (1, 30),
     in_ks(rule("impersonate", "", "serviceaccounts", names="generic-garbage-collector")),
     in_ks(rule("impersonate", "", "serviceaccounts", names="other")), KS_SECRETS),
    ("controller-sa-token", (1, 30), in_ks(rule("create", "", "serviceaccounts/token", names="namespace-controller")),
     in_ks(rule("create", "", "serviceaccounts/token", names="other")), KS_SECRETS),
    ("controller-sa-token-secret", (1, 23), in_ks(rule("list", "", "secrets")),
     in_ks(rule("get", "", "secrets", names="x")), KS_SECRETS),
    ("controller-sa-pod", (1, 30), in_ks(rule("create", "", "pods")), in_ks(rule("create", "", "pods", names="web")),
     KS_SECRETS),
    ("namespace-object", (1, 30), in_app(rule("delete", "", "namespaces")), in_app(rule("delete", "", "services")),
     (("delete",), ("namespaces",), None, True)),
]


CONTROLLER = "system:controller:"


def reach_model(release, objs):
    return AccessModel.from_objects([*objs, *PRIZE], release)


def reach(release, objs, goal):
    model = reach_model(release, objs)
    verbs, resources, namespaces, cluster = goal
    return can_reach(EscalationGraph(model, ["app", "other"]), ALICE, verbs, resources, namespaces, cluster)


@pytest.mark.parametrize(("name", "release", "objs", "closed", "goal"), CASES, ids=[c[0] for c in CASES])
def test_rule_opens_a_path(name, release, objs, closed, goal) -> None:
    row = BY_NAME[name]
    assert row.applies_to(release)
    if objs is None:  # not a step: the grant alone reaches nothing (the closed case)
        assert row.effect in NOT_STEPS
        return
    v = reach(release, objs, goal)
    assert v is not None, f"{name}: no path"
    if row.effect == "controller-sa":  # taken by a generic row, to a controller's service account
        controllers = {n for ref in reach_model(release, objs).roles if (n := ref.name).startswith(CONTROLLER)}
        assert any(s.target.kind == "serviceaccount" and s.target.namespace == "kube-system"
                   and CONTROLLER + s.target.name in controllers for s in v.path), [str(s) for s in v.path]
        return
    if row.effect in NOT_STEPS:  # a request fact: the permission itself counts, no step
        assert v.path == ()
        return
    assert any(name in step.rule.split(",") for step in v.path), [(s.rule, s.action) for s in v.path]


@pytest.mark.parametrize(("name", "release", "objs", "closed", "goal"), CASES, ids=[c[0] for c in CASES])
def test_rule_closed(name, release, objs, closed, goal) -> None:
    if isinstance(closed, tuple):  # the same grants on a release the row does not hold for
        assert not BY_NAME[name].applies_to(closed)
        release, closed = closed, objs
    assert reach(release, closed, goal) is None


def test_every_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} == {r.name for r in RULES}
    assert len({r.name for r in RULES}) == len(RULES)


def test_every_rule_names_its_source_and_yield() -> None:
    for r in RULES:
        assert r.source and r.yields and r.requires, r.name
        assert r.effect in NOT_STEPS or r.effect in __import__("policyc.access.escalation",
                                                                fromlist=["_EFFECTS"])._EFFECTS, r.name


def test_docs_table_is_current() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "access.md"
    text = doc.read_text(encoding="utf-8")
    assert text == with_table(text), "docs/access.md is out of date: run scripts/gen_access_rules.py"
    for r in RULES:
        assert f"| `{r.name}` |" in text


def test_release_bounds() -> None:
    assert BY_NAME["exec-websocket-get"].releases == "up to 1.34"
    assert BY_NAME["csr-legacy-unknown"].releases == "1.18-1.21"
    assert BY_NAME["csr-kube-apiserver-client"].releases == "1.18+"
    assert BY_NAME["exec"].releases == "all"

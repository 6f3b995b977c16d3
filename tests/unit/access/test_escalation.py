"""Escalation paths: each case asserts the reported chain of steps (kind, target, grant behind it)."""

from __future__ import annotations

import pytest
from rbac_fixtures import cr, crb, rb, role, rule

from policyc.access.authorizer import AccessModel
from policyc.access.escalation import EscalationGraph, Identity

ALICE = Identity.user("alice")


def graph(*objs) -> EscalationGraph:
    model = AccessModel.from_objects(list(objs), bootstrap=False)
    return EscalationGraph(model, ["app", "other"])


def path_of(g: EscalationGraph, start: Identity, target: Identity) -> list[tuple[str, str, str]]:
    paths = g.reach(start)
    assert target in paths, f"{target} not reachable: {list(paths)}"
    return [(s.kind, str(s.target), str(s.grants[0].reason.binding)) for s in paths[target]]


SA_APP_DEPLOYER = Identity.service_account("app", "deployer")
SA_APP_DEFAULT = Identity.service_account("app", "default")
SA_OTHER_DEFAULT = Identity.service_account("other", "default")
SECRETS = (cr("secrets", rule("get", "", "secrets")),
           rb("app", "deployer-secrets", "ClusterRole", "secrets", "ServiceAccount:app/deployer"))

CASES = [
    ("create-pods", [cr("c", rule("create", "", "pods")), rb("app", "b", "ClusterRole", "c", "User:alice")],
     SA_APP_DEPLOYER, [("pods", "serviceaccount `app/deployer`", "RoleBinding app/b")]),
    ("update-named-deployment", [cr("c", rule("update", "apps", "deployments", names="web")),
                                 rb("app", "b", "ClusterRole", "c", "User:alice")],
     SA_APP_DEPLOYER, [("pods", "serviceaccount `app/deployer`", "RoleBinding app/b")]),
    ("exec", [cr("c", rule("create", "", "pods/exec")), rb("app", "b", "ClusterRole", "c", "User:alice")],
     SA_APP_DEFAULT, [("pods", "serviceaccount `app/default`", "RoleBinding app/b")]),
    ("cronjobs-cluster-wide", [cr("c", rule("create", "batch", "cronjobs")), crb("b", "c", "User:alice")],
     SA_OTHER_DEFAULT, [("pods", "serviceaccount `other/default`", "ClusterRoleBinding b")]),
    ("read-secrets", [cr("c", rule("list", "", "secrets")), rb("app", "b", "ClusterRole", "c", "User:alice")],
     SA_APP_DEPLOYER, [("secrets", "serviceaccount `app/deployer`", "RoleBinding app/b")]),
    ("token-named", [cr("c", rule("create", "", "serviceaccounts/token", names="deployer")),
                     rb("app", "b", "ClusterRole", "c", "User:alice")],
     SA_APP_DEPLOYER, [("token", "serviceaccount `app/deployer`", "RoleBinding app/b")]),
    ("impersonate-sa", [cr("c", rule("impersonate", "", "serviceaccounts")),
                        rb("app", "b", "ClusterRole", "c", "User:alice")],
     SA_APP_DEPLOYER, [("impersonate", "serviceaccount `app/deployer`", "RoleBinding app/b")]),
    ("impersonate-user", [cr("c", rule("impersonate", "", "users", names="root")), crb("b", "c", "User:alice"),
                          cr("r", rule("*", "*", "*")), crb("root", "r", "User:root")],
     Identity.impersonated("root"), [("impersonate", "user `root`", "ClusterRoleBinding b")]),
    ("impersonate-groups", [cr("c", rule("impersonate", "", "users,groups")), crb("b", "c", "User:alice")],
     Identity.superuser(), [("impersonate", "group `system:masters` (superuser)", "ClusterRoleBinding b")]),
    ("bind-clusterrole", [cr("c", rule("bind", "rbac.authorization.k8s.io", "clusterroles", names="secrets"),
                             rule("create", "rbac.authorization.k8s.io", "rolebindings")),
                          rb("app", "b", "ClusterRole", "c", "User:alice"), cr("secrets", rule("get", "", "secrets"))],
     Identity("user", "alice", "", ALICE.groups, ()), None),
    ("escalate", [cr("mine", rule("escalate,update", "rbac.authorization.k8s.io", "clusterroles")),
                  crb("b", "mine", "User:alice")],
     Identity.superuser(), [("escalate", "group `system:masters` (superuser)", "ClusterRoleBinding b")]),
    ("approve-csr", [cr("c", rule("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
                        rule("create", "certificates.k8s.io", "certificatesigningrequests"),
                        rule("approve", "certificates.k8s.io", "signers", names="kubernetes.io/kube-apiserver-client")),
                     crb("b", "c", "User:alice")],
     Identity.superuser(), [("csr", "group `system:masters` (superuser)", "ClusterRoleBinding b")]),
    ("nodes-proxy", [cr("c", rule("get", "", "nodes/proxy")), crb("b", "c", "User:alice")],
     SA_OTHER_DEFAULT, [("nodes-proxy", "serviceaccount `other/default`", "ClusterRoleBinding b")]),
    ("webhooks", [cr("c", rule("patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations")),
                  crb("b", "c", "User:alice")],
     SA_APP_DEPLOYER, [("webhooks", "serviceaccount `app/deployer`", "ClusterRoleBinding b")]),
    ("two-steps", [cr("c", rule("create", "apps", "deployments")), rb("app", "b", "ClusterRole", "c", "User:alice"),
                   cr("imp", rule("impersonate", "", "users", names="root")),
                   crb("deployer-imp", "imp", "ServiceAccount:app/deployer")],
     Identity.impersonated("root"), [("pods", "serviceaccount `app/deployer`", "RoleBinding app/b"),
                                     ("impersonate", "user `root`", "ClusterRoleBinding deployer-imp")]),
]


@pytest.mark.parametrize(("objs", "target", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_escalation_path(objs: list, target: Identity, expected: list | None) -> None:
    g = graph(*objs, *SECRETS)
    if expected is None:  # bind: alice holds the bound role; her path's last step is a bind
        reached = [(i, p) for i, p in g.reach(ALICE).items() if i.acquired]
        assert reached, "bind gives nothing"
        ident, path = reached[0]
        assert [s.kind for s in path] == ["bind"]
        assert [str(a) for a in ident.acquired] == ["ClusterRole `secrets` in namespace `app`"]
        assert g.find(ident, ["get"], "", "secrets")[0].scope == "app"
        return
    assert path_of(g, ALICE, target) == expected


@pytest.mark.parametrize(
    "objs",
    [
        [cr("c", rule("get", "", "secrets", names="x")), rb("app", "b", "ClusterRole", "c", "User:alice")],
        [cr("c", rule("create", "", "pods", names="x")), rb("app", "b", "ClusterRole", "c", "User:alice")],
        [cr("c", rule("impersonate", "", "users", names="root")), rb("app", "b", "ClusterRole", "c", "User:alice")],
        [cr("c", rule("impersonate", "", "groups")), crb("b", "c", "User:alice")],  # groups need a user too
        [cr("c", rule("bind", "rbac.authorization.k8s.io", "clusterroles")), crb("b", "c", "User:alice")],
        [cr("c", rule("approve", "certificates.k8s.io", "signers")), crb("b", "c", "User:alice")],
        [cr("c", rule("get", "", "nodes/proxy")), rb("app", "b", "ClusterRole", "c", "User:alice")],
        [cr("c", rule("update", "apps", "deployments/scale")), rb("app", "b", "ClusterRole", "c", "User:alice")],
    ],
    ids=["named-secret", "create-named-pod", "users-via-rolebinding", "groups-alone", "bind-without-binding",
         "approve-without-approval", "nodes-proxy-via-rolebinding", "scale-only"],
)
def test_no_escalation(objs: list) -> None:
    g = graph(*objs)
    assert g.escalation_paths(ALICE) == []


def test_effective_access_includes_reached_permissions_with_path() -> None:
    g = graph(cr("c", rule("create", "", "pods")), rb("app", "b", "ClusterRole", "c", "User:alice"), *SECRETS)
    grants = g.effective_access(ALICE)
    secret = [e for e in grants if "secrets" in e.permission.rule.resources]
    assert len(secret) == 2
    # the pod mounts any secret of `app`; and it runs as `app/deployer`, who reads secrets
    assert {e.holder for e in secret} == {SA_APP_DEPLOYER, ALICE.base} or any(e.holder.acquired for e in secret)
    assert all([s.kind for s in e.path] == ["pods"] for e in secret)
    assert any(e.holder == SA_APP_DEPLOYER for e in secret)
    direct = [e for e in grants if "pods" in e.permission.rule.resources]
    assert direct and direct[0].path == ()


def test_role_escalation_in_a_namespace() -> None:
    g = graph(role("app", "mine", rule("escalate,patch", "rbac.authorization.k8s.io", "roles")),
              rb("app", "b", "Role", "mine", "User:alice"))
    (ident, path), = [(i, p) for i, p in g.reach(ALICE).items() if i.acquired]
    assert [s.kind for s in path] == ["escalate"]
    # holding everything in `app`, she can then act as its service accounts
    assert [s.kind for s in g.reach(ALICE)[SA_APP_DEFAULT]][0] == "escalate"
    assert [str(a) for a in ident.acquired] == ["every permission in namespace `app`"]


def test_bind_across_many_namespaces_is_a_fixpoint_not_a_walk_over_subsets() -> None:
    """Cluster-wide `bind clusterroles` + `create rolebindings` gains a role in every namespace.

    Acquisitions only add permissions, so the engine merges them into one step; a search over
    every subset of namespaces would visit 2^40 identities and never finish.
    """
    namespaces = [f"ns{i:02d}" for i in range(40)]
    model = AccessModel.from_objects(
        [
            cr("binder", rule("bind", "rbac.authorization.k8s.io", "clusterroles", names="reader"),
               rule("create", "rbac.authorization.k8s.io", "rolebindings")),
            cr("reader", rule("get", "", "configmaps")),
            crb("b", "binder", "User:alice"),
        ],
        bootstrap=False,
    )
    g = EscalationGraph(model, namespaces)
    reached = g.reach(ALICE)
    assert len(reached) == 2
    (ident, path), = [(i, p) for i, p in reached.items() if i.acquired]
    assert [s.kind for s in path] == ["bind"]
    assert sorted(a.scope for a in ident.acquired) == namespaces
    assert path[0].action.startswith("can bind clusterroles and write rolebindings in namespaces `ns00`, `ns01`, ")
    assert path[0].action.endswith(", `ns39`")
    readable = {e.permission.scope for e in g.effective_access(ALICE) if "configmaps" in e.permission.rule.resources}
    assert readable == set(namespaces)

"""Guards' sixth pass (issue 19): a class's targets without its steps, against its edges.

`EscalationGraph.targets` (what the guards' walks ask) reads a class's targets from the rows'
answers' scopes and names (`_row_targets`, `PermissionSets.scopes`) and no longer makes the
class's steps (`_row_steps`); `edges` still does. For every identity a graph reaches, on
generated organisations of every identity-heavy shape (with grants that break guards through
escalation), the golden policy, the spec's folders and the RBAC of real projects, the targets
of one graph are the targets of another graph's edges (fresh graphs: nothing cached is
shared); and for every class, `_row_targets` lists the targets of `_row_steps` as often.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO, generated_org
from helpers import POLICY_FOLDERS, graph_maker, policy_folder
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import EscalationGraph, Identity, _Fan
from policyc.access.objects import parse_binding
from policyc.access.policy import everyone
from policyc.k8s.yamlread import read_paths

REALWORLD = REPO / "tests" / "data" / "realworld"
REALWORLD_NS = {
    "argo-cd": "argocd", "external-dns": "default", "flux2": "flux-system", "ingress-nginx": "ingress-nginx",
    "knative-eventing": "knative-eventing", "strimzi": "myproject", "tekton-pipelines": "tekton-pipelines",
}
# Grants that reach further than the generated organisations do: impersonation, tokens and
# workloads by name, secrets written and read, roles bound, namespaces deleted.
REACHES = """
grant impersonate serviceaccounts to team t001-finance in t000-logistics-api-prod
grant create serviceaccounts/token named app, ghost to group oidc:t002-data-devs in t000-logistics-api-dev
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant update secrets to group oidc:t003-identity-devs in t003-identity-payments-dev
grant update secrets named tls, db to group oidc:t002-data-devs in cluster
grant create pods to group oidc:t002-data-devs in t003-identity-payments-dev
grant create, get secrets to group oidc:t001-finance-devs in t000-logistics-api-staging
grant create secrets to group oidc:t004-risk-devs in t000-logistics-api-prod
grant get secrets to group oidc:t004-risk-devs in t000-logistics-api-dev
grant get nodes/proxy to group oidc:t004-risk-devs in cluster
grant delete namespaces to group oidc:t000-logistics-devs in t000-logistics-api-dev
grant bind roles.rbac.authorization.k8s.io to group oidc:t001-finance-devs in t000-logistics-api-dev
grant create rolebindings.rbac.authorization.k8s.io to group oidc:t001-finance-devs in t000-logistics-api-dev
"""
SHAPES = [("identity", 30), ("all", 30), ("guards", 30), ("mixed", 60), ("serviceaccounts", 30)]


def _row_targets_of_steps(graph: EscalationGraph, ident: Identity) -> Counter[Identity]:
    found: Counter[Identity] = Counter()
    for item in graph._row_steps(ident):
        if type(item) is _Fan:
            found.update(item.targets)
        else:
            found[item.target] += 1  # type: ignore[union-attr]
    return found


def _row_targets(graph: EscalationGraph, ident: Identity) -> Counter[Identity]:
    found: Counter[Identity] = Counter()
    for item in graph._row_targets(ident):
        if type(item) is tuple:
            found.update(item)
        else:
            found[item] += 1  # type: ignore[index]
    return found


def _compare(make, starts: list[Identity]) -> int:
    """Targets of one fresh graph against the edges of another, for every identity reached (by
    the edges); the rows' targets against the rows' steps for every class. The identities compared."""
    walked = make()
    reached = list(dict.fromkeys(j for i in starts for j in walked.reach(i)))
    fast = make()  # targets only, asked in the order the guards' walks ask them
    targets = {j: fast.targets(j) for j in reached}
    plain = make()
    for j in reached:
        assert len(targets[j]) == len(set(targets[j])), j
        assert set(targets[j]) == {st.target for st in plain.edges(j)}, j
    # Every class's representative, on a graph of its own: the rows' targets, as often as steps.
    for cls in list(fast._rows.values()):
        assert _row_targets(make(), cls.rep) == _row_targets_of_steps(make(), cls.rep), cls.rep
    assert fast._rows, "no class searched"
    return len(reached)


def _program_graphs(folder: Path):
    program, make = graph_maker(folder)
    return make, everyone(program)


@pytest.mark.parametrize(("shape", "namespaces"), SHAPES)
def test_targets_are_the_edges_targets_on_generated_shapes(tmp_path: Path, shape: str, namespaces: int) -> None:
    make, starts = _program_graphs(generated_org(tmp_path, namespaces, REACHES, shape=shape))
    assert _compare(make, starts) > len(starts) // 2


@pytest.mark.parametrize("where", POLICY_FOLDERS)
def test_targets_are_the_edges_targets_on_policies(where: str) -> None:
    make, starts = _program_graphs(policy_folder(where))
    assert _compare(make, starts) > 0


@pytest.mark.parametrize("name", sorted(REALWORLD_NS))
def test_targets_are_the_edges_targets_on_real_projects(name: str) -> None:
    docs, _sources, diags = read_paths([str(REALWORLD / name / "rbac.yaml")], namespace=REALWORLD_NS[name])
    assert not [d for d in diags if d.is_error]
    objs = [d.obj for d in docs]
    starts: list[Identity] = []
    for d in docs:
        if d.kind in ("RoleBinding", "ClusterRoleBinding"):
            for s in parse_binding(d.obj).subjects:
                if s.kind == "ServiceAccount":
                    starts.append(Identity.service_account(s.namespace, s.name))
                elif s.kind == "Group":
                    starts.append(Identity.group(s.name))
                else:
                    starts.append(Identity.user(s.name))

    def make() -> EscalationGraph:
        return EscalationGraph(AccessModel.from_objects(objs, (1, 33)))

    assert starts
    assert _compare(make, list(dict.fromkeys(starts))) > 0

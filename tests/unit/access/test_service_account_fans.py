"""Guards' fifth pass (issue 19): row steps as fans, shared per answers, against the plain steps.

- `EscalationGraph._sa_steps` yields one fan per row and namespace (`_Fan`), not one step per
  service account; `expand` lists the steps the plain algorithm made (one per account, in
  namespace order, the known accounts first, then the other names a resourceNames list
  allows, sorted);
- the effects whose steps depend only on the permissions a row finds are computed once per
  row and answers (`_answered`);
- `_Class.targets` counts the fans' targets without making steps;
- `_Forbidden.holds` (a component's verdict) is `first(...) is not None`;

each compared with the plain algorithm (a step per service account, every effect computed per
search) on the raw steps, edges, targets, reaches and guard verdicts of every identity reached,
and on the rendered diagnostics with the lints: on generated organisations whose guards are
broken directly and through escalation, the golden policy, the spec folders, and a hand-written
model whose token and impersonation grants are limited by name (known and unknown accounts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import generated_org
from helpers import POLICY_FOLDERS, graph_maker, policy_folder
from policyc.access.authorizer import AccessModel, Permission
from policyc.access.escalation import EscalationGraph, Identity, Step, _step, expand, step_kind
from policyc.access.escalation_rules import EscalationRule
from policyc.access.guards import GuardSpec, _Forbidden, check_guard, cluster_scoped, first_violation
from policyc.access.matching import Pattern
from policyc.access.policy import everyone
from policyc.check.access_guards import guard_range
from policyc.diagnostics import render_text
from policyc.pipeline import compile_path

BREAKS = """
forbid read secrets for everyone except team platform
forbid create pods for everyone except team platform in cluster
forbid get configmaps for everyone except team platform
grant impersonate users to team t001-finance in cluster
grant role edit to user u0.t002-data@example.com in t000-logistics-api-prod
grant update secrets to group oidc:t003-identity-devs in t003-identity-payments-dev
grant create pods to group oidc:t002-data-devs in t003-identity-payments-dev
"""


def _plain_sa_steps(self: EscalationGraph, row: EscalationRule, scoped: dict[str, list[Permission]], what: str,
                    names: dict[str, set[str] | None] | None = None) -> list[Step]:
    """The steps made before fans: one per service account a row reaches, as listed there."""
    out: list[Step] = []
    kind = step_kind(row)
    for ns, perms in sorted(scoped.items()):
        allowed = names.get(ns) if names is not None else None
        action = what.format(where=f"in namespace `{ns}`")
        known = [(name, Identity.service_account(sa_ns, name)) for sa_ns, name in self.serviceaccounts_in(ns)]
        for sa_name, target in known:
            if allowed is None or sa_name in allowed:
                out.append(_step(kind, action, target, tuple(perms), row.name))
        if allowed:
            for name in sorted(allowed - {n for n, _ in known}):
                out.append(_step(kind, action, Identity.service_account(ns, name), tuple(perms), row.name))
    return out


def _plain(mp: pytest.MonkeyPatch) -> None:
    """No fans and no effect shared between searches: every search makes its steps itself."""
    mp.setattr(EscalationGraph, "_sa_steps", _plain_sa_steps)
    mp.setattr(EscalationGraph, "_answered", lambda self, row, needs, make: make())


def _rule(verbs: str, resources: str, group: str = "", names: str = "") -> dict:
    out: dict = {"apiGroups": [group], "resources": resources.split(","), "verbs": verbs.split(",")}
    if names:
        out["resourceNames"] = names.split(",")
    return out


def _named_model() -> tuple[AccessModel, list[Identity]]:
    """Tokens and impersonation limited by name, to known accounts and to accounts no object
    declares; workloads in two namespaces; a cluster-wide token grant."""
    rbac = "rbac.authorization.k8s.io"

    def role(kind: str, name: str, rules: list[dict], ns: str = "") -> dict:
        meta = {"name": name, **({"namespace": ns} if ns else {})}
        return {"apiVersion": f"{rbac}/v1", "kind": kind, "metadata": meta, "rules": rules}

    def binding(kind: str, name: str, ref: tuple[str, str], subjects: list[dict], ns: str = "") -> dict:
        meta = {"name": name, **({"namespace": ns} if ns else {})}
        return {"apiVersion": f"{rbac}/v1", "kind": kind, "metadata": meta,
                "roleRef": {"apiGroup": rbac, "kind": ref[0], "name": ref[1]}, "subjects": subjects}

    def group(name: str) -> dict:
        return {"kind": "Group", "name": name, "apiGroup": rbac}

    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("a", "b", "c")]
    objs += [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": n, "namespace": ns}}
             for ns, n in (("a", "web"), ("a", "db"), ("b", "web"), ("c", "ci"))]
    objs += [
        role("ClusterRole", "tokens-web", [_rule("create", "serviceaccounts/token", names="web,ghost,phantom")]),
        role("ClusterRole", "imp-ci", [_rule("impersonate", "serviceaccounts", names="ci,nobody")]),
        role("ClusterRole", "deployer", [_rule("create,update", "deployments", "apps"), _rule("get", "configmaps")]),
        role("ClusterRole", "all-tokens", [_rule("create", "serviceaccounts/token")]),
        role("ClusterRole", "secrets", [_rule("get", "secrets"), _rule("create", "secrets")]),
        binding("RoleBinding", "t", ("ClusterRole", "tokens-web"), [group("devs")], "a"),
        binding("RoleBinding", "t", ("ClusterRole", "tokens-web"), [group("devs")], "b"),
        binding("RoleBinding", "i", ("ClusterRole", "imp-ci"), [group("devs")], "c"),
        binding("RoleBinding", "d", ("ClusterRole", "deployer"), [group("devs"), group("ops")], "a"),
        binding("RoleBinding", "d", ("ClusterRole", "deployer"), [group("ops")], "b"),
        binding("ClusterRoleBinding", "tok", ("ClusterRole", "all-tokens"), [group("root")]),
        binding("RoleBinding", "s", ("ClusterRole", "secrets"),
                [{"kind": "ServiceAccount", "name": "web", "namespace": "a"}], "c"),
    ]
    model = AccessModel.from_objects(objs, (1, 30))
    idents = [Identity.user("u", ("devs",)), Identity.user("v", ("devs", "ops")), Identity.group("ops"),
              Identity.user("r", ("root",)), Identity.service_account("a", "web"), Identity.service_account("c", "ci")]
    return model, idents


def _specs(release: tuple[int, int] | None) -> list[GuardSpec]:
    scoped = cluster_scoped(release)
    return [
        GuardSpec((Pattern(("get",), "", "secrets"),), None, False, scoped),
        GuardSpec((Pattern(("create",), "", "pods"),), None, True, scoped),
        GuardSpec((Pattern(("get",), "", "configmaps"),), ("a",), False, scoped),
        GuardSpec((Pattern(("delete",), "", "nodes"),), None, False, scoped),
    ]


def _compare(make, idents: list[Identity], specs: list[GuardSpec], mp: pytest.MonkeyPatch) -> int:
    """Fast graphs (targets asked first, then edges) against plain ones; the number of fans seen."""
    fast, walked = make(), make()
    # Targets first, as the guards ask them (no steps made), then everything else.
    reached = list(dict.fromkeys(j for i in idents for j in walked.reachable(i)))
    targets = {j: fast.targets(j) for j in reached}
    edges = {j: fast.edges(j) for j in reached}
    reaches = {i: list(fast.reach(i).items()) for i in idents}
    raw = {j: fast._row_steps(j) for j in reached if j.kind != "superuser"}
    fans = sum(type(x).__name__ == "_Fan" for r in raw.values() for x in r)
    holds = {(k, j): _Forbidden(fast, spec).holds(j) for k, spec in enumerate(specs) for j in reached}
    verdicts = [check_guard(fast, spec, idents) for spec in specs]
    with mp.context() as m:
        _plain(m)
        plain = make()
        for j in reached:
            assert plain.edges(j) == edges[j], j
            assert set(targets[j]) == {st.target for st in plain.edges(j)}, j
            assert len(targets[j]) == len(set(targets[j])), j
            if j in raw:
                assert expand(raw[j]) == plain._row_steps(j), j
            for k, spec in enumerate(specs):
                assert holds[(k, j)] == (_Forbidden(plain, spec).first(j) is not None), (spec, j)
        for i in idents:
            assert list(plain.reach(i).items()) == reaches[i], i
        for spec, got in zip(specs, verdicts, strict=True):
            assert got == [v for s in idents if (v := first_violation(plain, s, spec)) is not None], spec
    return fans


def test_fans_are_the_plain_steps_on_names_limited_grants(monkeypatch: pytest.MonkeyPatch) -> None:
    model, idents = _named_model()
    assert _compare(lambda: EscalationGraph(model), idents, _specs(model.release), monkeypatch) > 0
    # The names a grant allows, known or not, are reached; other accounts are not.
    graph = EscalationGraph(model)
    reached = set(graph.reachable(idents[0]))
    assert {Identity.service_account("a", "web"), Identity.service_account("a", "ghost"),
            Identity.service_account("b", "ghost"), Identity.service_account("c", "nobody")} <= reached
    assert Identity.service_account("b", "default") not in reached


SHAPES = ("identity", "all", "guards")


@pytest.mark.parametrize("where", [*SHAPES, *POLICY_FOLDERS])
def test_fans_are_the_plain_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    folder = generated_org(tmp_path, 30, BREAKS, shape=where) if where in SHAPES else policy_folder(where)
    program, make = graph_maker(folder)
    specs = [GuardSpec.of(g, program.release) for g in program.policy.guards] + _specs(program.release)
    assert _compare(make, everyone(program), specs, monkeypatch) > 0
    if where in ("identity", "all"):
        # The build's guards over their ranges, and the rendered diagnostics with the lints.
        fast = make()
        got = {g.span: check_guard(fast, GuardSpec.of(g, program.release), guard_range(g, program))
               for g in program.policy.guards}
        assert any(got.values())
        if where == "identity":
            text = render_text((res := compile_path(folder, lints=True)).diagnostics, res.sources)
        with monkeypatch.context() as mp:
            _plain(mp)
            plain = make()
            for g in program.policy.guards:
                assert check_guard(plain, GuardSpec.of(g, program.release), guard_range(g, program)) == got[g.span]
            if where == "identity":
                res = compile_path(folder, lints=True)
                assert render_text(res.diagnostics, res.sources) == text

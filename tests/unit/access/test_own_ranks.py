"""`AccessModel.own_ranks` (the ranks `EscalationGraph.share_key` keys users by, made without the
entries of `own_ranked`) says what `own_ranked(...)[1]` says, and `_range`'s one pass keeps the
subjects the former filter kept (issue 19)."""

from __future__ import annotations

import os
from pathlib import Path

from rbac_fixtures import cr, crb, rb, rule

from conftest import generated_org
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import Identity
from policyc.access.policy import everyone, graph_for, model_from_program
from policyc.access.request import UserInfo
from policyc.check import access_guards
from policyc.pipeline import compile_path

OBJECTS = [
    cr("view", rule("get", "", "pods")),
    # The user named twice in one binding, after one of its groups, before another.
    crb("twice", "view", "User:ann", "User:ann"),
    crb("group-first", "view", "Group:devs", "User:ann"),
    crb("user-first", "view", "User:ann", "Group:ops"),
    rb("a", "both", "ClusterRole", "view", "Group:ops", "User:ann", "Group:devs"),
    rb("b", "only-user", "ClusterRole", "view", "User:bob"),
    crb("sa", "view", "ServiceAccount:a/robot", "User:system:serviceaccount:a/robot"),
]


def _old(model: AccessModel, name: str, groups: tuple[str, ...]) -> tuple[int, ...]:
    return model.own_ranked(UserInfo(name, groups))[1]


def test_own_ranks_are_own_rankeds_on_hand_made_bindings() -> None:
    model = AccessModel.from_objects(OBJECTS, bootstrap=False)
    names = ("ann", "bob", "carol", "system:serviceaccount:a:robot")
    tuples = ((), ("devs",), ("ops",), ("devs", "ops"), ("ops", "devs"), ("system:authenticated",))
    for name in names:
        for groups in tuples:
            assert model.own_ranks(name, groups) == _old(model, name, groups), (name, groups)
    # Some of the cases keep fewer ranks than the bindings naming the user: the groups' subject is earlier.
    assert model.own_ranks("ann", ("devs",)) != model.own_ranks("ann", ())


def test_own_ranks_are_own_rankeds_on_a_generated_organisation(tmp_path: Path) -> None:
    result = compile_path(generated_org(tmp_path, 12))
    assert result.program is not None
    graph = graph_for(model_from_program(result.program, result.manifests))
    model = graph.model
    users = [i for i in everyone(result.program) if i.kind == "user"]
    assert len(users) > 50
    sets = graph.sets
    unkept = [i for i in users if (i.name, i.groups) not in sets._own]
    assert unkept, "every user's entries kept: the path that makes the ranks alone is not tried"
    for ident in users:
        expected = _old(model, ident.name, ident.groups)
        assert model.own_ranks(ident.name, ident.groups) == expected, ident
        assert sets.own_ranks(ident.name, ident.groups) == expected
        # Once `own` keeps the user's entries, they are read.
        sets.own(ident.user_info)
        assert sets.own_ranks(ident.name, ident.groups) == expected
    assert any(model.own_ranks(i.name, i.groups) for i in users)


def _old_range(g, program) -> list[Identity]:  # the filter before the one pass
    subjects = access_guards._identities(g.subjects, program) if g.subjects else everyone(program)
    excepted = access_guards._identities(g.excepts, program)
    keys = {i.key for i in excepted}
    groups = {i.groups[0] for i in excepted if i.kind == "group" and i.groups}
    return [s for s in subjects
            if s.key not in keys and not (s.kind in ("user", "serviceaccount") and groups & set(s.groups))]


def test_guard_range_keeps_what_the_former_filter_kept(tmp_path: Path) -> None:
    extra = ("forbid delete nodes for everyone except group oidc:t000-logistics-devs, team platform\n"
             "forbid delete nodes for everyone except serviceaccount ns0001/deployer\n")
    result = compile_path(generated_org(tmp_path, 12, extra))
    assert result.program is not None
    guards = result.program.policy.guards
    assert len(guards) >= 4
    for g in guards:
        assert access_guards._range(g, result.program) == _old_range(g, result.program), g


def test_a_kept_range_is_its_plain_tuple_as_a_key() -> None:
    import pickle

    from policyc.access.guards import Subjects

    idents = [Identity.user("ann", ("devs",)), Identity.service_account("a", "robot"), Identity.group("ops")]
    kept = Subjects(idents)
    assert kept == tuple(idents) and hash(kept) == hash(tuple(idents))
    assert {kept: 1}[tuple(idents)] == 1 and {tuple(idents): 2}[kept] == 2
    again = pickle.loads(pickle.dumps(kept))
    assert type(again) is Subjects and again == kept and hash(again) == hash(kept)
    assert Subjects([]) == () and hash(Subjects([])) == hash(())


def test_a_kept_range_unpickled_elsewhere_hashes_as_its_tuple_there() -> None:
    # Another interpreter hashes strings with another seed: the range's hash is made again there.
    import pickle
    import subprocess
    import sys

    from policyc.access.guards import Subjects

    data = pickle.dumps(Subjects([Identity.user("ann", ("devs",)), Identity.group("ops")]))
    code = ("import pickle, sys; r = pickle.loads(sys.stdin.buffer.read()); "
            "print(type(r).__name__, hash(r) == hash(tuple(r)))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout.decode().split()
        assert out == ["Subjects", "True"], out


REALWORLD = Path(__file__).resolve().parents[2] / "data" / "realworld"


def test_own_ranks_are_own_rankeds_on_real_projects_rbac() -> None:
    # Bindings nobody here wrote (tests/data/realworld, SOURCES.md): every user, service account and
    # group they name, with no groups, each group alone, and all of them. These projects bind service
    # accounts and groups, no user: this covers the service-account path (its subjects are kept under
    # their own kind, not under the user name) on real input; the users' rule, the hand-made cases above.
    from policyc.k8s.yamlread import read_paths

    names_seen = groups_seen = 0
    for rbac in sorted(REALWORLD.glob("*/rbac.yaml")):
        docs, _sources, diags = read_paths([str(rbac)])
        assert not [d for d in diags if d.is_error], diags
        objs = [d.obj for d in docs]
        model = AccessModel.from_objects(objs, (1, 33))
        names, groups = {"nobody"}, set()
        for obj in objs:
            ns = (obj.get("metadata") or {}).get("namespace") or "default"
            for s in obj.get("subjects") or ():
                if s.get("kind") == "User":
                    names.add(s["name"])
                elif s.get("kind") == "ServiceAccount":
                    names.add(f"system:serviceaccount:{s.get('namespace') or ns}:{s['name']}")
                elif s.get("kind") == "Group":
                    groups.add(s["name"])
        names_seen += len(names) - 1
        groups_seen += len(groups)
        tuples = [(), *((g,) for g in sorted(groups)), tuple(sorted(groups))]
        for name in sorted(names):
            for gs in tuples:
                assert model.own_ranks(name, gs) == _old(model, name, gs), (rbac.parent.name, name, gs)
    assert names_seen > 20 and groups_seen > 0, (names_seen, groups_seen)

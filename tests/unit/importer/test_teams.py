"""Team grouping: subjects that always appear together across several bindings (docs/migrating.md)."""

from __future__ import annotations

from policyc.importer.plan import PGrant, PSubject
from policyc.importer.teams import form_teams
from policyc.k8s.yamlread import Doc

ALICE, BOB, CAROL = PSubject("user", "alice"), PSubject("user", "bob"), PSubject("user", "carol")
DEVS = PSubject("group", "devs")
EVERYONE = PSubject("everyone")


def grant(role: str, scope: str | None, *subjects: PSubject, name: str = "") -> PGrant:
    doc = Doc({"kind": "RoleBinding", "metadata": {"name": name or role, "namespace": scope or ""}}, "x.yaml", 1)
    return PGrant(role, scope, tuple(sorted(subjects)), [doc])


def test_subjects_together_in_several_bindings_become_a_team() -> None:
    teams, grants = form_teams([
        grant("edit", "payments", ALICE, BOB, name="payments-edit"),
        grant("view", "checkout", BOB, ALICE, name="payments-view"),
        grant("view", "checkout", CAROL),
    ])
    assert [(t.name, t.members) for t in teams] == [("payments", (ALICE, BOB))]
    assert [g.subjects for g in grants] == [(PSubject("team", "payments"),)] * 2 + [(CAROL,)]


def test_one_binding_is_not_enough_and_one_subject_is_not_a_team() -> None:
    teams, _ = form_teams([grant("edit", "a", ALICE, BOB), grant("view", "a", CAROL), grant("view", "b", CAROL)])
    assert teams == []


def test_a_subject_that_also_appears_alone_splits_the_class() -> None:
    teams, grants = form_teams([
        grant("edit", "a", ALICE, BOB, DEVS, name="x-edit"),
        grant("view", "b", ALICE, BOB, DEVS, name="y-view"),
        grant("admin", "c", DEVS),
    ])
    # alice and bob always together; devs also appears alone, so it stays a subject of its own.
    assert [(t.name, t.members) for t in teams] == [("team", (ALICE, BOB))]
    assert grants[0].subjects == (DEVS, PSubject("team", "team"))


def test_names_come_from_bindings_then_namespace_and_are_unique() -> None:
    teams, _ = form_teams([
        grant("edit", "shop", ALICE, BOB, name="shop-devs-edit"),
        grant("view", "shop", ALICE, BOB, name="shop-devs-view"),
        grant("edit", "shop", CAROL, DEVS, name="a"),
        grant("view", "shop", CAROL, DEVS, name="b"),
        grant("edit", "other", PSubject("user", "x"), PSubject("user", "y"), name="shop-devs-1"),
        grant("view", "other", PSubject("user", "x"), PSubject("user", "y"), name="shop-devs-2"),
    ])
    assert sorted((t.name, t.members) for t in teams) == [
        ("shop", (DEVS, CAROL)),
        ("shop-devs", (ALICE, BOB)),
        ("shop-devs-2", (PSubject("user", "x"), PSubject("user", "y"))),
    ]


def test_policyc_generated_binding_names_give_the_team_name() -> None:
    teams, _ = form_teams([
        grant("edit", "a", ALICE, BOB, name="policyc:team:app1:edit"),
        grant("view", "b", ALICE, BOB, name="policyc:team:app1:view"),
    ])
    assert teams[0].name == "app1"


def test_everyone_never_joins_a_team_and_grouping_is_order_independent() -> None:
    gs = [grant("edit", "a", ALICE, BOB, EVERYONE), grant("view", "b", ALICE, BOB, EVERYONE)]
    teams, out = form_teams(gs)
    teams2, out2 = form_teams(list(reversed(gs)))
    assert [t.members for t in teams] == [(ALICE, BOB)] == [t.members for t in teams2]
    assert EVERYONE in out[0].subjects

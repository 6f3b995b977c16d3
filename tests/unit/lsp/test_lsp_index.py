"""Where names occur and what they resolve to, as the compiler resolves them (check/grants.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_fixture import ROLES, TEAMS, write_program

from policyc.lsp.index import Builtin
from policyc.lsp.workspace import Analysis, PolicyFolder

TEXTS = {"roles.policy": ROLES, "teams.policy": TEAMS}


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    program = PolicyFolder(write_program(tmp_path_factory.mktemp("prog")))
    program.scan()
    return program.analyse()


def _offset(file: str, needle: str, nth: int = 0, delta: int = 1) -> int:
    text, offset = TEXTS[file], -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    return offset + delta


def _text(analysis: Analysis, file: str, start: int, end: int) -> str:
    return analysis.sources[file].text[start:end]


# (file, needle, nth occurrence, kind, name)
AT = [
    ("teams.policy", "pod-reader in apps", 0, "role", "pod-reader"),
    ("teams.policy", "alice", 0, "user", "alice"),
    ("teams.policy", "devs", 0, "group", "devs"),
    ("teams.policy", "apps/ci", 0, "namespace", "apps"),  # the namespace part of a service account
    ("teams.policy", "ci\n", 0, "serviceaccount", "apps/ci"),
    ("teams.policy", "web\n", 0, "team", "web"),
    ("teams.policy", "web {", 0, "team", "web"),
    ("teams.policy", "apps {", 0, "namespace", "apps"),
    ("roles.policy", "watch", 0, "verb", "watch"),
    ("roles.policy", "read,", 0, "verb", "read"),
    ("roles.policy", "deployments.apps", 0, "resource", "deployments.apps"),
    ("roles.policy", "apps {", 0, "namespace", "apps"),
    ("roles.policy", "pod-reader\n", 0, "role", "pod-reader"),
]


@pytest.mark.parametrize(("file", "needle", "nth", "kind", "name"), AT, ids=[f"{r[3]}:{r[1]!r}" for r in AT])
def test_occurrence_at_cursor(analysis: Analysis, file: str, needle: str, nth: int, kind: str, name: str) -> None:
    occ = analysis.index.at(file, _offset(file, needle, nth))
    assert occ is not None
    assert (occ.kind, occ.name) == (kind, name)
    assert _text(analysis, file, occ.span.start, occ.span.end) == name  # the span is the name as written


def test_nothing_at_keywords_and_blank(analysis: Analysis) -> None:
    assert analysis.index.at("teams.policy", _offset("teams.policy", "grant", 0, 2)) is None
    assert analysis.index.at("roles.policy", 0) is None  # `kubernetes`


def _where(analysis: Analysis, occs) -> list[tuple[str, str]]:
    return [(o.span.file, _text(analysis, o.span.file, o.span.start, o.span.end)) for o in occs]


def test_role_definition_crosses_files(analysis: Analysis) -> None:
    occ = analysis.index.at("teams.policy", _offset("teams.policy", "pod-reader in apps"))
    [decl] = analysis.index.definitions(occ)
    assert (decl.span.file, decl.span.line, decl.span.col) == ("roles.policy", 3, 6)


def test_namespaced_role_resolves_in_its_namespace(analysis: Analysis) -> None:
    occ = analysis.index.at("teams.policy", _offset("teams.policy", "deployer in apps"))
    [decl] = analysis.index.definitions(occ)
    assert (decl.span.file, decl.namespace, decl.name) == ("roles.policy", "apps", "deployer")


def test_builtin_role_resolves_to_builtin(analysis: Analysis) -> None:
    occ = analysis.index.at("teams.policy", _offset("teams.policy", "edit in apps"))
    assert analysis.index.definitions(occ) == Builtin("edit")


def test_role_references_include_aggregation_and_grants(analysis: Analysis) -> None:
    decl = analysis.index.at("roles.policy", _offset("roles.policy", "pod-reader {"))
    refs = analysis.index.references(decl)
    assert [(f, t, o.decl) for (f, t), o in zip(_where(analysis, refs), refs, strict=True)] == [
        ("roles.policy", "pod-reader", True),
        ("roles.policy", "pod-reader", False),  # role ops aggregates pod-reader
        ("teams.policy", "pod-reader", False),
        ("teams.policy", "pod-reader", False),  # in the namespace block
    ]
    assert len(analysis.index.references(decl, include_declaration=False)) == 3


def test_namespace_definition_and_references(analysis: Analysis) -> None:
    occ = analysis.index.at("roles.policy", _offset("roles.policy", "apps {"))
    [decl] = analysis.index.definitions(occ)
    assert (decl.span.file, decl.span.line) == ("teams.policy", 8)
    refs = analysis.index.references(occ)
    # role ... in apps, the team's three grants, the namespace block, the service accounts' prefixes;
    # not the implicit place of the grant inside `namespace apps { }`.
    assert [(o.span.file, o.span.line) for o in refs] == [
        ("roles.policy", 7),
        ("teams.policy", 2),
        ("teams.policy", 3),
        ("teams.policy", 4),
        ("teams.policy", 5),
        ("teams.policy", 8),
        ("teams.policy", 13),
    ]


def test_team_references_skip_the_implicit_subject(analysis: Analysis) -> None:
    occ = analysis.index.at("teams.policy", _offset("teams.policy", "web {"))
    refs = analysis.index.references(occ)
    assert [(o.span.line, o.decl) for o in refs] == [(1, True), (10, False)]


def test_serviceaccount_definition(analysis: Analysis) -> None:
    occ = analysis.index.at("teams.policy", _offset("teams.policy", "ci\n  grant"))
    [decl] = analysis.index.definitions(occ)
    assert (decl.span.line, decl.name) == (13, "apps/ci")


def test_undeclared_things_have_no_definition(analysis: Analysis) -> None:
    for needle, kind in (("alice", "user"), ("devs", "group")):
        occ = analysis.index.at("teams.policy", _offset("teams.policy", needle))
        assert occ is not None and occ.kind == kind
        assert analysis.index.definitions(occ) is None


def test_undefined_role_references_find_each_other(tmp_path: Path) -> None:
    program = PolicyFolder(tmp_path)
    program.open("a.policy", "grant role nope to user a in x\ngrant role nope to user b in y\n", 1)
    analysis = program.analyse()
    occ = analysis.index.at("a.policy", 12)
    assert occ is not None and analysis.index.definitions(occ) is None
    assert [o.span.line for o in analysis.index.references(occ)] == [1, 2]


def test_pod_security_policy_and_user_definitions(tmp_path: Path) -> None:
    text = (
        "pod-security-policy hardened {\n  privileged no\n}\n\n"
        "namespace a {\n  pod-security hardened\n}\n\n"
        "namespace b {\n  pod-security restricted\n}\n\n"
        "user alice auth oidc\n"
        "grant role view to user alice in a\n"
    )
    program = PolicyFolder(tmp_path)
    program.open("p.policy", text, 1)
    analysis = program.analyse()
    index = analysis.index
    psp_ref = index.at("p.policy", text.index("hardened\n}") + 1)
    assert psp_ref is not None and (psp_ref.kind, psp_ref.decl) == ("psp", False)
    [decl] = index.definitions(psp_ref)
    assert (decl.span.line, decl.span.col) == (1, 21)
    assert [o.span.line for o in index.references(psp_ref)] == [1, 6]
    assert index.at("p.policy", text.index("restricted") + 1) is None  # a built-in level, not a policy
    user_ref = index.at("p.policy", text.rindex("alice") + 1)
    assert user_ref is not None and user_ref.kind == "user"
    [decl] = index.definitions(user_ref)
    assert (decl.span.line, decl.decl) == (13, True)

"""Completion contexts, hover texts, position conversions, built-in role descriptions, outline."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from lsp_fixture import ROLES, TEAMS, write_program
from lsprotocol import types

from policyc.k8s.bootstrap import builtin_cluster_roles
from policyc.k8s.releases import load_release
from policyc.lsp import builtin
from policyc.lsp.complete import candidates, context, needs_quotes
from policyc.lsp.hover import hover_text, target_release
from policyc.lsp.outline import document_symbols
from policyc.lsp.positions import LineMap
from policyc.lsp.workspace import Analysis, PolicyFolder
from policyc.source import SourceFile


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    program = PolicyFolder(write_program(tmp_path_factory.mktemp("prog")))
    program.scan()
    return program.analyse()


# ---------------------------------------------------------------- completion
CONTEXTS = [
    # (text before the word, keywords offered, kind of name wanted)
    ("", ("allow", "cluster", "expect", "forbid", "grant", "kubernetes", "namespace", "namespace-class",
          "pod-security-policy", "role", "serviceaccount", "team", "user"), None),
    ("grant ", ("role",), "verb"),
    ("grant role ", (), "role"),
    ("grant read ", ("except",), "resource"),
    ("grant read, ", (), "verb"),
    ("grant read pods ", ("except", "in", "named", "to"), None),
    ("grant read pods named x ", ("in", "to"), None),
    ("grant read pods to ", ("everyone", "group", "serviceaccount", "team", "user"), None),
    ("grant read pods to user ", (), "user"),
    ("grant read pods to team ", (), "team"),
    ("grant read pods to serviceaccount ", (), "serviceaccount"),
    ("grant read pods to group ", (), "group"),
    ("grant read pods to user a in ", ("cluster", "namespaces"), "namespace"),
    ("grant read pods to user a in x, ", (), "namespace"),
    ("role r {\n  ", (), "verb"),
    ("role r {\n  get, ", (), "verb"),
    ("role r {\n  get pods, ", (), "resource"),
    ("role r {\n  get pods ", ("except", "named"), None),
    ("role r in ", (), "namespace"),
    ("role r aggregates ", (), "cluster-role"),
    ("role r aggregate-to ", (), "aggregation-target"),
    ("role ", (), None),  # a new name
    ("user ", (), None),
    ("user a auth ", (), "auth"),
    ("user a auth oidc groups ", (), "group"),
    ("team t {\n  members ", ("everyone", "group", "serviceaccount", "team", "user"), None),
    ("namespace n {\n  ", ("grant", "labels", "limits", "pod-security", "quota"), None),
    ("namespace n {\n  pod-security ", (), "pod-security"),
    ("namespace n {\n  limits {\n    ", (), "limit-type"),
    ("namespace n {\n  limits {\n    container ", (), "limit-kind"),
    ("cluster {\n  authorization ", ("webhook",), "authorization-mode"),
    ("kubernetes ", (), "release"),
    ("forbid ", (), "verb"),
    ("forbid read ", ("except", "for", "in"), "resource"),
    ("forbid read secrets for everyone except ", ("everyone", "group", "serviceaccount", "team", "user"), None),
    ("role r {\n  get pods\n}\n", ("allow", "cluster", "expect", "forbid", "grant", "kubernetes", "namespace",
                                   "namespace-class", "pod-security-policy", "role", "serviceaccount", "team", "user"),
     None),
]


@pytest.mark.parametrize(("before", "keywords", "want"), CONTEXTS, ids=[repr(c[0]) for c in CONTEXTS])
def test_completion_context(before: str, keywords: tuple[str, ...], want: str | None) -> None:
    ctx = context(before)
    assert ctx.parsed
    assert ctx.keywords == keywords
    assert ctx.want == want


def test_completion_after_a_syntax_error_offers_every_keyword() -> None:
    ctx = context("role r {\n  get pods\n}\n}\n")
    assert not ctx.parsed
    assert "grant" in ctx.keywords and "aggregate-to" in ctx.keywords


def _labels(ctx_text: str, analysis: Analysis) -> dict[str, str]:
    release = target_release(analysis.index)
    return {c.label: c.detail for c in candidates(context(ctx_text), analysis.index, release)}


def test_role_candidates_are_declared_and_builtin(analysis: Analysis) -> None:
    labels = _labels("grant role ", analysis)
    assert {"pod-reader", "deployer", "ops"} <= set(labels)
    assert set(builtin_cluster_roles()) <= set(labels)
    assert labels["edit"] == "built-in ClusterRole"


def test_name_candidates_come_from_the_program(analysis: Analysis) -> None:
    assert set(_labels("grant read pods to user ", analysis)) == {"alice"}
    assert set(_labels("grant read pods to team ", analysis)) == {"web"}
    assert set(_labels("grant read pods to serviceaccount ", analysis)) == {"apps/ci"}
    assert set(_labels("grant read pods to user a in ", analysis)) == {"cluster", "namespaces", "apps"}
    assert set(_labels("role r aggregates ", analysis)) == {"pod-reader", "ops"}  # ClusterRoles only
    assert set(_labels("role r aggregate-to ", analysis)) == {"admin", "edit", "view", "ops"}


def test_verbs_and_resources_of_the_target_release(analysis: Analysis) -> None:
    release = load_release((1, 30))
    verbs = _labels("grant ", analysis)
    assert verbs["read"] == "= get, list, watch"
    assert set(release.verbs) <= set(verbs)
    resources = _labels("grant read ", analysis)
    assert resources["deployments.apps"] == "apps/v1, namespaced"
    assert resources["nodes"] == "v1, cluster-scoped"
    assert "pods/log" in resources and "deployments.apps/scale" in resources
    # validatingadmissionpolicies went GA in 1.30 (admissionregistration.k8s.io/v1)
    assert resources["validatingadmissionpolicies.admissionregistration.k8s.io"].startswith(
        "admissionregistration.k8s.io/v1,"
    )


def test_names_that_are_not_bare_words_need_quotes() -> None:
    assert not needs_quotes("jack@test.com")
    assert not needs_quotes("system:aggregate-to-edit")
    assert needs_quotes("Ann Smith")
    assert needs_quotes("-x")


# ---------------------------------------------------------------- hover
def _hover(analysis: Analysis, file: str, needle: str, delta: int = 1, last: bool = False) -> str:
    text = {"roles.policy": ROLES, "teams.policy": TEAMS}[file]
    occ = analysis.index.at(file, (text.rindex(needle) if last else text.index(needle)) + delta)
    assert occ is not None
    result = hover_text(analysis.index, occ)
    assert result is not None
    return result


def test_hover_role_shows_its_rules(analysis: Analysis) -> None:
    text = _hover(analysis, "teams.policy", "pod-reader in apps")
    assert "a ClusterRole (roles.policy:3)" in text
    assert "- {apiGroups: [''], resources: [pods], verbs: [get, list, watch]}" in text


def test_hover_aggregated_role_shows_rules_after_aggregation(analysis: Analysis) -> None:
    text = _hover(analysis, "roles.policy", "ops aggregates")
    assert "aggregates `pod-reader`" in text
    assert "- {apiGroups: [''], resources: [pods], verbs: [get, list, watch]}  # from pod-reader" in text


def test_hover_builtin_role_includes_bootstrap_rules(analysis: Analysis) -> None:
    text = _hover(analysis, "teams.policy", "edit in apps")
    assert text.startswith("**built-in ClusterRole** `edit`")
    assert "resources: [serviceaccounts], verbs: [impersonate]}  # from system:aggregate-to-edit" in text


def test_hover_team_shows_members_and_grants(analysis: Analysis) -> None:
    text = _hover(analysis, "teams.policy", "web {")
    assert "- user alice\n- group devs\n- serviceaccount apps/ci" in text
    assert "`grant role pod-reader in apps` (teams.policy:3)" in text
    assert "`grant role pod-reader to team web` (teams.policy:10)" in text
    assert "Bound as: `Group devs`" not in text and "`group devs`" in text


def test_hover_verb_alias(analysis: Analysis) -> None:
    assert _hover(analysis, "roles.policy", "read,") == "**verb alias** `read` = `get`, `list`, `watch`"
    assert "write" in _hover(analysis, "roles.policy", "write deployments")
    assert _hover(analysis, "roles.policy", "watch") == "**verb** `watch` (Kubernetes 1.30)"


def test_hover_resource_group_and_scope(analysis: Analysis) -> None:
    text = _hover(analysis, "roles.policy", "deployments.apps")
    assert "**resource** `deployments` in API group `apps`, Kubernetes 1.30" in text
    assert "- versions: apps/v1" in text
    assert "- scope: namespaced" in text
    assert "scale" in text


def test_hover_cluster_scoped_and_custom_resources(tmp_path: Path) -> None:
    program = PolicyFolder(tmp_path)
    program.open("a.policy", "kubernetes 1.24\nrole r {\n  get nodes, widgets.example.com, pods/log\n}\n", 1)
    analysis = program.analyse()

    def hover(needle: str) -> str:
        occ = analysis.index.at("a.policy", analysis.sources["a.policy"].text.index(needle) + 1)
        return hover_text(analysis.index, occ) or ""

    assert "cluster-scoped: only a grant `in cluster`" in hover("nodes")
    assert "Kubernetes 1.24" in hover("nodes")
    assert "not built into Kubernetes 1.24" in hover("widgets")
    assert "subresource `log` verbs: get" in hover("pods/log")


def test_hover_namespace_user_serviceaccount(analysis: Analysis) -> None:
    assert "`tier=prod`" in _hover(analysis, "teams.policy", "apps {")
    assert "not declared" in _hover(analysis, "teams.policy", "alice")
    sa = _hover(analysis, "teams.policy", "ci\n", last=True)  # the `serviceaccount apps/ci` declaration
    assert "declared (policyc creates it)" in sa and "system:serviceaccount:apps:ci" in sa


def test_hover_oidc_user_is_bound_with_the_compilers_prefix(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text(
        'cluster {\n  authentication {\n    anonymous no\n    certificates ca /ca.crt\n'
        '    oidc issuer https://login.example.com client-id k8s username-prefix "oidc:"\n  }\n}\n\n'
        "user alice auth oidc\nuser bob auth certificate\n"
    )
    program = PolicyFolder(tmp_path)
    program.scan()
    analysis = program.analyse()
    text = program.disk["a.policy"]
    for name, bound in (("alice", "bound as `oidc:alice`"), ("bob", None)):
        occ = analysis.index.at("a.policy", text.index(f"user {name}") + 6)
        assert occ is not None
        hover = hover_text(analysis.index, occ)
        assert (bound in hover) if bound else ("bound as" not in hover)


# ---------------------------------------------------------------- positions
@pytest.mark.parametrize(
    ("encoding", "character"),
    [(types.PositionEncodingKind.Utf16, 11), (types.PositionEncodingKind.Utf8, 14),
     (types.PositionEncodingKind.Utf32, 10)],
)
def test_positions_count_in_the_negotiated_unit(encoding: str, character: int) -> None:
    text = 'first\nuser "é😀" x\n'
    lines = LineMap(text, encoding)
    offset = text.index("x")  # 10 code points into line 1: u s e r _ " é 😀 " _
    assert lines.position(offset) == types.Position(1, character)
    assert lines.offset(types.Position(1, character)) == offset
    assert lines.offset(types.Position(9, 0)) == len(text)


def test_span_ranges_use_lines_and_columns() -> None:
    src = SourceFile("a.policy", "ab\ncd ef\n")
    lines = LineMap(src.text)
    assert lines.span_range(src.span(6, 8)) == types.Range(types.Position(1, 3), types.Position(1, 5))
    assert lines.whole() == types.Range(types.Position(0, 0), types.Position(2, 0))


# ---------------------------------------------------------------- built-in roles
def test_builtin_description_is_a_read_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = builtin.description_file("system:aggregate-to-edit")
    assert path.parent == tmp_path / "policyc" / "builtin-roles"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    doc = yaml.safe_load(path.read_text())
    assert doc["kind"] == "ClusterRole" and doc["metadata"]["name"] == "system:aggregate-to-edit"
    assert builtin.description_file("system:aggregate-to-edit") == path  # unchanged: not rewritten


def test_builtin_description_of_an_aggregated_role_lists_aggregated_rules() -> None:
    doc = yaml.safe_load(builtin.description("view"))
    assert doc["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}
    ]
    assert {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "list", "watch"]} in [
        {**r, "resources": [x for x in r["resources"] if x == "pods/log"]} for r in doc["rules"]
        if "pods/log" in r.get("resources", [])
    ]
    assert not any("secrets" in r.get("resources", []) for r in doc["rules"])  # view never reads secrets


# ---------------------------------------------------------------- outline
def test_document_symbols_nest_grants_and_rules(analysis: Analysis) -> None:
    lowered = analysis.files["teams.policy"]
    symbols = document_symbols(lowered.policy, lowered.text, LineMap(lowered.text))
    assert [(s.name, s.kind) for s in symbols] == [
        ("web", types.SymbolKind.Struct),
        ("apps", types.SymbolKind.Namespace),
        ("apps/ci", types.SymbolKind.Variable),
    ]
    assert [c.name for c in symbols[0].children or []] == [
        "members", "grant role pod-reader in apps", "grant role deployer in apps", "grant role edit in apps",
    ]
    assert [c.name for c in symbols[1].children or []] == ["grant role pod-reader to team web"]
    assert symbols[0].selection_range == types.Range(types.Position(0, 5), types.Position(0, 8))
    roles = analysis.files["roles.policy"]
    role_symbols = document_symbols(roles.policy, roles.text, LineMap(roles.text))
    assert [s.name for s in role_symbols] == ["kubernetes 1.30", "pod-reader", "deployer", "ops"]
    assert [c.name for c in role_symbols[1].children or []] == ["get, watch, list pods"]
    assert role_symbols[2].detail == "Role in apps"

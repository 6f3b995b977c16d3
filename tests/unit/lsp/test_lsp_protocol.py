"""`policyc lsp` spoken to over stdio, as an editor does: JSON-RPC with Content-Length framing.

Each test starts the real console script in a subprocess (tests/lsp_client.py) and every
wait has a timeout, so a hung server fails the test instead of blocking CI.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_client import LspClient
from lsp_fixture import ROLES, TEAMS, at, write_program

from conftest import policyc_command


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return write_program(tmp_path / "workspace")


@pytest.fixture
def client(tmp_path: Path, program: Path) -> Iterator[LspClient]:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    c = LspClient([*policyc_command(), "lsp"], env=env)
    try:
        c.initialize(program, {"debounceMs": 20})
        yield c
    finally:
        code = c.close()
        assert code == 0, c.stderr()


def _errors(diagnostics: list[dict]) -> list[dict]:
    """The errors among published diagnostics (the fixture also draws access-lint warnings)."""
    return [d for d in diagnostics if d["severity"] == 1]


def _pos(text: str, needle: str, nth: int = 0, delta: int = 1) -> dict:
    line, character = at(text, needle, nth, delta)
    return {"line": line, "character": character}


def _range(text: str, needle: str, length: int | None = None, nth: int = 0) -> dict:
    line, character = at(text, needle, nth)
    return {"start": {"line": line, "character": character},
            "end": {"line": line, "character": character + (len(needle) if length is None else length)}}


def test_initialize_announces_the_features(tmp_path: Path, program: Path) -> None:
    c = LspClient([*policyc_command(), "lsp"], env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    try:
        caps = c.initialize(program)
        assert caps["hoverProvider"] and caps["definitionProvider"] and caps["referencesProvider"]
        assert caps["documentFormattingProvider"] and caps["documentSymbolProvider"]
        assert "completionProvider" in caps
        assert caps["renameProvider"] is True  # RenameOptions only for a client with prepareSupport (LSP spec)
        assert caps["textDocumentSync"]["openClose"] is True
        assert caps["positionEncoding"] == "utf-16"
    finally:
        assert c.close() == 0


def test_did_open_with_an_error_reports_it_with_position_code_and_help(client: LspClient, program: Path) -> None:
    text = TEAMS.replace("grant role pod-reader in apps", "grant role pod-reder in apps")
    uri = client.open(program / "teams.policy", text)
    [d] = _errors(client.diagnostics(uri, 1))
    assert d["range"] == _range(text, "pod-reder")
    assert d["code"] == "PC101"
    assert d["severity"] == 1
    assert d["source"] == "policyc"
    assert d["message"] == "undefined role `pod-reder`\nhelp: did you mean `pod-reader`?"


def test_did_change_fixes_and_breaks(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy")
    assert _errors(client.diagnostics(uri, 1)) == []
    broken = TEAMS.replace("  labels tier=prod\n", "  labels tier=prod\n  grant role view to user a in Bad_NS\n")
    client.change(uri, broken, 2)
    [d] = _errors(client.diagnostics(uri, 2))
    assert (d["code"], d["range"]) == ("PC120", _range(broken, "Bad_NS"))
    client.change(uri, TEAMS, 3)
    assert _errors(client.diagnostics(uri, 3)) == []


def test_a_syntax_error_is_reported_where_it_is(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy")
    _errors(client.diagnostics(uri, 1))
    broken = TEAMS.replace("labels tier=prod", "labels tier=prod,")
    client.change(uri, broken, 2)
    [d] = _errors(client.diagnostics(uri, 2))
    assert d["code"] == "PC001"
    assert d["message"].startswith("unexpected end of line\nhelp: expected ")
    assert d["range"]["start"] == _pos(broken, "prod,", delta=5)


def test_an_error_in_one_file_is_reported_in_another(client: LspClient, program: Path) -> None:
    teams_uri = (program / "teams.policy").resolve().as_uri()
    roles_uri = client.open(program / "roles.policy")
    assert _errors(client.diagnostics(roles_uri, 1)) == []
    assert {d["code"] for d in client.diagnostics(teams_uri)} == {"PC502", "PC504", "PC506", "PC511", "PC512", "PC520"}
    renamed = ROLES.replace("role pod-reader {", "role pod-viewer {")
    renamed = renamed.replace("aggregates pod-reader", "aggregates pod-viewer")
    client.discard()
    client.change(roles_uri, renamed, 2)
    assert _errors(client.diagnostics(roles_uri, 2)) == []
    diags = _errors(client.diagnostics(teams_uri))  # not open in the editor: published all the same
    assert [(d["code"], d["range"]) for d in diags] == [
        ("PC101", _range(TEAMS, "pod-reader", nth=0)),
        ("PC101", _range(TEAMS, "pod-reader", nth=1)),
    ]
    client.discard()
    client.change(roles_uri, ROLES, 3)
    assert _errors(client.diagnostics(roles_uri, 3)) == []
    assert _errors(client.diagnostics(teams_uri)) == []  # fixing it clears the other file


def test_utf16_positions(client: LspClient, program: Path) -> None:
    text = 'grant role view to user "😀 é" in Bad_NS\n'
    uri = client.open(program / "emoji.policy", text)
    [d] = _errors(client.diagnostics(uri, 1))
    # `Bad_NS` starts at code point 33; the emoji before it is two UTF-16 code units.
    assert d["range"]["start"] == {"line": 0, "character": 34}
    assert d["range"]["end"] == {"line": 0, "character": 40}


def test_definition_of_a_role_in_another_file(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy")
    _errors(client.diagnostics(uri, 1))
    [loc] = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                        "position": _pos(TEAMS, "pod-reader in apps")})
    assert loc["uri"] == (program / "roles.policy").resolve().as_uri()
    assert loc["range"] == _range(ROLES, "pod-reader")


def test_definition_of_namespace_team_and_serviceaccount(client: LspClient, program: Path) -> None:
    uri = client.open(program / "roles.policy")
    _errors(client.diagnostics(uri, 1))
    [loc] = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                        "position": _pos(ROLES, "apps {")})
    assert (loc["uri"].endswith("/teams.policy"), loc["range"]) == (True, _range(TEAMS, "apps", nth=4))
    teams = client.open(program / "teams.policy")
    [loc] = client.request("textDocument/definition", {"textDocument": {"uri": teams},
                                                        "position": _pos(TEAMS, "web\n}")})
    assert loc["range"] == _range(TEAMS, "web")
    [loc] = client.request("textDocument/definition", {"textDocument": {"uri": teams},
                                                        "position": _pos(TEAMS, "ci\n  grant", delta=0)})
    assert loc["range"] == _range(TEAMS, "apps/ci", nth=1)


def test_definition_of_a_builtin_role_is_a_read_only_description(client: LspClient, program: Path,
                                                                 tmp_path: Path) -> None:
    uri = client.open(program / "teams.policy")
    _errors(client.diagnostics(uri, 1))
    [loc] = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                        "position": _pos(TEAMS, "edit in apps")})
    path = tmp_path / "cache" / "policyc" / "builtin-roles" / "clusterrole-edit.yaml"
    assert loc["uri"] == path.as_uri()
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    text = path.read_text()
    assert "kind: ClusterRole\nmetadata:\n  name: edit\n" in text
    assert "- impersonate" in text  # edit lets its holders impersonate service accounts


def test_references_across_files(client: LspClient, program: Path) -> None:
    uri = client.open(program / "roles.policy")
    _errors(client.diagnostics(uri, 1))
    refs = client.request("textDocument/references", {"textDocument": {"uri": uri},
                                                       "position": _pos(ROLES, "pod-reader {"),
                                                       "context": {"includeDeclaration": True}})
    got = [(r["uri"].rsplit("/", 1)[1], r["range"]["start"]["line"]) for r in refs]
    assert got == [("roles.policy", 2), ("roles.policy", 10), ("teams.policy", 2), ("teams.policy", 9)]


def test_hover_role_team_verb_and_resource(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy")
    _errors(client.diagnostics(uri, 1))

    def hover(text: str, needle: str, document: str = uri) -> dict:
        return client.request("textDocument/hover", {"textDocument": {"uri": document}, "position": _pos(text, needle)})

    role = hover(TEAMS, "pod-reader in apps")
    assert role["contents"]["kind"] == "markdown"
    assert "- {apiGroups: [''], resources: [pods], verbs: [get, list, watch]}" in role["contents"]["value"]
    assert role["range"] == _range(TEAMS, "pod-reader")
    team = hover(TEAMS, "web {")["contents"]["value"]
    assert "- user alice" in team and "`grant role deployer in apps`" in team
    roles_uri = client.open(program / "roles.policy")
    verb = hover(ROLES, "read,", roles_uri)
    assert verb["contents"]["value"] == "**verb alias** `read` = `get`, `list`, `watch`"
    resource = hover(ROLES, "deployments.apps", roles_uri)["contents"]["value"]
    assert "API group `apps`, Kubernetes 1.30" in resource and "- scope: namespaced" in resource
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": _pos(TEAMS, "grant", delta=2)}) is None


def test_completion_of_roles_verbs_and_resources(client: LspClient, program: Path) -> None:
    text = TEAMS.replace("grant role edit in apps", "grant role ed")
    uri = client.open(program / "teams.policy", text)
    _errors(client.diagnostics(uri, 1))
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                         "position": _pos(text, "ed\n", delta=2)})
    items = {i["label"]: i for i in result["items"]}
    assert {"pod-reader", "deployer", "edit", "view", "cluster-admin"} <= set(items)
    line, character = at(text, "ed\n")
    assert items["edit"]["textEdit"] == {
        "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 2}},
        "newText": "edit",
    }
    rule = TEAMS.replace("grant role edit in apps", "grant get, ")
    client.change(uri, rule, 2)
    verbs = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                        "position": _pos(rule, "get, ", delta=5)})
    labels = {i["label"] for i in verbs["items"]}
    assert {"get", "list", "read", "write", "impersonate", "escalate"} <= labels
    rule = TEAMS.replace("grant role edit in apps", "grant get ")
    client.change(uri, rule, 3)
    resources = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                            "position": _pos(rule, "get ", delta=4)})
    labels = {i["label"] for i in resources["items"]}
    assert {"pods", "pods/log", "deployments.apps", "*"} <= labels


def test_completion_of_keywords_at_top_level(client: LspClient, program: Path) -> None:
    text = TEAMS + "\n"
    uri = client.open(program / "teams.policy", text)
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                         "position": {"line": text.count("\n"), "character": 0}})
    keywords = {i["label"] for i in result["items"] if i["kind"] == 14}  # CompletionItemKind.Keyword
    assert keywords == {"allow", "cluster", "expect", "forbid", "grant", "kubernetes", "namespace", "namespace-class",
                        "pod-security-policy", "role", "serviceaccount", "team", "user"}


def test_formatting_returns_the_canonical_text(client: LspClient, program: Path) -> None:
    messy = "team   web {members user alice\n      grant role pod-reader in apps}\n"
    uri = client.open(program / "teams.policy", messy)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                        "options": {"tabSize": 4, "insertSpaces": True}})
    assert edits == [{
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
        "newText": "team web {\n  members user alice\n  grant role pod-reader in apps\n}\n",
    }]
    client.change(uri, "team web {\n  members user alice\n}\n", 2)
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {
        "tabSize": 2, "insertSpaces": True}}) == []
    client.change(uri, "team web {\n", 3)
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {
        "tabSize": 2, "insertSpaces": True}}) is None  # a syntax error: nothing to format


def test_document_symbols(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy")
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [(s["name"], s["kind"]) for s in symbols] == [("web", 23), ("apps", 3), ("apps/ci", 13)]
    assert symbols[0]["selectionRange"] == _range(TEAMS, "web")
    assert [c["name"] for c in symbols[1]["children"]] == ["grant role pod-reader to team web"]


def test_closing_a_document_goes_back_to_the_disk(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy", TEAMS.replace("pod-reader in apps", "nope in apps"))
    assert [d["code"] for d in _errors(client.diagnostics(uri, 1))] == ["PC101"]
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert _errors(client.diagnostics(uri)) == []


def test_program_roots_split_a_workspace(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_program(root / "a")
    write_program(root / "b")  # the same names again: one program would report duplicates
    c = LspClient([*policyc_command(), "lsp"], env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    try:
        c.initialize(root, {"programRoots": ["a", "b"], "debounceMs": 0})
        uri = c.open(root / "a" / "teams.policy")
        assert _errors(c.diagnostics(uri, 1)) == []
    finally:
        assert c.close() == 0
    c = LspClient([*policyc_command(), "lsp"], env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    try:
        c.initialize(root)
        c.open(root / "a" / "teams.policy")
        # One program: b/ declares everything a second time (reported at the second declaration).
        diags = c.diagnostics((root / "b" / "roles.policy").as_uri())
        assert {d["code"] for d in diags} == {"PC110"}
    finally:
        assert c.close() == 0


def test_shutdown_and_exit(tmp_path: Path, program: Path) -> None:
    c = LspClient([*policyc_command(), "lsp"], env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    c.initialize(program)
    assert c.request("shutdown") is None
    c.notify("exit")
    assert c.proc.wait(timeout=10) == 0


def test_a_burst_of_changes_is_coalesced(client: LspClient, program: Path) -> None:
    uri = client.open(program / "teams.policy")
    _errors(client.diagnostics(uri, 1))
    client.discard()
    texts = {}
    for version in range(2, 7):
        texts[version] = TEAMS.replace("pod-reader in apps", f"role{version} in apps")
        client.change(uri, texts[version], version)
    [d] = _errors(client.diagnostics(uri, 6))  # the last version is always analysed
    assert d["message"].startswith("undefined role `role6`")
    client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}})
    seen = [n["params"]["version"] for n in client.notifications("textDocument/publishDiagnostics")
            if n["params"]["uri"] == uri]
    assert len(seen) < 4, f"five changes sent at once were analysed {len(seen) + 1} times"


def test_related_information_follows_an_edit_of_the_file_it_points_into(client: LspClient, program: Path) -> None:
    # The server keeps each file's converted diagnostics while what they are made of is the same
    # (policyc/lsp/server.py `publish`): the text of a file a label points into is part of that.
    guarded = ROLES + "forbid create deployments.apps for user alice\n"
    roles_uri = client.open(program / "roles.policy", guarded)
    teams_uri = client.open(program / "teams.policy")

    def guard_labels(version: int) -> list[dict]:
        diags = [d for d in client.diagnostics(roles_uri, version) if d["code"] == "PC301"]
        assert len(diags) == 1, diags
        return [r["location"] for r in diags[0]["relatedInformation"]]

    assert guard_labels(1) == [{"uri": teams_uri, "range": _range(TEAMS, "grant role edit in apps")}]
    for version, text in enumerate(["# one line more\n" + TEAMS, "#\n#\n#\n" + TEAMS, TEAMS], start=2):
        client.discard()
        client.change(teams_uri, text, version)
        client.diagnostics(teams_uri, version)
        client.discard()
        client.change(roles_uri, guarded + f"# {version}\n", version)
        assert guard_labels(version) == [{"uri": teams_uri, "range": _range(text, "grant role edit in apps")}]

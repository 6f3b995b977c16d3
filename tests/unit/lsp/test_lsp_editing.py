"""The language server as an editor meets it (issue 20): the real `policyc lsp` over stdio.

- every diagnostic `policyc check` reports, per file (access lints and CIS warnings included);
- completion, hover and definition while the document does not parse (always, while typing),
  from the file's last good parse;
- rename of roles, teams, namespaces and service accounts across files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_client import LspClient, ServerError
from lsp_fixture import ROLES, TEAMS, at, write_program

from conftest import REPO, policyc_command

ORG = REPO / "docs" / "examples" / "org"
SEVERITY = {1: "error", 2: "warning", 3: "note"}


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    clients: list[LspClient] = []

    def run(root: Path) -> LspClient:
        c = LspClient([*policyc_command(), "lsp"], env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
        clients.append(c)
        c.initialize(root, {"debounceMs": 20})
        return c

    yield run
    for c in clients:
        assert c.close() == 0, c.stderr()


def _pos(text: str, needle: str, nth: int = 0, delta: int = 1) -> dict:
    line, character = at(text, needle, nth, delta)
    return {"line": line, "character": character}


# -- diagnostics: what `policyc check` reports -------------------------------------------------


def test_diagnostics_are_those_of_check_on_the_org_example(tmp_path: Path, start) -> None:
    root = tmp_path / "org"
    shutil.copytree(ORG, root)
    # Run from the folder: `check` names files relative to the working directory, as the server does per file.
    r = subprocess.run([*policyc_command(), "check", ".", "--format", "json"], capture_output=True, text=True,
                       timeout=120, cwd=root)
    expected: dict[str, Counter] = {}
    for d in json.loads(r.stdout)["diagnostics"]:
        expected.setdefault(d["file"], Counter())[(d["code"], d["severity"], d["line"])] += 1
    # PC504 line 20; PC512 lines 7 and 14 (`edit` allows exec, and `get pods/exec` on 1.30)
    assert sum(n for (_, sev, _), n in expected["teams.policy"].items() if sev == "warning") == 14

    client = start(root)
    got: dict[str, Counter] = {}
    for name in sorted(expected):
        uri = client.open(root / name)
        diags = client.diagnostics(uri, 1)
        got[name] = Counter((d["code"], SEVERITY[d["severity"]], d["range"]["start"]["line"] + 1) for d in diags)
        if name == "teams.policy":
            cis = [d for d in diags if d["code"] in ("PC502", "PC504", "PC506", "PC511")]
            # The CIS control, cited with its benchmark version as `check` prints it: [CIS 1.11 5.1.2]
            assert len(cis) == 9 and all(re.search(r"\[CIS [\d.]+ 5\.1\.\d+\]", d["message"]) for d in cis)
    assert got == expected


# -- names while the document does not parse -------------------------------------------------

ONE = """\
kubernetes 1.30

role pod-reader {
  get, watch, list pods
}

team web {
  members user alice
}

namespace apps {
  grant role pod-reader to team web
}
"""


def _labels(result: dict) -> set[str]:
    return {i["label"] for i in result["items"]}


def test_completion_after_grant_role_offers_the_roles_of_the_unparsable_document(tmp_path: Path, start) -> None:
    root = tmp_path / "one"
    root.mkdir()
    (root / "main.policy").write_text(ONE)
    client = start(root)
    uri = client.open(root / "main.policy")
    client.diagnostics(uri, 1)
    grant = "  grant role pod-reader to team web\n"
    typing = ONE.replace(grant, grant + "  grant role \n")
    client.change(uri, typing, 2)
    [d] = client.diagnostics(uri, 2)
    assert d["code"] == "PC001"  # the document does not parse ...
    items = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                        "position": _pos(typing, "grant role \n", delta=11)})
    labels = _labels(items)
    assert "pod-reader" in labels  # ... and its own role is offered, from its last good parse
    assert {"edit", "view", "cluster-admin"} <= labels
    declared = next(i for i in items["items"] if i["label"] == "pod-reader")
    assert declared["detail"] == "declared role"


def test_a_document_opened_broken_uses_the_names_of_the_file_on_disk(tmp_path: Path, start) -> None:
    root = tmp_path / "one"
    root.mkdir()
    (root / "main.policy").write_text(ONE)
    client = start(root)
    typing = ONE.replace("team web {", "team web {\n  grant role ")
    uri = client.open(root / "main.policy", typing)
    assert [d["code"] for d in client.diagnostics(uri, 1)] == ["PC001"]
    items = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                        "position": _pos(typing, "grant role ", delta=11)})
    assert "pod-reader" in _labels(items)


def test_hover_and_definition_in_an_unparsable_document_follow_the_edit(tmp_path: Path, start) -> None:
    root = tmp_path / "one"
    root.mkdir()
    (root / "main.policy").write_text(ONE)
    client = start(root)
    uri = client.open(root / "main.policy")
    client.diagnostics(uri, 1)
    # Two lines typed above the role: every name below them moved down two lines.
    typing = ONE.replace("role pod-reader {", "grant get pods to\nteam \nrole pod-reader {")
    client.change(uri, typing, 2)
    assert [d["code"] for d in client.diagnostics(uri, 2)] == ["PC001"]
    where = _pos(typing, "grant role pod-reader", delta=12)
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": where})
    assert "**role** `pod-reader`: a ClusterRole" in hover["contents"]["value"]
    assert "list" in hover["contents"]["value"]
    line, character = at(typing, "pod-reader", 1)
    assert hover["range"] == {"start": {"line": line, "character": character},
                              "end": {"line": line, "character": character + len("pod-reader")}}
    [loc] = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": where})
    line, character = at(typing, "pod-reader {")
    assert loc["range"]["start"] == {"line": line, "character": character}
    # A name inside the edited text has no last good parse: no answer rather than a wrong one.
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": _pos(typing, "team \n", delta=1)}) is None


# -- rename across files ---------------------------------------------------------------------


def _apply(text: str, edits: list[dict]) -> str:
    """The text with LSP TextEdits made (ASCII text: characters are UTF-16 units)."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def offset(p: dict) -> int:
        return starts[p["line"]] + p["character"]

    for e in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[: offset(e["range"]["start"])] + e["newText"] + text[offset(e["range"]["end"]) :]
    return text


@pytest.fixture
def two(tmp_path: Path, start) -> tuple[LspClient, Path, dict[str, str]]:
    root = write_program(tmp_path / "workspace")
    client = start(root)
    uris = {}
    for name in ("roles.policy", "teams.policy"):
        uris[name] = client.open(root / name)
        client.diagnostics(uris[name], 1)
    return client, root, uris


def _rename(client: LspClient, uri: str, text: str, needle: str, new_name: str, nth: int = 0) -> dict[str, str]:
    """Rename at `needle` and return the new text of each edited file (by file name)."""
    result = client.request("textDocument/rename", {"textDocument": {"uri": uri},
                                                    "position": _pos(text, needle, nth),
                                                    "newName": new_name})
    texts = {"roles.policy": ROLES, "teams.policy": TEAMS}
    out = {}
    for edit_uri, edits in result["changes"].items():
        name = edit_uri.rsplit("/", 1)[1]
        out[name] = _apply(texts[name], edits)
    return out


def _compiles(root: Path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        (root / name).write_text(text)
    r = subprocess.run([*policyc_command(), "check", str(root)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "\n0 errors" in "\n" + r.stderr, r.stderr


def test_rename_a_role_from_a_reference_in_another_file(two) -> None:
    client, root, uris = two
    caps_range = client.request("textDocument/prepareRename", {"textDocument": {"uri": uris["teams.policy"]},
                                                                "position": _pos(TEAMS, "pod-reader")})
    assert caps_range == {"range": {"start": {"line": 2, "character": 13}, "end": {"line": 2, "character": 23}},
                          "placeholder": "pod-reader"}
    out = _rename(client, uris["teams.policy"], TEAMS, "pod-reader", "pod-viewer")
    assert out == {
        "roles.policy": ROLES.replace("pod-reader", "pod-viewer"),
        "teams.policy": TEAMS.replace("pod-reader", "pod-viewer"),
    }
    _compiles(root, out)


def test_rename_a_namespace_everywhere_it_is_written(two) -> None:
    client, root, uris = two
    out = _rename(client, uris["teams.policy"], TEAMS, "apps {", "shop")
    assert out == {
        "roles.policy": ROLES.replace("in apps", "in shop"),
        "teams.policy": TEAMS.replace("apps", "shop"),
    }
    _compiles(root, out)


def test_rename_a_team_and_a_service_account(two) -> None:
    client, root, uris = two
    out = _rename(client, uris["teams.policy"], TEAMS, "web\n", "frontend")
    assert out == {"teams.policy": TEAMS.replace("web", "frontend")}
    out = _rename(client, uris["teams.policy"], TEAMS, "ci\n", "deployer")
    assert out == {"teams.policy": TEAMS.replace("apps/ci", "apps/deployer")}


def test_a_quoted_name_stays_quoted_and_a_new_one_is_quoted_when_it_must_be(tmp_path: Path, start) -> None:
    root = tmp_path / "q"
    root.mkdir()
    text = 'team "web team" {\n  members user alice\n}\n\nnamespace apps {\n  grant role view to team "web team"\n}\n'
    (root / "main.policy").write_text(text)
    client = start(root)
    uri = client.open(root / "main.policy")
    client.diagnostics(uri, 1)
    result = client.request("textDocument/rename", {"textDocument": {"uri": uri},
                                                    "position": _pos(text, "web team", 1),
                                                    "newName": "front end"})
    assert _apply(text, result["changes"][uri]) == text.replace('"web team"', '"front end"')


@pytest.mark.parametrize(("file", "needle", "new_name", "reason"), [
    ("teams.policy", "edit in", "my-edit", "`edit` is a built-in ClusterRole"),
    ("roles.policy", "pod-reader {", "deployer", "a role `deployer` is already declared at roles.policy:7:6"),
    ("teams.policy", "apps {", "Apps_1", "`Apps_1` is not a valid namespace name"),
    ("teams.policy", "alice", "bob", "a user cannot be renamed"),
    ("teams.policy", "web {", "a\nb", "the new name is empty or spans lines"),
    ("roles.policy", "pod-reader {", "edit", "is a built-in ClusterRole (PC111)"),
])
def test_a_rename_that_would_change_the_policy_is_refused(two, file: str, needle: str, new_name: str,
                                                          reason: str) -> None:
    client, _, uris = two
    text = {"roles.policy": ROLES, "teams.policy": TEAMS}[file]
    with pytest.raises(ServerError) as info:
        client.request("textDocument/rename", {"textDocument": {"uri": uris[file]},
                                               "position": _pos(text, needle, delta=2), "newName": new_name})
    assert reason in str(info.value)
    assert "-32803" in str(info.value)


def test_no_rename_while_a_file_does_not_parse(two) -> None:
    client, _, uris = two
    broken = ROLES + "grant role \n"
    client.change(uris["roles.policy"], broken, 2)
    client.diagnostics(uris["roles.policy"], 2)
    with pytest.raises(ServerError, match="`roles.policy` does not parse"):
        client.request("textDocument/rename", {"textDocument": {"uri": uris["teams.policy"]},
                                               "position": _pos(TEAMS, "web"), "newName": "frontend"})


def test_no_rename_of_a_role_whose_reference_also_names_another_role(tmp_path: Path, start) -> None:
    root = tmp_path / "two-roles"
    root.mkdir()
    text = ("role x {\n  get pods\n}\n\nrole x in a {\n  list pods\n}\n\n"
            "grant role x to user u in a, b\n")
    (root / "main.policy").write_text(text)
    client = start(root)
    uri = client.open(root / "main.policy")
    client.diagnostics(uri, 1)
    with pytest.raises(ServerError, match=r"main.policy:9:12 also names the Role `x` in namespace `a`"):
        client.request("textDocument/rename", {"textDocument": {"uri": uri},
                                               "position": _pos(text, "x {"), "newName": "y"})


def test_renaming_a_namespace_rewrites_quoted_service_accounts(tmp_path: Path, start) -> None:
    root = tmp_path / "sa"
    root.mkdir()
    text = 'serviceaccount "apps/ci"\n\nnamespace apps {\n  grant role view to serviceaccount apps/ci\n}\n'
    (root / "main.policy").write_text(text)
    client = start(root)
    uri = client.open(root / "main.policy")
    client.diagnostics(uri, 1)
    result = client.request("textDocument/rename", {"textDocument": {"uri": uri},
                                                    "position": _pos(text, "apps {"), "newName": "shop"})
    assert _apply(text, result["changes"][uri]) == (
        "serviceaccount shop/ci\n\nnamespace shop {\n  grant role view to serviceaccount shop/ci\n}\n"
    )


def test_the_outline_stays_while_the_document_does_not_parse(tmp_path: Path, start) -> None:
    root = tmp_path / "one"
    root.mkdir()
    (root / "main.policy").write_text(ONE)
    client = start(root)
    uri = client.open(root / "main.policy")
    client.diagnostics(uri, 1)
    before = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    typing = "grant role \n" + ONE  # one line typed above everything
    client.change(uri, typing, 2)
    assert [d["code"] for d in client.diagnostics(uri, 2)] == ["PC001"]
    after = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in after] == [s["name"] for s in before]

    def lines(symbols: list[dict]) -> list[int]:
        return [s["selectionRange"]["start"]["line"] for s in symbols]

    assert lines(after) == [n + 1 for n in lines(before)]  # every declaration one line down

"""The language server as an editor meets it (issue 20): the real `policyc lsp` over stdio.

- every diagnostic `policyc check` reports, per file (access lints and CIS warnings included);
- completion, hover and definition while the document does not parse (always, while typing),
  from the file's last good parse;
- rename of roles, teams, namespaces and service accounts across files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_fixture import at

from conftest import REPO, policyc_command
from policyc.lsp.client import LspClient

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
    r = subprocess.run([*policyc_command(), "check", str(root), "--format", "json"], capture_output=True, text=True,
                       timeout=120)
    expected: dict[str, Counter] = {}
    for d in json.loads(r.stdout)["diagnostics"]:
        expected.setdefault(d["file"], Counter())[(d["code"], d["severity"], d["line"])] += 1
    assert sum(n for (_, sev, _), n in expected["teams.policy"].items() if sev == "warning") == 11

    client = start(root)
    got: dict[str, Counter] = {}
    for name in sorted(expected):
        uri = client.open(root / name)
        diags = client.diagnostics(uri, 1)
        got[name] = Counter((d["code"], SEVERITY[d["severity"]], d["range"]["start"]["line"] + 1) for d in diags)
        if name == "teams.policy":
            cis = [d for d in diags if d["code"] in ("PC502", "PC504", "PC506", "PC511")]
            assert len(cis) == 8 and all("[CIS 5.1." in d["message"] for d in cis)
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
    typing = ONE.replace("  grant role pod-reader to team web\n", "  grant role pod-reader to team web\n  grant role \n")
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

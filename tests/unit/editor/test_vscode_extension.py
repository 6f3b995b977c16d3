"""The VS Code package: manifest, language configuration, TextMate grammar and client script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import REPO
from policyc.syntax.tokens import keyword_terminals

VSCODE = REPO / "editors" / "vscode"
PACKAGE = json.loads((VSCODE / "package.json").read_text())
GRAMMAR = json.loads((VSCODE / "syntaxes" / "policy.tmLanguage.json").read_text())
CONFIG = json.loads((VSCODE / "language-configuration.json").read_text())


def test_manifest_declares_the_language_grammar_and_client() -> None:
    [language] = PACKAGE["contributes"]["languages"]
    assert (language["id"], language["extensions"]) == ("policy", [".policy"])
    assert (VSCODE / language["configuration"]).is_file()
    [grammar] = PACKAGE["contributes"]["grammars"]
    assert grammar["language"] == "policy" and grammar["scopeName"] == GRAMMAR["scopeName"]
    assert (VSCODE / grammar["path"]).is_file()
    assert (VSCODE / PACKAGE["main"]).is_file()
    assert "vscode-languageclient" in PACKAGE["dependencies"]


def test_language_configuration() -> None:
    assert CONFIG["comments"] == {"lineComment": "#"}
    assert CONFIG["brackets"] == [["{", "}"]]
    word = re.compile(CONFIG["wordPattern"])
    for text in ("jack@test.com", "deployments.apps/scale", "oidc:payments-devs", '"a b"'):
        assert word.fullmatch(text), text


def test_client_starts_policyc_lsp() -> None:
    script = (VSCODE / "extension.js").read_text()
    assert 'args: ["lsp"]' in script
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    r = subprocess.run([node, "--check", str(VSCODE / "extension.js")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def _patterns() -> list[tuple[str, dict]]:
    repo = GRAMMAR["repository"]
    out = []
    for inc in GRAMMAR["patterns"]:
        rule = repo[inc["include"][1:]]
        for sub in rule.get("patterns", [rule]) if "match" not in rule and "begin" not in rule else [rule]:
            out.append((inc["include"][1:], sub))
    return out


def test_grammar_regexes_compile() -> None:
    for _, rule in _patterns():
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])


def _keywords_in_grammar() -> set[str]:
    repo = GRAMMAR["repository"]
    words: set[str] = set()
    for name in ("keyword", "subject", "declaration"):
        alternation = re.search(r"\(([a-z|-]+)\)", repo[name]["match"])
        assert alternation is not None
        words |= set(alternation.group(1).split("|"))
    return words


def test_grammar_knows_every_keyword_of_policy_lark() -> None:
    assert _keywords_in_grammar() == set(keyword_terminals().values())


def _scopes(line: str) -> list[tuple[str, str]]:
    """(text, scope) pieces of one line: TextMate's rule (earliest match, first pattern wins)."""
    out, pos = [], 0
    rules = _patterns()
    while pos < len(line):
        best = None
        for _, rule in rules:
            m = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        end = m.end()
        if "begin" in rule:
            close = re.compile(rule["end"]).search(line, end)
            end = close.end() if close else len(line)
        if "captures" in rule and "match" in rule and "1" in rule["captures"] and "2" in rule["captures"]:
            out += [(m.group(1), rule["captures"]["1"]["name"]), (m.group(2), rule["captures"]["2"]["name"])]
        else:
            out.append((line[m.start() : end], rule.get("name", "")))
        pos = end
    return out


HIGHLIGHTS = [
    ("role pod-reader {", [("role", "keyword.other.declaration.policy"), ("pod-reader", "entity.name.type.policy"),
                           ("{", "punctuation.section.block.policy")]),
    ("grant role view to team team-a in team-a", [
        ("grant", "keyword.other.policy"), ("role", "keyword.other.policy"), ("to", "keyword.other.policy"),
        ("team", "storage.type.subject.policy"), ("in", "keyword.other.policy")]),
    ('user "a # b" auth oidc # why', [
        ("user", "keyword.other.declaration.policy"), ('"a # b"', "entity.name.type.policy"),
        ("auth", "keyword.other.policy"), ("# why", "comment.line.number-sign.policy")]),
    ("  container max memory 1Gi, cpu 500m", [
        ("1Gi", "constant.numeric.policy"), (",", "punctuation.separator.comma.policy"),
        ("500m", "constant.numeric.policy")]),
    ("  get /healthz, /readyz", [
        ("/healthz", "string.unquoted.url.policy"), (",", "punctuation.separator.comma.policy"),
        ("/readyz", "string.unquoted.url.policy")]),
]


@pytest.mark.parametrize(("line", "expected"), HIGHLIGHTS, ids=[h[0] for h in HIGHLIGHTS])
def test_highlighting(line: str, expected: list[tuple[str, str]]) -> None:
    assert _scopes(line) == expected

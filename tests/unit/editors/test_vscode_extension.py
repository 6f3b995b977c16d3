"""The VS Code package: manifest, language configuration, TextMate grammar and client script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

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
    assert "vscode-languageclient" in PACKAGE["dependencies"]
    # The client is bundled (esbuild) into dist/, which `vsce package` builds first.
    assert PACKAGE["main"] == "./dist/extension.js"
    assert "--outfile=dist/extension.js" in PACKAGE["scripts"]["bundle"]
    assert PACKAGE["scripts"]["vscode:prepublish"] == "npm run bundle"


def test_manifest_names_its_repository_and_license() -> None:
    assert PACKAGE["repository"]["type"] == "git" and PACKAGE["repository"]["url"]
    pyproject = (REPO / "pyproject.toml").read_text()
    assert PACKAGE["license"] == "Apache-2.0" and 'license = { text = "Apache-2.0" }' in pyproject
    text = (VSCODE / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_package_ships_only_the_bundle_grammar_and_docs() -> None:
    ignore = (VSCODE / ".vscodeignore").read_text().split("\n")
    assert "**" in ignore  # everything is left out unless named
    kept = {line[1:] for line in ignore if line.startswith("!")}
    assert kept == {"dist/extension.js", "syntaxes/policy.tmLanguage.json", "language-configuration.json",
                    "README.md", "LICENSE", "package.json"}
    assert "node_modules/" in (VSCODE / ".gitignore").read_text().split("\n")


def test_vsce_packages_the_bundled_extension(tmp_path: Path) -> None:
    """`vsce package` (offline): the .vsix holds the bundle and no sources, node_modules or git files,
    and the bundle loads under node with a stand-in `vscode` module."""
    npx = shutil.which("npx")
    if npx is None or not (VSCODE / "node_modules" / "@vscode" / "vsce").is_dir():
        pytest.skip("@vscode/vsce is not installed: run `npm install` in editors/vscode")
    vsix = tmp_path / "policyc.vsix"
    r = subprocess.run([npx, "vsce", "package", "--no-dependencies", "-o", str(vsix)], cwd=VSCODE,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stdout + r.stderr
    with zipfile.ZipFile(vsix) as z:
        files = {n for n in z.namelist() if n.startswith("extension/")}
    assert files == {"extension/package.json", "extension/readme.md", "extension/LICENSE.txt",
                     "extension/language-configuration.json", "extension/syntaxes/policy.tmLanguage.json",
                     "extension/dist/extension.js"}
    stub = (
        "const Module = require('module'); const load = Module._load;"
        "const vscode = new Proxy({}, { get: (t, k) => (t[k] ??= class {}) });"  # every API a constructor
        "Module._load = function (name, ...rest) {"
        "  return name === 'vscode' ? vscode : load.call(this, name, ...rest); };"
        f"const ext = require({json.dumps(str(VSCODE / 'dist' / 'extension.js'))});"
        "if (typeof ext.activate !== 'function' || typeof ext.deactivate !== 'function') process.exit(3);"
    )
    r = subprocess.run(["node", "-e", stub], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]


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


def _all_rules(rule: dict) -> list[dict]:
    """A grammar rule and every rule nested in it (patterns, captures)."""
    out = [rule]
    for sub in rule.get("patterns", []):
        out += _all_rules(sub)
    for key in ("captures", "beginCaptures", "endCaptures"):
        for cap in rule.get(key, {}).values():
            out += _all_rules(cap)
    return out


RULES = [r for top in GRAMMAR["repository"].values() for r in _all_rules(top)]


def test_grammar_regexes_compile() -> None:
    for rule in RULES:
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])


def test_grammar_knows_every_keyword_of_policy_lark() -> None:
    """Each keyword of grammar/policy.lark is in an alternation of a keyword or subject scope."""
    words: set[str] = set()
    for rule in RULES:
        names = [rule.get("name", "")] + [c.get("name", "") for c in rule.get("captures", {}).values()]
        names += [c.get("name", "") for c in rule.get("beginCaptures", {}).values()]
        if any(n.startswith(("keyword.other.policy", "keyword.other.declaration", "storage.type.subject"))
               for n in names):
            for alternation in re.findall(r"\(([a-z|-]+)\)", rule.get("match", "") + rule.get("begin", "")):
                words |= set(alternation.split("|"))
    assert set(keyword_terminals().values()) <= words


# -- highlighting, by VS Code's own TextMate engine ---------------------------------------------

DOCUMENT = """\
kubernetes 1.30

cluster {
  authorization Node, RBAC
  authentication {
    anonymous no
    oidc issuer https://login.example.com client-id k8s groups-claim groups
  }
}

user alice auth oidc groups devs, ops
user bob auth certificate expires 90d

role list {
  get, list, watch pods
  read deployments.apps
  get /healthz # why
}

role agg aggregates list

pod-security-policy hardened {
  base restricted
  privileged no
  host-network no, host-pid no
}

team web {
  members user alice, group devs
  grant role list in apps
  grant read, write pods in apps
}

namespace apps {
  pod-security enforce restricted, warn baseline
  limits {
    container max memory 1Gi, cpu 500m
    pod default-request cpu 100m
  }
  quota pods 20
}

forbid impersonate users for everyone except team web
user "a # b" auth oidc # comment
"""

VERB, SETTING, LEVEL, KEYWORD = (
    "support.function.verb.policy", "keyword.other.setting.policy", "constant.language.level.policy",
    "keyword.other.policy",
)
PLAIN = "source.policy"
# (line as written, word, nth occurrence of the word in the line, innermost scope)
HIGHLIGHTS = [
    ("    oidc issuer https://login.example.com client-id k8s groups-claim groups", "groups-claim", 0,
     "variable.parameter.option.policy"),
    ("    oidc issuer https://login.example.com client-id k8s groups-claim groups", "groups", 0, PLAIN),
    ("user alice auth oidc groups devs, ops", "groups", 0, KEYWORD),
    ("user alice auth oidc groups devs, ops", "oidc", 0, "constant.language.auth.policy"),
    ("user bob auth certificate expires 90d", "expires", 0, "variable.parameter.option.policy"),
    ("    anonymous no", "anonymous", 0, SETTING),
    ("    anonymous no", "no", 0, "constant.language.boolean.policy"),
    ("    oidc issuer https://login.example.com client-id k8s groups-claim groups", "oidc", 0, SETTING),
    ("role list {", "list", 0, "entity.name.type.policy"),
    ("  get, list, watch pods", "get", 0, VERB),
    ("  get, list, watch pods", "list", 0, VERB),
    ("  get, list, watch pods", "watch", 0, VERB),
    ("  get, list, watch pods", "pods", 0, PLAIN),
    ("  read deployments.apps", "read", 0, VERB),
    ("  get /healthz # why", "/healthz", 0, "string.unquoted.url.policy"),
    ("  get /healthz # why", "why", 0, "comment.line.number-sign.policy"),
    ("role agg aggregates list", "aggregates", 0, KEYWORD),
    ("role agg aggregates list", "list", 0, PLAIN),
    ("  base restricted", "base", 0, SETTING),
    ("  base restricted", "restricted", 0, LEVEL),
    ("  privileged no", "privileged", 0, SETTING),
    ("  host-network no, host-pid no", "host-pid", 0, SETTING),
    ("  host-network no, host-pid no", "no", 1, "constant.language.boolean.policy"),
    ("  members user alice, group devs", "members", 0, KEYWORD),
    ("  members user alice, group devs", "group", 0, "storage.type.subject.policy"),
    ("  grant role list in apps", "list", 0, PLAIN),
    ("  grant read, write pods in apps", "grant", 0, KEYWORD),
    ("  grant read, write pods in apps", "write", 0, VERB),
    ("  grant read, write pods in apps", "in", 0, KEYWORD),
    ("  pod-security enforce restricted, warn baseline", "enforce", 0, "keyword.other.mode.policy"),
    ("  pod-security enforce restricted, warn baseline", "restricted", 0, LEVEL),
    ("  pod-security enforce restricted, warn baseline", "baseline", 0, LEVEL),
    ("    container max memory 1Gi, cpu 500m", "container", 0, SETTING),
    ("    container max memory 1Gi, cpu 500m", "max", 0, SETTING),
    ("    container max memory 1Gi, cpu 500m", "1Gi", 0, "constant.numeric.policy"),
    ("    pod default-request cpu 100m", "default-request", 0, SETTING),
    ("  quota pods 20", "20", 0, "constant.numeric.policy"),
    ("forbid impersonate users for everyone except team web", "impersonate", 0, VERB),
    ("forbid impersonate users for everyone except team web", "except", 0, KEYWORD),
    ('user "a # b" auth oidc # comment', '"a # b"', 0, "entity.name.type.policy"),
    ('user "a # b" auth oidc # comment', "comment", 0, "comment.line.number-sign.policy"),
]


@pytest.fixture(scope="module")
def tokens() -> list[list[tuple[str, list[str]]]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TextMate grammar is checked by VS Code's engine under node")
    if not (VSCODE / "node_modules" / "vscode-textmate").is_dir():
        pytest.skip("vscode-textmate is not installed: run `npm install` in editors/vscode")
    r = subprocess.run([node, str(Path(__file__).with_name("tm_tokenize.js")), str(VSCODE)], input=DOCUMENT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _scope(tokens: list, line_text: str, word: str, nth: int) -> str:
    line_no = DOCUMENT.split("\n").index(line_text)
    # Tokens may carry blanks around a word (`" devs"`): match on the stripped text.
    found = [scopes for text, scopes in tokens[line_no] if text.strip() == word]
    assert len(found) > nth, (word, tokens[line_no])
    return found[nth][-1]


@pytest.mark.parametrize(("line", "word", "nth", "scope"), HIGHLIGHTS, ids=[f"{h[1]}-{h[3]}" for h in HIGHLIGHTS])
def test_highlighting(tokens: list, line: str, word: str, nth: int, scope: str) -> None:
    assert _scope(tokens, line, word, nth) == scope


def _words_scoped(scope: str) -> set[str]:
    """The words of every alternation in a rule that gives `scope` (itself or in a capture)."""
    words: set[str] = set()
    for rule in RULES:
        names = {rule.get("name", "")}
        for key in ("captures", "beginCaptures"):
            names |= {c.get("name", "") for c in rule.get(key, {}).values()}
        if scope in names:
            for alternation in re.findall(r"\(([a-z|-]+)\)", rule.get("match", "") + rule.get("begin", "")):
                words |= set(alternation.split("|"))
    return words


def test_grammar_settings_are_the_compilers() -> None:
    """The block settings and options the grammar colours are the ones the checks accept."""
    from policyc.check import authn, profiles
    from policyc.k8s import limitrange as lr
    from policyc.k8s.rules import VERB_ALIASES

    assert _words_scoped("keyword.other.setting.policy") == (
        set(authn.METHODS) | set(profiles.KEYS) | set(lr.LIMIT_TYPES) | set(lr.LIMIT_KINDS)
    )
    options = {o for method in authn.METHODS.values() for o in method} | set(authn._ALIASES)
    assert _words_scoped("variable.parameter.option.policy") == options | set(authn.USER_OPTIONS)
    verbs = re.search(r"\(\?:([a-z|]+)\|\\\*\)", GRAMMAR["repository"]["verb"]["match"]).group(1).split("|")
    standard = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
    assert set(VERB_ALIASES) | standard | {"impersonate", "bind", "escalate", "use"} <= set(verbs)

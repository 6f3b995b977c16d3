"""Access lints (PC5xx with CIS ids), inline suppression, and the CI output formats."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO
from helpers import underlined
from policyc.output.sarif import render_github, to_sarif
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


def lint(text: str):
    return compile_sources([SourceFile("test.policy", text)], lints=True)


CASES = [
    # (id, policy, code, cis, underlined, message part)
    ("cluster-admin", "grant role cluster-admin to group ops in cluster\n", "PC501", "5.1.1",
     "grant role cluster-admin to group ops in cluster", "gives every permission cluster-wide"),
    ("secrets-builtin", "grant role edit to group dev in app\n", "PC502", "5.1.2",
     "grant role edit to group dev in app", "allows reading secrets in namespace `app`"),
    ("wildcard", "role r {\n  get *.apps\n}\ngrant role r to group g in a\n", "PC503", "5.1.3", "*.apps",
     "wildcard `*.apps`"),
    ("create-pods", "grant create pods to user bob in dev\n", "PC504", "5.1.4",
     "grant create pods to user bob in dev", "allows creating pods"),
    ("default-sa", "grant role view to serviceaccount app/default in app\n", "PC505", "5.1.5",
     "grant role view to serviceaccount app/default in app", "`default` service account of `app`"),
    ("impersonate", "grant impersonate users to group g in cluster\n", "PC506", "5.1.8",
     "grant impersonate users to group g in cluster", "allows `impersonate` cluster-wide"),
    ("pv", "grant create persistentvolumes to group g in cluster\n", "PC507", "5.1.9",
     "grant create persistentvolumes to group g in cluster", "persistent volumes"),
    ("nodes-proxy", "grant get nodes/proxy to group g in cluster\n", "PC508", "5.1.10",
     "grant get nodes/proxy to group g in cluster", "nodes/proxy"),
    ("csr", "grant update certificatesigningrequests.certificates.k8s.io/approval to group g in cluster\n",
     "PC509", "5.1.11", "grant update certificatesigningrequests.certificates.k8s.io/approval to group g in cluster",
     "approving certificate signing requests"),
    ("webhooks", "grant patch validatingwebhookconfigurations.admissionregistration.k8s.io to group g in cluster\n",
     "PC510", "5.1.12",
     "grant patch validatingwebhookconfigurations.admissionregistration.k8s.io to group g in cluster",
     "admission webhook configurations"),
    ("token", "grant create serviceaccounts/token to group g in a\n", "PC511", "5.1.13",
     "grant create serviceaccounts/token to group g in a", "service account tokens"),
    ("redundant", "grant role edit to group g in a\ngrant read pods/log to group g in a\n", "PC520", "",
     "grant read pods/log to group g in a", "is redundant"),
    ("unused-role", "role lonely {\n  get pods\n}\n", "PC521", "", "lonely", "role `lonely` is never granted"),
    ("empty-team", "team ghosts {\n  grant role view in a\n}\n", "PC522", "", "ghosts", "team `ghosts` has no members"),
]


@pytest.mark.parametrize(("text", "code", "cis", "under", "part"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lint(text: str, code: str, cis: str, under: str, part: str) -> None:
    r = lint(text)
    found = [d for d in r.diagnostics if d.code == code]
    assert found, [(d.code, d.message) for d in r.diagnostics]
    d = found[0]
    assert not d.is_error and d.cis == cis and part in d.message and d.help
    assert underlined(r, d) == under


def test_lints_are_quiet_on_a_tidy_policy() -> None:
    text = "role r {\n  get pods\n}\nteam t {\n  members user a\n  grant role r in a\n}\n"
    assert lint(text).diagnostics == []


def test_redundancy_reports_the_later_of_two_equal_grants_and_names_the_other() -> None:
    r = lint("grant get pods to group g in a\ngrant get pods to group g in a, b\n")
    (d,) = [d for d in r.diagnostics if d.code == "PC520"]
    assert d.span.line == 1  # the grant in `a` alone is covered by the one in `a, b`
    assert [lb.span.line for lb in d.labels] == [2]


def test_lints_run_only_when_asked() -> None:
    text = "grant role cluster-admin to group ops in cluster\n"
    assert compile_sources([SourceFile("t.policy", text)]).diagnostics == []
    assert [d.code for d in lint(text).diagnostics] == ["PC501"]


def test_suppression_needs_the_code_and_a_reason() -> None:
    base = "grant role cluster-admin to group ops in cluster\n"
    ok = lint("# policyc: allow PC501 break-glass group, audited\n" + base)
    assert ok.diagnostics == [] and [d.code for d in ok.suppressed] == ["PC501"]
    other = lint("# policyc: allow PC502 not this one\n" + base)
    assert [d.code for d in other.diagnostics] == ["PC501"]
    bare = lint("# policyc: allow PC501\n" + base)
    assert sorted(d.code for d in bare.diagnostics) == ["PC501", "PC530"]
    stacked = lint("# policyc: allow PC501, PC504 reviewed in OPS-12\n# another comment\n" + base)
    assert stacked.diagnostics == []


def test_errors_are_never_suppressed() -> None:
    text = "# policyc: allow PC301 please\ngrant role edit to group g in a\nforbid create pods for group g\n"
    r = lint(text.replace("grant role edit to group g in a\nforbid", "forbid"))
    assert r.ok
    r = lint("grant role edit to group g in a\n# policyc: allow PC301 please\nforbid create pods for group g\n")
    assert [d.code for d in r.diagnostics if d.is_error] == ["PC301"]


def test_deny_warnings_ignores_suppressed(policyc: list[str], tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "a.policy").write_text("# policyc: allow PC501 break-glass\n"
                                       "grant role cluster-admin to group ops in cluster\n")
    r = subprocess.run([*policyc, "check", str(tmp_path), "--deny-warnings"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (tmp_path / "a.policy").write_text("grant role cluster-admin to group ops in cluster\n")
    r = subprocess.run([*policyc, "check", str(tmp_path), "--deny-warnings"], capture_output=True, text=True)
    assert r.returncode == 1 and "error[PC501]" in r.stderr


SARIF_POLICY = (
    "# policyc: allow PC501 break-glass group\n"
    "grant role cluster-admin to group ops in cluster\n"
    "grant role edit to group dev in app\n"
    "forbid create pods/exec for group dev\n"
)


def test_sarif_validates_against_the_schema() -> None:
    r = lint(SARIF_POLICY)
    log = to_sarif(r.diagnostics, r.suppressed, "policies", "0.1.0")
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted(rules) and "PC301" in rules and "PC501" in rules
    by_code = {res["ruleId"]: res for res in run["results"]}
    guard = by_code["PC301"]
    assert guard["level"] == "error"
    loc = guard["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "policies/test.policy"
    assert loc["region"] == {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 38}
    assert guard["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert by_code["PC501"]["suppressions"] == [{"kind": "inSource", "justification": "break-glass group"}]
    assert rules[by_code["PC502"]["ruleIndex"]] == "PC502"
    cis = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "PC502")
    assert "CIS-5.1.2" in cis["properties"]["tags"]
    # The descriptor comes from the rule registry; the result names the benchmark of the target release.
    assert cis["shortDescription"]["text"] == "A grant allows get/list/watch secrets (built-in roles included)"
    assert by_code["PC502"]["properties"] == {
        "cis": "CIS 1.12 5.1.2", "cisControl": "5.1.2", "cisBenchmark": "cis-1.12"}
    assert "properties" not in guard


def test_sarif_of_an_empty_run_validates() -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(to_sarif([], []))


def test_github_annotations() -> None:
    r = lint(SARIF_POLICY)
    lines = render_github(r.diagnostics, "policies").splitlines()
    guard = next(line for line in lines if "PC301" in line)
    assert guard.startswith("::error file=policies/test.policy,line=4,endLine=4,col=1,endColumn=38,title=PC301::")
    assert "%0Ahelp: " in guard and "\n" not in guard
    warn = next(line for line in lines if "PC502" in line)
    assert warn.startswith("::warning ") and "title=PC502 (CIS 1.12 5.1.2)::" in warn

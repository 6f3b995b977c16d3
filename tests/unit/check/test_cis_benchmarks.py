"""CIS ids per benchmark version, and policyc held against kube-bench's own checks.

1. The benchmark per release and a control's id per version, written from kube-bench's files
   (cfg/config.yaml `version_mapping`, cfg/<benchmark>/master.yaml and policies.yaml at the commit
   policyc/data/cis/benchmarks.yaml names), independently of that table.
2. The held-out comparison: for each benchmark version, the article's policy (tests/golden/article)
   and variants of it are compiled for a release of that version; the change policyc makes is applied
   with `patch_text` (what `policyc apiserver patch` runs) to kubeadm's kube-apiserver manifest
   (tests/unit/output/fixtures); kube-bench's test of every automated 1.2.x control policyc decides is
   evaluated on the patched command line by `kube_bench_passes` below, a re-implementation of
   kube-bench's check/test.go; and policyc must report the control (a diagnostic carrying that
   benchmark and id) exactly when kube-bench fails it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policyc.backends.apiserver import apiserver_change
from policyc.check.cis_controls import DECIDED_BY, MET, NOT_CHECKED
from policyc.diagnostics import render_json, render_text
from policyc.k8s import apiserver as api
from policyc.k8s import cis
from policyc.k8s.releases import SUPPORTED, format_version
from policyc.output.sarif import to_sarif
from policyc.output.static_pod import patch_text
from policyc.pipeline import compile_sources
from policyc.rules import all_rules
from policyc.source import SourceFile

HERE = Path(__file__).resolve().parent
ARTICLE = HERE.parent.parent / "golden" / "article" / "policy"
FIXTURES = HERE.parent / "output" / "fixtures"  # the stock kube-apiserver manifests

# kube-bench cfg/config.yaml `version_mapping` (commit a73ce378), and cmd/common.go
# mapToBenchmarkVersion's fallback to the nearest older release for 1.35 and later.
KUBE_BENCH_MAPPING = {
    "1.16": "cis-1.6", "1.17": "cis-1.6", "1.18": "cis-1.6",
    "1.19": "cis-1.20", "1.20": "cis-1.20", "1.21": "cis-1.20",
    "1.22": "cis-1.23", "1.23": "cis-1.23", "1.24": "cis-1.24", "1.25": "cis-1.7", "1.26": "cis-1.8",
    "1.27": "cis-1.9", "1.28": "cis-1.10", "1.29": "cis-1.11", "1.30": "cis-1.11", "1.31": "cis-1.11",
    "1.32": "cis-1.12", "1.33": "cis-1.12", "1.34": "cis-1.12",
    "1.35": "cis-1.12", "1.36": "cis-1.12", "1.37": "cis-1.12",
}  # fmt: skip

BENCHMARKS = sorted(set(KUBE_BENCH_MAPPING.values()), key=lambda b: min(
    tuple(map(int, r.split("."))) for r, v in KUBE_BENCH_MAPPING.items() if v == b))


def test_every_supported_release_has_the_benchmark_kube_bench_applies() -> None:
    assert {format_version(r): b for r, b in cis.release_map().items()} == KUBE_BENCH_MAPPING
    assert set(cis.release_map()) == set(SUPPORTED)
    assert list(cis.benchmarks()) == BENCHMARKS


# (code, {benchmark: id}) read off kube-bench's master.yaml / policies.yaml per version; None: no such control.
IDS = [
    ("PC547", {"cis-1.6": "1.2.17", "cis-1.20": "1.2.16", "cis-1.23": "1.2.16", "cis-1.24": "1.2.15",
               "cis-1.7": "1.2.15", "cis-1.8": "1.2.15", "cis-1.9": "1.2.14", "cis-1.10": "1.2.14",
               "cis-1.11": "1.2.14", "cis-1.12": "1.2.14"}),
    ("PC549", {"cis-1.6": "1.2.6", "cis-1.20": "1.2.5", "cis-1.23": "1.2.6", "cis-1.24": "1.2.5",
               "cis-1.7": "1.2.5", "cis-1.8": "1.2.5", "cis-1.9": "1.2.5", "cis-1.10": "1.2.5",
               "cis-1.11": "1.2.5", "cis-1.12": "1.2.5"}),
    ("PC541", {"cis-1.6": "1.2.3", "cis-1.20": "1.2.2", "cis-1.24": "1.2.2", "cis-1.12": "1.2.2"}),
    ("PC553", {"cis-1.6": "1.2.2", "cis-1.20": None}),
    ("PC542", {"cis-1.20": None, "cis-1.23": None, "cis-1.24": None, "cis-1.7": "1.2.3", "cis-1.12": "1.2.3"}),
    ("PC548", {"cis-1.23": "1.2.3", "cis-1.24": "1.2.3", "cis-1.7": None}),
    ("PC543", {"cis-1.6": "1.2.8", "cis-1.20": "1.2.7", "cis-1.23": "1.2.8", "cis-1.24": "1.2.7", "cis-1.12": "1.2.7"}),
    ("PC545", {"cis-1.6": "1.2.10", "cis-1.23": "1.2.10", "cis-1.24": "1.2.9", "cis-1.12": "1.2.9"}),
    ("PC546", {"cis-1.6": "1.2.12", "cis-1.20": "1.2.11", "cis-1.23": "1.2.12", "cis-1.24": "1.2.11"}),
    ("PC432", {"cis-1.6": "1.2.11", "cis-1.23": "1.2.11", "cis-1.24": "1.2.10", "cis-1.12": "1.2.10"}),
    ("PC551", {"cis-1.6": "1.2.16", "cis-1.20": "1.2.15", "cis-1.23": None}),
    ("PC552", {"cis-1.6": "1.2.13", "cis-1.24": "1.2.12", "cis-1.8": "1.2.12", "cis-1.9": None}),
    ("PC131", {"cis-1.6": None, "cis-1.20": "5.1.7", "cis-1.12": "5.1.7"}),
    ("PC506", {"cis-1.6": None, "cis-1.20": "5.1.8", "cis-1.12": "5.1.8"}),
    ("PC507", {"cis-1.24": None, "cis-1.7": "5.1.9", "cis-1.12": "5.1.9"}),
    ("PC511", {"cis-1.24": None, "cis-1.7": "5.1.13", "cis-1.12": "5.1.13"}),
    ("PC501", {b: "5.1.1" for b in BENCHMARKS}),
]


@pytest.mark.parametrize(("code", "ids"), IDS, ids=[c for c, _ in IDS])
def test_ids_per_benchmark_version(code: str, ids: dict[str, str | None]) -> None:
    key = all_rules()[code].cis
    for bench, expected in ids.items():
        control = cis.benchmarks()[bench].control(key)
        assert (control.id if control else None) == expected, bench


def test_every_control_is_checked_met_or_explained() -> None:
    """docs/cis.md's promise: a reason for each control policyc does not check."""
    checked = {r.cis for r in all_rules().values() if r.cis}
    keys = {c.key for b in cis.benchmarks().values() for c in b.controls}
    for key in keys:
        states = [key in checked, key in MET, key in NOT_CHECKED]
        assert sum(states) == 1, key
        assert (key in DECIDED_BY) == (key in checked or key in MET), key
    assert checked | set(MET) | set(NOT_CHECKED) == keys


# ---------------------------------------------------------------------------------------------
# The diagnostic carries the benchmark of its target release, in every output format
# ---------------------------------------------------------------------------------------------

NO_NODE_RESTRICTION = "kubernetes {rel}\ncluster {{\n  admission LimitRanger\n}}\n"


@pytest.mark.parametrize(("rel", "bench", "cid"), [
    ("1.18", "cis-1.6", "1.2.17"), ("1.21", "cis-1.20", "1.2.16"), ("1.23", "cis-1.23", "1.2.16"),
    ("1.24", "cis-1.24", "1.2.15"), ("1.25", "cis-1.7", "1.2.15"), ("1.26", "cis-1.8", "1.2.15"),
    ("1.27", "cis-1.9", "1.2.14"), ("1.28", "cis-1.10", "1.2.14"), ("1.30", "cis-1.11", "1.2.14"),
    ("1.37", "cis-1.12", "1.2.14"),
])
def test_node_restriction_is_cited_in_the_benchmark_of_the_release(rel: str, bench: str, cid: str) -> None:
    result = compile_sources([SourceFile("c.policy", NO_NODE_RESTRICTION.format(rel=rel))])
    d = next(d for d in result.diagnostics if d.code == "PC547")
    assert (d.cis, d.benchmark) == (cid, bench)
    title = f"CIS {bench.removeprefix('cis-')} {cid}"
    assert f"admission plugin `NodeRestriction` is not enabled [{title}]" in render_text([d], result.sources)
    assert '"cis": "' + cid + '",\n      "cis_benchmark": "' + bench + '"' in render_json([d])
    props = to_sarif([d])["runs"][0]["results"][0]["properties"]
    assert props == {"cis": title, "cisControl": cid, "cisBenchmark": bench}


def test_deny_external_ips_on_1_24_is_not_tagged_with_the_opposite_control() -> None:
    """cis-1.24 1.2.3 asks for DenyServiceExternalIPs NOT to be set: PC542 keeps its advice without
    the id and says so; enabling the plugin is the note PC548, tagged with that control."""
    without = compile_sources([SourceFile("c.policy", "kubernetes 1.24\ncluster {\n  admission NodeRestriction\n}\n")])
    pc542 = next(d for d in without.diagnostics if d.code == "PC542")
    assert pc542.cis == "" and pc542.benchmark == ""
    assert "CIS 1.24 1.2.3 (scored) asks for the opposite" in pc542.help
    with_it = compile_sources([SourceFile(
        "c.policy", "kubernetes 1.24\ncluster {\n  admission NodeRestriction, DenyServiceExternalIPs\n}\n")])
    pc548 = next(d for d in with_it.diagnostics if d.code == "PC548")
    assert (pc548.severity.value, pc548.cis, pc548.benchmark) == ("note", "1.2.3", "cis-1.24")
    assert pc548.message == "admission plugin `DenyServiceExternalIPs` is enabled, which the benchmark asks not to be"
    assert "PC542" not in [d.code for d in with_it.diagnostics]
    newer = compile_sources([SourceFile("c.policy", "kubernetes 1.25\ncluster {\n  admission NodeRestriction\n}\n")])
    assert [(d.cis, d.benchmark) for d in newer.diagnostics if d.code == "PC542"] == [("1.2.3", "cis-1.7")]


def test_kubelet_certificate_authority_says_what_to_do_on_kubeadm() -> None:
    result = compile_sources([SourceFile("c.policy", "kubernetes 1.24\ncluster {\n  authorization Node, RBAC\n}\n")])
    d = next(d for d in result.diagnostics if d.code == "PC549")
    assert (d.severity.value, d.cis, d.benchmark, d.span.line) == ("warning", "1.2.5", "cis-1.24", 2)
    assert "serverTLSBootstrap: true" in d.help
    assert "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt" in d.help


# ---------------------------------------------------------------------------------------------
# kube-bench's test semantics (github.com/aquasecurity/kube-bench check/test.go)
# ---------------------------------------------------------------------------------------------


def _find_value(flag: str, s: str) -> tuple[bool, str]:
    """flagTestItem.findValue: a substring match, then the value after `=`, `:` or nothing."""
    if not s or flag not in s:  # strings.Contains(s, t.Flag)
        return False, ""
    m = re.search("(" + re.escape(flag) + r")(=|: *)*([^\s]*) *", s)
    assert m is not None
    if m.group(3):
        return True, m.group(3)
    return True, "true" if flag.startswith("--") else m.group(1)


def _compare(op: str, value: str, want: str) -> bool:
    """compareOp for the operators kube-bench's 1.2 tests use."""
    if op in ("eq", "noteq"):
        same = value.lower() == want if value.lower() in ("true", "false") else value == want
        return same if op == "eq" else not same
    if op in ("gt", "gte", "lt", "lte"):
        try:
            a, b = int(value.strip()), int(want.strip())
        except ValueError:
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op == "has":
        return want in value
    if op == "nothave":
        return want not in value
    if op == "valid_elements":
        have = [e.strip() for e in value.strip().rstrip(",").split(",") if value.strip().rstrip(",")]
        allowed = [e.strip() for e in want.strip().rstrip(",").split(",")]
        return all(e in allowed for e in have)
    if op == "regex":
        return re.search(want, value) is not None
    raise AssertionError(f"operator {op} is not implemented here")


def _item_passes(item: cis.TestItem, s: str) -> bool:
    """testItem.evaluate: `set` true tests presence (and the comparison when there is one)."""
    match, value = _find_value(item.flag, s)
    if item.set:
        return _compare(item.op, value, item.value) if match and item.op else match
    return not match


def kube_bench_passes(control: cis.Control, command_line: str) -> bool:
    """tests.execute: the items joined by bin_op (`and` when empty)."""
    results = [_item_passes(t, command_line) for t in control.tests]
    return any(results) if control.bin_op == "or" else all(results)


@pytest.mark.parametrize(("line", "flag", "op", "value", "set_", "passes"), [
    ("kube-apiserver --enable-admission-plugins=NodeRestriction", "--enable-admission-plugins", "has",
     "NodeRestriction", True, True),
    ("kube-apiserver --enable-admission-plugins=NodeRestriction", "--enable-admission-plugins", "nothave",
     "NodeRestriction", True, False),
    ("kube-apiserver --secure-port=6443", "--anonymous-auth", "eq", "false", True, False),  # absent: FAIL
    ("kube-apiserver --anonymous-auth=False", "--anonymous-auth", "eq", "false", True, True),
    ("kube-apiserver --profiling", "--profiling", "eq", "true", True, True),  # a bare bool flag reads true
    ("kube-apiserver --token-auth-file=/x", "--token-auth-file", "", "", False, False),
    ("kube-apiserver --audit-log-maxage=30", "--audit-log-maxage", "gte", "30", True, True),
    ("kube-apiserver --audit-log-maxage=x", "--audit-log-maxage", "gte", "30", True, False),
])
def test_the_evaluator_reads_flags_as_kube_bench_does(line: str, flag: str, op: str, value: str, set_: bool,
                                                      passes: bool) -> None:
    control = cis.Control("x", "x", "x", True, True, "and", (cis.TestItem(flag, set_, op, value),))
    assert kube_bench_passes(control, line) is passes


# ---------------------------------------------------------------------------------------------
# The held-out comparison on the article's manifest and its variants
# ---------------------------------------------------------------------------------------------


def _fixture(release: tuple[int, int]) -> str:
    """kubeadm's kube-apiserver manifest nearest to the release."""
    name = "1.18" if release <= (1, 18) else "1.24" if release <= (1, 27) else "1.30"
    return (FIXTURES / f"kube-apiserver-{name}.yaml").read_text(encoding="utf-8")


def _command_line(manifest: str) -> str:
    """What `ps -ef | grep kube-apiserver` shows kube-bench: the container's command joined by blanks."""
    import yaml

    pod = yaml.safe_load(manifest)
    container = next(c for c in pod["spec"]["containers"] if c["name"] == "kube-apiserver")
    return " ".join(container.get("command", []) + container.get("args", []))


def _article(release: tuple[int, int]) -> tuple[str, str]:
    cluster = (ARTICLE / "cluster.policy").read_text(encoding="utf-8")
    cluster = cluster.replace("kubernetes 1.24", f"kubernetes {format_version(release)}")
    if "PodSecurityPolicy" not in api.admission_plugins(release):
        cluster = cluster.replace(", PodSecurityPolicy,", ",")
    return cluster, (ARTICLE / "access.policy").read_text(encoding="utf-8")


def _replace_line(text: str, start: str, new: str | None) -> str:
    lines = text.split("\n")
    out = [(new if new is not None else None) if line.strip().startswith(start) else line for line in lines]
    return "\n".join(line for line in out if line is not None)


def _variants(release: tuple[int, int]) -> list[tuple[str, str]]:
    """(name, cluster.policy text): the article and variants that move every decided control."""
    base, _ = _article(release)
    plugins = api.admission_plugins(release)

    def admission(*names: str) -> str:
        return "  admission " + ", ".join(n for n in names if n in plugins)

    out = [("article", base)]
    out.append(("no-authorization-no-admission", _replace_line(_replace_line(base, "authorization ", None),
                                                               "admission ", None)))
    out.append(("rbac-only", _replace_line(base, "authorization ", "  authorization RBAC")))
    out.append(("node-only", _replace_line(base, "authorization ", "  authorization Node")))
    out.append(("always-allow", _replace_line(base, "authorization ", "  authorization AlwaysAllow, Node, RBAC")))
    out.append(("hardened-admission", _replace_line(base, "admission ", admission(
        "NodeRestriction", "AlwaysPullImages", "EventRateLimit", "DenyServiceExternalIPs", "PodSecurityPolicy"))))
    out.append(("security-context-deny", _replace_line(base, "admission ", admission(
        "NodeRestriction", "SecurityContextDeny"))))
    out.append(("always-admit", _replace_line(base, "admission ", admission("AlwaysAdmit", "NodeRestriction"))))
    out.append(("limit-ranger-only", _replace_line(base, "admission ", admission("LimitRanger"))))
    out.append(("anonymous-yes-no-tokens", _replace_line(_replace_line(base, "anonymous ", "    anonymous yes"),
                                                         "tokens ", None)))
    out.append(("anonymous-default", _replace_line(base, "anonymous ", None)))
    if api.anonymous_config(release)[0]:  # KEP-4633, 1.31+: no --anonymous-auth at all
        only = "    anonymous only /livez, /readyz, /healthz"
        out.append(("anonymous-only", _replace_line(base, "anonymous ", only)))
    if api.flag("basic-auth-file").exists_in(release):
        out.append(("basic-auth", _replace_line(base, "tokens ", "    basic-auth file /etc/kubernetes/auth/basic.csv")))
    return out


def _decided(key: str, cluster_text: str) -> bool:
    part = DECIDED_BY.get(key)
    if part in (None, "grants"):
        return False
    if part == "cluster":
        return True
    return any(line.strip().startswith(part + " ") for line in cluster_text.split("\n"))


def _first_and_last() -> list[tuple[str, tuple[int, int]]]:
    """Each benchmark with the oldest and the newest release it applies to."""
    out = []
    for bench in BENCHMARKS:
        releases = sorted(r for r, b in cis.release_map().items() if b == bench)
        out += [(bench, r) for r in sorted({releases[0], releases[-1]})]
    return out


@pytest.mark.parametrize(("bench", "release"), _first_and_last(),
                         ids=[f"{b}-{format_version(r)}" for b, r in _first_and_last()])
def test_policyc_agrees_with_kube_bench_on_every_automated_control_it_decides(bench: str,
                                                                              release: tuple[int, int]) -> None:
    benchmark = cis.benchmarks()[bench]
    disagreements, compared = [], set()
    for name, cluster_text in _variants(release):
        _, access = _article(release)
        result = compile_sources([SourceFile("cluster.policy", cluster_text), SourceFile("access.policy", access)])
        assert result.program is not None
        change = apiserver_change(result.program)
        assert change is not None
        patched = patch_text(_fixture(release), change, allow_failing_probes=True).patched
        line = _command_line(patched)
        reported = {d.cis for d in result.diagnostics + result.suppressed if d.benchmark == bench and d.cis}
        for control in benchmark.controls:
            if not control.automated or not control.id.startswith("1.2.") or not _decided(control.key, cluster_text):
                continue
            compared.add(control.key)
            passes = kube_bench_passes(control, line)
            if passes == (control.id in reported):
                disagreements.append(f"{name}: {control.id} {control.title}: kube-bench "
                                     f"{'PASS' if passes else 'FAIL'}, policyc "
                                     f"{'reports it' if control.id in reported else 'is silent'}")
    assert not disagreements, "\n".join(disagreements)
    # Every automated 1.2.x control policyc checks or meets in this version was compared.
    expected = {c.key for c in benchmark.controls
                if c.automated and c.id.startswith("1.2.") and DECIDED_BY.get(c.key) not in (None, "grants")}
    assert compared == expected


@pytest.mark.parametrize(("rel", "pv", "masters"), [
    ("1.18", None, None),  # cis-1.6 has neither 5.1.7 nor 5.1.9
    ("1.24", None, ("5.1.7", "cis-1.24")),  # cis-1.24 has 5.1.7, not 5.1.9
    ("1.25", ("5.1.9", "cis-1.7"), ("5.1.7", "cis-1.7")),
    ("1.33", ("5.1.9", "cis-1.12"), ("5.1.7", "cis-1.12")),
])
def test_rbac_lints_carry_the_5_1_id_of_the_target_benchmark(rel: str, pv: tuple | None, masters: tuple | None) -> None:
    def ids(text: str, code: str) -> tuple[str, str] | None:
        result = compile_sources([SourceFile("a.policy", f"kubernetes {rel}\n" + text)], lints=True)
        d = next(d for d in result.diagnostics if d.code == code)
        return (d.cis, d.benchmark) if d.cis else None

    assert ids("grant create persistentvolumes to group g in cluster\n", "PC507") == pv
    assert ids("team t {\n  members group system:masters\n}\n", "PC131") == masters


def test_the_table_is_what_gen_cis_writes_from_kube_bench() -> None:
    """policyc/data/cis/benchmarks.yaml against kube-bench itself, where a clone is at hand."""
    import os
    import subprocess
    import sys

    repo = os.environ.get("KUBE_BENCH_GIT")
    if not repo:
        pytest.skip("set KUBE_BENCH_GIT to a git dir of aquasecurity/kube-bench to check the table against it")
    script = HERE.parent.parent.parent / "scripts" / "gen_cis.py"
    done = subprocess.run([sys.executable, str(script), "--kube-bench", repo, "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_kubelet_certificate_authority_is_silenced_once_set_by_hand() -> None:
    text = ("kubernetes 1.30\n# policyc: allow PC549 serverTLSBootstrap on, CA flag set in ClusterConfiguration\n"
            "cluster {\n  authorization Node, RBAC\n}\n")
    result = compile_sources([SourceFile("c.policy", text)])
    assert "PC549" not in [d.code for d in result.diagnostics]
    assert [(d.code, d.cis, d.benchmark) for d in result.suppressed] == [("PC549", "1.2.5", "cis-1.11")]

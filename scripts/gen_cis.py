#!/usr/bin/env python3
"""Generate policyc's CIS Kubernetes Benchmark table from kube-bench's check definitions.

kube-bench (https://github.com/aquasecurity/kube-bench) encodes each CIS benchmark version as
`cfg/<benchmark>/master.yaml` (section 1.2, API Server) and `cfg/<benchmark>/policies.yaml`
(section 5.1, RBAC), and picks the version from the cluster's release with
`cfg/config.yaml` `version_mapping` (cmd/common.go `mapToBenchmarkVersion`: a release missing
from the map takes the mapping of the nearest older release).

This script reads a local git clone of kube-bench WITHOUT a work tree (`git show`), keeps of each
control of sections 1.2 and 5.1 what policyc needs (id, title, `scored`, `type`, the `tests`
block kube-bench evaluates), gives each control policyc's stable key (`KEYS` below: the same
control keeps its key while its number moves between versions), and writes
`policyc/data/cis/benchmarks.yaml`. Nothing of kube-bench's files is committed besides that
extract, which cites the commit and path it came from.

Usage::

    python scripts/gen_cis.py --kube-bench /path/to/kube-bench.git           # regenerate
    python scripts/gen_cis.py --kube-bench /path/to/kube-bench.git --check   # verify the data is current
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "policyc" / "data" / "cis" / "benchmarks.yaml"
SECTIONS = {"1.2": "master.yaml", "5.1": "policies.yaml"}

# policyc's key of each control, matched against kube-bench's title (without "(Manual)"/"(Automated)").
# Every control of sections 1.2 and 5.1 must match exactly one key.
KEYS: tuple[tuple[str, str], ...] = (
    ("anonymous-auth", r"--anonymous-auth argument is set to false"),
    ("basic-auth-file", r"--basic-auth-file argument is not set"),
    ("token-auth-file", r"--token-auth-file parameter is not set"),
    ("deny-service-external-ips", r"--DenyServiceExternalIPs is set"),
    ("deny-service-external-ips-not-set", r"--DenyServiceExternalIPs is not set"),
    ("kubelet-https", r"--kubelet-https argument is set to true"),
    ("kubelet-client-certificate", r"--kubelet-client-certificate and --kubelet-client-key"),
    ("kubelet-certificate-authority", r"--kubelet-certificate-authority argument"),
    ("authorization-not-always-allow", r"--authorization-mode argument is not set to AlwaysAllow"),
    ("authorization-node", r"--authorization-mode argument includes Node"),
    ("authorization-rbac", r"--authorization-mode argument includes RBAC"),
    ("admission-event-rate-limit", r"plugin EventRateLimit is set"),
    ("admission-always-admit", r"plugin AlwaysAdmit is not set"),
    ("admission-always-pull-images", r"plugin AlwaysPullImages is set"),
    ("admission-security-context-deny", r"plugin SecurityContextDeny is set if PodSecurityPolicy is not used"),
    ("admission-service-account", r"plugin ServiceAccount is set"),
    ("admission-namespace-lifecycle", r"plugin NamespaceLifecycle is set"),
    ("admission-pod-security-policy", r"plugin PodSecurityPolicy is set"),
    ("admission-node-restriction", r"plugin NodeRestriction is set"),
    ("insecure-bind-address", r"--insecure-bind-address argument is not set"),
    ("insecure-port", r"--insecure-port argument is set to 0"),
    ("secure-port", r"--secure-port argument is not set to 0"),
    ("profiling", r"--profiling argument is set to false"),
    ("audit-log-path", r"--audit-log-path argument is set"),
    ("audit-log-maxage", r"--audit-log-maxage argument"),
    ("audit-log-maxbackup", r"--audit-log-maxbackup argument"),
    ("audit-log-maxsize", r"--audit-log-maxsize argument"),
    ("request-timeout", r"--request-timeout argument"),
    ("service-account-lookup", r"--service-account-lookup argument is set to true"),
    ("service-account-key-file", r"--service-account-key-file argument"),
    ("etcd-client-certificate", r"--etcd-certfile and --etcd-keyfile"),
    ("tls-certificate", r"--tls-cert-file and --tls-private-key-file"),
    ("client-ca-file", r"--client-ca-file argument"),
    ("etcd-cafile", r"--etcd-cafile argument"),
    ("encryption-provider-config", r"--encryption-provider-config argument"),
    ("encryption-providers", r"encryption providers are appropriately configured"),
    ("tls-cipher-suites", r"Strong Cryptographic Ciphers"),
    ("service-account-extend-token-expiration", r"--service-account-extend-token-expiration"),
    ("rbac-cluster-admin", r"cluster-admin role is only used where required"),
    ("rbac-secrets", r"Minimize access to secrets"),
    ("rbac-wildcards", r"Minimize wildcard use in Roles and ClusterRoles"),
    ("rbac-create-pods", r"Minimize access to create pods"),
    ("rbac-default-service-accounts", r"default service accounts are not actively used"),
    ("rbac-service-account-token-mounts", r"Service Account Tokens are only mounted where necessary"),
    ("rbac-system-masters", r"Avoid use of system:masters group"),
    ("rbac-bind-impersonate-escalate", r"Bind, Impersonate and Escalate permissions"),
    ("rbac-create-persistent-volumes", r"Minimize access to create persistent volumes"),
    ("rbac-nodes-proxy", r"proxy sub-resource of nodes"),
    ("rbac-csr-approval", r"approval sub-resource of certificatesigningrequests"),
    ("rbac-webhook-configurations", r"Minimize access to webhook configuration objects"),
    ("rbac-service-account-token-creation", r"Minimize access to the service account token creation"),
)

_TITLE_SUFFIX = re.compile(r"\s*\((Manual|Automated)\)\s*$")


def git_show(repo: Path, commit: str, path: str) -> str:
    """A file of the kube-bench clone at `commit` (no work tree needed)."""
    return subprocess.run(["git", f"--git-dir={repo}", "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def key_of(title: str) -> str:
    """policyc's key of the control with this title (exactly one must match)."""
    found = [key for key, pattern in KEYS if re.search(pattern, title)]
    if len(found) != 1:
        raise SystemExit(f"gen_cis: {len(found)} keys match the title {title!r}: {found}")
    return found[0]


def _tests(tests: dict | None) -> dict | None:
    """The `tests` block as kube-bench reads it: `set` defaults to true (check/test.go UnmarshalYAML)."""
    if not tests:
        return None
    items = []
    for item in tests.get("test_items", []):
        out = {"flag": item["flag"], "set": item.get("set", True)}
        if "compare" in item:
            value = item["compare"]["value"]
            # Go's yaml reads the value into a string: `false` stays "false", not Python's "False"
            out["compare"] = {"op": item["compare"]["op"],
                              "value": str(value).lower() if isinstance(value, bool) else str(value)}
        items.append(out)
    return {"bin_op": tests.get("bin_op") or "and", "test_items": items}


def controls(repo: Path, commit: str, benchmark: str) -> list[dict]:
    """Sections 1.2 and 5.1 of one benchmark version."""
    out = []
    for section, file in SECTIONS.items():
        doc = yaml.safe_load(git_show(repo, commit, f"cfg/{benchmark}/{file}"))
        for group in doc["groups"]:
            if str(group["id"]) != section:
                continue
            for check in group["checks"]:
                title = _TITLE_SUFFIX.sub("", " ".join(check["text"].split()))
                control = {
                    "id": str(check["id"]),
                    "key": key_of(title),
                    "title": title,
                    "scored": bool(check.get("scored", False)),
                    # kube-bench evaluates `tests` unless the type is manual or skip (check/check.go Run)
                    "automated": check.get("type", "") not in ("manual", "skip") and bool(check.get("tests")),
                }
                tests = _tests(check.get("tests"))
                # 5.1's tests read the output of kube-bench's own kubectl scripts: only 1.2's are flag tests
                if tests is not None and control["automated"] and section == "1.2":
                    control["tests"] = tests
                out.append(control)
    return out


def generate(repo: Path) -> str:
    """The text of benchmarks.yaml."""
    commit = subprocess.run(["git", f"--git-dir={repo}", "rev-parse", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    mapping = yaml.safe_load(git_show(repo, commit, "cfg/config.yaml"))["version_mapping"]
    kube = {k: v for k, v in mapping.items() if re.fullmatch(r"1\.\d+", k) and v.startswith("cis-")}
    index = json_index()
    releases: dict[str, str] = {}
    for label in index:
        major, minor = label.split(".")
        # mapToBenchmarkVersion: take the nearest older release in the map
        probe = int(minor)
        while f"{major}.{probe}" not in kube and probe > 0:
            probe -= 1
        if f"{major}.{probe}" in kube:
            releases[label] = kube[f"{major}.{probe}"]
    benchmarks = {b: {"source": f"cfg/{b}/master.yaml, cfg/{b}/policies.yaml", "controls": controls(repo, commit, b)}
                  for b in sorted(set(releases.values()), key=lambda b: min(_rel(r) for r, v in releases.items()
                                                                            if v == b))}
    doc = {
        "source": {"repository": "https://github.com/aquasecurity/kube-bench", "commit": commit,
                   "version_mapping": "cfg/config.yaml"},
        "releases": releases,
        "benchmarks": benchmarks,
    }
    header = ("# CIS Kubernetes Benchmark controls policyc cites, per benchmark version, as kube-bench encodes them.\n"
              "# Generated by scripts/gen_cis.py from kube-bench (source.commit); do not edit by hand.\n"
              "# `automated`: kube-bench evaluates `tests` (no `type: manual`); `scored`: a FAIL counts.\n")
    return header + yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=False, default_flow_style=None)


def _rel(label: str) -> tuple[int, int]:
    major, minor = label.split(".")
    return int(major), int(minor)


def json_index() -> list[str]:
    """The releases policyc supports (policyc/data/releases/index.json)."""
    import json

    index = json.loads((ROOT / "policyc" / "data" / "releases" / "index.json").read_text(encoding="utf-8"))
    return sorted((entry["release"] for entry in index["releases"]), key=_rel)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kube-bench", type=Path, required=True, help="a git dir of aquasecurity/kube-bench")
    parser.add_argument("--check", action="store_true", help="fail when the committed table differs")
    args = parser.parse_args()
    text = generate(args.kube_bench)
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run scripts/gen_cis.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

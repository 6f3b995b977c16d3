"""Golden files: the static-pod patch, the kubeadm snippet and the AuthenticationConfiguration per release,
and real kubeadm manifests of 1.18, 1.24 and 1.30 after `policyc apiserver patch`.

Regenerate with `POLICYC_UPDATE_GOLDEN=1 pytest tests/unit/output/test_authn_apiserver_golden.py`,
then review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import policyc
from conftest import REPO
from helpers import compile_text
from policyc.backends.apiserver import apiserver_change
from policyc.output.static_pod import patch_text

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
FIXTURES = HERE / "fixtures"
ARTICLE = REPO / "tests" / "golden" / "article" / "policy"
ORG = REPO / "tests" / "golden" / "org" / "policy"

STRUCTURED = (
    "cluster {\n"
    "  authorization Node, RBAC\n"
    "  admission NodeRestriction\n"
    "  authentication {\n"
    "    anonymous no\n"
    "    certificates ca /etc/kubernetes/pki/ca.crt\n"
    '    oidc issuer https://login.example.com client-id k8s groups-claim groups groups-prefix "oidc:" '
    "config /etc/kubernetes/auth/authentication-config.yaml\n"
    "  }\n"
    "}\n"
    "user alice@example.com auth oidc\n"
)

BASIC_118 = """\
kubernetes 1.18
cluster {
  authorization Node, RBAC
  admission NodeRestriction
  authentication {
    anonymous no
    basic-auth file /etc/kubernetes/auth/basic-auth.csv
    webhook config /etc/kubernetes/webhook.kubeconfig cache-ttl 30s
  }
}
user ops auth basic groups admins
"""

# case -> (policy folder or text, release)
CASES: dict[str, tuple[Path | str, str | None]] = {
    "article-1.24": (ARTICLE, None),
    "org-1.30": (ORG, None),
    "org-1.31": (ORG, "1.31"),
    "structured-1.30": (STRUCTURED, "1.30"),
    "structured-1.34": (STRUCTURED, "1.34"),
    "basic-1.18": (BASIC_118, None),
}


def _files(source: Path | str, release: str | None) -> dict[str, str]:
    result = policyc.load(source, release) if isinstance(source, Path) else compile_text(source, kubernetes=release)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return {path: text for path, text in result.files.items() if path.startswith("apiserver/")}


def _compare(expected_dir: Path, got: dict[str, str]) -> None:
    if os.environ.get("POLICYC_UPDATE_GOLDEN"):
        for old in expected_dir.rglob("*"):
            if old.is_file():
                old.unlink()
        for rel, text in got.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(text, encoding="utf-8")
    expected = {p.relative_to(expected_dir).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(expected_dir.rglob("*")) if p.is_file()}
    assert sorted(got) == sorted(expected)
    for rel in expected:
        assert got[rel] == expected[rel], rel


@pytest.mark.parametrize("case", sorted(CASES))
def test_apiserver_files(case: str) -> None:
    source, release = CASES[case]
    _compare(GOLDEN / "files" / case, _files(source, release))


# fixture -> (policy, release the policy is checked for: the release the manifest runs)
PATCHES = {
    "kube-apiserver-1.18.yaml": (ARTICLE, "1.18"),
    "kube-apiserver-1.24.yaml": (ARTICLE, "1.24"),
    "kube-apiserver-1.30.yaml": (ORG, "1.30"),
}


def _with_anonymous_probes(policy: Path, release: str):
    """The spec policy with `anonymous yes`: kubeadm's probes need anonymous access (PC270)."""
    files = {p.name: p.read_text().replace("anonymous no", "anonymous yes") for p in sorted(policy.glob("*.policy"))}
    first, *rest = files
    result = compile_text(files[first], first, release, **{name: files[name] for name in rest})
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return result.program


@pytest.mark.parametrize("fixture", sorted(PATCHES))
def test_patched_kubeadm_manifests(fixture: str) -> None:
    policy, release = PATCHES[fixture]
    change = apiserver_change(_with_anonymous_probes(policy, release))
    result = patch_text((FIXTURES / fixture).read_text(encoding="utf-8"), change)
    assert result.notes == []  # the manifest runs the release the policy was checked for
    _compare(GOLDEN / "patched" / fixture.removesuffix(".yaml"), {fixture: result.patched})
    assert not patch_text(result.patched, change).changed, "a second run must change nothing"

"""`pod-security [MODE] LEVEL latest`: the labels of that mode pin `latest` instead of the target release
(Pod Security Admission then applies the checks of the API server's own release, KEP-2579)."""

from __future__ import annotations

import pytest

from helpers import compile_text, underlined

PREFIX = "pod-security.kubernetes.io/"


def _labels(body: str, release: str = "1.30") -> dict[str, str]:
    result = compile_text(f"kubernetes {release}\nnamespace apps {{\n{body}}}\n")
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    (ns,) = [m.body for m in result.manifests if m.kind == "Namespace"]
    return {k.removeprefix(PREFIX): v for k, v in ns["metadata"]["labels"].items() if k.startswith(PREFIX)}


@pytest.mark.parametrize(("body", "versions"), [
    ("  pod-security restricted latest\n", {"enforce": "latest", "warn": "latest", "audit": "latest"}),
    ("  pod-security restricted\n", {"enforce": "v1.30", "warn": "v1.30", "audit": "v1.30"}),
    ("  pod-security enforce baseline, warn restricted latest\n", {"enforce": "v1.30", "warn": "latest"}),
    ("  pod-security enforce baseline latest\n  pod-security audit restricted\n",
     {"enforce": "latest", "audit": "v1.30"}),
])
def test_latest_pins_the_mode_to_latest(body: str, versions: dict[str, str]) -> None:
    labels = _labels(body)
    assert {k.removesuffix("-version"): v for k, v in labels.items() if k.endswith("-version")} == versions


def test_latest_on_a_psp_cluster_labels_latest_and_the_psp_follows_the_target() -> None:
    text = ("kubernetes 1.24\ncluster {\n  admission NamespaceLifecycle, PodSecurityPolicy\n}\n"
            "namespace kube-system {\n  pod-security privileged\n}\n"
            "namespace apps {\n  pod-security restricted latest\n}\n")
    result = compile_text(text)
    assert result.ok
    (ns,) = [m.body for m in result.manifests if m.kind == "Namespace" and m.name == "apps"]
    assert ns["metadata"]["labels"][PREFIX + "enforce-version"] == "latest"
    assert any(m.kind == "PodSecurityPolicy" and m.name == "policyc-restricted" for m in result.manifests)


@pytest.mark.parametrize(("body", "code", "caret", "words"), [
    ("  pod-security enforce restricted v1.25\n", "PC187", "v1.25", "unknown pod-security version `v1.25`"),
    ("  pod-security hardened latest\n", "PC187", "latest", "takes no version"),
    ("  pod-security restricted\n  pod-security enforce restricted latest\n", "PC220", "enforce restricted latest",
     "sets pod-security `enforce` to `restricted` and to `restricted latest`"),
])
def test_bad_versions_are_errors_at_their_place(body: str, code: str, caret: str, words: str) -> None:
    result = compile_text("kubernetes 1.30\npod-security-policy hardened {\n  base restricted\n}\n"
                          f"namespace apps {{\n{body}}}\n")
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [(d.code, d.message) for d in result.diagnostics]
    assert words in found[0].message
    assert underlined(result, found[0]) == caret


@pytest.mark.parametrize(("body", "caret", "mode", "fix"), [
    ("  pod-security enforce latest\n", "enforce latest", "enforce", "`pod-security enforce LEVEL latest`"),
    ("  pod-security warn\n", "warn", "warn", "`pod-security warn LEVEL`"),
    ("  pod-security enforce baseline, audit\n", "audit", "audit", "`pod-security audit LEVEL`"),
])
def test_a_mode_without_a_level_says_the_level_is_missing(body: str, caret: str, mode: str, fix: str) -> None:
    result = compile_text(f"kubernetes 1.30\nnamespace apps {{\n{body}}}\n")
    (d,) = result.diagnostics  # one error, not also "undefined pod-security policy `enforce`"
    assert d.code == "PC187" and d.message == f"pod-security mode `{mode}` has no level"
    assert underlined(result, d) == caret and d.span.line == 3
    assert fix in d.help and "`pod-security [MODE] LEVEL [latest], ...`" in d.help


def test_a_profile_named_like_a_mode_is_still_a_profile() -> None:
    result = compile_text("kubernetes 1.30\npod-security-policy audit {\n  base restricted\n}\n"
                          "namespace apps {\n  pod-security audit\n}\n")
    assert "PC187" not in {d.code for d in result.diagnostics}

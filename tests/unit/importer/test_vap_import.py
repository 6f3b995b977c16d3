"""policyc's own ValidatingAdmissionPolicies come back as `pod-security-policy` blocks (1.30+), with
the keys newer than PodSecurityPolicy (`host-probes`, `user-namespaces`, `windows-exempt`) where
the policy implies them; anything else is kept (PC613). The verification compares the policies
and bindings by content."""

from __future__ import annotations

import pytest
import yaml
from importer_cases import docs_from, run, status

from helpers import compile_text

NEWEST = "1.37"


def _emitted(release: str, settings: str, namespaces: tuple[str, ...] = ("apps",)) -> str:
    """The YAML policyc emits for profile `p` (and its namespaces) on `release`."""
    text = f"kubernetes {release}\npod-security-policy p {{\n{settings}\n}}\n" + "".join(
        f"namespace {ns} {{\n  pod-security p\n}}\n" for ns in namespaces)
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    return "---\n".join(yaml.safe_dump(m.body, sort_keys=False) for m in result.manifests)


@pytest.mark.parametrize(("release", "settings", "lines"), [
    # a level's own profile at the newest release: the keys newer than PSP come back
    (NEWEST, "  base restricted", ["host-probes no", "user-namespaces run-as-user", "windows-exempt yes",
                                   "selinux baseline", "host-process no"]),
    (NEWEST, "  base baseline", ["host-probes no", "user-namespaces proc-mount", "selinux baseline"]),
    ("1.30", "  base restricted", ["windows-exempt yes", "run-as-user non-root"]),
    ("1.30", "  base baseline\n  host-probes no\n  user-namespaces none\n  sysctls safe, net.core.somaxconn",
     ["host-probes no", "sysctls kernel.shm_rmid_forced"]),
    ("1.30", "  base privileged\n  privileged no\n  host-ports 8080, 9000-9100\n  read-only-root-filesystem yes",
     ["privileged no", "host-ports 8080, 9000-9100", "read-only-root-filesystem yes"]),
])
def test_policyc_vap_imports_as_a_profile_and_verifies(release: str, settings: str, lines: list[str]) -> None:
    version = tuple(int(x) for x in release.split("."))
    result, compiled, v = run(docs_from(_emitted(release, settings, ("apps", "web"))), version)
    assert status(result, "ValidatingAdmissionPolicy p") == "imported"
    assert status(result, "ValidatingAdmissionPolicyBinding p") == "imported"
    text = "".join(result.files.values())
    block = text[text.index("pod-security-policy p {"):]
    block = block[:block.index("}")]
    for line in lines:
        assert any(row.strip().startswith(line) for row in block.splitlines()), (line, block)
    assert "  pod-security p\n" in text
    assert not v.added and not v.removed and v.settings == [], v.lines(version)
    assert [d.code for d in result.diagnostics] == []


@pytest.mark.parametrize(("edit", "ref"), [
    (lambda t: t.replace("validationActions:\n  - Deny", "validationActions:\n  - Warn"),
     "ValidatingAdmissionPolicyBinding p"),
    (lambda t: t.replace("must not be privileged", "must not be privileged, please"), "ValidatingAdmissionPolicy p"),
    (lambda t: t.replace("== true)", "== 1)", 1), "ValidatingAdmissionPolicy p"),
])
def test_a_vap_policyc_would_not_compile_is_kept(edit, ref: str) -> None:
    text = edit(_emitted("1.30", "  base restricted"))
    result, _compiled, v = run(docs_from(text), (1, 30))
    assert status(result, ref) == "kept"
    assert "PC613" in [d.code for d in result.diagnostics]
    assert not v.added and not v.removed and v.settings == []


def test_a_binding_alone_is_kept() -> None:
    text = _emitted("1.30", "  base restricted")
    binding = [d for d in text.split("---\n") if "kind: ValidatingAdmissionPolicyBinding" in d][0]
    result, _compiled, _v = run(docs_from(binding), (1, 30))
    assert status(result, "ValidatingAdmissionPolicyBinding p") == "kept"

"""Language keys for the release-dependent controls: host-probes, user-namespaces, windows-exempt."""

from __future__ import annotations

import pytest

from helpers import compile_text

PSP_CLUSTER = ("kubernetes 1.24\ncluster {\n  authorization Node, RBAC\n"
               "  admission NamespaceLifecycle, ServiceAccount, PodSecurityPolicy, NodeRestriction\n}\n"
               "namespace kube-system {\n  pod-security privileged\n}\n")


def _compile(head: str, settings: str):
    return compile_text(f"{head}pod-security-policy p {{\n{settings}\n}}\nnamespace apps {{\n  pod-security p\n}}\n")


def _controls(result) -> list[str]:
    (vap,) = [m.body for m in result.manifests if m.kind == "ValidatingAdmissionPolicy"]
    return [v["message"].rpartition("(control ")[2].rstrip(")") for v in vap["spec"]["validations"]]


def _expression(result, control: str) -> str:
    (vap,) = [m.body for m in result.manifests if m.kind == "ValidatingAdmissionPolicy"]
    (v,) = [v for v in vap["spec"]["validations"] if v["message"].endswith(f"(control {control})")]
    return v["expression"]


@pytest.mark.parametrize(("release", "settings", "present"), [
    ("1.33", "  base baseline", False),  # upstream's check starts at 1.34
    ("1.34", "  base baseline", True),
    ("1.37", "  base baseline\n  host-probes yes", False),
    ("1.30", "  base baseline\n  host-probes no", True),
])
def test_host_probes_key_and_level_default(release: str, settings: str, present: bool) -> None:
    result = _compile(f"kubernetes {release}\n", settings)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    assert ("host-probes" in _controls(result)) is present


def test_user_namespaces_key() -> None:
    relaxed = "(has(object.spec.hostUsers) && object.spec.hostUsers == false) || "
    level = _compile("kubernetes 1.37\n", "  base baseline")
    assert _expression(level, "proc-mount").startswith(relaxed)
    strict = _compile("kubernetes 1.37\n", "  base baseline\n  user-namespaces none")
    assert not _expression(strict, "proc-mount").startswith(relaxed)
    both = _compile("kubernetes 1.37\n", "  user-namespaces proc-mount, run-as-user")
    assert _expression(both, "proc-mount").startswith(relaxed)
    assert _expression(both, "run-as-user").startswith(relaxed)
    old = _compile("kubernetes 1.34\n", "  base restricted")
    assert not _expression(old, "run-as-user").startswith(relaxed)


def test_windows_exempt_key() -> None:
    windows = "(has(object.spec.os) && object.spec.os.name == 'windows') || "
    assert _expression(_compile("kubernetes 1.30\n", ""), "allow-privilege-escalation").startswith(windows)
    strict = _compile("kubernetes 1.30\n", "  windows-exempt no")
    assert not _expression(strict, "allow-privilege-escalation").startswith(windows)
    assert not _expression(strict, "capabilities drop").startswith(windows)


@pytest.mark.parametrize(("settings", "message"), [
    ("  user-namespaces proc-mount, selinux-type", "invalid value `selinux-type` for `user-namespaces`"),
    ("  user-namespaces none, proc-mount", "invalid value `none` for `user-namespaces`"),
    ("  host-probes maybe", "invalid value `maybe` for `host-probes`"),
    ("  windows-exempt", "`windows-exempt` needs a value"),
])
def test_invalid_values_are_pc189(settings: str, message: str) -> None:
    result = _compile("kubernetes 1.37\n", settings)
    errors = [d for d in result.diagnostics if d.code == "PC189"]
    assert errors and errors[0].message.startswith(message), [d.message for d in result.diagnostics]


@pytest.mark.parametrize(("settings", "note"), [
    ("  host-probes no", "cannot forbid probe or lifecycle hosts"),
    ("  user-namespaces run-as-user", "cannot relax controls for pods in a user namespace"),
    ("  windows-exempt yes", "cannot exempt Windows pods"),
])
def test_psp_cannot_express_them_pc417(settings: str, note: str) -> None:
    result = _compile(PSP_CLUSTER, settings)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    assert any(note in d.message for d in result.diagnostics if d.code == "PC417")


def test_relaxing_below_the_level_is_pc230() -> None:
    """At 1.34 restricted has no user-namespace relaxation: a profile with one is weaker."""
    result = compile_text("kubernetes 1.34\npod-security-policy p {\n  user-namespaces run-as-user\n}\n"
                          "namespace apps {\n  pod-security enforce restricted\n  pod-security p\n}\n")
    errors = [d for d in result.diagnostics if d.code == "PC230"]
    assert errors and "`user-namespaces`" in errors[0].message, [d.message for d in result.diagnostics]

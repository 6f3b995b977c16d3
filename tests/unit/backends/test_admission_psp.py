"""PodSecurityPolicy equivalence, control by control.

The restricted PSP must reject, field by field, what the restricted Pod Security Standard
rejects (kubernetes.io/docs/concepts/security/pod-security-standards/, restricted and baseline
tables). Each test below names a control of the standard and asserts the PSP fields that
enforce it, with the PodSecurityPolicy semantics of pkg/security/podsecuritypolicy:
no `hostPorts` range means no host port; no `allowedProcMountTypes` means only `Default`;
no `allowedUnsafeSysctls` means only the safe sysctls; an `allowedProfileNames` annotation
without `*` refuses every other profile.
"""

from __future__ import annotations

import pytest

from policyc.k8s import podsecurity as ps

RELEASE = (1, 24)


@pytest.fixture(scope="module")
def restricted() -> tuple[dict[str, str], dict]:
    return ps.builtin_psp("restricted", RELEASE)[:2]


def test_host_namespaces(restricted: tuple[dict, dict]) -> None:
    _, spec = restricted
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (False, False, False)


def test_privileged_containers(restricted: tuple[dict, dict]) -> None:
    assert restricted[1]["privileged"] is False


def test_capabilities_drop_all_and_add_nothing_beyond_net_bind_service(restricted: tuple[dict, dict]) -> None:
    _, spec = restricted
    assert spec["requiredDropCapabilities"] == ["ALL"]
    assert set(spec.get("allowedCapabilities", [])) <= ps.RESTRICTED_CAPABILITIES
    assert "defaultAddCapabilities" not in spec


def test_host_path_and_volume_types(restricted: tuple[dict, dict]) -> None:
    volumes = set(restricted[1]["volumes"])
    assert "*" not in volumes and "hostPath" not in volumes
    assert volumes <= ps.RESTRICTED_VOLUMES


def test_host_ports(restricted: tuple[dict, dict]) -> None:
    assert "hostPorts" not in restricted[1]


def test_apparmor(restricted: tuple[dict, dict]) -> None:
    annotations, _ = restricted
    assert annotations[ps.APPARMOR_ALLOWED] == "runtime/default"
    assert annotations[ps.APPARMOR_DEFAULT] == "runtime/default"


def test_proc_mount_and_sysctls(restricted: tuple[dict, dict]) -> None:
    _, spec = restricted
    assert spec.get("allowedProcMountTypes", ["Default"]) == ["Default"]
    assert "allowedUnsafeSysctls" not in spec


def test_privilege_escalation(restricted: tuple[dict, dict]) -> None:
    assert restricted[1]["allowPrivilegeEscalation"] is False


def test_running_as_non_root(restricted: tuple[dict, dict]) -> None:
    assert restricted[1]["runAsUser"] == {"rule": "MustRunAsNonRoot"}


def test_seccomp_must_be_runtime_default(restricted: tuple[dict, dict]) -> None:
    annotations, _ = restricted
    allowed = set(annotations[ps.SECCOMP_ALLOWED].split(","))
    assert allowed == {"runtime/default", "docker/default"}  # no `*`, no `unconfined`
    # No default profile: a pod that sets none is refused, as the restricted standard requires.
    assert ps.SECCOMP_DEFAULT not in annotations


def test_selinux_follows_the_documentation(restricted: tuple[dict, dict]) -> None:
    # The standard marks SELinux optional for PSP; the documented restricted PSP assumes AppArmor nodes.
    assert restricted[1]["seLinux"] == {"rule": "RunAsAny"}


def test_groups_are_not_part_of_the_standard(restricted: tuple[dict, dict]) -> None:
    # No Pod Security check reads fsGroup or supplementalGroups: the documentation's example PSP asks
    # 1-65535, the standard does not, and neither does policyc's PSP.
    _, spec = restricted
    for key in ("supplementalGroups", "fsGroup"):
        assert spec[key] == {"rule": "RunAsAny"}


@pytest.mark.parametrize(("release", "has_ephemeral"), [((1, 18), False), ((1, 19), True), ((1, 24), True)])
def test_ephemeral_volumes_only_where_psp_knows_them(release: tuple[int, int], has_ephemeral: bool) -> None:
    assert ("ephemeral" in ps.builtin_psp("restricted", release)[1]["volumes"]) is has_ephemeral


def test_baseline_and_privileged_follow_the_standard_not_the_documented_examples() -> None:
    """The documentation's example baseline PSP lets containers add NET_RAW and run seccomp `unconfined`,
    its restricted one refuses NET_BIND_SERVICE; the standard's checks (check_capabilities_baseline.go,
    check_seccompProfile_baseline.go, check_capabilities_restricted.go) decide otherwise, and so does policyc."""
    annotations, spec, _ = ps.builtin_psp("baseline", RELEASE)
    assert spec["privileged"] is False and "hostPath" not in spec["volumes"]
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (False, False, False)
    assert "hostPorts" not in spec
    assert set(spec["allowedCapabilities"]) == ps.BASELINE_CAPABILITIES and "NET_RAW" not in spec["allowedCapabilities"]
    assert "requiredDropCapabilities" not in spec
    assert "unconfined" not in annotations[ps.SECCOMP_ALLOWED].split(",")
    # a pod without a profile is admitted by setting runtime/default (PSP admits unset only with a default)
    assert annotations[ps.SECCOMP_DEFAULT] == "runtime/default"
    assert annotations[ps.APPARMOR_DEFAULT] == "runtime/default"
    annotations, spec, _ = ps.builtin_psp("restricted", RELEASE)
    assert spec["allowedCapabilities"] == ["NET_BIND_SERVICE"] and spec["requiredDropCapabilities"] == ["ALL"]
    annotations, spec, notes = ps.builtin_psp("privileged", RELEASE)
    assert spec["privileged"] is True and spec["volumes"] == ["*"] and annotations[ps.SECCOMP_ALLOWED] == "*"
    assert spec["allowedCapabilities"] == ["*"] and spec["allowedUnsafeSysctls"] == ["*"] and notes == []


def test_level_psps_are_the_levels_profiles_compiled() -> None:
    for level in ps.LEVELS:
        for release in ((1, 16), (1, 22), (1, 24)):
            assert ps.builtin_psp(level, release) == ps.custom_psp(ps.level_profile(level, release), release)


def test_custom_profile_maps_every_control() -> None:
    profile = ps.Profile(privileged=False, allow_privilege_escalation=False, require_non_root=True,
                         host_network=False, host_pid=False, host_ipc=False, host_process=False,
                         host_ports=((8080, 8080),), capabilities_add=frozenset({"NET_BIND_SERVICE"}),
                         capabilities_drop=frozenset({"ALL"}), seccomp=frozenset({"runtime/default", "unset"}),
                         apparmor=frozenset({"runtime/default"}), unmasked_proc_mount=False,
                         sysctls=frozenset({"kernel.shm_rmid_forced", "net.core.somaxconn"}),
                         volumes=frozenset({"configMap", "secret"}), require_read_only_root=True)
    annotations, spec, notes = ps.custom_psp(profile, RELEASE)
    # The one rule of this profile a PSP cannot state (check_runAsNonRoot.go refuses a pod-level false).
    assert [n.split(":")[0] for n in notes] == ["a PodSecurityPolicy judges each container's effective `runAsNonRoot`"]
    assert spec == {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "hostPorts": [{"min": 8080, "max": 8080}],
        "readOnlyRootFilesystem": True,
        "requiredDropCapabilities": ["ALL"],
        "allowedCapabilities": ["NET_BIND_SERVICE"],
        "volumes": ["configMap", "secret"],
        "runAsUser": {"rule": "MustRunAsNonRoot"},
        "seLinux": {"rule": "RunAsAny"},
        "supplementalGroups": {"rule": "RunAsAny"},
        "fsGroup": {"rule": "RunAsAny"},
        "allowedUnsafeSysctls": ["net.core.somaxconn"],
        "forbiddenSysctls": ["net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                             "net.ipv4.ping_group_range", "net.ipv4.tcp_syncookies"],
    }
    assert annotations == {
        ps.APPARMOR_ALLOWED: "runtime/default",
        ps.APPARMOR_DEFAULT: "runtime/default",
        ps.SECCOMP_ALLOWED: "docker/default,runtime/default",
        ps.SECCOMP_DEFAULT: "runtime/default",  # `unset` allowed: PSP admits such pods by setting the default
    }


def test_restricted_level_is_stricter_than_baseline_and_custom_comparisons() -> None:
    assert ps.weaker_controls(ps.RESTRICTED, ps.BASELINE, RELEASE) == []
    assert ps.weaker_controls(ps.BASELINE, ps.RESTRICTED, RELEASE) == [
        "allow-privilege-escalation", "run-as-user", "capabilities add", "capabilities drop", "seccomp", "volumes"]
    assert ps.weaker_controls(ps.PRIVILEGED, ps.BASELINE, RELEASE)[:3] == ["privileged", "host-network", "host-pid"]
    named = ps.Profile(seccomp=frozenset({"localhost/a.json"}))
    assert "seccomp" not in ps.weaker_controls(named, ps.RESTRICTED, RELEASE)


# --------------------------------------------------------------------------------------
# PC419: what a level's PodSecurityPolicy cannot express, at `PodSecurityPolicy` in the admission list
# --------------------------------------------------------------------------------------

_CLUSTER = ("cluster {\n  admission NamespaceLifecycle, PodSecurityPolicy\n}\n"
            "namespace kube-system {\n  pod-security privileged\n}\n")


@pytest.mark.parametrize(("level", "release", "expected"), [
    ("restricted", (1, 24), ["cannot allow every localhost AppArmor", "cannot limit SELinux types",
                             "cannot allow every localhost seccomp", "checks the pod-level seccomp",
                             "judges each container's effective `runAsNonRoot`"]),
    ("baseline", (1, 24), ["cannot allow every localhost AppArmor", "cannot limit SELinux types",
                           "cannot allow every localhost seccomp"]),
    ("baseline", (1, 21), ["cannot allow every localhost AppArmor", "cannot limit SELinux types",
                           "cannot allow every localhost seccomp"]),
])
def test_level_psp_warns_what_it_cannot_express(level: str, release: tuple[int, int], expected: list[str]) -> None:
    from helpers import compile_text

    text = f"kubernetes 1.{release[1]}\n{_CLUSTER}namespace apps {{\n  pod-security {level}\n}}\n"
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    found = [d for d in result.diagnostics if d.code == "PC419"]
    assert sorted(expected) == sorted(e for e in expected for d in found if e in d.message)
    assert len(found) == len(expected)
    for d in found:
        head = f"PodSecurityPolicy `policyc-{level}` (level `{level}`) on Kubernetes 1.{release[1]}"
        assert d.message.startswith(head)
        assert (d.span.line, d.span.col) == (3, 33)  # the `PodSecurityPolicy` word of the admission list
        # From 1.23 the namespace's Pod Security Admission labels enforce the level exactly.
        assert ("labels (also written)" in d.help) is (release >= (1, 23))
    # The privileged level's PSP (kube-system) allows everything: nothing to warn about.
    assert not any("policyc-privileged" in d.message for d in found)

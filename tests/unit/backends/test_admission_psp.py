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
    return ps.builtin_psp("restricted", RELEASE)


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


def test_root_groups_are_refused(restricted: tuple[dict, dict]) -> None:
    _, spec = restricted
    for key in ("supplementalGroups", "fsGroup"):
        assert spec[key] == {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]}


@pytest.mark.parametrize(("release", "has_ephemeral"), [((1, 18), False), ((1, 19), True), ((1, 24), True)])
def test_ephemeral_volumes_only_where_psp_knows_them(release: tuple[int, int], has_ephemeral: bool) -> None:
    assert ("ephemeral" in ps.builtin_psp("restricted", release)[1]["volumes"]) is has_ephemeral


def test_baseline_and_privileged_are_the_documented_policies() -> None:
    annotations, spec = ps.builtin_psp("baseline", RELEASE)
    assert spec["privileged"] is False and "hostPath" not in spec["volumes"]
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (False, False, False)
    assert "hostPorts" not in spec
    assert annotations[ps.APPARMOR_DEFAULT] == "runtime/default"
    annotations, spec = ps.builtin_psp("privileged", RELEASE)
    assert spec["privileged"] is True and spec["volumes"] == ["*"] and annotations[ps.SECCOMP_ALLOWED] == "*"


def test_custom_profile_maps_every_control() -> None:
    profile = ps.Profile(privileged=False, allow_privilege_escalation=False, require_non_root=True,
                         host_network=False, host_pid=False, host_ipc=False, host_process=False,
                         host_ports=((8080, 8080),), capabilities_add=frozenset({"NET_BIND_SERVICE"}),
                         capabilities_drop=frozenset({"ALL"}), seccomp=frozenset({"runtime/default", "unset"}),
                         apparmor=frozenset({"runtime/default"}), unmasked_proc_mount=False,
                         sysctls=frozenset({"kernel.shm_rmid_forced", "net.core.somaxconn"}),
                         volumes=frozenset({"configMap", "secret"}), require_read_only_root=True)
    annotations, spec, notes = ps.custom_psp(profile, RELEASE)
    assert notes == []
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

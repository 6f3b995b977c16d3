"""Pod security: the Pod Security Standards as data, and what each release enforces them with.

One model, `Profile`, holds a value per control of the Pod Security Standards
(kubernetes.io/docs/concepts/security/pod-security-standards/, checks in
staging/src/k8s.io/pod-security-admission/policy/check_*.go). The built-in levels are
`Profile`s; a custom `pod-security-policy` block starts from one and changes controls.

From a profile this module builds, per release:

* Pod Security Admission namespace labels (`psa_labels`), 1.22+ (1.22 behind a feature gate);
* PodSecurityPolicy specs (`custom_psp` for any profile, `builtin_psp` for the levels as `CHECKS`
  define them), up to 1.24;
* ValidatingAdmissionPolicy validations in CEL (`cel_validations`), one per control, 1.30+.

docs/pod-security.md documents the mapping control by control.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

LEVELS = ("privileged", "baseline", "restricted")
# Label order: Kubernetes documents enforce, audit, warn; the writer sorts keys anyway.
MODES = ("enforce", "audit", "warn")
PSA_LABEL_PREFIX = "pod-security.kubernetes.io/"

# What each release enforces pod security with: the one table the release rules
# (check/admission.py) and the pod-security backends' `supports` (backends/psa.py, psp.py,
# vap.py) read.
# - Pod Security Admission: alpha behind the PodSecurity feature gate in 1.22, beta and on by
#   default in 1.23, GA in 1.25 (KEP-2579; kubernetes.io/docs/concepts/security/pod-security-admission/).
# - PodSecurityPolicy (policy/v1beta1): removed in 1.25 (kubernetes.io/docs/reference/using-api/
#   deprecation-guide/#psp-v125); the API server of 1.25+ refuses the admission plugin.
# - ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1): alpha 1.26, beta (v1beta1, off by
#   default) 1.28, GA 1.30 (KEP-3488).
PSA_ALPHA = (1, 22)
PSA_DEFAULT_ON = (1, 23)
PSP_REMOVED = (1, 25)
VAP_ALPHA = (1, 26)
VAP_BETA = (1, 28)
VAP_GA = (1, 30)
PSP_PLUGIN = "PodSecurityPolicy"  # the admission plugin that enforces PodSecurityPolicies
BUILTIN_PSP_PREFIX = "policyc-"  # PodSecurityPolicies for the levels: `policyc-restricted`, ...


def psa_served(release: tuple[int, int]) -> bool:
    """Whether the release has Pod Security Admission (namespace labels)."""
    return release >= PSA_ALPHA


def psp_served(release: tuple[int, int]) -> bool:
    """Whether the release serves PodSecurityPolicy (when its admission plugin is on)."""
    return release < PSP_REMOVED


def vap_served(release: tuple[int, int]) -> bool:
    """Whether the release serves ValidatingAdmissionPolicy without a feature gate."""
    return release >= VAP_GA


def psp_for(levels: dict[str, str], profile: str | None, profiles: Iterable[str]) -> str | None:
    """The PodSecurityPolicy a namespace's service accounts may use when PSP admission is on.

    Its custom profile when it names a checked one (`profiles`), else the built-in policy of
    its `enforce` level (privileged when only warn or audit are set), else none.
    """
    if profile is not None:
        return profile if profile in profiles else None
    if levels:
        return BUILTIN_PSP_PREFIX + levels.get("enforce", "privileged")
    return None

# PSS baseline "Capabilities": what may be added (check_capabilities_baseline.go).
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})

# Volume types as PodSecurityPolicy names them (pkg/apis/policy/types.go FSType), with the
# Volume field of a pod that selects each one and the first release whose Pod API has it.
VOLUME_TYPES: dict[str, tuple[str, tuple[int, int]]] = {
    "awsElasticBlockStore": ("awsElasticBlockStore", (1, 0)),
    "azureDisk": ("azureDisk", (1, 0)),
    "azureFile": ("azureFile", (1, 0)),
    "cephFS": ("cephfs", (1, 0)),
    "cinder": ("cinder", (1, 0)),
    "configMap": ("configMap", (1, 0)),
    "csi": ("csi", (1, 0)),
    "downwardAPI": ("downwardAPI", (1, 0)),
    "emptyDir": ("emptyDir", (1, 0)),
    "ephemeral": ("ephemeral", (1, 19)),
    "fc": ("fc", (1, 0)),
    "flexVolume": ("flexVolume", (1, 0)),
    "flocker": ("flocker", (1, 0)),
    "gcePersistentDisk": ("gcePersistentDisk", (1, 0)),
    "gitRepo": ("gitRepo", (1, 0)),
    "glusterfs": ("glusterfs", (1, 0)),
    "hostPath": ("hostPath", (1, 0)),
    "image": ("image", (1, 31)),
    "iscsi": ("iscsi", (1, 0)),
    "nfs": ("nfs", (1, 0)),
    "persistentVolumeClaim": ("persistentVolumeClaim", (1, 0)),
    "photonPersistentDisk": ("photonPersistentDisk", (1, 0)),
    "portworxVolume": ("portworxVolume", (1, 0)),
    "projected": ("projected", (1, 0)),
    "quobyte": ("quobyte", (1, 0)),
    "rbd": ("rbd", (1, 0)),
    "scaleIO": ("scaleIO", (1, 0)),
    "secret": ("secret", (1, 0)),
    "storageos": ("storageos", (1, 0)),
    "vsphereVolume": ("vsphereVolume", (1, 0)),
}
# PSS restricted "Volume Types" (check_restrictedVolumes.go restrictedVolumes_1_0: an allow-list that
# includes `volume.Image`).
RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected",
     "secret"}
)

# Safe sysctls by the release that added them (kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/;
# PSS baseline "Sysctls", check_sysctls.go).
_SAFE_SYSCTLS: tuple[tuple[str, tuple[int, int]], ...] = (
    ("kernel.shm_rmid_forced", (1, 0)),
    ("net.ipv4.ip_local_port_range", (1, 0)),
    ("net.ipv4.tcp_syncookies", (1, 0)),
    ("net.ipv4.ping_group_range", (1, 18)),
    ("net.ipv4.ip_unprivileged_port_start", (1, 22)),
    ("net.ipv4.ip_local_reserved_ports", (1, 27)),
    ("net.ipv4.tcp_keepalive_time", (1, 29)),
    ("net.ipv4.tcp_fin_timeout", (1, 29)),
    ("net.ipv4.tcp_keepalive_intvl", (1, 29)),
    ("net.ipv4.tcp_keepalive_probes", (1, 29)),
    ("net.ipv4.tcp_rmem", (1, 32)),
    ("net.ipv4.tcp_wmem", (1, 32)),
    ("net.ipv4.tcp_slow_start_after_idle", (1, 37)),  # check_sysctls.go sysctlsAllowedV1Dot37
    ("net.ipv4.tcp_notsent_lowat", (1, 37)),
)

# PSS baseline "SELinux" types (check_seLinuxOptions.go; container_engine_t since 1.31).
_SELINUX_TYPES: tuple[tuple[str, tuple[int, int]], ...] = (
    ("", (1, 0)),
    ("container_t", (1, 0)),
    ("container_init_t", (1, 0)),
    ("container_kvm_t", (1, 0)),
    ("container_engine_t", (1, 31)),
)

SAFE = "safe"  # sysctls: the safe set of the target release
SECCOMP_VALUES = ("runtime/default", "localhost/*", "unconfined", "unset")
APPARMOR_VALUES = ("runtime/default", "localhost/*", "unconfined")


def safe_sysctls(release: tuple[int, int]) -> tuple[str, ...]:
    """The sysctls Kubernetes `release` considers safe, sorted."""
    return tuple(sorted(name for name, since in _SAFE_SYSCTLS if release >= since))


def selinux_types(release: tuple[int, int]) -> tuple[str, ...]:
    """The SELinux types the baseline level allows in `release` ("" is unset)."""
    return tuple(t for t, since in _SELINUX_TYPES if release >= since)


def volume_types(release: tuple[int, int]) -> tuple[str, ...]:
    """Volume type names (PSP spelling) the Pod API of `release` has, sorted."""
    return tuple(sorted(n for n, (_, since) in VOLUME_TYPES.items() if release >= since))


@dataclass(frozen=True)
class Profile:
    """What a pod may do, control by control. `None` means anything is allowed for that control.

    Booleans named `*` allow something when True; `require_*` demand something when True.
    Seccomp and AppArmor hold the allowed profiles (`runtime/default`, `localhost/*`,
    `localhost/NAME`, `unconfined`, and for seccomp `unset`).
    """

    privileged: bool = True
    allow_privilege_escalation: bool = True
    require_non_root: bool = False
    host_network: bool = True
    host_pid: bool = True
    host_ipc: bool = True
    host_process: bool = True
    host_ports: tuple[tuple[int, int], ...] | None = None  # allowed ranges; () = none
    capabilities_add: frozenset[str] | None = None
    capabilities_drop: frozenset[str] = frozenset()
    seccomp: frozenset[str] | None = None
    apparmor: frozenset[str] | None = None
    restrict_selinux: bool = False
    unmasked_proc_mount: bool = True
    sysctls: frozenset[str] | str | None = None  # None any, SAFE, or an explicit set
    volumes: frozenset[str] | None = None
    require_read_only_root: bool = False
    # Probe and lifecycle handlers may name a `host` (check_hostProbesAndhostLifecycle.go, baseline 1.34+).
    host_probes: bool = True
    # Controls a pod in a user namespace (`spec.hostUsers: false`) is exempt from (check_runAsNonRoot.go,
    # check_runAsUser.go, check_procMount_baseline.go: relaxPolicyForUserNamespacePod, 1.35+).
    userns_relaxes: frozenset[str] = frozenset()
    # Windows pods (`spec.os.name: windows`) are exempt from allow-privilege-escalation, capabilities and
    # the seccomp requirement (check_allowPrivilegeEscalation.go, check_capabilities_restricted.go,
    # check_seccompProfile_restricted.go, 1.25+); the API server refuses those fields on them.
    windows_exempt: bool = False


PRIVILEGED = Profile()
BASELINE = Profile(
    privileged=False,
    host_network=False,
    host_pid=False,
    host_ipc=False,
    host_process=False,
    host_ports=(),
    capabilities_add=BASELINE_CAPABILITIES,
    seccomp=frozenset({"runtime/default", "localhost/*", "unset"}),
    apparmor=frozenset({"runtime/default", "localhost/*"}),
    restrict_selinux=True,
    unmasked_proc_mount=False,
    sysctls=SAFE,
    volumes=frozenset(VOLUME_TYPES) - {"hostPath"},
)
RESTRICTED = replace(
    BASELINE,
    allow_privilege_escalation=False,
    require_non_root=True,
    capabilities_add=RESTRICTED_CAPABILITIES,
    capabilities_drop=frozenset({"ALL"}),
    seccomp=frozenset({"runtime/default", "localhost/*"}),
    volumes=RESTRICTED_VOLUMES,
)
LEVEL_PROFILES = {"privileged": PRIVILEGED, "baseline": BASELINE, "restricted": RESTRICTED}

# Controls a user namespace may relax (language `user-namespaces`), as upstream names the checks.
USERNS_CONTROLS = ("proc-mount", "run-as-user")


@dataclass(frozen=True)
class Check:
    """One version of one upstream Pod Security check (kubernetes/pod-security-admission policy/).

    `first`..`last` are the releases this version of the check applies to (`last` None: still
    current); `control` is the profile control (language key) that enforces it; `allows` is what
    a pod may do under it; `relax` names what this version exempts (`user-namespaces`: pods with
    `hostUsers: false`; `windows`: pods with `spec.os.name: windows`).
    """

    id: str
    level: str
    first: tuple[int, int]
    last: tuple[int, int] | None
    control: str
    allows: str
    source: str
    relax: str = ""


_SEL = "SELinux type unset, `container_t`, `container_init_t`, `container_kvm_t`; no user or role"
_ALL = "undefined/null"
# One row per version of each check, written from policy/check_*.go (MinimumVersion of each
# VersionedCheck; a version ends where the next one starts). Adding a release that changes a check
# is a row here (and, for sysctls or SELinux types, an entry in the lists above).
CHECKS: tuple[Check, ...] = (
    Check("hostNamespaces", "baseline", (1, 0), None, "host-network, host-pid, host-ipc",
          "`hostNetwork`, `hostPID`, `hostIPC` unset or false", "check_hostNamespaces.go"),
    Check("privileged", "baseline", (1, 0), None, "privileged", "`privileged` unset or false",
          "check_privileged.go"),
    Check("capabilities_baseline", "baseline", (1, 0), None, "capabilities add",
          "adding only " + ", ".join(sorted(BASELINE_CAPABILITIES)), "check_capabilities_baseline.go"),
    Check("hostPathVolumes", "baseline", (1, 0), None, "volumes", "no `hostPath` volume",
          "check_hostPathVolumes.go"),
    Check("hostPorts", "baseline", (1, 0), None, "host-ports", "`hostPort` unset or 0", "check_hostPorts.go"),
    Check("appArmorProfile", "baseline", (1, 0), None, "apparmor", "unset, `runtime/default`, `localhost/*`",
          "check_appArmorProfile.go"),
    Check("seLinuxOptions", "baseline", (1, 0), (1, 30), "selinux", _SEL, "check_seLinuxOptions.go"),
    Check("seLinuxOptions", "baseline", (1, 31), None, "selinux", _SEL.replace("; no", ", `container_engine_t`; no"),
          "check_seLinuxOptions.go"),
    Check("procMount", "baseline", (1, 0), (1, 34), "proc-mount", "`procMount` unset or `Default`",
          "check_procMount_baseline.go"),
    Check("procMount", "baseline", (1, 35), None, "proc-mount", "`procMount` unset or `Default`",
          "check_procMount_baseline.go", relax="user-namespaces"),
    Check("seccompProfile_baseline", "baseline", (1, 0), None, "seccomp", "any profile but `Unconfined`",
          "check_seccompProfile_baseline.go"),
    Check("sysctls", "baseline", (1, 0), None, "sysctls", "the safe sysctls of the release", "check_sysctls.go"),
    Check("windowsHostProcess", "baseline", (1, 0), None, "host-process", "`windowsOptions.hostProcess` not true",
          "check_windowsHostProcess.go"),
    Check("hostProbesAndHostLifecycle", "baseline", (1, 34), None, "host-probes",
          "probe and lifecycle `httpGet.host` / `tcpSocket.host` unset or empty",
          "check_hostProbesAndhostLifecycle.go"),
    Check("restrictedVolumes", "restricted", (1, 0), None, "volumes",
          "only " + ", ".join(sorted(RESTRICTED_VOLUMES)) + " volumes", "check_restrictedVolumes.go"),
    Check("allowPrivilegeEscalation", "restricted", (1, 8), (1, 24), "allow-privilege-escalation",
          "`allowPrivilegeEscalation: false` on every container", "check_allowPrivilegeEscalation.go"),
    Check("allowPrivilegeEscalation", "restricted", (1, 25), None, "allow-privilege-escalation",
          "`allowPrivilegeEscalation: false` on every container", "check_allowPrivilegeEscalation.go",
          relax="windows"),
    Check("runAsNonRoot", "restricted", (1, 0), (1, 34), "run-as-user",
          "`runAsNonRoot: true` on the pod (no container false) or on every container",
          "check_runAsNonRoot.go"),
    Check("runAsNonRoot", "restricted", (1, 35), None, "run-as-user",
          "`runAsNonRoot: true` on the pod (no container false) or on every container",
          "check_runAsNonRoot.go", relax="user-namespaces"),
    Check("runAsUser", "restricted", (1, 23), (1, 34), "run-as-user", "`runAsUser` unset or not 0",
          "check_runAsUser.go"),
    Check("runAsUser", "restricted", (1, 35), None, "run-as-user", "`runAsUser` unset or not 0",
          "check_runAsUser.go", relax="user-namespaces"),
    Check("seccompProfile_restricted", "restricted", (1, 19), (1, 24), "seccomp",
          "`RuntimeDefault` or `Localhost` set on the pod or on every container",
          "check_seccompProfile_restricted.go"),
    Check("seccompProfile_restricted", "restricted", (1, 25), None, "seccomp",
          "`RuntimeDefault` or `Localhost` set on the pod or on every container",
          "check_seccompProfile_restricted.go", relax="windows"),
    Check("capabilities_restricted", "restricted", (1, 22), (1, 24), "capabilities drop",
          "drop `ALL`, add only `NET_BIND_SERVICE`", "check_capabilities_restricted.go"),
    Check("capabilities_restricted", "restricted", (1, 25), None, "capabilities drop",
          "drop `ALL`, add only `NET_BIND_SERVICE`", "check_capabilities_restricted.go", relax="windows"),
    Check("procMount_restricted", "restricted", (1, 35), None, "proc-mount",
          "`procMount` unset or `Default`, also in a user namespace", "check_procMount_restricted.go"),
)


def checks_at(level: str, release: tuple[int, int]) -> tuple[Check, ...]:
    """The checks `level` applies at `release` (a restricted pod also passes the baseline checks)."""
    levels = LEVELS[1: LEVELS.index(level) + 1]
    return tuple(c for c in CHECKS if c.level in levels and c.first <= release
                 and (c.last is None or release <= c.last))


def level_profile(level: str, release: tuple[int, int]) -> Profile:
    """The profile upstream's checks of `level` enforce at `release`, from `CHECKS`."""
    profile = LEVEL_PROFILES[level]
    if level == "privileged":
        return profile
    checks = checks_at(level, release)
    ids = {c.id for c in checks}
    relaxed = {c.control for c in checks if c.relax == "user-namespaces"}
    # A restricted check that overrides a relaxed baseline one (procMount_restricted) keeps it strict.
    relaxed -= {c.control for c in checks if c.level == level != "baseline" and c.relax == "" and
                any(o.control == c.control and o.relax == "user-namespaces" for o in checks)}
    # Restricted checks younger than the release leave their control as baseline has it
    # (check_seccompProfile_restricted.go from 1.19, check_capabilities_restricted.go from 1.22):
    # `restricted` pinned to v1.18 admits a pod without a seccomp profile, as PSA does.
    if level == "restricted":
        if "seccompProfile_restricted" not in ids:
            profile = replace(profile, seccomp=BASELINE.seccomp)
        if "capabilities_restricted" not in ids:
            profile = replace(profile, capabilities_add=BASELINE.capabilities_add, capabilities_drop=frozenset())
    return replace(
        profile,
        host_probes="hostProbesAndHostLifecycle" not in ids,
        userns_relaxes=frozenset(relaxed),
        windows_exempt=any(c.relax == "windows" for c in checks),
    )


# --------------------------------------------------------------------------------------
# Comparing profiles
# --------------------------------------------------------------------------------------


def _covered(value: str, allowed: frozenset[str]) -> bool:
    return value in allowed or (value.startswith("localhost/") and "localhost/*" in allowed)


def _subset(mine: frozenset[str] | None, theirs: frozenset[str] | None) -> bool:
    if theirs is None:
        return True
    if mine is None:
        return False
    return all(_covered(v, theirs) for v in mine)


def _sysctl_set(value: frozenset[str] | str | None, release: tuple[int, int]) -> frozenset[str] | None:
    if value == SAFE:
        return frozenset(safe_sysctls(release))
    return value  # type: ignore[return-value]


def _ports_within(mine: tuple[tuple[int, int], ...] | None, theirs: tuple[tuple[int, int], ...] | None) -> bool:
    if theirs is None:
        return True
    if mine is None:
        return False
    return all(any(lo >= a and hi <= b for a, b in theirs) for lo, hi in mine)


def weaker_controls(profile: Profile, level: Profile, release: tuple[int, int]) -> list[str]:
    """The controls where `profile` allows something `level` forbids (empty: at least as strict)."""
    out = []
    for name, allows in (
        ("privileged", "privileged"),
        ("allow-privilege-escalation", "allow_privilege_escalation"),
        ("host-network", "host_network"),
        ("host-pid", "host_pid"),
        ("host-ipc", "host_ipc"),
        ("host-process", "host_process"),
        ("proc-mount", "unmasked_proc_mount"),
        ("host-probes", "host_probes"),
        ("windows-exempt", "windows_exempt"),
    ):
        if getattr(profile, allows) and not getattr(level, allows):
            out.append(name)
    if not profile.userns_relaxes <= level.userns_relaxes:
        out.append("user-namespaces")
    for name, requires in (
        ("run-as-user", "require_non_root"),
        ("selinux", "restrict_selinux"),
        ("read-only-root-filesystem", "require_read_only_root"),
    ):
        if getattr(level, requires) and not getattr(profile, requires):
            out.append(name)
    if not _ports_within(profile.host_ports, level.host_ports):
        out.append("host-ports")
    if not _subset(profile.capabilities_add, level.capabilities_add):
        out.append("capabilities add")
    if "ALL" not in profile.capabilities_drop and not level.capabilities_drop <= profile.capabilities_drop:
        out.append("capabilities drop")
    if not _subset(profile.seccomp, level.seccomp):
        out.append("seccomp")
    if not _subset(profile.apparmor, level.apparmor):
        out.append("apparmor")
    if not _subset(_sysctl_set(profile.sysctls, release), _sysctl_set(level.sysctls, release)):
        out.append("sysctls")
    if not _subset(profile.volumes, level.volumes):
        out.append("volumes")
    return out


# --------------------------------------------------------------------------------------
# Pod Security Admission
# --------------------------------------------------------------------------------------


def psa_labels(levels: dict[str, str], release: tuple[int, int], latest: Iterable[str] = ()) -> dict[str, str]:
    """`pod-security.kubernetes.io/MODE` and `MODE-version` (pinned to `release`, or `latest` for the
    modes in `latest`) for each mode set.

    Pinning the version keeps a cluster upgrade from tightening the checks under running workloads
    (kubernetes.io/docs/concepts/security/pod-security-admission/, "labels for namespaces");
    `latest` applies the checks of the API server's own release.
    """
    version = f"v{release[0]}.{release[1]}"
    latest = set(latest)
    out: dict[str, str] = {}
    for mode, level_label, version_label in _MODE_LABELS:
        if mode in levels:
            out[level_label] = levels[mode]
            out[version_label] = "latest" if mode in latest else version
    return out


# Each mode's two label names, made once: every namespace's labels share them (issue 19).
_MODE_LABELS = tuple((mode, f"{PSA_LABEL_PREFIX}{mode}", f"{PSA_LABEL_PREFIX}{mode}-version") for mode in MODES)


# --------------------------------------------------------------------------------------
# PodSecurityPolicy (policy/v1beta1, up to 1.24)
# --------------------------------------------------------------------------------------

SECCOMP_ALLOWED = "seccomp.security.alpha.kubernetes.io/allowedProfileNames"
SECCOMP_DEFAULT = "seccomp.security.alpha.kubernetes.io/defaultProfileName"
APPARMOR_ALLOWED = "apparmor.security.beta.kubernetes.io/allowedProfileNames"
APPARMOR_DEFAULT = "apparmor.security.beta.kubernetes.io/defaultProfileName"

def _psp_volumes(names: Iterable[str], release: tuple[int, int]) -> list[str]:
    """PSP volume names the release's API server accepts (`ephemeral` is an FSType from 1.19)."""
    return sorted(n for n in names if n == "*" or VOLUME_TYPES[n][1] <= release)


def builtin_psp(level: str, release: tuple[int, int]) -> tuple[dict[str, str], dict, list[str]]:
    """(annotations, spec, notes) of the PodSecurityPolicy `policyc-LEVEL`: the level as `CHECKS`
    define it at `release` (`level_profile`), compiled like any profile (`custom_psp`).

    Not the Kubernetes documentation's example PSPs (website content/en/examples/policy/
    {baseline,restricted}-psp.yaml): those let baseline add `NET_RAW` and run seccomp `unconfined`,
    and refuse restricted's `NET_BIND_SERVICE`, which the standard's checks
    (check_capabilities_baseline.go, check_seccompProfile_baseline.go,
    check_capabilities_restricted.go) decide otherwise. `notes` name what PSP cannot express.
    """
    return custom_psp(level_profile(level, release), release)


def _profile_names(allowed: frozenset[str], aliases: dict[str, tuple[str, ...]]) -> list[str]:
    names: set[str] = set()
    for value in allowed:
        names.update(aliases.get(value, (value,)))
    return sorted(names)


def custom_psp(profile: Profile, release: tuple[int, int]) -> tuple[dict[str, str], dict, list[str]]:
    """(annotations, spec, notes) of the PodSecurityPolicy for a custom profile.

    `notes` name what a PodSecurityPolicy cannot express; the policy compiles to the nearest
    PSP that still forbids what the profile forbids where PSP can, and the notes become warnings.
    """
    notes: list[str] = []
    annotations: dict[str, str] = {}
    spec: dict = {
        "privileged": profile.privileged,
        "allowPrivilegeEscalation": profile.allow_privilege_escalation,
        "hostNetwork": profile.host_network,
        "hostPID": profile.host_pid,
        "hostIPC": profile.host_ipc,
    }
    if profile.host_ports is None:
        spec["hostPorts"] = [{"min": 0, "max": 65535}]
    elif profile.host_ports:
        spec["hostPorts"] = [{"min": lo, "max": hi} for lo, hi in profile.host_ports]
    spec["readOnlyRootFilesystem"] = profile.require_read_only_root
    if profile.capabilities_drop:
        spec["requiredDropCapabilities"] = sorted(profile.capabilities_drop)
    if profile.capabilities_add is None:
        spec["allowedCapabilities"] = ["*"]
    elif profile.capabilities_add:
        spec["allowedCapabilities"] = sorted(profile.capabilities_add)
    spec["volumes"] = ["*"] if profile.volumes is None else _psp_volumes(profile.volumes, release)
    spec["runAsUser"] = {"rule": "MustRunAsNonRoot" if profile.require_non_root else "RunAsAny"}
    if profile.require_non_root:
        # provider.go ValidateContainer judges each container's effective runAsNonRoot (container over pod,
        # NewEffectiveContainerSecurityContextAccessor); check_runAsNonRoot.go refuses any pod-level false.
        notes.append("a PodSecurityPolicy judges each container's effective `runAsNonRoot`: a pod-level "
                     "`runAsNonRoot: false` that every container overrides with `true` is admitted")
    spec["seLinux"] = {"rule": "RunAsAny"}
    if profile.restrict_selinux:
        notes.append("a PodSecurityPolicy cannot limit SELinux types to a list: `selinux` compiles to "
                     "`RunAsAny`, as the Kubernetes example policies do")
    spec["supplementalGroups"] = {"rule": "RunAsAny"}
    spec["fsGroup"] = {"rule": "RunAsAny"}
    if profile.unmasked_proc_mount:
        spec["allowedProcMountTypes"] = ["Default", "Unmasked"]
    if not profile.host_process and profile.host_network:
        notes.append("a PodSecurityPolicy cannot forbid Windows HostProcess pods on its own: "
                     "forbid `host-network`, which HostProcess pods require")
    if not profile.host_probes:
        notes.append("a PodSecurityPolicy cannot forbid probe or lifecycle hosts: `host-probes no` is not "
                     "enforced (Pod Security Admission enforces it from 1.34)")
    if profile.userns_relaxes:
        notes.append("a PodSecurityPolicy cannot relax controls for pods in a user namespace (`hostUsers` is "
                     "1.25+): `user-namespaces` is not applied, the controls hold for every pod")
    if profile.windows_exempt and (not profile.allow_privilege_escalation or profile.capabilities_drop
                                   or (profile.seccomp is not None and "unset" not in profile.seccomp)):
        notes.append("a PodSecurityPolicy cannot exempt Windows pods: `windows-exempt yes` is not applied")
    sysctls = _sysctl_set(profile.sysctls, release)
    if sysctls is None:
        spec["allowedUnsafeSysctls"] = ["*"]
    elif profile.sysctls != SAFE:
        safe = set(safe_sysctls(release))
        if sysctls - safe:
            spec["allowedUnsafeSysctls"] = sorted(sysctls - safe)
        if safe - sysctls:
            spec["forbiddenSysctls"] = sorted(safe - sysctls)
    if profile.seccomp is None:
        annotations[SECCOMP_ALLOWED] = "*"
    else:
        allowed = {v for v in profile.seccomp if v not in ("unset", "localhost/*")}
        if "localhost/*" in profile.seccomp:
            notes.append("a PodSecurityPolicy cannot allow every localhost seccomp profile: "
                         "name them (`seccomp localhost/NAME`)")
        if "unset" not in profile.seccomp:
            # seccomp/strategy.go ValidatePod checks the pod-level profile whatever the containers set.
            notes.append("a PodSecurityPolicy checks the pod-level seccomp profile too: pods that set one only "
                         "per container are refused")
        names = _profile_names(frozenset(allowed), {"runtime/default": ("runtime/default", "docker/default")})
        annotations[SECCOMP_ALLOWED] = ",".join(names)
        if "unset" in profile.seccomp:
            default = "runtime/default" if "runtime/default" in allowed else (
                "unconfined" if "unconfined" in allowed else None)
            if default is None:
                notes.append("a PodSecurityPolicy admits pods without a seccomp profile only by setting one: "
                             "allow `runtime/default` or `unconfined` as well as `unset`")
            else:
                annotations[SECCOMP_DEFAULT] = default
    if profile.apparmor is not None:
        allowed = {v for v in profile.apparmor if v != "localhost/*"}
        if "localhost/*" in profile.apparmor:
            notes.append("a PodSecurityPolicy cannot allow every localhost AppArmor profile: "
                         "name them (`apparmor localhost/NAME`)")
        annotations[APPARMOR_ALLOWED] = ",".join(sorted(allowed))
        # Without a default, pods that set no AppArmor profile would be refused (PSS allows them).
        if "runtime/default" in allowed:
            annotations[APPARMOR_DEFAULT] = "runtime/default"
    return dict(sorted(annotations.items())), spec, notes


# --------------------------------------------------------------------------------------
# ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, 1.30+): CEL per control
# --------------------------------------------------------------------------------------

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_POD_SC = "object.spec.securityContext"
_WINDOWS_POD = "(has(object.spec.os) && object.spec.os.name == 'windows')"
_WINDOWS = _WINDOWS_POD + " || "
# A pod in a user namespace (helpers.go relaxPolicyForUserNamespacePod: hostUsers set and false).
_USERNS = "(has(object.spec.hostUsers) && object.spec.hostUsers == false) || "
# The exemptions as the validations start with them (importer/vap.py reads them back).
USERNS_PREFIX, WINDOWS_PREFIX, WINDOWS_POD = _USERNS, _WINDOWS, _WINDOWS_POD


def _str_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in sorted(values)) + "]"


def _all_containers(predicate: str) -> str:
    """`predicate` (over `c`) holds for every container, init container and ephemeral container."""
    parts = ["object.spec.containers.all(c, " + predicate + ")"]
    for name in _CONTAINER_LISTS[1:]:
        parts.append(f"(!has(object.spec.{name}) || object.spec.{name}.all(c, {predicate}))")
    return " && ".join(parts)


def _field(base: str, *path: str) -> str:
    """`has(base.a) && has(base.a.b) ...`: every step of `path` below `base` is set."""
    checks, cur = [], base
    for step in path:
        cur = f"{cur}.{step}"
        checks.append(f"has({cur})")
    return " && ".join(checks)


def _is_true(base: str, *path: str) -> str:
    return f"({_field(base, *path)} && {base}.{'.'.join(path)} == true)"


def _profile_ok(var: str, allowed: frozenset[str], unconfined: str = "Unconfined") -> str:
    """CEL that a seccomp/AppArmor profile object `var` is one of `allowed`."""
    terms = []
    if "runtime/default" in allowed:
        terms.append(f"{var}.type == 'RuntimeDefault'")
    if "localhost/*" in allowed:
        terms.append(f"{var}.type == 'Localhost'")
    else:
        named = [v.partition("/")[2] for v in allowed if v.startswith("localhost/")]
        if named:
            terms.append(f"({var}.type == 'Localhost' && has({var}.localhostProfile) && "
                         f"{var}.localhostProfile in {_str_list(named)})")
    if "unconfined" in allowed:
        terms.append(f"{var}.type == '{unconfined}'")
    return "(" + " || ".join(terms) + ")" if terms else "false"


def _annotation_ok(var: str, allowed: frozenset[str]) -> str:
    """CEL that an AppArmor annotation value `var` is allowed (empty means unset)."""
    terms = [f"{var} == ''"]
    if "runtime/default" in allowed:
        terms.append(f"{var} == 'runtime/default'")
    if "localhost/*" in allowed:
        terms.append(f"{var}.startsWith('localhost/')")
    else:
        named = [v for v in allowed if v.startswith("localhost/")]
        if named:
            terms.append(f"{var} in {_str_list(named)}")
    if "unconfined" in allowed:
        terms.append(f"{var} == 'unconfined'")
    return "(" + " || ".join(terms) + ")"


@dataclass(frozen=True)
class Validation:
    """One ValidatingAdmissionPolicy validation: the control it enforces, its CEL and its message."""

    control: str
    expression: str
    message: str


def cel_validations(name: str, profile: Profile, release: tuple[int, int]) -> list[Validation]:
    """One CEL validation per restricted control of `profile`, over containers, init and ephemeral containers.

    The expressions use only `object`, `has()`, `all()`, `in`, `startsWith` and comparisons,
    which Kubernetes' CEL environment accepts and the tests evaluate with cel-python.
    """
    out: list[Validation] = []

    def add(control: str, expression: str, what: str) -> None:
        out.append(Validation(control, expression, f"{name}: {what} (control {control})"))

    for control, field in (("host-network", "hostNetwork"), ("host-pid", "hostPID"), ("host-ipc", "hostIPC")):
        if not getattr(profile, control.replace("-", "_")):
            add(control, f"!{_is_true('object.spec', field)}", f"spec.{field} must not be true")
    if not profile.host_process:
        add(
            "host-process",
            f"!{_is_true('object.spec', 'securityContext', 'windowsOptions', 'hostProcess')} && "
            + _all_containers(f"!{_is_true('c', 'securityContext', 'windowsOptions', 'hostProcess')}"),
            "Windows HostProcess pods are not allowed",
        )
    if not profile.privileged:
        add("privileged", _all_containers(f"!{_is_true('c', 'securityContext', 'privileged')}"),
            "containers must not be privileged")
    windows = _WINDOWS if profile.windows_exempt else ""
    if not profile.allow_privilege_escalation:
        add(
            "allow-privilege-escalation",
            windows + _all_containers(f"({_field('c', 'securityContext', 'allowPrivilegeEscalation')} && "
                                      "c.securityContext.allowPrivilegeEscalation == false)"),
            "containers must set securityContext.allowPrivilegeEscalation to false",
        )
    if profile.require_non_root:
        pod_set = _field("object.spec", "securityContext", "runAsNonRoot")
        pod_non_root = f"({pod_set} && {_POD_SC}.runAsNonRoot == true)"
        c_set = _field("c", "securityContext", "runAsNonRoot")
        # An explicit pod-level `runAsNonRoot: false` is refused whatever the containers say
        # (check_runAsNonRoot.go runAsNonRoot1_0: badSetters "pod").
        add(
            "run-as-user",
            (_USERNS if "run-as-user" in profile.userns_relaxes else "")
            + f"(!({pod_set} && {_POD_SC}.runAsNonRoot == false) && "
            f"({pod_non_root} ? {_all_containers(f'!({c_set} && c.securityContext.runAsNonRoot == false)')} : "
            f"{_all_containers(f'({c_set} && c.securityContext.runAsNonRoot == true)')}) && "
            f"!({_field('object.spec', 'securityContext', 'runAsUser')} && {_POD_SC}.runAsUser == 0) && "
            + _all_containers(f"!({_field('c', 'securityContext', 'runAsUser')} && c.securityContext.runAsUser == 0)")
            + ")",
            "pods must set runAsNonRoot to true and must not run as user 0",
        )
    if profile.host_ports is not None:
        ranges = " || ".join(f"(p.hostPort >= {lo} && p.hostPort <= {hi})" for lo, hi in profile.host_ports)
        allowed = "!has(p.hostPort) || p.hostPort == 0" + (f" || {ranges}" if ranges else "")
        shown = ", ".join(f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in profile.host_ports) or "none"
        add("host-ports", _all_containers(f"(!has(c.ports) || c.ports.all(p, {allowed}))"),
            f"host ports are limited to: {shown}")
    if profile.capabilities_add is not None:
        caps = profile.capabilities_add
        ok = f"x in {_str_list(caps)}" if caps else "false"
        add(
            "capabilities add",
            _all_containers(f"(!({_field('c', 'securityContext', 'capabilities', 'add')}) || "
                            f"c.securityContext.capabilities.add.all(x, {ok}))"),
            "containers may add only these capabilities: " + (", ".join(sorted(caps)) or "none"),
        )
    if profile.capabilities_drop:
        drop = "c.securityContext.capabilities.drop"
        need = "'ALL' in " + drop
        if profile.capabilities_drop != {"ALL"}:
            need = f"({need} || {_str_list(profile.capabilities_drop - {'ALL'})}.all(x, x in {drop}))"
        add(
            "capabilities drop",
            windows + _all_containers(f"({_field('c', 'securityContext', 'capabilities', 'drop')} && {need})"),
            "containers must drop these capabilities: " + ", ".join(sorted(profile.capabilities_drop)),
        )
    if profile.seccomp is not None:
        allowed = profile.seccomp
        pod_set = _field("object.spec", "securityContext", "seccompProfile")
        pod_ok = f"(!({pod_set}) || {_profile_ok(_POD_SC + '.seccompProfile', allowed)})"
        # Windows pods need not set a profile (check_seccompProfile_restricted.go, 1.25+).
        windows_unset = _WINDOWS_POD if profile.windows_exempt else "false"
        unset = "true" if "unset" in allowed else windows_unset
        per_c = (f"({_field('c', 'securityContext', 'seccompProfile')} ? "
                 f"{_profile_ok('c.securityContext.seccompProfile', allowed)} : ({pod_set} || {unset}))")
        add("seccomp", f"{pod_ok} && " + _all_containers(per_c),
            "the seccomp profile must be one of: " + ", ".join(sorted(allowed)))
    if profile.apparmor is not None:
        allowed = profile.apparmor
        ann = "object.metadata.annotations"
        key = "container.apparmor.security.beta.kubernetes.io/"
        ann_ok = (f"(!has({ann}) || {ann}.all(k, !k.startsWith('{key}') || "
                  f"{_annotation_ok(ann + '[k]', allowed)}))")
        pod_set = _field("object.spec", "securityContext", "appArmorProfile")
        pod_ok = f"(!({pod_set}) || {_profile_ok(_POD_SC + '.appArmorProfile', allowed)})"
        c_ok = (f"(!({_field('c', 'securityContext', 'appArmorProfile')}) || "
                f"{_profile_ok('c.securityContext.appArmorProfile', allowed)})")
        add("apparmor", f"{ann_ok} && {pod_ok} && " + _all_containers(c_ok),
            "the AppArmor profile must be unset or one of: " + ", ".join(sorted(allowed)))
    if profile.restrict_selinux:
        types = _str_list(selinux_types(release))

        def se_ok(base: str) -> str:
            o = f"{base}.seLinuxOptions"
            return (f"(!has({o}) || ((!has({o}.type) || {o}.type in {types}) && "
                    f"(!has({o}.user) || {o}.user == '') && (!has({o}.role) || {o}.role == '')))")

        add(
            "selinux",
            f"(!has({_POD_SC}) || {se_ok(_POD_SC)}) && "
            + _all_containers(f"(!has(c.securityContext) || {se_ok('c.securityContext')})"),
            "SELinux options may set only an allowed type, and no user or role",
        )
    if not profile.unmasked_proc_mount:
        add(
            "proc-mount",
            (_USERNS if "proc-mount" in profile.userns_relaxes else "")
            + _all_containers(f"(!({_field('c', 'securityContext', 'procMount')}) || "
                              "c.securityContext.procMount == 'Default')"),
            "procMount must be Default",
        )
    if not profile.host_probes:
        # check_hostProbesAndhostLifecycle.go: probes' and lifecycle handlers' httpGet/tcpSocket host "" or unset.
        handlers = [f"c.{p}" for p in ("livenessProbe", "readinessProbe", "startupProbe")] + [
            f"c.lifecycle.{h}" for h in ("postStart", "preStop")]
        terms = []
        for handler in handlers:
            for kind in ("httpGet", "tcpSocket"):
                path = handler.removeprefix("c.").split(".") + [kind, "host"]
                terms.append(f"!({_field('c', *path)} && {handler}.{kind}.host != '')")
        add("host-probes", _all_containers("(" + " && ".join(terms) + ")"),
            "probes and lifecycle handlers must not set a host")
    sysctls = _sysctl_set(profile.sysctls, release)
    if sysctls is not None:
        ok = f"s.name in {_str_list(sysctls)}" if sysctls else "false"
        add(
            "sysctls",
            f"!({_field('object.spec', 'securityContext', 'sysctls')}) || {_POD_SC}.sysctls.all(s, {ok})",
            "sysctls are limited to: " + (", ".join(sorted(sysctls)) or "none"),
        )
    if profile.volumes is not None:
        forbidden = [VOLUME_TYPES[n][0] for n in volume_types(release) if n not in profile.volumes]
        if forbidden:
            cond = " && ".join(f"!has(v.{f})" for f in sorted(forbidden))
            add(
                "volumes",
                f"!has(object.spec.volumes) || object.spec.volumes.all(v, {cond})",
                # Only the types the release has (`image` is 1.31+): the message says what is enforced.
                "volumes are limited to: " + (", ".join(n for n in volume_types(release) if n in profile.volumes)
                                              or "none"),
            )
    if profile.require_read_only_root:
        add(
            "read-only-root-filesystem",
            _all_containers(f"({_field('c', 'securityContext', 'readOnlyRootFilesystem')} && "
                            "c.securityContext.readOnlyRootFilesystem == true)"),
            "containers must set securityContext.readOnlyRootFilesystem to true",
        )
    return out

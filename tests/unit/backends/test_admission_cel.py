"""The CEL of the emitted ValidatingAdmissionPolicies, compiled and evaluated with cel-python.

Each pod below violates exactly one control of the profile (the name says which); the policy
must reject it through that control's validation and through no other. A compliant pod passes
every validation. The fields the CEL reads must exist in the Pod schema of the release, so that
the API server's type checker accepts the expressions.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers import compile_text
from policyc.k8s import podsecurity as ps

celpy = pytest.importorskip("celpy", reason="cel-python is a test extra (pip install -e '.[test]')")
celtypes = pytest.importorskip("celpy.celtypes")

SPEC_ORG_PROFILE = """kubernetes 1.30
pod-security-policy hardened {
  privileged no
  allow-privilege-escalation no
  run-as-user non-root
  capabilities drop ALL
  seccomp runtime/default
  read-only-root-filesystem yes
  host-network no, host-pid no, host-ipc no
  volumes configMap, secret, emptyDir, projected, persistentVolumeClaim, downwardAPI
}
namespace payments {
  pod-security hardened
}
"""


def _container(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": "registry.example.com/app:1",
        "ports": [{"containerPort": 8080}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        },
    }


COMPLIANT: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "app", "namespace": "payments",
                 "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}},
    "spec": {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
            "seLinuxOptions": {"level": "s0:c123,c456"},
            "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}],
        },
        "containers": [_container("app")],
        "initContainers": [_container("init")],
        "ephemeralContainers": [{k: v for k, v in _container("debug").items() if k != "ports"}],
        "volumes": [
            {"name": "config", "configMap": {"name": "app"}},
            {"name": "token", "projected": {"sources": []}},
            {"name": "scratch", "emptyDir": {}},
        ],
    },
}

Mutation = Callable[[dict[str, Any]], None]


def _sc(pod: dict[str, Any], which: str = "containers") -> dict[str, Any]:
    return pod["spec"][which][0]["securityContext"]


def _set(path: str, value: Any, which: str = "containers") -> Mutation:
    def mutate(pod: dict[str, Any]) -> None:
        target = _sc(pod, which)
        *parents, last = path.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = value

    return mutate


def _pod_sc(key: str, value: Any) -> Mutation:
    def mutate(pod: dict[str, Any]) -> None:
        pod["spec"]["securityContext"][key] = value

    return mutate


def _spec(key: str, value: Any) -> Mutation:
    def mutate(pod: dict[str, Any]) -> None:
        pod["spec"][key] = value

    return mutate


def _delete(path: str, which: str = "containers") -> Mutation:
    def mutate(pod: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = _sc(pod, which)
        for p in parents:
            target = target[p]
        del target[last]

    return mutate


def _volume(volume: dict[str, Any]) -> Mutation:
    def mutate(pod: dict[str, Any]) -> None:
        pod["spec"]["volumes"].append({"name": "extra", **volume})

    return mutate


def _annotation(value: str) -> Mutation:
    def mutate(pod: dict[str, Any]) -> None:
        pod["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/app"] = value

    return mutate


def _host_port(pod: dict[str, Any]) -> None:
    pod["spec"]["initContainers"][0]["ports"] = [{"containerPort": 80, "hostPort": 80}]


def _no_non_root(pod: dict[str, Any]) -> None:
    del pod["spec"]["securityContext"]["runAsNonRoot"]


def _no_seccomp(pod: dict[str, Any]) -> None:
    del pod["spec"]["securityContext"]["seccompProfile"]


# (id, mutation, the one control it violates) -- for the restricted level and for `hardened`.
VIOLATIONS: list[tuple[str, Mutation, str]] = [
    ("host-network", _spec("hostNetwork", True), "host-network"),
    ("host-pid", _spec("hostPID", True), "host-pid"),
    ("host-ipc", _spec("hostIPC", True), "host-ipc"),
    ("host-process", _set("windowsOptions.hostProcess", True), "host-process"),
    ("host-process-pod", _pod_sc("windowsOptions", {"hostProcess": True}), "host-process"),
    ("privileged", _set("privileged", True), "privileged"),
    ("privileged-init", _set("privileged", True, "initContainers"), "privileged"),
    ("privileged-ephemeral", _set("privileged", True, "ephemeralContainers"), "privileged"),
    ("escalation-true", _set("allowPrivilegeEscalation", True), "allow-privilege-escalation"),
    ("escalation-unset", _delete("allowPrivilegeEscalation", "ephemeralContainers"), "allow-privilege-escalation"),
    ("run-as-non-root-false", _set("runAsNonRoot", False), "run-as-user"),
    ("run-as-non-root-unset", _no_non_root, "run-as-user"),
    ("run-as-user-0", _set("runAsUser", 0, "initContainers"), "run-as-user"),
    ("run-as-user-0-pod", _pod_sc("runAsUser", 0), "run-as-user"),
    ("host-port", _host_port, "host-ports"),
    ("capability-added", _set("capabilities.add", ["NET_BIND_SERVICE", "SYS_ADMIN"]), "capabilities add"),
    ("capability-not-dropped", _set("capabilities.drop", ["NET_RAW"], "initContainers"), "capabilities drop"),
    ("seccomp-unconfined-pod", _pod_sc("seccompProfile", {"type": "Unconfined"}), "seccomp"),
    ("seccomp-unconfined-container", _set("seccompProfile", {"type": "Unconfined"}), "seccomp"),
    ("seccomp-unset", _no_seccomp, "seccomp"),
    ("apparmor-annotation", _annotation("unconfined"), "apparmor"),
    ("apparmor-field", _set("appArmorProfile", {"type": "Unconfined"}), "apparmor"),
    ("selinux-type", _pod_sc("seLinuxOptions", {"type": "spc_t"}), "selinux"),
    ("selinux-user", _set("seLinuxOptions", {"user": "system_u"}, "initContainers"), "selinux"),
    ("proc-mount", _set("procMount", "Unmasked"), "proc-mount"),
    ("sysctl", _pod_sc("sysctls", [{"name": "kernel.msgmax", "value": "65536"}]), "sysctls"),
    ("volume-host-path", _volume({"hostPath": {"path": "/"}}), "volumes"),
    ("volume-nfs", _volume({"nfs": {"server": "nfs", "path": "/"}}), "volumes"),
]
# Only `hardened` (the org's profile) forbids these.
HARDENED_ONLY: list[tuple[str, Mutation, str]] = [
    ("writable-root", _set("readOnlyRootFilesystem", False), "read-only-root-filesystem"),
    ("seccomp-localhost", _set("seccompProfile", {"type": "Localhost", "localhostProfile": "p.json"}), "seccomp"),
    ("volume-csi", _volume({"csi": {"driver": "x"}}), "volumes"),
]


def _evaluate(validations: list[ps.Validation], pod: dict[str, Any]) -> dict[int, bool]:
    env = celpy.Environment()
    activation = {"object": celpy.json_to_cel(pod)}
    out = {}
    for i, v in enumerate(validations):
        result = env.program(env.compile(v.expression)).evaluate(activation)
        assert isinstance(result, celtypes.BoolType), f"{v.control}: evaluation error {result!r}"
        out[i] = bool(result)
    return out


def _failing(validations: list[ps.Validation], pod: dict[str, Any]) -> list[str]:
    return [validations[i].control for i, ok in _evaluate(validations, pod).items() if not ok]


@pytest.fixture(scope="module")
def hardened() -> list[ps.Validation]:
    """The validations policyc emits for the org's `hardened` profile (from the real compiler)."""
    result = compile_text(SPEC_ORG_PROFILE)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    (vap,) = [m for m in result.manifests if m.kind == "ValidatingAdmissionPolicy"]
    return [
        ps.Validation(re.search(r"\(control (.+)\)$", v["message"]).group(1), v["expression"], v["message"])
        for v in vap.body["spec"]["validations"]
    ]


def test_compliant_pod_is_admitted(hardened: list[ps.Validation]) -> None:
    assert _failing(hardened, COMPLIANT) == []
    assert _failing(ps.cel_validations("restricted", ps.RESTRICTED, (1, 30)), COMPLIANT) == []


def test_minimal_pod_is_admitted_by_baseline() -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
    assert _failing(ps.cel_validations("baseline", ps.BASELINE, (1, 30)), pod) == []
    assert "run-as-user" in _failing(ps.cel_validations("restricted", ps.RESTRICTED, (1, 30)), pod)


@pytest.mark.parametrize(("case", "mutate", "control"), VIOLATIONS + HARDENED_ONLY,
                         ids=[v[0] for v in VIOLATIONS + HARDENED_ONLY])
def test_each_violation_is_rejected_by_its_control_only(
    hardened: list[ps.Validation], case: str, mutate: Mutation, control: str
) -> None:
    pod = copy.deepcopy(COMPLIANT)
    mutate(pod)
    assert _failing(hardened, pod) == [control]
    restricted = ps.cel_validations("restricted", ps.RESTRICTED, (1, 30))
    expected = [] if (case, mutate, control) in HARDENED_ONLY else [control]
    assert _failing(restricted, pod) == expected


def test_every_control_has_one_message_naming_it(hardened: list[ps.Validation]) -> None:
    controls = [v.control for v in hardened]
    assert len(controls) == len(set(controls))
    assert {c for _, _, c in VIOLATIONS + HARDENED_ONLY} == set(controls)
    for v in hardened:
        assert v.message.startswith("hardened: ") and v.message.endswith(f"(control {v.control})")


def test_custom_lists_and_ranges() -> None:
    profile = ps.Profile(host_ports=((8000, 8080), (9090, 9090)), capabilities_add=frozenset(),
                         sysctls=frozenset(), volumes=frozenset({"configMap"}),
                         seccomp=frozenset({"localhost/profiles/audit.json"}))
    validations = ps.cel_validations("custom", profile, (1, 30))
    base = {"metadata": {"name": "p"},
            "spec": {"securityContext": {"seccompProfile": {"type": "Localhost",
                                                            "localhostProfile": "profiles/audit.json"}},
                     "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 1, "hostPort": 8080},
                                                                             {"containerPort": 2, "hostPort": 9090}]}],
                     "volumes": [{"name": "c", "configMap": {"name": "c"}}]}}
    assert _failing(validations, base) == []
    for mutate, control in (
        (lambda p: p["spec"]["containers"][0]["ports"].append({"containerPort": 3, "hostPort": 8081}), "host-ports"),
        (lambda p: p["spec"]["containers"][0].update(securityContext={"capabilities": {"add": ["CHOWN"]}}),
         "capabilities add"),
        (lambda p: p["spec"]["securityContext"].update(sysctls=[{"name": "kernel.shm_rmid_forced", "value": "1"}]),
         "sysctls"),
        (lambda p: p["spec"]["volumes"].append({"name": "s", "secret": {"secretName": "s"}}), "volumes"),
        (lambda p: p["spec"]["securityContext"]["seccompProfile"].update(localhostProfile="other.json"), "seccomp"),
    ):
        pod = copy.deepcopy(base)
        mutate(pod)
        assert _failing(validations, pod) == [control]


def _pod_properties(release: tuple[int, int]) -> set[str]:
    kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate (a test extra) carries the schemas")
    folder = Path(kv.__file__).parent / "kubernetes-json-schema" / f"v{release[0]}.{release[1]}.0-local-strict"
    if not folder.is_dir():
        pytest.skip(f"kubernetes-validate has no schemas for {release}")
    document = json.loads((folder / "_definitions.json").read_text())
    definitions = document.get("$defs") or document["definitions"]
    names: set[str] = set()
    for key, schema in definitions.items():
        if key.startswith(("io.k8s.api.core.v1.", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")):
            names.update(schema.get("properties", {}))
    return names


@pytest.mark.parametrize("release", [(1, 30), (1, 31), (1, 37)])
def test_every_field_the_cel_reads_exists_in_the_release(release: tuple[int, int]) -> None:
    """Kubernetes type-checks VAP expressions against the Pod schema: an unknown field is a compile error."""
    properties = _pod_properties(release)
    profile = ps.Profile(privileged=False, allow_privilege_escalation=False, require_non_root=True, host_network=False,
                         host_pid=False, host_ipc=False, host_process=False, host_ports=(),
                         capabilities_add=frozenset(),
                         capabilities_drop=frozenset({"ALL"}), seccomp=frozenset({"runtime/default"}),
                         apparmor=frozenset({"runtime/default"}), restrict_selinux=True, unmasked_proc_mount=False,
                         sysctls=ps.SAFE, volumes=frozenset(), require_read_only_root=True)
    env = celpy.Environment()
    for v in ps.cel_validations("all", profile, release):
        env.compile(v.expression)
        code = re.sub(r"'[^']*'", "''", v.expression)  # field selections outside string literals
        selected = set(re.findall(r"\.([A-Za-z][A-Za-z0-9]*)\b(?!\()", code))
        assert selected - properties == set(), v.control
        if v.control == "volumes":  # `image` volumes exist from 1.31: forbidden there, never named before
            assert ("image" in selected) == (release >= (1, 31))

"""Upstream's own Pod Security test pods against every profile form policyc emits (issue 15).

../shared/upstream/pod-security-admission/{baseline,restricted}/v1.N/{pass,fail}/*.yaml are the
pods kubernetes/pod-security-admission's checks must admit or refuse at 1.N (test/testdata of
that repository). A fixture's verdict holds for later releases until upstream changes the check,
so a target release is judged by the newest fixture folder at or below it.

- ValidatingAdmissionPolicy (1.30+): a custom profile equal to the level (`base LEVEL`, nothing
  changed) is compiled by the real compiler, and its policy run with cel-python as the API server
  runs it: request defaults applied to the pod, match constraints and binding, match conditions,
  variables, then every validation.
- PodSecurityPolicy (1.24): the level's PSP and a custom profile equal to it, run through a model
  of PSP admission (psp_eval.py: its defaults, then its validation); what PSP cannot express is
  listed (KNOWN_PSP) and is a warning (PC419, PC417).
- Pod Security Admission labels (1.24, 1.25, 1.30, newest; and `latest`): the labels pin a
  version; upstream's checks of that version, as `CHECKS` writes them, judge every fixture.

Each target is judged by its own fixture folder and by the older folders' fixtures whose check
has not changed since (`_held_over`). docs/pod-security.md states the coverage.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from psp_eval import psp_admit

from conftest import SHARED, shared_path
from helpers import compile_text
from policyc.k8s import podsecurity as ps
from policyc.k8s.releases import NEWEST, SUPPORTED

celpy = pytest.importorskip("celpy", reason="cel-python is a test extra (pip install -e '.[test]')")
celtypes = pytest.importorskip("celpy.celtypes")

UPSTREAM = SHARED / "upstream" / "pod-security-admission"
FIXTURE_RELEASES = ((1, 24), (1, 25), (1, 30), (1, 37))
LEVELS = ("baseline", "restricted")
VAP_TARGETS = ((1, 30), NEWEST)


def _folder(target: tuple[int, int]) -> str:
    """The fixture folder that judges `target`: the newest at or below it."""
    major, minor = max(r for r in FIXTURE_RELEASES if r <= target)
    return f"v{major}.{minor}"


def _cases(targets: tuple[tuple[int, int], ...]) -> list[Any]:
    """(level, target, verdict, file) for every fixture judging each target (empty without ../shared)."""
    out = []
    for target in targets:
        for level in LEVELS:
            folder = UPSTREAM / level / _folder(target)
            for verdict in ("pass", "fail"):
                for path in sorted((folder / verdict).glob("*.yaml")) if folder.is_dir() else ():
                    out.append(pytest.param(level, target, verdict, path,
                                            id=f"{level}-1.{target[1]}-{verdict}-{path.stem}"))
    return out


def _pod_as_admitted(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod as admission sees it on CREATE: after the API server's defaulting.

    Only defaults a pod-security check reads are applied (pkg/apis/core/v1/defaults.go): with
    `hostNetwork`, a container port's `hostPort` defaults to its `containerPort` (SetDefaults_Pod);
    a volume without a source is an `emptyDir` (SetDefaults_Volume).
    """
    pod = copy.deepcopy(pod)
    pod.setdefault("metadata", {}).setdefault("namespace", "apps")
    spec = pod["spec"]
    for volume in spec.get("volumes", []):
        if set(volume) <= {"name"}:
            volume["emptyDir"] = {}
    if spec.get("hostNetwork"):
        for kind in ("containers", "initContainers"):
            for c in spec.get(kind, []):
                for port in c.get("ports", []):
                    port.setdefault("hostPort", port.get("containerPort"))
    return pod


_PROGRAMS: dict[str, Any] = {}
_ENV = celpy.Environment()


def _run(expression: str, activation: dict[str, Any]) -> bool:
    if expression not in _PROGRAMS:
        _PROGRAMS[expression] = _ENV.program(_ENV.compile(expression))
    result = _PROGRAMS[expression].evaluate(activation)
    assert isinstance(result, celtypes.BoolType), f"evaluation error {result!r} in {expression}"
    return bool(result)


_POLICIES: dict[tuple[str, tuple[int, int]], tuple[dict, dict]] = {}


def _vap(level: str, target: tuple[int, int]) -> tuple[dict, dict]:
    """(policy, binding) policyc emits for a custom profile equal to `level` at `target`."""
    key = (level, target)
    if key not in _POLICIES:
        result = compile_text(
            f"kubernetes 1.{target[1]}\npod-security-policy same {{\n  base {level}\n}}\n"
            "namespace apps {\n  pod-security same\n}\n")
        assert result.ok, [(d.code, d.message) for d in result.diagnostics]
        (policy,) = [m.body for m in result.manifests if m.kind == "ValidatingAdmissionPolicy"]
        (binding,) = [m.body for m in result.manifests if m.kind == "ValidatingAdmissionPolicyBinding"]
        _POLICIES[key] = (policy, binding)
    return _POLICIES[key]


def vap_admits(policy: dict, binding: dict, pod: dict[str, Any]) -> bool:
    """Whether the API server would admit the pod's CREATE under this policy and binding."""
    spec = policy["spec"]
    rules = spec["matchConstraints"]["resourceRules"]
    assert any("pods" in r["resources"] and "CREATE" in r["operations"] for r in rules)
    (selector,) = binding["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"]
    if pod["metadata"]["namespace"] not in selector["values"]:
        return True
    activation: dict[str, Any] = {"object": celpy.json_to_cel(pod), "oldObject": None}
    for condition in spec.get("matchConditions", []):
        if not _run(condition["expression"], activation):
            return True
    variables = {}
    for variable in spec.get("variables", []):  # in order: a variable may read the ones before it
        activation["variables"] = celpy.json_to_cel(variables)
        program = _ENV.program(_ENV.compile(variable["expression"]))
        variables[variable["name"]] = program.evaluate(activation)
    activation["variables"] = celtypes.MapType(variables)
    return all(_run(v["expression"], activation) for v in spec["validations"])


# Known disagreements with upstream, each an xfail(strict=True) with its reason: none left.
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(("level", "target", "verdict", "path"), _cases(VAP_TARGETS))
def test_vap_of_a_profile_equal_to_the_level_gives_upstreams_verdict(
    level: str, target: tuple[int, int], verdict: str, path: Path, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.id in KNOWN:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN[request.node.callspec.id]))
    pod = _pod_as_admitted(yaml.safe_load(path.read_text()))
    policy, binding = _vap(level, target)
    assert vap_admits(policy, binding, pod) == (verdict == "pass"), f"{path} at 1.{target[1]}"


def test_fixtures_are_present() -> None:
    """Every folder the oracle reads exists (skips, with the reason, without ../shared)."""
    root = shared_path("upstream", "pod-security-admission")
    for level in LEVELS:
        for release in FIXTURE_RELEASES:
            for verdict in ("pass", "fail"):
                assert any((root / level / f"v{release[0]}.{release[1]}" / verdict).glob("*.yaml"))


@pytest.mark.parametrize("target", [r for r in SUPPORTED if r >= (1, 23)], ids=lambda r: f"1.{r[1]}")
def test_psa_labels_pin_the_version_whose_checks_judge_the_pods(target: tuple[int, int]) -> None:
    """Labels name the level and pin the target's version: upstream then applies that version's checks,
    which its fixtures for that version exercise; no other verdict is policyc's to give."""
    result = compile_text(f"kubernetes 1.{target[1]}\nnamespace apps {{\n  pod-security restricted\n}}\n")
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    (ns,) = [m.body for m in result.manifests if m.kind == "Namespace"]
    labels = ns["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == f"v1.{target[1]}"


# Checks upstream has no fixture for here, from its check source (policy/check_*.go).
_BASE_POD = {"metadata": {"name": "p", "namespace": "apps"},
             "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                      "containers": [{"name": "a", "image": "x", "securityContext": {
                          "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}}


def _with(**spec: Any) -> dict[str, Any]:
    pod = copy.deepcopy(_BASE_POD)
    for key, value in spec.items():
        if key == "container_sc":
            pod["spec"]["containers"][0]["securityContext"].update(value)
        elif key == "pod_sc":
            pod["spec"]["securityContext"].update(value)
        else:
            pod["spec"][key] = value
    return pod


@pytest.mark.parametrize(("level", "target", "pod", "admitted"), [
    # check_restrictedVolumes.go: `volume.Image` is on the allow-list.
    ("restricted", NEWEST, _with(volumes=[{"name": "i", "image": {"reference": "r/x:1"}}]), True),
    ("restricted", NEWEST, _with(volumes=[{"name": "h", "hostPath": {"path": "/"}}]), False),
    # check_runAsNonRoot.go: an explicit pod-level false is refused whatever the containers say.
    ("restricted", (1, 30), _with(pod_sc={"runAsNonRoot": False}, container_sc={"runAsNonRoot": True}), False),
    ("restricted", NEWEST, _with(pod_sc={"runAsNonRoot": False}, container_sc={"runAsNonRoot": True}), False),
    # check_runAsNonRoot.go / check_runAsUser.go 1.35: a pod in a user namespace may run as root.
    ("restricted", NEWEST, _with(hostUsers=False, pod_sc={"runAsNonRoot": False, "runAsUser": 0}), True),
    ("restricted", (1, 30), _with(hostUsers=False, pod_sc={"runAsNonRoot": False}), False),
    ("restricted", NEWEST, _with(hostUsers=True, pod_sc={"runAsUser": 0}), False),
    # check_procMount_baseline.go relaxes for user namespaces from 1.35; check_procMount_restricted.go does not.
    ("baseline", NEWEST, _with(hostUsers=False, container_sc={"procMount": "Unmasked"}), True),
    ("restricted", NEWEST, _with(hostUsers=False, container_sc={"procMount": "Unmasked"}), False),
    ("baseline", (1, 30), _with(hostUsers=False, container_sc={"procMount": "Unmasked"}), False),
    # check_sysctls.go sysctlsAllowedV1Dot37 only from 1.37.
    ("baseline", (1, 30), _with(pod_sc={"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}), False),
    ("baseline", NEWEST, _with(pod_sc={"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}), True),
    # check_hostProbesAndhostLifecycle.go from 1.34 only; an empty host is allowed.
    ("baseline", (1, 30), _with(containers=[{"name": "a", "image": "x", "livenessProbe": {
        "tcpSocket": {"host": "h", "port": 1}}}]), True),
    ("baseline", NEWEST, _with(containers=[{"name": "a", "image": "x", "lifecycle": {
        "preStop": {"tcpSocket": {"host": "h", "port": 1}}}}]), False),
    ("baseline", NEWEST, _with(containers=[{"name": "a", "image": "x", "lifecycle": {
        "postStart": {"httpGet": {"host": "", "port": 1}}}}]), True),
    ("baseline", NEWEST, _with(ephemeralContainers=[{"name": "d", "image": "x", "readinessProbe": {
        "httpGet": {"host": "h", "port": 1}}}]), False),
], ids=lambda v: None)
def test_checks_without_a_fixture_follow_upstreams_source(
    level: str, target: tuple[int, int], pod: dict[str, Any], admitted: bool
) -> None:
    policy, binding = _vap(level, target)
    assert vap_admits(policy, binding, pod) is admitted


# --------------------------------------------------------------------------------------
# PodSecurityPolicy on 1.24 (psp_eval.py models PSP admission: default, then validate)
# --------------------------------------------------------------------------------------

PSP_RELEASE = (1, 24)
_PSP_CLUSTER = ("kubernetes 1.24\ncluster {\n  authorization Node, RBAC\n"
                "  admission NamespaceLifecycle, ServiceAccount, PodSecurityPolicy, NodeRestriction\n}\n"
                "namespace kube-system {\n  pod-security privileged\n}\n")


def _psp(level: str, form: str) -> tuple[dict[str, str], dict[str, Any], list[str]]:
    """(annotations, spec, warnings) of the PodSecurityPolicy policyc emits on 1.24: for the level
    itself (`builtin`, PC419 warnings) or for a custom profile equal to it (`custom`, PC417)."""
    if form == "builtin":
        text = _PSP_CLUSTER + f"namespace apps {{\n  pod-security {level}\n}}\n"
        name, code = f"policyc-{level}", "PC419"
    else:
        text = (_PSP_CLUSTER + f"pod-security-policy same {{\n  base {level}\n}}\n"
                "namespace apps {\n  pod-security same\n}\n")
        name, code = "same", "PC417"
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    body = next(m.body for m in result.manifests if m.kind == "PodSecurityPolicy" and m.name == name)
    annotations = {k: v for k, v in body["metadata"].get("annotations", {}).items()
                   if k.startswith(("seccomp.", "apparmor."))}
    return annotations, body["spec"], [d.message for d in result.diagnostics if d.code == code]


# What a PodSecurityPolicy cannot express, each a warning policyc gives for it (PC417 for a custom
# profile, PC419 for a level's PSP; docs/pod-security.md "What a PodSecurityPolicy cannot express").
_PSP_LIMITS = {
    "selinux": "cannot limit SELinux types",
    "localhost": "cannot allow every localhost",
    "pod-seccomp": "checks the pod-level seccomp profile",
}
# The fixtures a PSP cannot judge as upstream does, each with the limit it meets (xfail, strict).
KNOWN_PSP: dict[str, tuple[str, str]] = {
    **{f"{form}-{level}-fail-selinuxoptions{i}": ("selinux", "PSP seLinux RunAsAny cannot list allowed types")
       for form in ("builtin", "custom") for level in LEVELS for i in range(5)},
    **{f"{form}-{level}-pass-apparmorprofile0": ("localhost", "PSP cannot allow every localhost AppArmor profile")
       for form in ("builtin", "custom") for level in LEVELS},
    **{f"{form}-restricted-pass-seccompprofile_restricted1": (
        "localhost", "PSP cannot allow every localhost seccomp profile") for form in ("builtin", "custom")},
    **{f"{form}-restricted-pass-seccompprofile_restricted2": (
        "pod-seccomp", "PSP refuses a pod without a pod-level seccomp profile") for form in ("builtin", "custom")},
}


def _psp_cases() -> list[Any]:
    return [pytest.param(form, *p.values, id=f"{form}-{p.values[0]}-{p.values[2]}-{p.values[3].stem}")
            for form in ("builtin", "custom") for p in _cases((PSP_RELEASE,))]


@pytest.mark.parametrize(("form", "level", "target", "verdict", "path"), _psp_cases())
def test_psp_on_1_24_gives_upstreams_verdict_where_psp_can_express_it(
    form: str, level: str, target: tuple[int, int], verdict: str, path: Path, request: pytest.FixtureRequest
) -> None:
    """A refused pod may also be admitted when PSP's defaulting makes it compliant (it sets
    allowPrivilegeEscalation false, drops the required capabilities, sets runAsNonRoot): the pod
    then runs as the level demands, which the level's own CEL model at 1.24 confirms."""
    annotations, spec, warnings = _psp(level, form)
    known = KNOWN_PSP.get(request.node.callspec.id)
    if known is not None:
        limit, reason = known
        assert any(_PSP_LIMITS[limit] in w for w in warnings), warnings  # the limit is a warning
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    pod = _pod_as_admitted(yaml.safe_load(path.read_text()))
    admitted, defaulted, reasons = psp_admit(annotations, spec, pod, ps.safe_sysctls(target))
    if verdict == "pass":
        assert admitted, reasons
    elif admitted:
        profile = ps.level_profile(level, target)
        checks = ps.cel_validations(level, profile, target)
        activation = {"object": celpy.json_to_cel(defaulted)}
        assert [v.control for v in checks if not _run(v.expression, activation)] == [], \
            "PSP admits the pod, and its defaults do not make it compliant"


def _custom_psp(base: str, line: str) -> tuple[dict[str, str], dict[str, Any]]:
    text = (_PSP_CLUSTER + f"pod-security-policy p {{\n  base {base}\n  {line}\n}}\n"
            "namespace apps {\n  pod-security p\n}\n")
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    body = next(m.body for m in result.manifests if m.kind == "PodSecurityPolicy" and m.name == "p")
    return body["metadata"].get("annotations", {}), body["spec"]


# (base level, the line that relaxes one control, the PSP fields it may change, the upstream checks
# whose fixtures it may turn: a relaxed profile's PSP relaxes exactly that check, on every fixture).
RELAXATIONS = [
    ("restricted", "allow-privilege-escalation yes", {"allowPrivilegeEscalation"}, {"allowprivilegeescalation"}),
    ("restricted", "run-as-user any", {"runAsUser"}, {"runasnonroot", "runasuser"}),
    ("restricted", "volumes any", {"volumes"}, {"restrictedvolumes", "hostpathvolumes"}),
    ("restricted", "capabilities drop none", {"requiredDropCapabilities"}, {"capabilities_restricted"}),
    ("restricted", "seccomp any", {ps.SECCOMP_ALLOWED}, {"seccompprofile_restricted", "seccompprofile_baseline"}),
    ("baseline", "capabilities add any", {"allowedCapabilities"}, {"capabilities_baseline"}),
    ("baseline", "seccomp runtime/default, unconfined, unset", {ps.SECCOMP_ALLOWED}, {"seccompprofile_baseline"}),
    ("baseline", "host-ports any", {"hostPorts"}, {"hostports"}),
    # HostProcess pods need hostNetwork: with it allowed, PSP cannot refuse them (PC417 says so).
    ("baseline", "host-network yes", {"hostNetwork"}, {"hostnamespaces", "hostports", "windowshostprocess"}),
    ("baseline", "privileged yes", {"privileged"}, {"privileged"}),
    ("baseline", "proc-mount unmasked", {"allowedProcMountTypes"}, {"procmount"}),
    ("baseline", "sysctls any", {"allowedUnsafeSysctls"}, {"sysctls"}),
]


@pytest.mark.parametrize(("base", "line", "fields", "checks"), RELAXATIONS, ids=[r[1] for r in RELAXATIONS])
def test_psp_of_a_profile_relaxing_one_check_relaxes_exactly_that_check(
    base: str, line: str, fields: set[str], checks: set[str]
) -> None:
    """The PSP of `base LEVEL` plus one relaxing line differs from the level's PSP only in that
    control's fields, and gives the level's verdict on every 1.24 fixture of every other check
    (`hostNetwork` defaults host ports, hence `hostports` for `host-network yes`)."""
    if not (UPSTREAM / base / "v1.24").is_dir():
        pytest.skip("../shared/upstream/pod-security-admission is absent")
    level_ann, level_spec = _custom_psp(base, "read-only-root-filesystem no")  # a no-op line: the level
    ann, spec = _custom_psp(base, line)
    changed = {k for k in set(spec) | set(level_spec) if spec.get(k) != level_spec.get(k)}
    changed |= {k for k in set(ann) | set(level_ann) if ann.get(k) != level_ann.get(k)}
    assert changed and changed <= fields | {ps.SECCOMP_DEFAULT}, changed
    turned = []
    for path in sorted((UPSTREAM / base / "v1.24").glob("*/*.yaml")):
        pod = _pod_as_admitted(yaml.safe_load(path.read_text()))
        before, as_before, _ = psp_admit(level_ann, level_spec, pod, ps.safe_sysctls(PSP_RELEASE))
        after, as_after, _ = psp_admit(ann, spec, pod, ps.safe_sysctls(PSP_RELEASE))
        # A verdict may only turn to admitted, and only for fixtures of the relaxed check.
        if before != after:
            assert after and _check_of(path) in checks, f"{path} changed verdict under `{line}`"
            turned.append(path.stem)
        elif _check_of(path) in checks and as_before != as_after:
            turned.append(path.stem)  # PSP no longer defaults the pod into compliance (drops, escalation)
    assert turned, f"`{line}` changes no fixture's outcome"


# --------------------------------------------------------------------------------------
# The one table of checks
# --------------------------------------------------------------------------------------


def test_checks_table_is_consistent() -> None:
    """Versions of one check follow each other without gap or overlap; every control is a language key."""
    from policyc.check.profiles import KEYS

    by_id: dict[tuple[str, str], list[ps.Check]] = {}
    for c in ps.CHECKS:
        by_id.setdefault((c.id, c.level), []).append(c)
        for control in c.control.split(", "):
            assert control in KEYS or control.startswith("capabilities "), control
    for rows in by_id.values():
        for before, after in zip(rows, rows[1:], strict=False):
            assert before.last is not None and (before.last[0], before.last[1] + 1) == after.first
        assert rows[-1].last is None


def test_docs_table_is_generated_from_the_checks() -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[3] / "scripts" / "gen_pod_security_doc.py"
    spec = importlib.util.spec_from_file_location("gen_pod_security_doc", script)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.DOC.read_text(encoding="utf-8")
    assert gen.BEGIN in text and gen.END in text
    assert gen.render(text) == text, "docs/pod-security.md is out of date: python scripts/gen_pod_security_doc.py"


# --------------------------------------------------------------------------------------
# Older fixtures that still hold at the target
# --------------------------------------------------------------------------------------


def _check_of(path: Path) -> str:
    """The upstream check a fixture exercises: its file name without the number (`procmount0`)."""
    return path.stem.rstrip("0123456789")


def _content(path: Path) -> str:
    pod = yaml.safe_load(path.read_text())
    pod["metadata"].pop("name", None)
    return yaml.safe_dump(pod, sort_keys=True)


def _held_over(targets: tuple[tuple[int, int], ...]) -> list[Any]:
    """Fixtures of older folders that the judging folder does not repeat, whose check has no new
    version in `CHECKS` after their folder up to the target: their verdict still holds there."""
    out = []
    for target in targets:
        for level in LEVELS:
            newest = UPSTREAM / level / _folder(target)
            if not newest.is_dir():
                continue
            repeated = {_content(p) for p in newest.glob("*/*.yaml")}
            for release in FIXTURE_RELEASES:
                if f"v{release[0]}.{release[1]}" == newest.name or release > target:
                    continue
                for path in sorted((UPSTREAM / level / f"v{release[0]}.{release[1]}").glob("*/*.yaml")):
                    check = _check_of(path)
                    changed = any(c.id.lower() == check and release < c.first <= target for c in ps.CHECKS)
                    if changed or _content(path) in repeated:
                        continue
                    verdict = path.parent.name
                    out.append(pytest.param(level, target, verdict, path,
                                            id=f"{level}-1.{target[1]}-from-{path.parent.parent.name}-"
                                               f"{verdict}-{path.stem}"))
    return out


@pytest.mark.parametrize(("level", "target", "verdict", "path"), _held_over(VAP_TARGETS))
def test_vap_keeps_older_verdicts_until_the_check_changes(
    level: str, target: tuple[int, int], verdict: str, path: Path
) -> None:
    pod = _pod_as_admitted(yaml.safe_load(path.read_text()))
    policy, binding = _vap(level, target)
    assert vap_admits(policy, binding, pod) == (verdict == "pass"), f"{path} at 1.{target[1]}"


def test_every_fixture_names_a_check_of_the_table() -> None:
    root = shared_path("upstream", "pod-security-admission")
    ids = {c.id.lower() for c in ps.CHECKS}
    for path in root.glob("*/*/*/*.yaml"):
        assert _check_of(path) in ids | {"base", "base_linux", "base_windows"}, path


# --------------------------------------------------------------------------------------
# Pod Security Admission labels at every target: the version they pin judges every fixture
# --------------------------------------------------------------------------------------

LABEL_TARGETS = ((1, 24), (1, 25), (1, 30), NEWEST)
_LABELS: dict[tuple[str, tuple[int, int], bool], tuple[str, tuple[int, int]]] = {}


def _labelled(level: str, target: tuple[int, int], latest: bool) -> tuple[str, tuple[int, int]]:
    """(enforced level, release whose checks apply) read back from the labels policyc emits."""
    key = (level, target, latest)
    if key not in _LABELS:
        result = compile_text(f"kubernetes 1.{target[1]}\nnamespace apps {{\n  pod-security {level}"
                              f"{' latest' if latest else ''}\n}}\n")
        assert result.ok, [(d.code, d.message) for d in result.diagnostics]
        (ns,) = [m.body for m in result.manifests if m.kind == "Namespace"]
        labels = ns["metadata"]["labels"]
        version = labels["pod-security.kubernetes.io/enforce-version"]
        # `latest`: the API server's own release; the newest policyc knows stands for it.
        major, minor = NEWEST if version == "latest" else map(int, version.removeprefix("v").split("."))
        _LABELS[key] = (labels["pod-security.kubernetes.io/enforce"], (major, minor))
    return _LABELS[key]


def _label_cases() -> list[Any]:
    """Every fixture judging each target; with `latest` on a 1.24 target, the newest release's fixtures."""
    pinned = [pytest.param(*p.values, False, id=p.id) for p in _cases(LABEL_TARGETS) + _held_over(LABEL_TARGETS)]
    latest = [pytest.param(level, (1, 24), verdict, path, True, id=f"latest-on-1.24-{i}")
              for level, _, verdict, path in (p.values for p in _cases((NEWEST,)))
              for i in [f"{level}-{verdict}-{path.stem}"]]
    return pinned + latest


@pytest.mark.parametrize(("level", "target", "verdict", "path", "latest"), _label_cases())
def test_psa_labels_give_upstreams_verdict_at_every_target(
    level: str, target: tuple[int, int], verdict: str, path: Path, latest: bool
) -> None:
    """Pod Security Admission applies the checks of the version the labels pin: its fixtures, and the
    older fixtures whose check has not changed since, judge the pod. The checks are upstream's as
    `CHECKS` writes them (run as CEL); with `latest` they are the newest release's, whatever the target."""
    enforced, version = _labelled(level, target, latest)
    assert enforced == level and version == (NEWEST if latest else target)
    pod = _pod_as_admitted(yaml.safe_load(path.read_text()))
    checks = ps.cel_validations(level, ps.level_profile(level, version), version)
    activation = {"object": celpy.json_to_cel(pod)}
    assert all(_run(v.expression, activation) for v in checks) == (verdict == "pass"), path


# --------------------------------------------------------------------------------------
# Restricted checks younger than the release (PodSecurityPolicy era, 1.16-1.24)
# --------------------------------------------------------------------------------------

# Upstream's restricted fail fixtures whose only broken check is younger than some supported
# release: before its MinimumVersion the check does not exist, so the pod is judged by the rest
# (check_seccompProfile_restricted.go from 1.19, check_capabilities_restricted.go from 1.22; the
# baseline seccomp check, from 1.0, still refuses `Unconfined`: check_seccompProfile_baseline.go).
YOUNGER_CHECKS = [
    *[(f"seccompprofile_restricted{i}", (1, 18), True) for i in (0, 2, 3)],
    *[(f"seccompprofile_restricted{i}", (1, 18), False) for i in (1, 4)],  # Unconfined: baseline
    *[(f"seccompprofile_restricted{i}", (1, 19), False) for i in range(5)],
    *[(f"capabilities_restricted{i}", (1, 21), True) for i in range(4)],
    *[(f"capabilities_restricted{i}", (1, 22), False) for i in range(4)],
]


@pytest.mark.parametrize(("stem", "target", "admitted"), YOUNGER_CHECKS,
                         ids=[f"{s}-1.{t[1]}" for s, t, _a in YOUNGER_CHECKS])
def test_restricted_before_a_checks_minimum_version_admits_what_only_that_check_refuses(
    stem: str, target: tuple[int, int], admitted: bool
) -> None:
    """`restricted` at a release is what upstream's checks of that release enforce: the level's own
    model (its CEL validations) and the PodSecurityPolicy `policyc-restricted` the compiler emits
    for that release both give the versioned verdict."""
    path = shared_path("upstream", "pod-security-admission", "restricted", "v1.24", "fail", f"{stem}.yaml")
    pod = _pod_as_admitted(yaml.safe_load(path.read_text()))
    checks = ps.cel_validations("restricted", ps.level_profile("restricted", target), target)
    refused = [v.control for v in checks if not _run(v.expression, {"object": celpy.json_to_cel(pod)})]
    assert (refused == []) is admitted, refused
    text = (f"kubernetes 1.{target[1]}\ncluster {{\n  authorization Node, RBAC\n"
            "  admission NamespaceLifecycle, ServiceAccount, PodSecurityPolicy, NodeRestriction\n}\n"
            "namespace kube-system {\n  pod-security privileged\n}\n"
            "namespace apps {\n  pod-security restricted\n}\n")
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    body = next(m.body for m in result.manifests if m.kind == "PodSecurityPolicy" and m.name == "policyc-restricted")
    annotations = {k: v for k, v in body["metadata"].get("annotations", {}).items()
                   if k.startswith(("seccomp.", "apparmor."))}
    psp_admitted, defaulted, reasons = psp_admit(annotations, body["spec"], pod, ps.safe_sysctls(target))
    if admitted:
        assert psp_admitted, reasons
    elif psp_admitted:  # PSP's defaults (drop ALL, a seccomp default) made the pod compliant
        activation = {"object": celpy.json_to_cel(defaulted)}
        assert [v.control for v in checks if not _run(v.expression, activation)] == []
        assert defaulted != pod

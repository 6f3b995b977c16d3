"""Pod security per release: PSA labels, PodSecurityPolicies and their grants, VAPs, and every diagnostic.

Release boundaries: Pod Security Admission alpha behind a feature gate in 1.22, beta and on by
default in 1.23, GA in 1.25; PodSecurityPolicy (policy/v1beta1) removed in 1.25;
ValidatingAdmissionPolicy alpha 1.26, beta 1.28 (off by default), GA 1.30
(kubernetes.io/docs/concepts/security/pod-security-admission/,
kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
"""

from __future__ import annotations

import pytest

from helpers import compile_text, underlined
from policyc.check.context import Context
from policyc.check.profiles import check_profile
from policyc.k8s.releases import load_release
from policyc.pipeline import Result
from policyc.source import SourceFile
from policyc.syntax.lower import lower

PSP_CLUSTER = "cluster {\n  admission NamespaceLifecycle, PodSecurityPolicy\n}\n"
HARDENED = """pod-security-policy hardened {
  read-only-root-filesystem yes
  seccomp runtime/default
  volumes configMap, secret, emptyDir, projected
}
"""
SYSTEM = "namespace kube-system {\n  pod-security privileged\n}\n"


def _ns(name: str, *lines: str) -> str:
    return f"namespace {name} {{\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


def _objects(result: Result, kind: str) -> dict[str, dict]:
    return {m.name if m.namespace is None else f"{m.namespace}/{m.name}": m.body
            for m in result.manifests if m.kind == kind}


def _codes(result: Result) -> list[str]:
    return [d.code for d in result.diagnostics]


def _only(result: Result, code: str):
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in result.diagnostics]
    return found[0]


def test_psa_labels_pinned_to_the_release() -> None:
    result = compile_text("kubernetes 1.30\n" + _ns("web", "labels team=web", "pod-security restricted"))
    assert result.ok and _codes(result) == []
    labels = _objects(result, "Namespace")["web"]["metadata"]["labels"]
    assert labels == {
        "app.kubernetes.io/managed-by": "policyc",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.30",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.30",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.30",
        "team": "web",
    }
    assert not _objects(result, "PodSecurityPolicy") and not _objects(result, "ValidatingAdmissionPolicy")


def test_modes_one_by_one_and_merged_blocks() -> None:
    text = "kubernetes 1.37\n" + _ns("web", "pod-security enforce baseline") + _ns(
        "web", "pod-security warn restricted")
    result = compile_text(text)
    labels = _objects(result, "Namespace")["web"]["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security")} == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.37",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.37",
    }


def test_psa_on_1_22_is_feature_gated() -> None:
    result = compile_text("kubernetes 1.22\n" + _ns("web", "pod-security baseline"))
    d = _only(result, "PC412")
    assert not d.is_error and result.ok
    assert d.message == ("Pod Security Admission is alpha in Kubernetes 1.22: the pod-security labels of namespace "
                         "`web` take effect only with the `PodSecurity` feature gate")
    assert underlined(result, d) == "baseline"
    labels = _objects(result, "Namespace")["web"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.22"


def test_no_pod_security_mechanism_before_1_22() -> None:
    result = compile_text("kubernetes 1.21\n" + _ns("web", "pod-security baseline"))
    d = _only(result, "PC411")
    assert d.is_error and underlined(result, d) == "baseline"
    assert d.message == ("namespace `web` asks for pod security, but Kubernetes 1.21 has no Pod Security Admission and "
                         "the cluster does not enable PodSecurityPolicy admission")
    assert "PodSecurityPolicy" in d.help


@pytest.mark.parametrize("release", ["1.18", "1.21", "1.24"])
def test_levels_compile_to_psps_and_use_grants(release: str) -> None:
    text = f"kubernetes {release}\n{PSP_CLUSTER}{SYSTEM}" + _ns("dev", "pod-security restricted")
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    assert set(_objects(result, "PodSecurityPolicy")) == {"policyc-privileged", "policyc-restricted"}
    role = _objects(result, "ClusterRole")["policyc:psp:policyc-restricted"]
    assert role["rules"] == [{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"],
                              "resourceNames": ["policyc-restricted"], "verbs": ["use"]}]
    binding = _objects(result, "RoleBinding")["dev/policyc:psp:policyc-restricted"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "policyc:psp:policyc-restricted"}
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                    "name": "system:serviceaccounts:dev"}]
    labels = _objects(result, "Namespace")["dev"]["metadata"]["labels"]
    # Pod Security Admission runs by default from 1.23: the labels come too, for the move off PSP.
    assert ("pod-security.kubernetes.io/enforce" in labels) == (release == "1.24")


def test_psp_follows_the_enforce_level_and_warns_on_soft_modes_before_1_23() -> None:
    text = f"kubernetes 1.21\n{PSP_CLUSTER}{SYSTEM}" + _ns("dev", "pod-security enforce baseline, warn restricted")
    result = compile_text(text)
    d = _only(result, "PC418")
    assert d.message == ("PodSecurityPolicy only enforces: the `warn` level of namespace `dev` needs Pod Security "
                         "Admission, which Kubernetes 1.21 does not run by default")
    assert "dev/policyc:psp:policyc-baseline" in _objects(result, "RoleBinding")


def test_psp_plugin_on_1_25_is_an_error_at_its_place() -> None:
    result = compile_text("kubernetes 1.25\n" + PSP_CLUSTER + _ns("dev", "pod-security restricted"))
    d = _only(result, "PC410")
    assert d.is_error and underlined(result, d) == "PodSecurityPolicy"
    assert d.message == ("the `PodSecurityPolicy` admission plugin was removed in Kubernetes 1.25 and the API server "
                         "of 1.25 refuses to start with it")


@pytest.mark.parametrize(
    ("release", "code", "stage"),
    [
        ("1.29", "PC413", "beta (admissionregistration.k8s.io/v1beta1), off unless its feature gate and API are "
                          "enabled"),
        ("1.28", "PC413", "beta (admissionregistration.k8s.io/v1beta1), off unless its feature gate and API are "
                          "enabled"),
        ("1.26", "PC413", "alpha"),
        ("1.25", "PC413", "not available"),
        ("1.24", "PC414", None),
        ("1.18", "PC414", None),
    ],
)
def test_custom_profile_without_psp_or_ga_vap(release: str, code: str, stage: str | None) -> None:
    result = compile_text(f"kubernetes {release}\n{HARDENED}" + _ns("pay", "pod-security hardened"))
    d = _only(result, code)
    assert d.is_error and underlined(result, d) == "hardened"
    if stage:
        assert d.message == (f"pod-security-policy `hardened` of namespace `pay` needs a ValidatingAdmissionPolicy, "
                             f"which is {stage} in Kubernetes {release}, and PodSecurityPolicy was removed in 1.25")
        assert d.help == ("use a built-in level (`pod-security restricted`), which Pod Security Admission enforces, "
                          "or target Kubernetes 1.30 or later")
    else:
        assert d.message == (f"pod-security-policy `hardened` of namespace `pay` needs PodSecurityPolicy admission on "
                             f"Kubernetes {release}, and the cluster does not enable it")


def test_custom_profile_compiles_to_a_vap_bound_to_exactly_its_namespaces() -> None:
    text = "kubernetes 1.30\n" + HARDENED + _ns("pay", "pod-security hardened") + _ns(
        "billing", "pod-security hardened") + _ns("other", "pod-security baseline")
    result = compile_text(text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    policy = _objects(result, "ValidatingAdmissionPolicy")["hardened"]
    assert policy["apiVersion"] == "admissionregistration.k8s.io/v1"
    assert policy["spec"]["failurePolicy"] == "Fail"
    binding = _objects(result, "ValidatingAdmissionPolicyBinding")["hardened"]
    assert binding["spec"] == {
        "policyName": "hardened",
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["billing", "pay"]}]}},
    }


def test_custom_profile_on_psp_cluster_replaces_the_level_psp() -> None:
    text = f"kubernetes 1.24\n{PSP_CLUSTER}{SYSTEM}{HARDENED}" + _ns("pay", "pod-security restricted",
                                                                       "pod-security hardened")
    result = compile_text(text)
    assert result.ok
    # PSP admission admits a pod if ANY usable policy does: granting both would let the weaker one win.
    granted = [k for k in _objects(result, "RoleBinding") if k.startswith("pay/policyc:psp")]
    assert granted == ["pay/policyc:psp:hardened"]
    assert _objects(result, "PodSecurityPolicy")["hardened"]["spec"]["readOnlyRootFilesystem"] is True
    notes = [d.message for d in result.diagnostics if d.code == "PC417"]
    assert notes == [
        "pod-security-policy `hardened` on Kubernetes 1.24: a PodSecurityPolicy cannot allow every localhost "
        "AppArmor profile: name them (`apparmor localhost/NAME`)",
        "pod-security-policy `hardened` on Kubernetes 1.24: a PodSecurityPolicy cannot limit SELinux types to a "
        "list: `selinux` compiles to `RunAsAny`, as the Kubernetes example policies do",
        "pod-security-policy `hardened` on Kubernetes 1.24: a PodSecurityPolicy checks the pod-level seccomp "
        "profile too: pods that set one only per container are refused",
        "pod-security-policy `hardened` on Kubernetes 1.24: a PodSecurityPolicy judges each container's "
        "effective `runAsNonRoot`: a pod-level `runAsNonRoot: false` that every container overrides with "
        "`true` is admitted",
    ]


def test_level_and_profile_together_on_1_30() -> None:
    result = compile_text("kubernetes 1.30\n" + HARDENED + _ns("pay", "pod-security restricted",
                                                                "pod-security hardened"))
    assert result.ok and _codes(result) == []
    assert "hardened" in _objects(result, "ValidatingAdmissionPolicy")
    assert _objects(result, "Namespace")["pay"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted")


def test_profile_weaker_than_a_level_also_asked() -> None:
    text = "kubernetes 1.30\npod-security-policy loose {\n  base baseline\n  volumes configMap\n}\n" + _ns(
        "pay", "pod-security hardened-not", "pod-security restricted", "pod-security loose")
    result = compile_text(text.replace("  pod-security hardened-not\n", ""))
    d = _only(result, "PC230")
    assert d.message == ("pod-security-policy `loose` of namespace `pay` is weaker than the level `restricted` it also "
                         "asks for: it allows more in `allow-privilege-escalation`, `run-as-user`, `capabilities add`, "
                         "`capabilities drop`, `seccomp`")
    assert underlined(result, d) == "loose" and len(d.labels) == 2


def test_two_levels_for_one_mode_name_both_places() -> None:
    result = compile_text(_ns("web", "pod-security baseline") + _ns("web", "pod-security enforce restricted"))
    d = _only(result, "PC220")
    assert d.message == "namespace `web` sets pod-security `enforce` to `baseline` and to `restricted`"
    assert d.span.line == 5 and d.labels[0].span.line == 2


def test_one_line_against_one_line_is_one_error_not_one_per_mode() -> None:
    # Issue 20: `pod-security baseline` (every mode) against `pod-security restricted` gave PC220 three times.
    result = compile_text(_ns("dev", "pod-security restricted") + _ns("dev", "pod-security baseline"))
    errors = [d for d in result.diagnostics if d.code == "PC220"]
    assert len(errors) == 1
    assert errors[0].message == "namespace `dev` sets pod-security to `restricted` and to `baseline`"
    assert underlined(result, errors[0]) == "baseline" and errors[0].span.line == 5
    assert [(lb.span.line, lb.message) for lb in errors[0].labels] == [(2, "every mode is `restricted` here")]


def test_one_line_against_two_lines_names_each() -> None:
    result = compile_text(_ns("dev", "pod-security enforce restricted", "pod-security warn privileged")
                          + _ns("dev", "pod-security baseline"))
    errors = sorted((d.labels[0].span.line, d.message) for d in result.diagnostics if d.code == "PC220")
    assert errors == [
        (2, "namespace `dev` sets pod-security `enforce` to `restricted` and to `baseline`"),
        (3, "namespace `dev` sets pod-security `warn` to `privileged` and to `baseline`"),
    ]


def test_two_profiles_for_one_namespace() -> None:
    text = HARDENED + HARDENED.replace("hardened", "other") + _ns("pay", "pod-security hardened",
                                                                  "pod-security other")
    d = _only(compile_text(text), "PC223")
    assert d.message == "namespace `pay` uses pod-security-policy `hardened` and `other`"


def test_hand_written_psa_label_that_disagrees() -> None:
    result = compile_text(_ns("web", "labels pod-security.kubernetes.io/enforce=privileged", "pod-security baseline"))
    d = _only(result, "PC224")
    assert d.message == ("label `pod-security.kubernetes.io/enforce=privileged` of namespace `web` disagrees with its "
                         "pod-security, which sets `baseline`")


@pytest.mark.parametrize(
    ("line", "message", "under"),
    [
        ("pod-security enfroce baseline", "unknown pod-security mode `enfroce`", "enfroce"),
        ("pod-security warn strict", "unknown pod-security level `strict`", "strict"),
        ("pod-security enforce hardened",
         "pod-security-policy `hardened` takes no mode: a custom profile is always enforced", "enforce hardened"),
    ],
)
def test_pod_security_values(line: str, message: str, under: str) -> None:
    result = compile_text(HARDENED + _ns("web", line))
    d = _only(result, "PC187")
    assert (d.message, underlined(result, d)) == (message, under)


@pytest.mark.parametrize(
    ("body", "code", "message", "under", "help_"),
    [
        ("privilegd no", "PC188", "unknown pod-security-policy setting `privilegd`", "privilegd",
         "did you mean `privileged`?"),
        ("privileged no\n  privileged yes", "PC188", "`privileged` is set twice in pod-security-policy `p`",
         "privileged", "set each control once"),
        ("privileged maybe", "PC189", "invalid value `maybe` for `privileged`: expected `yes`, `no`", "maybe",
         "write `privileged yes` or `privileged no`"),
        ("volumes configmap", "PC189", "invalid value `configmap` for `volumes`: Kubernetes 1.37 has no such volume "
         "type; did you mean `configMap`?", "configmap", "write volume types such as `configMap, secret, emptyDir`, "
         "or `any`"),
        ("host-ports 70000", "PC189", "invalid value `70000` for `host-ports`: ports are 1 to 65535, the smaller "
         "first", "70000", "write `host-ports none`, `host-ports any` or ports and ranges such as `8080, 9000-9100`"),
        ("capabilities add ALL", "PC189", "invalid value `ALL` for `capabilities add`: write `capabilities add any` "
         "to allow every capability", "ALL", "write capability names such as `NET_BIND_SERVICE`, `any` or `none`"),
        ("capabilities ALL", "PC189", "`capabilities` takes `add` or `drop` first", "capabilities",
         "write `capabilities drop ALL` or `capabilities add NET_BIND_SERVICE`"),
        ("seccomp runtime/defualt", "PC189", "invalid value `runtime/defualt` for `seccomp`: did you mean "
         "`runtime/default`?", "runtime/defualt", "write `runtime/default`, `localhost/*`, `localhost/NAME`, "
         "`unconfined`, `unset` or `any`"),
        ("volumes any, secret", "PC189", "invalid value `any` for `volumes`: it cannot be combined with other values",
         "any", "write volume types such as `configMap, secret, emptyDir`, or `any`"),
        ("base strict", "PC189", "invalid value `strict` for `base`: expected `privileged`, `baseline`, `restricted`",
         "strict", "write `base privileged`, `base baseline` or `base restricted`"),
    ],
)
def test_profile_settings_diagnostics(body: str, code: str, message: str, under: str, help_: str) -> None:
    result = compile_text(f"pod-security-policy p {{\n  {body}\n}}\n" + _ns("web", "pod-security p"))
    d = _only(result, code)
    assert (d.message, underlined(result, d), d.help) == (message, under, help_)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("restricted", "pod-security-policy `restricted` has the name of a built-in level"),
        ("policyc-x", "pod-security-policy `policyc-x` uses the prefix `policyc-`"),
        ('"Hard_ened"', "invalid pod-security-policy name `Hard_ened`: it must be lowercase letters, digits, `-` and "
                        "`.`, starting and ending with a letter or digit"),
    ],
)
def test_profile_names(name: str, message: str) -> None:
    d = _only(compile_text(f"pod-security-policy {name} {{\n  privileged no\n}}\n"), "PC188")
    assert d.message == message


def test_profile_settings_continue_lists_and_switch_capability_lists() -> None:
    text = ("pod-security-policy p {\n  base baseline\n  capabilities drop ALL, add NET_BIND_SERVICE, CHOWN\n"
            "  volumes configMap, secret\n  host-ports 8080, 9000-9100\n  sysctls safe, net.core.somaxconn\n}\n")
    policy, diags = lower([SourceFile("p.policy", text)])
    ctx = Context(policy, load_release((1, 30)))
    profile = check_profile(ctx, policy.psps[0]).profile
    assert ctx.diags == [] and diags == []
    assert profile.capabilities_drop == {"ALL"}
    assert profile.capabilities_add == {"NET_BIND_SERVICE", "CHOWN"}
    assert profile.volumes == {"configMap", "secret"}
    assert profile.host_ports == ((8080, 8080), (9000, 9100))
    assert "net.core.somaxconn" in profile.sysctls and "kernel.shm_rmid_forced" in profile.sysctls
    assert profile.privileged is False and profile.require_non_root is False  # from `base baseline`


def test_psp_cluster_warns_about_namespaces_and_kube_system_without_policy() -> None:
    result = compile_text(f"kubernetes 1.24\n{PSP_CLUSTER}" + _ns("plain", "labels a=b"))
    assert result.ok
    d415, d416 = _only(result, "PC415"), _only(result, "PC416")
    assert underlined(result, d415) == "plain"
    assert underlined(result, d416) == "PodSecurityPolicy"
    assert d416.help == "add `namespace kube-system { pod-security privileged }`"


def test_unused_profile_warns() -> None:
    d = _only(compile_text(HARDENED), "PC575")
    assert d.message == "pod-security-policy `hardened` is not used by any namespace, so nothing is emitted for it"

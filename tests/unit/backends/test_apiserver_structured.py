"""Structured authentication and authorization (issue 17), per release boundary.

`anonymous only` (KEP-4633: alpha 1.31, beta 1.32, GA 1.34), several `oidc` issuers with CEL
(AuthenticationConfiguration v1alpha1 1.29, v1beta1 1.30, v1 1.34), `webhook NAME` authorizers
(AuthorizationConfiguration v1alpha1 1.29, v1beta1 1.30, v1 1.32), the kubeadm snippet (v1beta3,
v1beta4 from 1.31), and `apiserver patch` on a stock kubeadm 1.34 manifest. Every configuration
file is checked against the upstream types (policyc/k8s/apiserver_config.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import compile_text, underlined
from policyc.backends.apiserver import (
    AUTHN_CONFIG_FILE,
    AUTHZ_CONFIG_FILE,
    apiserver_change,
    authentication_config_file,
    authentication_configuration,
    authorization_config_file,
    authorization_configuration,
    kubeadm_file,
    patch_file,
)
from policyc.cli.access_common import undecided_notes
from policyc.k8s.apiserver_config import validate
from policyc.output.static_pod import ManifestError, load_patch_file, patch_text, write_patched
from policyc.output.yaml import render_file

FIXTURES = Path(__file__).parents[1] / "output" / "fixtures"
STOCK_134 = FIXTURES / "kube-apiserver-1.34.yaml"

ANON = "anonymous only /livez, /readyz, /healthz"
OIDC = 'oidc issuer https://login.example.com client-id k8s username-claim email username-prefix "oidc:"'
OIDC2 = ('oidc issuer https://partners.example.com audiences partner-cli, partner-web '
         'username-expression "\'partner:\' + claims.sub" groups-expression "claims.groups.map(g, \'partner:\' + g)" '
         'claim-validation "claims.hd == \'partner.example.com\'" message "only partner accounts"')
WEBHOOK = """\
  webhook opa {
    kubeconfig /etc/opa/authz.kubeconfig
    match "request.resourceAttributes.namespace == 'prod'"
    failure-policy Deny
    timeout 3s
  }
"""


def policy(*lines: str, authz: str = "", extra: str = "") -> str:
    body = f"  authorization {authz}\n" if authz else ""
    body += extra
    if lines:
        body += "  authentication {\n" + "".join(f"    {line}\n" for line in lines) + "  }\n"
    return "cluster {\n" + body + "}\n"


def codes_of(result) -> set[str]:
    return {d.code for d in result.diagnostics}


def diag(result, code: str):
    found = [d for d in result.diagnostics if d.code == code]
    assert found, f"expected {code}, got {[(d.code, d.message) for d in result.diagnostics]}"
    return found[0]


# ---------------------------------------------------------------- anonymous only


@pytest.mark.parametrize(
    ("release", "code", "version"),
    [
        ("1.28", "PC440", None),
        ("1.30", "PC440", None),  # structured authentication exists, anonymous in it does not
        ("1.31", "PC441", "apiserver.config.k8s.io/v1beta1"),  # alpha: AnonymousAuthConfigurableEndpoints
        ("1.32", None, "apiserver.config.k8s.io/v1beta1"),
        ("1.33", None, "apiserver.config.k8s.io/v1beta1"),
        ("1.34", None, "apiserver.config.k8s.io/v1"),
    ],
)
def test_anonymous_only_per_release(release: str, code: str | None, version: str | None) -> None:
    result = compile_text(policy(ANON), kubernetes=release)
    found = codes_of(result) & {"PC440", "PC441"}
    assert found == ({code} if code else set())
    if code == "PC440":
        d = diag(result, "PC440")
        assert d.message == f"`anonymous only` (anonymous.conditions) needs Kubernetes 1.31 or later, not {release}"
        assert underlined(result, d) == "only"
        return
    if code == "PC441":
        assert "--feature-gates=AnonymousAuthConfigurableEndpoints=true" in diag(result, "PC441").help
    doc = authentication_configuration(result.program)
    assert doc is not None and doc["apiVersion"] == version
    assert doc["anonymous"] == {"enabled": True, "conditions": [{"path": "/livez"}, {"path": "/readyz"},
                                                                 {"path": "/healthz"}]}
    assert validate(doc) == []
    change = apiserver_change(result.program)
    assert "anonymous-auth" in change.remove_flags and "anonymous-auth" not in dict(change.flags)
    assert dict(change.flags)["authentication-config"] == "/etc/kubernetes/auth/authentication-config.yaml"
    assert "PC540" not in codes_of(result)  # only health endpoints: CIS 1.2.1's intent is met


@pytest.mark.parametrize(("release", "bench"), [("1.31", "cis-1.11"), ("1.34", "cis-1.12")])
def test_anonymous_only_notes_that_kube_bench_reads_the_flag(release: str, bench: str) -> None:
    result = compile_text(policy(ANON), kubernetes=release)
    d = diag(result, "PC554")
    assert d.severity.value == "note" and d.cis == "1.2.1" and d.benchmark == bench
    assert d.message.startswith("anonymous requests are restricted to the health endpoints, which kube-bench's test")
    assert underlined(result, d) == "only"
    assert "PC554" not in codes_of(compile_text(policy("anonymous only /livez, /version"), kubernetes=release))


def test_anonymous_only_with_a_path_that_is_no_health_endpoint_keeps_pc540() -> None:
    result = compile_text(policy("anonymous only /livez, /version"), kubernetes="1.34")
    d = diag(result, "PC540")
    assert d.message == "anonymous requests are allowed on `/version`, which is not a health endpoint"
    assert underlined(result, d) == "/version"


@pytest.mark.parametrize(
    ("line", "code", "message", "under"),
    [
        ("anonymous only livez", "PC263", "`livez` is not a request path", "livez"),
        ("anonymous only /livez, /livez", "PC264", "path `/livez` is listed twice", "/livez"),
        ("anonymous only", "PC263", "`anonymous only` takes a list of paths", "anonymous only"),
    ],
)
def test_anonymous_only_bad_paths(line: str, code: str, message: str, under: str) -> None:
    result = compile_text(policy(line), kubernetes="1.34")
    d = diag(result, code)
    assert d.message == message
    assert underlined(result, d).startswith(under)


@pytest.mark.parametrize(("release", "proposes"), [("1.30", False), ("1.31", True), ("1.34", True)])
def test_pc270_help_proposes_anonymous_only_where_the_release_has_it(release: str, proposes: bool) -> None:
    d = diag(compile_text(policy("anonymous no"), kubernetes=release), "PC270")
    assert ("anonymous only /livez, /readyz, /healthz" in d.help) is proposes


# ---------------------------------------------------------------- several oidc issuers, CEL


@pytest.mark.parametrize(
    ("release", "code", "version"),
    [
        ("1.28", "PC440", None),
        ("1.29", "PC441", "apiserver.config.k8s.io/v1alpha1"),
        ("1.30", None, "apiserver.config.k8s.io/v1beta1"),
        ("1.33", None, "apiserver.config.k8s.io/v1beta1"),
        ("1.34", None, "apiserver.config.k8s.io/v1"),
    ],
)
def test_several_oidc_issuers_per_release(release: str, code: str | None, version: str | None) -> None:
    result = compile_text(policy(OIDC, OIDC2), kubernetes=release)
    assert codes_of(result) & {"PC440", "PC441"} == ({code} if code else set())
    doc = authentication_configuration(result.program)
    if version is None:
        assert doc is None
        return
    assert doc["apiVersion"] == version
    assert validate(doc) == []
    first, second = doc["jwt"]
    assert first["claimMappings"] == {"username": {"claim": "email", "prefix": "oidc:"}}
    assert second["issuer"] == {"url": "https://partners.example.com", "audiences": ["partner-cli", "partner-web"],
                                "audienceMatchPolicy": "MatchAny"}
    assert second["claimMappings"] == {"username": {"expression": "'partner:' + claims.sub"},
                                       "groups": {"expression": "claims.groups.map(g, 'partner:' + g)"}}
    assert second["claimValidationRules"] == [{"expression": "claims.hd == 'partner.example.com'",
                                               "message": "only partner accounts"}]
    change = apiserver_change(result.program)
    assert "oidc-issuer-url" in change.remove_flags  # exclusive with --authentication-config


def test_one_plain_oidc_line_still_uses_the_flags() -> None:
    change = apiserver_change(compile_text(policy(OIDC), kubernetes="1.34").program)
    assert dict(change.flags)["oidc-issuer-url"] == "https://login.example.com"
    assert "authentication-config" in change.remove_flags


@pytest.mark.parametrize(
    ("line", "code", "message", "under"),
    [
        # cel-python's column, moved into the policy: the caret is on the policy's own column.
        ('oidc issuer https://a.example.com client-id k username-expression "claims.sub +"', "PC271",
         "the CEL expression does not parse at column 12", "+"),
        ('oidc issuer https://a.example.com client-id k groups-expression "claim.groups"', "PC271",
         '`claim` is not a variable of this expression: the API server gives it only `claims` ("undeclared '
         'reference")', "claim"),
        ('oidc issuer https://a.example.com client-id k username-expression "claims.email"', "PC272",
         "`username-expression` reads `claims.email` but nothing checks `claims.email_verified`", '"claims.email"'),
        ('oidc issuer https://a.example.com client-id k username-claim sub username-expression "claims.sub"',
         "PC272", "`username-claim` and `username-expression` cannot both be set", "sub"),
        ('oidc issuer https://a.example.com client-id k username-prefix "x:" username-expression "claims.sub"',
         "PC272", "`username-prefix` cannot be used with `username-expression`", '"x:"'),
        ('oidc issuer https://a.example.com client-id k message "no rule"', "PC272",
         "`message` must follow a `claim-validation`", "message"),
        ("oidc issuer https://a.example.com", "PC262", "`oidc` needs `client-id`", "oidc issuer"),
    ],
)
def test_oidc_structured_errors_are_located(line: str, code: str, message: str, under: str) -> None:
    result = compile_text(policy(line), kubernetes="1.34")
    d = diag(result, code)
    assert d.message == message
    assert underlined(result, d).startswith(under)


def test_a_cel_error_points_at_the_column_inside_the_expression() -> None:
    text = policy('oidc issuer https://a.example.com client-id k username-expression "claims.sub +"')
    result = compile_text(text, kubernetes="1.34")
    d = diag(result, "PC271")
    line = text.splitlines()[d.span.line - 1]
    expression_start = line.index('"claims.sub +"') + 1
    assert d.span.col - 1 == expression_start + 12 - 1  # column 12 of the expression: the `+`


def test_email_verified_in_a_claim_validation_satisfies_the_email_rule() -> None:
    line = ('oidc issuer https://a.example.com client-id k username-expression "claims.email" '
            'claim-validation "claims.email_verified == true"')
    result = compile_text(policy(line), kubernetes="1.34")
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    assert validate(authentication_configuration(result.program)) == []


def test_a_ca_file_cannot_go_into_the_configuration() -> None:
    result = compile_text(policy(OIDC + " ca /etc/kubernetes/pki/oidc.crt", OIDC2), kubernetes="1.34")
    d = diag(result, "PC267")
    assert d.message == "`ca` cannot be used when the issuers go into an AuthenticationConfiguration"
    assert underlined(result, d) == "ca"
    assert "PC267" not in codes_of(compile_text(policy(OIDC + " ca /etc/kubernetes/pki/oidc.crt"), kubernetes="1.34"))


def test_the_same_issuer_twice_is_refused() -> None:
    result = compile_text(policy(OIDC, "oidc issuer https://login.example.com client-id other"), kubernetes="1.34")
    assert diag(result, "PC272").message == "issuer `https://login.example.com` is configured twice"


def test_oidc_users_with_several_issuers_get_a_note() -> None:
    result = compile_text(policy(OIDC, OIDC2) + "user bob auth oidc\n", kubernetes="1.34")
    d = diag(result, "PC442")
    assert d.message == "`auth oidc` users are the users of the first issuer, `https://login.example.com`"
    assert "`oidc:`" in d.help


# ---------------------------------------------------------------- webhook authorizers


@pytest.mark.parametrize(
    ("release", "code", "version"),
    [
        ("1.28", "PC440", None),
        ("1.29", "PC441", "apiserver.config.k8s.io/v1alpha1"),
        ("1.30", None, "apiserver.config.k8s.io/v1beta1"),
        ("1.31", None, "apiserver.config.k8s.io/v1beta1"),
        ("1.32", None, "apiserver.config.k8s.io/v1"),
        ("1.34", None, "apiserver.config.k8s.io/v1"),
    ],
)
def test_webhook_authorizer_per_release(release: str, code: str | None, version: str | None) -> None:
    result = compile_text(policy(authz="Node, RBAC, webhook opa", extra=WEBHOOK), kubernetes=release)
    assert codes_of(result) & {"PC440", "PC441"} == ({code} if code else set())
    doc = authorization_configuration(result.program)
    change = apiserver_change(result.program)
    if version is None:
        assert doc is None and dict(change.flags)["authorization-mode"] == "Node,RBAC,webhook opa" or doc is None
        return
    assert doc["apiVersion"] == version
    assert validate(doc) == []
    assert [(a["type"], a["name"]) for a in doc["authorizers"]] == [("Node", "node"), ("RBAC", "rbac"),
                                                                   ("Webhook", "opa")]
    assert doc["authorizers"][2]["webhook"] == {
        "timeout": "3s", "authorizedTTL": "5m0s", "unauthorizedTTL": "30s", "subjectAccessReviewVersion": "v1",
        "matchConditionSubjectAccessReviewVersion": "v1", "failurePolicy": "Deny",
        "connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": "/etc/opa/authz.kubeconfig"},
        "matchConditions": [{"expression": "request.resourceAttributes.namespace == 'prod'"}],
    }
    # --authorization-config replaces --authorization-mode (the two are exclusive).
    assert dict(change.flags)["authorization-config"] == "/etc/kubernetes/auth/authorization-config.yaml"
    assert "authorization-mode" in change.remove_flags and "authorization-mode" not in dict(change.flags)
    # The webhook's kubeconfig is mounted as well as the configuration's folder.
    assert {(m.path, m.type) for m in change.mounts} == {("/etc/kubernetes/auth", "DirectoryOrCreate"),
                                                         ("/etc/opa/authz.kubeconfig", "File")}


def test_configuration_files_say_where_they_go_and_exist_only_with_their_document() -> None:
    result = compile_text(policy(OIDC, OIDC2, authz="Node, RBAC, webhook opa", extra=WEBHOOK), kubernetes="1.32")
    authn, authz = authentication_config_file(result.program), authorization_config_file(result.program)
    assert authn is not None and authz is not None
    assert authn.path == AUTHN_CONFIG_FILE and authz.path == AUTHZ_CONFIG_FILE
    assert authn.comment.endswith(
        "# Copy to /etc/kubernetes/auth/authentication-config.yaml on every control-plane node "
        "(--authentication-config).\n# The API server reloads it when it changes.\n")
    assert authz.comment.endswith(
        "# Copy to /etc/kubernetes/auth/authorization-config.yaml on every control-plane node "
        "(--authorization-config), with each\n# webhook's kubeconfig. The API server reloads it when it changes.\n")
    assert authn.body == authentication_configuration(result.program)
    assert authz.body == authorization_configuration(result.program)
    # One plain issuer and no webhook: flags, no configuration files.
    plain = compile_text(policy(OIDC), kubernetes="1.32").program
    assert authentication_config_file(plain) is None and authorization_config_file(plain) is None


@pytest.mark.parametrize(
    ("authz", "block", "code", "message"),
    [
        ("Node, RBAC, webhook opa", "", "PC273", "no `webhook opa { }` block"),
        ("Node, RBAC, Webhook, webhook opa", WEBHOOK, "PC273",
         "the `Webhook` mode cannot be used beside `webhook NAME` authorizers"),
        ("Node, RBAC, webhook opa", WEBHOOK.replace("timeout 3s", "timeout 31s"), "PC273",
         "webhook timeout `31s` is over 30s"),
        ("Node, RBAC, webhook opa", WEBHOOK.replace("    timeout 3s\n", ""), "PC273", "webhook `opa` needs `timeout`"),
        ("Node, RBAC, webhook opa", WEBHOOK.replace("Deny", "Allow"), "PC273", "`failure-policy` cannot be `Allow`"),
        ("Node, RBAC, webhook opa", WEBHOOK.replace("request.resource", "req.resource"), "PC271",
         '`req` is not a variable of this expression: the API server gives it only `request` ("undeclared '
         'reference")'),
        ("Node, RBAC", WEBHOOK, "PC274", "webhook `opa` is not in `authorization`"),
        ("Node, RBAC, webhook Opa", WEBHOOK.replace("opa {", "Opa {"), "PC273", "webhook name `Opa` is not usable"),
    ],
)
def test_webhook_errors(authz: str, block: str, code: str, message: str) -> None:
    result = compile_text(policy(authz=authz, extra=block), kubernetes="1.34")
    assert diag(result, code).message == message


def test_the_access_engine_says_what_it_cannot_decide() -> None:
    result = compile_text(policy(authz="Node, RBAC, webhook opa", extra=WEBHOOK), kubernetes="1.34")
    notes = undecided_notes(result.program)
    assert notes == ["note: these answers cover the policy's RBAC only; the webhook authorizer `opa` "
                     "(authorization) may allow more, or deny first, and policyc cannot know what it answers"]
    assert undecided_notes(compile_text(policy(authz="Node, RBAC"), kubernetes="1.34").program) == []


def test_guards_say_they_do_not_cover_the_webhook() -> None:
    text = policy(authz="Node, RBAC, webhook opa", extra=WEBHOOK) + "forbid delete namespaces\n"
    result = compile_text(text, kubernetes="1.34")
    d = diag(result, "PC275")
    assert d.message == "the `forbid` guards do not cover what webhook `opa` allows"
    assert underlined(result, d) == "webhook opa"
    assert "PC275" not in codes_of(compile_text(policy(authz="Node, RBAC, webhook opa", extra=WEBHOOK),
                                                kubernetes="1.34"))


def test_can_i_prints_the_webhook_note(tmp_path: Path) -> None:
    text = policy("tokens file /etc/kubernetes/auth/tokens.csv", authz="Node, RBAC, webhook opa", extra=WEBHOOK)
    (tmp_path / "p.policy").write_text("kubernetes 1.34\n" + text + "user ann auth token\n"
                                       "grant get pods to user ann in dev\n")
    script = Path(sys.executable).parent / "policyc"
    run = subprocess.run([str(script), "can-i", "get", "pods", "--as", "ann", "-n", "dev", "--policy", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert "webhook authorizer `opa`" in run.stderr, run.stderr


# ---------------------------------------------------------------- kubeadm


@pytest.mark.parametrize(("release", "version"), [
    ("1.30", "kubeadm.k8s.io/v1beta3"), ("1.31", "kubeadm.k8s.io/v1beta4"), ("1.34", "kubeadm.k8s.io/v1beta4"),
])
def test_kubeadm_snippet_mounts_every_generated_file(release: str, version: str) -> None:
    text = policy(ANON if release >= "1.31" else "anonymous yes", OIDC, OIDC2, authz="Node, RBAC, webhook opa",
                  extra=WEBHOOK)
    result = compile_text(text, kubernetes=release)
    change = apiserver_change(result.program)
    doc = kubeadm_file(change).body
    assert doc["apiVersion"] == version
    args = doc["apiServer"]["extraArgs"]
    names = [a["name"] for a in args] if version.endswith("v1beta4") else list(args)
    assert {"authentication-config", "authorization-config"} <= set(names)
    header = kubeadm_file(change).comment
    assert ("still writes --authorization-mode=Node,RBAC" in header) is (version == "kubeadm.k8s.io/v1beta3")
    mounted = {v["hostPath"] for v in doc["apiServer"]["extraVolumes"]}
    assert mounted == {"/etc/kubernetes/auth", "/etc/opa/authz.kubeconfig"}
    for cfg in (authentication_configuration(result.program), authorization_configuration(result.program)):
        assert validate(cfg) == []


# ---------------------------------------------------------------- the validator can fail


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
          "jwt": [{"issuer": {"url": "https://a", "audiences": ["x"]},
                   "claimMappings": {"username": {"claim": "sub"}}}]},
         "jwt[0].claimMappings.username.prefix: prefix is required when claim is set"),
        ({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
          "jwt": [{"issuer": {"url": "https://a", "audiences": ["x", "y"]},
                   "claimMappings": {"username": {"expression": "claims.sub"}}}]},
         "jwt[0].issuer.audienceMatchPolicy: must be MatchAny for multiple audiences"),
        ({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
          "anonymous": {"enabled": False, "conditions": [{"path": "/livez"}]}},
         "anonymous.conditions: enabled should be set to true when conditions are defined"),
        ({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
          "anonymous": {"enabled": True, "conditions": [{"pth": "/livez"}]}},
         "anonymous.conditions[0].pth: unknown field of AnonymousAuthCondition"),
        ({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthorizationConfiguration",
          "authorizers": [{"type": "Webhook", "name": "w", "webhook": {
              "timeout": "3s", "authorizedTTL": "5m", "unauthorizedTTL": "30s", "subjectAccessReviewVersion": "v1",
              "failurePolicy": "Deny", "connectionInfo": {"type": "KubeConfigFile", "kubeConfigFile": "/k"},
              "matchConditions": [{"expression": "true"}]}}]},
         "authorizers[0].webhook.matchConditionSubjectAccessReviewVersion: must be v1 with match conditions"),
        ({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthorizationConfiguration",
          "authorizers": [{"type": "Webhook", "name": "w"}]},
         "authorizers[0].webhook: required when type=Webhook"),
    ],
)
def test_the_validator_refuses_what_the_api_server_refuses(doc: dict, problem: str) -> None:
    assert problem in validate(doc)


# ---------------------------------------------------------------- the 1.34 patch case


POLICY_134 = "kubernetes 1.34\n" + policy(ANON, OIDC, OIDC2)


def test_stock_kubeadm_134_patches_cleanly_idempotently_and_reversibly(tmp_path: Path) -> None:
    result = compile_text(POLICY_134)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    change = apiserver_change(result.program)
    original = STOCK_134.read_text()
    patched = patch_text(original, change)  # no allow_failing_probes: the probes' paths are anonymous
    assert patched.changed and patched.notes == []
    doc = yaml.safe_load(patched.patched)
    command = doc["spec"]["containers"][0]["command"]
    assert "--authentication-config=/etc/kubernetes/auth/authentication-config.yaml" in command
    assert not any(c.startswith(("--anonymous-auth", "--oidc-")) for c in command)
    assert {"mountPath": "/etc/kubernetes/auth", "name": "policyc-etc-kubernetes-auth", "readOnly": True} in \
        doc["spec"]["containers"][0]["volumeMounts"]
    assert patch_text(patched.patched, change).changed is False  # idempotent
    # The patch file of `build` is the same change.
    from_file = load_patch_file(render_file(patch_file(change)))
    assert patch_text(original, from_file).patched == patched.patched
    # Atomic write with a backup that restores the original byte for byte.
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_text(original)
    backup = write_patched(manifest, patched)
    assert manifest.read_text() == patched.patched
    assert backup.read_text() == original


def test_anonymous_only_without_the_probes_paths_is_refused() -> None:
    change = apiserver_change(compile_text("kubernetes 1.34\n" + policy("anonymous only /livez")).program)
    with pytest.raises(ManifestError, match=r"readinessProbe of /readyz would fail with 401"):
        patch_text(STOCK_134.read_text(), change)
    assert patch_text(STOCK_134.read_text(), change, allow_failing_probes=True).notes


def test_the_console_script_patches_the_stock_134_manifest_twice(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "cluster.policy").write_text(POLICY_134)
    manifest = tmp_path / "manifests" / "kube-apiserver.yaml"
    manifest.parent.mkdir()
    manifest.write_text(STOCK_134.read_text())
    script = Path(sys.executable).parent / "policyc"
    command = [str(script), "apiserver", "patch", str(manifest), "--policy", str(folder)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"patched {manifest}")
    assert "--authentication-config=/etc/kubernetes/auth/authentication-config.yaml" in manifest.read_text()
    backups = list(manifest.parent.glob(".kube-apiserver.yaml.*.policyc-backup"))
    assert len(backups) == 1 and backups[0].read_text() == STOCK_134.read_text()
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "already up to date" in second.stderr


# ---------------------------------------------------------------- from `anonymous only` back to the flag
DEFAULT_CONFIG = "/etc/kubernetes/auth/authentication-config.yaml"


ANON_ONLY = compile_text("kubernetes 1.34\n" + policy(ANON))
ADMINS = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
          "jwt": [{"issuer": {"url": "https://idp.example.com", "audiences": ["k8s"]},
                   "claimMappings": {"username": {"claim": "sub", "prefix": ""}}}]}


def _moved_back(tmp_path: Path, config: dict | None) -> tuple[str, str]:
    """The stock manifest patched for `anonymous only`, with its configuration at a path of
    tmp_path (written as `config`, or absent), and that path."""
    path = tmp_path / "authentication-config.yaml"
    if config is not None:
        path.write_text(yaml.safe_dump(config))
    patched = patch_text(STOCK_134.read_text(), apiserver_change(ANON_ONLY.program)).patched
    assert DEFAULT_CONFIG in patched
    return patched.replace(DEFAULT_CONFIG, str(path)), str(path)


@pytest.mark.parametrize("line", ["anonymous yes", "anonymous no"])
def test_moving_from_anonymous_only_to_the_flag_removes_policycs_configuration(tmp_path: Path, line: str) -> None:
    """The API server refuses --anonymous-auth beside a configuration with `anonymous`
    (pkg/kubeapiserver/options/authentication.go): the file policyc wrote for `anonymous only` goes."""
    manifest, path = _moved_back(tmp_path, authentication_configuration(ANON_ONLY.program))
    change = apiserver_change(compile_text("kubernetes 1.34\n" + policy(line)).program)
    result = patch_text(manifest, change, allow_failing_probes=True)
    command = yaml.safe_load(result.patched)["spec"]["containers"][0]["command"]
    assert not any(c.startswith("--authentication-config") for c in command)
    assert f"--anonymous-auth={'true' if line == 'anonymous yes' else 'false'}" in command
    assert any(n.startswith(f"removed --authentication-config={path}") for n in result.notes)
    assert patch_text(result.patched, change, allow_failing_probes=True).changed is False


def test_an_administrators_configuration_with_anonymous_is_not_removed(tmp_path: Path) -> None:
    config = {**ADMINS, "anonymous": {"enabled": True, "conditions": [{"path": "/livez"}]}}
    manifest, path = _moved_back(tmp_path, config)
    change = apiserver_change(compile_text("kubernetes 1.34\n" + policy("anonymous yes")).program)
    with pytest.raises(ManifestError, match=rf"{path} \(--authentication-config\) configures `anonymous`"):
        patch_text(manifest, change)


@pytest.mark.parametrize("config", [None, ADMINS], ids=["not-on-this-machine", "no-anonymous"])
def test_a_configuration_without_anonymous_or_out_of_reach_is_kept(tmp_path: Path, config: dict | None) -> None:
    manifest, path = _moved_back(tmp_path, config)
    change = apiserver_change(compile_text("kubernetes 1.34\n" + policy("anonymous yes")).program)
    result = patch_text(manifest, change)
    assert f"--authentication-config={path}" in result.patched
    assert any(n.startswith(f"could not read {path}") for n in result.notes) is (config is None)

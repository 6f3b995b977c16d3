"""Every authentication, authorization-mode, admission-plugin and credential check: code, message, underline, help.

Rows are written from the rules they encode: kube-apiserver's flag validation
(pkg/kubeapiserver/options), the plugin and flag history of policyc/data/apiserver/releases.yaml,
the CertificateSigningRequest validation (expirationSeconds >= 600), and the CIS Kubernetes
Benchmark section 1.2 as kube-bench encodes it per version (policyc/data/cis; the ids per benchmark
version are tested in test_cis_benchmarks.py).
"""

from __future__ import annotations

import pytest

from helpers import compile_text, underlined


def cluster(*lines: str, authz: str = "", admission: str = "") -> str:
    """A cluster block with the given authentication lines."""
    body = ""
    if authz:
        body += f"  authorization {authz}\n"
    if admission:
        body += f"  admission {admission}\n"
    if lines:
        body += "  authentication {\n" + "".join(f"    {line}\n" for line in lines) + "  }\n"
    return "cluster {\n" + body + "}\n"


OIDC = "oidc issuer https://id.example.com client-id k8s"
CERTS = "certificates ca /etc/kubernetes/pki/ca.crt"
TOKENS = "tokens file /etc/kubernetes/auth/tokens.csv"

CASES = [
    # (id, text, release, code, severity, message, underlined, help contains)
    # -- users and service accounts (PC19x)
    ("unknown-user-method", "user a auth password\n", None, "PC190", "error",
     "unknown authentication method `password` for user `a`", "password", "`certificate`, `token`"),
    ("token-unconfigured", cluster("anonymous no") + "user jack auth token\n", None, "PC191", "error",
     "user `jack` logs on with `token`, which the cluster does not configure", "token", "tokens file"),
    ("oidc-without-cluster", "user bob auth oidc\n", None, "PC191", "error",
     "user `bob` logs on with `oidc`, which the cluster does not configure", "oidc", "oidc issuer URL"),
    ("certificate-unconfigured", cluster(TOKENS) + "user c auth certificate\n", None, "PC191", "error",
     "user `c` logs on with `certificate`, which the cluster does not configure", "certificate",
     "certificates ca"),
    ("basic-unconfigured", "kubernetes 1.18\n" + cluster(TOKENS) + "user d auth basic\n", None, "PC191", "error",
     "user `d` logs on with `basic`, which the cluster does not configure", "basic", "basic-auth file"),
    ("system-group", cluster(CERTS) + "user a auth certificate groups ops, system:nodes\n", None, "PC192", "error",
     "group `system:nodes` is reserved for Kubernetes and cannot be put in a credential", "system:nodes",
     "group of your own"),
    ("system-group-token", cluster(TOKENS) + "user a auth token groups system:authenticated\n", None, "PC192",
     "error", "group `system:authenticated` is reserved for Kubernetes and cannot be put in a credential",
     "system:authenticated", "group of your own"),
    ("group-with-comma-in-token-file", cluster(TOKENS) + 'user eve auth token groups "dev,system:masters"\n', None,
     "PC193", "error", "group `dev,system:masters` cannot be written into the API server's token file: it contains a "
     "comma; the API server splits the groups column on commas and would read `dev` and `system:masters`",
     '"dev,system:masters"', "groups a, b"),
    ("group-with-comma-in-basic-file", "kubernetes 1.18\n" + cluster("basic-auth file /etc/b.csv")
     + 'user eve auth basic groups "a,b"\n', None, "PC193", "error",
     "group `a,b` cannot be written into the API server's password file: it contains a comma; the API server "
     "splits the groups column on commas and would read `a` and `b`", '"a,b"', "without commas"),
    ("user-with-blanks", cluster(TOKENS) + 'user " eve" auth token\n', None, "PC193", "error",
     "user ` eve` cannot be written into the API server's token file: it has leading or trailing blanks, which "
     "the API server keeps as part of the name", '" eve"', "surrounding blanks"),
    ("uid-with-newline", cluster(TOKENS) + 'user eve auth token uid "1\\n2"\n', None, "PC193", "error",
     "uid `1\\n2` cannot be written into the API server's token file: it contains a line break, which ends a "
     "record of the credential file", '"1\\n2"', "line breaks"),
    ("certificate-cn-too-long", cluster(CERTS) + f"user {'u' * 65} auth certificate\n", None, "PC193", "error",
     f"user `{'u' * 65}` cannot be written into a client certificate: it is 65 characters long; an X.509 common "
     "name (CN) holds at most 64", "u" * 65, "at most 64 characters"),
    ("certificate-o-too-long", cluster(CERTS) + f"user u auth certificate groups {'g' * 70}\n", None, "PC193",
     "error", f"group `{'g' * 70}` cannot be written into a client certificate: it is 70 characters long; an X.509 "
     "organization (O) holds at most 64", "g" * 70, "at most 64 characters"),
    ("duplicate-uid", cluster(TOKENS) + "user a auth token uid 1000\nuser b auth token uid 1000\n", None, "PC194",
     "error", "users `a` and `b` have the same uid `1000`", "1000", "its own uid"),
    ("option-wrong-method", cluster(TOKENS) + "user a auth token expires 90d\n", None, "PC195", "error",
     "`token` users take no option `expires`", "expires", "`uid`"),
    ("option-oidc", cluster(OIDC) + "user a auth oidc uid 7\n", None, "PC195", "error",
     "`oidc` users take no option `uid`", "uid", "no options"),
    ("expires-too-short", cluster(CERTS) + "user a auth certificate expires 5m\n", None, "PC196", "error",
     "invalid certificate lifetime `5m`", "5m", "600 seconds"),
    ("expires-garbage", cluster(CERTS) + "user a auth certificate expires soon\n", None, "PC196", "error",
     "invalid certificate lifetime `soon`", "soon", "`90d`"),
    ("key-size", cluster(CERTS) + "user a auth certificate key-size 1024\n", None, "PC196", "error",
     "invalid RSA key size `1024`", "1024", "2048, 3072, 4096"),
    ("uid-comma", cluster(TOKENS) + 'user a auth token uid "1,2"\n', None, "PC196", "error",
     "invalid uid `1,2`", '"1,2"', "commas"),
    ("sa-option", "serviceaccount ci/runner tokn\n", None, "PC197", "error",
     "unknown service-account option `tokn`", "tokn", "`token`"),
    ("oidc-groups", cluster(OIDC) + "user a auth oidc groups devs\n", None, "PC198", "warning",
     "the groups of OIDC user `a` come from the identity provider", "devs", "groups claim"),
    # -- the authentication block (PC26x)
    ("unknown-method", cluster("kerberos realm X"), None, "PC260", "error",
     "unknown authentication method `kerberos`", "kerberos", "`tokens`"),
    ("method-typo", cluster("token file /a/b"), None, "PC260", "error",
     "unknown authentication method `token`", "token", "did you mean `tokens`?"),
    ("unknown-option", cluster(OIDC + " issuer-url y"), None, "PC261", "error",
     "unknown option `issuer-url` for `oidc`", "issuer-url", "did you mean `issuer`?"),
    ("no-value", cluster("tokens file"), None, "PC261", "error", "option `file` has no value", "file",
     "`file VALUE`"),
    ("list-for-one", cluster("tokens file /a/b, /c/d"), None, "PC261", "error",
     "option `file` of `tokens` takes one value", "/c/d", "remove the extra"),
    ("missing-option", cluster("oidc issuer https://id.example.com"), None, "PC262", "error",
     "`oidc` needs `client-id`", "oidc issuer https://id.example.com", "`client-id VALUE`"),
    ("proxy-needs-header", cluster("proxy client-ca /etc/kubernetes/pki/front-proxy-ca.crt"), None, "PC262",
     "error", "`proxy` needs `username-header`", "proxy client-ca /etc/kubernetes/pki/front-proxy-ca.crt",
     "`username-header VALUE`"),
    ("relative-path", cluster("tokens file tokens.csv"), None, "PC263", "error",
     "`tokens.csv` is not an absolute file path", "tokens.csv", "/etc/kubernetes/auth/tokens.csv"),
    ("dotdot-path", cluster("tokens file /etc/kubernetes/../tokens.csv"), None, "PC263", "error",
     "`/etc/kubernetes/../tokens.csv` is not an absolute file path", "/etc/kubernetes/../tokens.csv", "`..`"),
    ("http-issuer", cluster("oidc issuer http://id.example.com client-id k8s"), None, "PC263", "error",
     "issuer `http://id.example.com` must be an https URL without query or fragment", "http://id.example.com",
     "discovery"),
    ("anonymous-value", cluster("anonymous maybe"), None, "PC263", "error",
     "`anonymous` takes one value, `yes` or `no`, or `only PATH, ...`", "anonymous maybe", "anonymous no"),
    ("cache-ttl", cluster("webhook config /etc/kubernetes/wh.kubeconfig cache-ttl later"), None, "PC263",
     "error", "`later` is not a duration", "later", "`2m`"),
    ("method-twice", cluster(TOKENS, "tokens file /etc/other.csv"), None, "PC264", "error",
     "authentication method `tokens` is configured twice", "tokens", "once"),
    ("option-twice", cluster(OIDC + " client-id other"), None, "PC264", "error",
     "option `client-id` is given twice", "client-id", "once"),
    ("authorization-twice", cluster(authz="Node, RBAC") + cluster(authz="RBAC"), None, "PC264", "error",
     "`authorization` is set twice", "authorization RBAC", "one `cluster` block"),
    ("mode-twice", cluster(authz="Node, RBAC, Node"), None, "PC265", "error",
     "authorization mode `Node` is listed twice", "Node", "refuses to start"),
    ("plugin-twice", cluster(admission="NodeRestriction, NodeRestriction"), None, "PC266", "warning",
     "admission plugin `NodeRestriction` is listed twice", "NodeRestriction", "once"),
    ("ca-with-config", cluster(OIDC + " ca /etc/kubernetes/pki/oidc.crt config /etc/kubernetes/auth/authn.yaml"),
     "1.30", "PC267", "error", "`ca` cannot be used with `config`", "ca", "inline PEM"),
    ("webhook-mode", cluster(authz="Node, RBAC, Webhook"), None, "PC268", "warning",
     "authorization mode `Webhook` needs --authorization-webhook-config-file", "Webhook", "does not manage"),
    ("abac-mode", cluster(authz="ABAC, RBAC"), None, "PC268", "warning",
     "authorization mode `ABAC` needs --authorization-policy-file", "ABAC", "does not manage"),
    ("anonymous-probes", cluster("anonymous no"), None, "PC270", "warning",
     "with `anonymous no` the kubelet's health probes of the API server are refused", "anonymous no",
     "tcpSocket"),
    ("eventratelimit-config", cluster(admission="EventRateLimit, NodeRestriction"), None, "PC269", "warning",
     "admission plugin `EventRateLimit` needs an admission configuration file", "EventRateLimit",
     "--admission-control-config-file"),
    # -- release rules (PC43x-PC44x)
    ("unknown-plugin", cluster(admission="NodeRestrictions"), None, "PC430", "error",
     "unknown admission plugin `NodeRestrictions` in Kubernetes 1.37", "NodeRestrictions",
     "did you mean `NodeRestriction`?"),
    ("podsecurity-before-1.22", cluster(admission="PodSecurity"), "1.21", "PC430", "error",
     "admission plugin `PodSecurity` does not exist in Kubernetes 1.21: it was added in 1.22", "PodSecurity",
     "remove it"),
    ("securitycontextdeny-1.30", cluster(admission="SecurityContextDeny"), "1.30", "PC430", "error",
     "admission plugin `SecurityContextDeny` does not exist in Kubernetes 1.30: it was removed in 1.30",
     "SecurityContextDeny", "remove it"),
    ("podpreset-1.20", cluster(admission="PodPreset"), "1.20", "PC430", "error",
     "admission plugin `PodPreset` does not exist in Kubernetes 1.20: it was removed in 1.20", "PodPreset",
     "remove it"),
    ("always-admit", cluster(admission="AlwaysAdmit"), None, "PC432", "error",
     "admission plugin `AlwaysAdmit` admits every request", "AlwaysAdmit", "no place in a real cluster"),
    ("unknown-mode", cluster(authz="Node, RBAK"), None, "PC433", "error", "unknown authorization mode `RBAK`",
     "RBAK", "did you mean `RBAC`?"),
    ("always-allow", cluster(authz="AlwaysAllow"), None, "PC434", "error",
     "authorization mode `AlwaysAllow` allows every request", "AlwaysAllow", "`authorization Node, RBAC`"),
    ("basic-1.19", cluster("basic-auth file /etc/kubernetes/auth/basic.csv"), "1.19", "PC435", "error",
     "`basic-auth` authentication was removed in Kubernetes 1.19 and cannot be used on 1.19", "basic-auth",
     "tokens file"),
    ("basic-user-1.19", cluster(TOKENS) + "user d auth basic\n", "1.19", "PC436", "error",
     "user `d` uses basic authentication, which Kubernetes removed in 1.19", "basic", "auth token"),
    ("config-1.28", cluster(OIDC + " config /etc/kubernetes/auth/authn.yaml"), "1.28", "PC437", "error",
     "structured authentication configuration (`config`) needs Kubernetes 1.29 or later, not 1.28", "config",
     "--oidc-* flags"),
    ("config-1.29", cluster(OIDC + " config /etc/kubernetes/auth/authn.yaml"), "1.29", "PC438", "warning",
     "structured authentication configuration is alpha in Kubernetes 1.29", "/etc/kubernetes/auth/authn.yaml",
     "StructuredAuthenticationConfiguration=true"),
    ("expires-1.21", cluster(CERTS) + "user a auth certificate expires 90d\n", "1.21", "PC439", "error",
     "certificate lifetimes (`expires`) need Kubernetes 1.22 or later, not 1.21", "90d",
     "--cluster-signing-duration"),
    # -- CIS Kubernetes Benchmark 1.2.x (PC54x)
    ("cis-anonymous-default", cluster(CERTS), "1.30", "PC540", "warning",
     "anonymous requests are allowed (the API server's default)", "cluster {", "see PC270"),
    ("cis-anonymous-yes", cluster("anonymous yes"), "1.30", "PC540", "warning", "anonymous requests are allowed",
     "anonymous yes", "anonymous no"),
    # From 1.31 (KEP-4633) the help proposes the structured configuration's health-only anonymous access.
    ("cis-anonymous-default-1.31", cluster(CERTS), "1.31", "PC540", "warning",
     "anonymous requests are allowed (the API server's default)", "cluster {", "anonymous only /livez, /readyz"),
    ("cis-anonymous-yes-1.34", cluster("anonymous yes"), None, "PC540", "warning", "anonymous requests are allowed",
     "anonymous yes", "anonymous only /livez, /readyz, /healthz"),
    ("cis-token-file", cluster(TOKENS), None, "PC541", "warning",
     "a static token file authenticates users with tokens that never expire", TOKENS, "restart"),
    ("cis-external-ips", cluster(admission="NodeRestriction"), None, "PC542", "warning",
     "admission plugin `DenyServiceExternalIPs` is not enabled", "admission NodeRestriction", "CVE-2020-8554"),
    ("cis-node", cluster(authz="RBAC"), None, "PC543", "warning", "authorization modes do not include `Node`",
     "authorization RBAC", "add `Node` before `RBAC`"),
    ("cis-rbac", cluster(authz="Node"), None, "PC544", "warning", "authorization modes do not include `RBAC`",
     "authorization Node", "add `RBAC`"),
    ("cis-event-rate", cluster(admission="NodeRestriction"), None, "PC545", "warning",
     "admission plugin `EventRateLimit` is not enabled", "admission NodeRestriction", "admission configuration"),
    ("cis-pull-images", cluster(admission="NodeRestriction"), None, "PC546", "warning",
     "admission plugin `AlwaysPullImages` is not enabled", "admission NodeRestriction", "multi-tenant"),
    ("cis-node-restriction", cluster(authz="Node, RBAC", admission="LimitRanger"), None, "PC547", "warning",
     "admission plugin `NodeRestriction` is not enabled although authorization uses `Node`",
     "admission LimitRanger", "its own Node"),
    ("cis-external-ips-opposite-1.24", cluster(admission="NodeRestriction, DenyServiceExternalIPs"), "1.24",
     "PC548", "note", "admission plugin `DenyServiceExternalIPs` is enabled, which the benchmark asks not to be",
     "admission NodeRestriction, DenyServiceExternalIPs", "record the exception for your auditors"),
    ("cis-kubelet-ca", cluster(CERTS), None, "PC549", "warning",
     "the API server does not verify the kubelets' serving certificates (`--kubelet-certificate-authority` is not "
     "set: neither kubeadm nor policyc sets it)", "cluster {", "serverTLSBootstrap: true"),
    ("cis-psp-1.21", cluster(admission="NodeRestriction"), "1.21", "PC551", "warning",
     "admission plugin `PodSecurityPolicy` is not enabled", "admission NodeRestriction",
     "the only admission that restricts pods"),
    ("cis-security-context-deny-1.26", cluster(admission="NodeRestriction"), "1.26", "PC552", "note",
     "neither `SecurityContextDeny` nor `PodSecurityPolicy` is enabled", "admission NodeRestriction",
     "Pod Security Admission"),
    ("cis-basic-auth-1.18", cluster("basic-auth file /etc/kubernetes/auth/basic.csv"), "1.18", "PC553", "warning",
     "a basic-auth file authenticates users with static passwords", "basic-auth file /etc/kubernetes/auth/basic.csv",
     "removed --basic-auth-file in 1.19"),
]


@pytest.mark.parametrize(
    ("text", "release", "code", "severity", "message", "under", "help_part"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_diagnostic(text: str, release: str | None, code: str, severity: str, message: str, under: str,
                    help_part: str) -> None:
    result = compile_text(text, kubernetes=release)
    found = [d for d in result.diagnostics if d.code == code]
    assert found, f"expected {code}, got {[(d.code, d.message) for d in result.diagnostics]}"
    d = found[0]
    assert d.message == message
    assert d.severity.value == severity
    assert underlined(result, d) == under
    assert help_part in d.help
    assert d.span.line >= 1 and d.span.col >= 1


@pytest.mark.parametrize(
    ("code", "cis"),
    [("PC432", "1.2.10"), ("PC434", "1.2.6"), ("PC540", "1.2.1"), ("PC541", "1.2.2"), ("PC543", "1.2.7"),
     ("PC544", "1.2.8"), ("PC547", "1.2.14"), ("PC549", "1.2.5")],
)
def test_cis_ids_are_attached(code: str, cis: str) -> None:
    """Without a `kubernetes` line the target is the newest release, which kube-bench checks with cis-1.12."""
    text = cluster(TOKENS, authz="AlwaysAllow", admission="AlwaysAdmit")
    found = {d.code: (d.cis, d.benchmark) for d in compile_text(text).diagnostics}
    assert found[code] == (cis, "cis-1.12")


def test_hardened_cluster_has_only_the_config_file_and_probe_notes() -> None:
    """CIS-clean settings: left are the reminders that EventRateLimit needs its config file, that
    refusing anonymous requests refuses the kubelet's probes, and that kubeadm leaves the kubelets'
    serving certificates unverified (PC549, which no policy setting can fix)."""
    text = (
        "kubernetes 1.30\n"
        + cluster(
            "anonymous no",
            CERTS,
            'oidc issuer https://id.example.com client-id k8s username-claim email groups-claim groups '
            'groups-prefix "oidc:"',
            "proxy client-ca /etc/kubernetes/pki/front-proxy-ca.crt username-header X-Remote-User "
            "group-header X-Remote-Group allowed-names front-proxy-client, aggregator",
            authz="Node, RBAC",
            admission="NodeRestriction, AlwaysPullImages, DenyServiceExternalIPs, EventRateLimit",
        )
        + "user alice auth certificate groups ops expires 30d\nuser bob auth oidc\n"
        + "serviceaccount ci/runner token\n"
    )
    result = compile_text(text)
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [
        ("PC549", "warning"), ("PC269", "warning"), ("PC270", "warning")]
    plan = result.program.authn
    assert plan.apiserver.proxy.allowed_names == ("front-proxy-client", "aggregator")
    assert [(c.name, c.expiration_seconds) for c in plan.credentials] == [("alice", 30 * 86400)]
    assert [(s.namespace, s.name) for s in plan.sa_tokens] == [("ci", "runner")]


def test_psp_on_1_25_is_left_to_the_admission_checks() -> None:
    """One diagnostic for PodSecurityPolicy admission on 1.25+, not two: no PC430 here."""
    result = compile_text(cluster(admission="PodSecurityPolicy, NodeRestriction"), kubernetes="1.25")
    assert "PC430" not in [d.code for d in result.diagnostics]
    assert "PC430" in [d.code for d in compile_text(cluster(admission="PodSecuritPolicy")).diagnostics]


def test_system_masters_in_a_credential_is_reported_once() -> None:
    result = compile_text(cluster(CERTS) + "user a auth certificate groups system:masters\n")
    assert [d.code for d in result.diagnostics if d.is_error] == ["PC131"]


def test_missing_option_after_a_malformed_one_is_not_reported_twice() -> None:
    result = compile_text(cluster("tokens file"))
    assert [d.code for d in result.diagnostics if d.is_error] == ["PC261"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90d", 90 * 86400), ("24h", 86400), ("30m", 1800), ("3600s", 3600), ("1d12h", 129600), ("1w", None),
     ("", None), ("10", None)],
)
def test_parse_expires(text: str, expected: int | None) -> None:
    from policyc.check.authn import parse_expires

    assert parse_expires(text) == expected


def test_uid_is_stable_and_distinct() -> None:
    from policyc.check.authn import default_uid

    assert default_uid("jack@test.com") == default_uid("jack@test.com")
    assert default_uid("jack@test.com") != default_uid("jill@test.com")


def test_non_ascii_and_comma_names_where_the_reader_keeps_them() -> None:
    """Non-ASCII names are valid; a comma in a certificate's O is one group (x509: one O, one group)."""
    text = cluster(TOKENS, CERTS) + 'user "jörg" auth token groups "équipe"\nuser c auth certificate groups "a,b"\n'
    assert [d.code for d in compile_text(text).diagnostics if d.is_error] == []


@pytest.mark.parametrize(("code", "admission", "with_control", "without_control"), [
    ("PC551", "NodeRestriction", "1.21", "1.22"),  # PodSecurityPolicy is scored up to cis-1.20
    ("PC552", "NodeRestriction", "1.26", "1.27"),  # SecurityContextDeny is in cis-1.6 to cis-1.8
    ("PC548", "NodeRestriction, DenyServiceExternalIPs", "1.22", "1.25"),  # "not set" in cis-1.23, cis-1.24
])
def test_benchmark_specific_checks_follow_the_benchmark(code: str, admission: str, with_control: str,
                                                        without_control: str) -> None:
    text = cluster(admission=admission)
    assert code in [d.code for d in compile_text(text, kubernetes=with_control).diagnostics]
    assert code not in [d.code for d in compile_text(text, kubernetes=without_control).diagnostics]

"""Authentication, authorization modes and admission plugins of `cluster`; users' credentials.

The `authentication { }` lines are parsed into typed settings (`ApiserverSettings`) that the
apiserver backend turns into flags and files. Checks, by code range:

* PC19x users, service accounts and their credentials (method configured, `system:` groups,
  options, duplicate identities);
* PC26x the authentication block itself (unknown methods and options, missing or invalid
  values, a method or list given twice, settings a release's files cannot express);
* PC43x-PC44x release rules for plugins, modes and flags (sources in
  `policyc/data/apiserver/releases.yaml`);
* PC54x-PC55x the CIS Kubernetes Benchmark kube-apiserver controls (section 1.2), with the ids of
  the benchmark kube-bench applies to the target release (policyc/k8s/cis.py); docs/cis.md maps
  each control to its code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from policyc import model as m
from policyc.check import cel
from policyc.check.context import Context
from policyc.diagnostics import Diagnostic, Label, Severity
from policyc.k8s import apiserver as api
from policyc.k8s import cis, credfile
from policyc.k8s.releases import format_version
from policyc.model.authn import (
    ApiserverSettings,
    AuthnPlan,
    Authorizer,
    ClaimValidation,
    OidcSettings,
    ProxySettings,
    ServiceAccountToken,
    UserCredential,
    WebhookAuthorizer,
)
from policyc.rules import ERROR, NOTE, WARNING, Rule, register
from policyc.source import Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "authn",
    Rule("PC190", ERROR, "unknown `auth` method of a user", example="`user a auth password`"),
    Rule(
        "PC191", ERROR,
        "a user's method is not configured in `authentication { }` (token without `tokens file`, basic without "
        "`basic-auth file`, oidc without `oidc`, certificate without `certificates`)",
        example="`user jack auth token` alone",
    ),
    Rule(
        "PC192", ERROR,
        "a `system:` group in a credential (certificate O=, token or password file); `system:masters` is PC131",
        example="`user a auth certificate groups system:nodes`",
    ),
    Rule(
        "PC193", ERROR,
        "a name, uid or group the credential's reader would read differently: a comma in a token or password file "
        "group (split into two groups), a line break, control character or surrounding blank, an empty value, a "
        "certificate CN or O over 64 characters",
        example="`user eve auth token groups \"dev,system:masters\"`",
    ),
    Rule("PC194", ERROR, "two token or basic users with the same uid", example="`uid 1000` twice"),
    Rule(
        "PC195", ERROR, "an option the user's method does not take, or given twice",
        example="`user a auth token expires 90d`",
    ),
    Rule(
        "PC196", ERROR,
        "an invalid option value: lifetime under 10 minutes or not `90d`/`24h`/`30m`, key size, uid with a comma or "
        "quote",
        example="`expires 5m`, `key-size 1024`",
    ),
    Rule("PC197", ERROR, "unknown service-account option (only `token`)", example="`serviceaccount ci/runner tokn`"),
    Rule(
        "PC198", WARNING, "`groups` on an OIDC user (the token's claim decides them)",
        example="`user a auth oidc groups devs`",
    ),
    Rule(
        "PC199", ERROR, "an OIDC `username-prefix` or `groups-prefix` that puts the identity provider's names into "
        "Kubernetes' reserved `system:` names: one that starts with `system:`, or one that `system:` starts with "
        "(`sys`: the provider's group `tem:masters` becomes `system:masters`)",
        example="`oidc ... groups-prefix \"system:\"`",
    ),
    Rule("PC260", ERROR, "unknown authentication method (with \"did you mean\")", example="`token file /a`"),
    Rule(
        "PC261", ERROR, "unknown option, option without value, a list where one value is expected",
        example="`oidc ... issuer-url x`, `tokens file`",
    ),
    Rule("PC262", ERROR, "a required option is missing", example="`oidc issuer https://id.example.com`"),
    Rule(
        "PC263", ERROR,
        "invalid value: a path that is not absolute and clean, an issuer that is not https, `anonymous` not yes/no, a"
        " bad duration",
        example="`tokens file tokens.csv`",
    ),
    Rule(
        "PC264", ERROR,
        "a method configured twice, an option given twice, `authorization`/`admission` set in two cluster blocks "
        "(both places named)",
        example="two `tokens` lines",
    ),
    Rule(
        "PC265", ERROR, "an authorization mode listed twice (the API server refuses to start)",
        example="`authorization Node, RBAC, Node`",
    ),
    Rule("PC266", WARNING, "an admission plugin listed twice", example="`admission NodeRestriction, NodeRestriction`"),
    Rule(
        "PC267", ERROR, "`ca` with `config`: AuthenticationConfiguration takes the CA inline",
        example="`oidc ... ca /x.crt config /y.yaml`",
    ),
    Rule(
        "PC268", WARNING, "`ABAC` or `Webhook` mode needs a flag policyc does not write",
        example="`authorization Node, RBAC, Webhook`",
    ),
    Rule(
        "PC269", WARNING,
        "`EventRateLimit` or `ImagePolicyWebhook` needs an admission configuration file policyc does not write",
        example="`admission EventRateLimit`",
    ),
    Rule(
        "PC270", WARNING,
        "`anonymous no`: the kubelet's unauthenticated probes of the API server get 401 (`policyc apiserver patch` "
        "refuses until the probes change)",
        example="`anonymous no`",
    ),
    Rule(
        "PC271", ERROR,
        "a CEL expression that does not parse, or reads a variable the API server does not give it (`claims` for "
        "`username-expression`, `groups-expression`, `claim-validation`; `request` for a webhook's `match`)",
        example="`username-expression \"claims.sub +\"`",
    ),
    Rule(
        "PC272", ERROR,
        "settings of an `oidc` line the AuthenticationConfiguration refuses together: a claim and an expression "
        "for one attribute, a prefix beside an expression, `message` without `claim-validation`, "
        "`claims.email` in `username-expression` without `claims.email_verified`, an issuer or a "
        "`config` path given twice",
        example="`username-claim email username-expression \"claims.sub\"`",
    ),
    Rule(
        "PC273", ERROR,
        "a structured webhook authorizer that cannot work: `webhook NAME` in `authorization` without its block, a "
        "block twice, a name that is not a DNS subdomain, a missing or invalid setting (`kubeconfig`, "
        "`failure-policy`, `timeout` at most 30s), or the legacy `Webhook` mode beside it",
        example="`authorization Node, RBAC, webhook opa` and no `webhook opa { }`",
    ),
    Rule(
        "PC274", WARNING,
        "a `webhook NAME { }` block that `authorization` does not name (the API server never calls it)",
        example="`webhook opa { ... }` with `authorization Node, RBAC`",
    ),
    Rule(
        "PC275", NOTE,
        "`forbid` guards beside a `webhook NAME` authorizer: the guards are proven on the RBAC policyc emits; "
        "what the webhook allows is beyond them",
        example="`forbid delete namespaces` + `authorization Node, RBAC, webhook opa`",
    ),
    Rule(
        "PC430", ERROR,
        "unknown admission plugin, or one the target release does not have (with the release that added or removed "
        "it); PodSecurityPolicy on 1.25+ is PC410",
        example="`kubernetes 1.21` + `admission PodSecurity`",
    ),
    Rule("PC432", ERROR, "`AlwaysAdmit`", example="`admission AlwaysAdmit`", cis="admission-always-admit"),
    Rule("PC433", ERROR, "unknown authorization mode (with \"did you mean\")", example="`authorization Node, RBAK`"),
    Rule("PC434", ERROR, "`AlwaysAllow`", example="`authorization AlwaysAllow`", cis="authorization-not-always-allow"),
    Rule(
        "PC435", ERROR, "`basic-auth` on 1.19+ (removed in 1.19)",
        example="`kubernetes 1.19` + `basic-auth file /x.csv`",
    ),
    Rule("PC436", ERROR, "an `auth basic` user on 1.19+", example="`kubernetes 1.19` + `user d auth basic`"),
    Rule(
        "PC437", ERROR, "`oidc ... config` before 1.29 (no structured authentication configuration)",
        example="`kubernetes 1.28` + `config /x.yaml`",
    ),
    Rule(
        "PC438", WARNING, "`oidc ... config` on 1.29: alpha, needs the feature gate",
        example="`kubernetes 1.29` + `config /x.yaml`",
    ),
    Rule(
        "PC440", ERROR,
        "a setting only the structured configuration can say, on a release without it: `anonymous only` before "
        "1.31, several `oidc` lines, `audiences`, CEL expressions before 1.29, `webhook NAME` authorizers before 1.29",
        example="`kubernetes 1.30` + `anonymous only /livez`",
    ),
    Rule(
        "PC441", WARNING,
        "a structured setting that is alpha in the target release and needs a feature gate: `anonymous only` on 1.31 "
        "(AnonymousAuthConfigurableEndpoints), CEL or several issuers on 1.29 (StructuredAuthenticationConfiguration), "
        "`webhook NAME` authorizers on 1.29 (StructuredAuthorizationConfiguration)",
        example="`kubernetes 1.31` + `anonymous only /livez`",
    ),
    Rule(
        "PC442", NOTE,
        "several `oidc` lines: `auth oidc` users are named with the first line's username prefix; users of the "
        "other issuers are bound by their full name",
        example="two `oidc` lines with different `username-prefix`",
    ),
    Rule(
        "PC439", ERROR, "`expires` before 1.22 (no `spec.expirationSeconds`)",
        example="`kubernetes 1.21` + `expires 90d`",
    ),
    Rule(
        "PC540", WARNING, "anonymous requests allowed",
        example="no `anonymous no`",
        help=(
            "write `anonymous no` in `authentication { }` once the API server's probes do not need anonymous "
            "access (see PC270)"
        ),
        cis="anonymous-auth",
    ),
    Rule(
        "PC541", WARNING, "a static token file",
        example="`tokens file /etc/kubernetes/auth/tokens.csv`",
        help="prefer certificates or OIDC for people; the token file can only change with an API server restart",
        cis="token-auth-file",
    ),
    Rule(
        "PC542", WARNING,
        "`DenyServiceExternalIPs` not enabled, 1.21+ (on 1.22-1.24 without a CIS id: that benchmark asks the "
        "opposite, which the help says)",
        example="`admission NodeRestriction`",
        help=(
            "add it unless services need spec.externalIPs: any user who can create a Service can otherwise "
            "intercept traffic to the addresses it names (CVE-2020-8554)"
        ),
        cis="deny-service-external-ips",
    ),
    Rule(
        "PC543", WARNING, "authorization without `Node`",
        example="`authorization RBAC`",
        help="add `Node` before `RBAC` so kubelets can read only what their pods need",
        cis="authorization-node",
    ),
    Rule(
        "PC544", WARNING, "authorization without `RBAC`",
        example="`authorization Node`",
        help="add `RBAC`: without it the roles and bindings policyc writes have no effect",
        cis="authorization-rbac",
    ),
    Rule(
        "PC545", WARNING, "`EventRateLimit` not enabled",
        example="`admission NodeRestriction`",
        help="add it with an admission configuration that sets limits",
        cis="admission-event-rate-limit",
    ),
    Rule(
        "PC546", WARNING, "`AlwaysPullImages` not enabled",
        example="`admission NodeRestriction`",
        help="add it on multi-tenant clusters so pods cannot use images pulled for others",
        cis="admission-always-pull-images",
    ),
    Rule(
        "PC547", WARNING, "`NodeRestriction` not enabled, saying so when `Node` authorization is used",
        example="`admission LimitRanger`",
        help="add `NodeRestriction` so a kubelet can only modify its own Node and its pods",
        cis="admission-node-restriction",
    ),
    Rule(
        "PC548", NOTE,
        "`DenyServiceExternalIPs` enabled on 1.22-1.24, whose benchmark (CIS 1.23, CIS 1.24) asks for it not to be "
        "set: kube-bench fails that scored check; policyc keeps the plugin and says so",
        example="`kubernetes 1.24` + `admission NodeRestriction, DenyServiceExternalIPs`",
        cis="deny-service-external-ips-not-set",
    ),
    Rule(
        "PC549", WARNING,
        "the API server does not verify kubelet serving certificates: kubeadm never sets "
        "`--kubelet-certificate-authority` (the help says how to on kubeadm)",
        example="any `cluster` block",
        help=(
            "on kubeadm: set `serverTLSBootstrap: true` in the kubelet configuration of every node (the "
            "`kubelet-config` ConfigMap, then `kubeadm upgrade node phase kubelet-config` and a kubelet restart), "
            "approve the nodes' kubernetes.io/kubelet-serving CSRs, then give the API server "
            "`--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt` (ClusterConfiguration "
            "apiServer.extraArgs); once done, silence this with `# policyc: allow PC549 <reason>`"
        ),
        cis="kubelet-certificate-authority",
    ),
    Rule(
        "PC551", WARNING, "`PodSecurityPolicy` not enabled, on releases whose benchmark scores it (1.16-1.21)",
        example="`kubernetes 1.21` + `admission NodeRestriction`",
        help=(
            "add `PodSecurityPolicy` with a `pod-security` level or profile on every namespace (policyc writes the "
            "policies and their RBAC): before 1.22 it is the only admission that restricts pods"
        ),
        cis="admission-pod-security-policy",
    ),
    Rule(
        "PC552", NOTE,
        "neither `SecurityContextDeny` nor `PodSecurityPolicy` enabled, on releases whose benchmark asks for one "
        "(1.16-1.26): policyc advises Pod Security Admission instead",
        example="`kubernetes 1.26` + `admission NodeRestriction`",
        cis="admission-security-context-deny",
    ),
    Rule(
        "PC554", NOTE,
        "`anonymous only` with the health endpoints: anonymous requests are restricted as CIS 1.2.1 intends, but "
        "kube-bench's automated test of the target's benchmark reads `--anonymous-auth=false`, which the "
        "structured configuration replaces, and reports FAIL",
        example="`kubernetes 1.34` + `anonymous only /livez, /readyz, /healthz`",
        cis="anonymous-auth",
    ),
    Rule(
        "PC553", WARNING, "a `basic-auth` file (static passwords), 1.16-1.18", example="`basic-auth file /x.csv`",
        help="prefer certificates or OIDC; Kubernetes removed --basic-auth-file in 1.19",
        cis="basic-auth-file",
    ),
)

# ---------------------------------------------------------------------------------------------
# The language of `authentication { }`
# ---------------------------------------------------------------------------------------------

PATH, URL, TEXT, DURATION, LIST = "path", "url", "text", "duration", "list"


@dataclass(frozen=True)
class _Option:
    kind: str
    required: bool = False


# method -> option -> kind. `anonymous` takes one positional value (yes|no).
METHODS: dict[str, dict[str, _Option]] = {
    "anonymous": {},
    "certificates": {"ca": _Option(PATH, True)},
    "tokens": {"file": _Option(PATH, True)},
    "basic-auth": {"file": _Option(PATH, True)},
    "oidc": {
        "issuer": _Option(URL, True),
        "client-id": _Option(TEXT),  # or `audiences`: one of them is required (PC262)
        "username-claim": _Option(TEXT),
        "groups-claim": _Option(TEXT),
        "username-prefix": _Option(TEXT),
        "groups-prefix": _Option(TEXT),
        "ca": _Option(PATH),
        "config": _Option(PATH),
        # Only in the AuthenticationConfiguration (apis/apiserver types: issuer.audiences,
        # claimMappings.{username,groups}.expression, claimValidationRules[].{expression,message}).
        "audiences": _Option(LIST),
        "username-expression": _Option(TEXT),
        "groups-expression": _Option(TEXT),
        "claim-validation": _Option(TEXT),
        "message": _Option(TEXT),
    },
    "webhook": {"config": _Option(PATH, True), "cache-ttl": _Option(DURATION)},
    "proxy": {
        "client-ca": _Option(PATH, True),
        # Without username headers the API server builds no request-header authenticator
        # (staging/src/k8s.io/apiserver/pkg/server/options/authentication.go).
        "username-header": _Option(LIST, True),
        "group-header": _Option(LIST),
        "allowed-names": _Option(LIST),
        "extra-headers-prefix": _Option(LIST),
    },
}
_ALIASES = {"username-headers": "username-header", "group-headers": "group-header", "audience": "audiences"}
# Options that may repeat, kept in order: each `claim-validation EXPR` takes the `message TEXT`
# that follows it.
REPEATABLE = frozenset({"claim-validation", "message"})
# The paths kubeadm's kube-apiserver probes (cmd/kubeadm/app/phases/controlplane/manifests.go:
# livenessProbe /livez, readinessProbe /readyz, startupProbe /livez; /healthz before 1.20) and
# the ones RBAC's system:public-info-viewer opens besides /version.
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
# Where policyc puts the structured configuration files on the node unless `oidc ... config PATH`
# names the authentication one: mounted by directory (the API server reloads both files).
DEFAULT_AUTHN_CONFIG = "/etc/kubernetes/auth/authentication-config.yaml"
DEFAULT_AUTHZ_CONFIG = "/etc/kubernetes/auth/authorization-config.yaml"
USER_METHODS = ("certificate", "token", "basic", "oidc")
# user option -> methods that accept it
USER_OPTIONS = {"expires": ("certificate",), "key-size": ("certificate",), "uid": ("token", "basic")}
KEY_SIZES = (2048, 3072, 4096)
# CertificateSigningRequest validation: "may not specify a duration less than 600 seconds".
MIN_EXPIRATION_SECONDS = 600
# A stable namespace for the uid column of the static token file (uuid5 of the user name).
UID_NAMESPACE = uuid.UUID("6f1c0a63-8a7d-5d1e-9c1e-7b2f4f0a9d51")

_GO_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")
_EXPIRES = re.compile(r"(\d+[dhms])+")
_BOOL = {"yes": True, "true": True, "no": False, "false": False}


@dataclass
class _Line:
    """One parsed authentication line: its setting and `option -> (key word, values)`."""

    setting: m.AuthSetting
    options: dict[str, tuple[m.Word, tuple[m.Word, ...]]] = field(default_factory=dict)
    repeated: list[tuple[str, m.Word, tuple[m.Word, ...]]] = field(default_factory=list)

    def text(self, key: str) -> str | None:
        found = self.options.get(key)
        return found[1][0].text if found else None

    def texts(self, key: str) -> tuple[str, ...]:
        found = self.options.get(key)
        return tuple(w.text for w in found[1]) if found else ()

    def word(self, key: str) -> m.Word | None:
        found = self.options.get(key)
        return found[1][0] if found else None


@dataclass
class _Cluster:
    """The cluster blocks of a policy, merged, with the words diagnostics point at."""

    span: Span
    authorization: tuple[m.Word, ...] | None = None
    authorization_span: Span | None = None
    admission: tuple[m.Word, ...] | None = None
    admission_span: Span | None = None
    lines: dict[str, _Line] = field(default_factory=dict)
    oidc_lines: list[_Line] = field(default_factory=list)  # every `oidc` line; lines["oidc"] is the first
    webhooks: dict[str, m.AuthzWebhook] = field(default_factory=dict)
    # Decided by _check_structured once the blocks are merged:
    oidcs: tuple[OidcSettings, ...] = ()
    anonymous_paths: tuple[str, ...] | None = None
    authn_config: str | None = None
    authorizers: tuple[Authorizer, ...] = ()
    authz_config: str | None = None


def _error(ctx: Context, code: str, message: str, span: Span, help: str, cis: str = "", labels=()) -> None:
    ctx.diags.append(Diagnostic(code, Severity.ERROR, message, span, help, tuple(labels), cis))


def _parse_options(
    ctx: Context, setting: m.AuthSetting, repeated: list[tuple[str, m.Word, tuple[m.Word, ...]]] | None = None,
) -> dict[str, tuple[m.Word, tuple[m.Word, ...]]]:
    """`key value key value, value ...` -> {key: (key word, values)}; commas continue a list.

    Keys of REPEATABLE go to `repeated`, in order, when it is given.
    """
    items: list[tuple[m.Word, bool]] = []
    for gi, group in enumerate(setting.setting.groups):
        for wi, word in enumerate(group):
            if gi == 0 and wi == 0:
                continue
            items.append((word, gi > 0 and wi == 0))
    options: dict[str, tuple[m.Word, tuple[m.Word, ...]]] = {}
    i = 0
    while i < len(items):
        key, after_comma = items[i]
        i += 1
        if after_comma:
            _error(ctx, "PC261", f"unexpected list item `{key.text}`", key.span,
                   "a comma continues the list of the option before it; write `OPTION VALUE, VALUE`")
            continue
        if i >= len(items) or items[i][1]:
            _error(ctx, "PC261", f"option `{key.text}` has no value", key.span,
                   f"write `{key.text} VALUE`")
            continue
        values = [items[i][0]]
        i += 1
        while i < len(items) and items[i][1]:
            values.append(items[i][0])
            i += 1
        name = _ALIASES.get(key.text, key.text)
        if repeated is not None and name in REPEATABLE:
            repeated.append((name, key, tuple(values)))
            continue
        if name in options:
            _error(ctx, "PC264", f"option `{key.text}` is given twice", key.span,
                   "give each option once; list several values with commas",
                   labels=(Label(options[name][0].span, "first given here"),))
            continue
        options[name] = (key, tuple(values))
    return options


def _is_clean_path(text: str) -> bool:
    parts = text.split("/")
    return (
        text.startswith("/")
        and len(text) > 1
        and not text.endswith("/")
        and all(p not in ("", ".", "..") for p in parts[1:])
        and not any(ch.isspace() or ch == "," for ch in text)
    )


def _check_value(ctx: Context, method: str, key: str, opt: _Option, values: tuple[m.Word, ...]) -> None:
    """PC261 a list where one value is expected; PC263 an invalid value."""
    if opt.kind != LIST and len(values) > 1:
        _error(ctx, "PC261", f"option `{key}` of `{method}` takes one value", values[1].span,
               "remove the extra values")
    for w in values if opt.kind == LIST else values[:1]:
        if opt.kind == PATH and not _is_clean_path(w.text):
            _error(ctx, "PC263", f"`{w.text}` is not an absolute file path", w.span,
                   "write the path the API server reads on the control-plane node, such as "
                   "`/etc/kubernetes/auth/tokens.csv` (no `..`, no trailing `/`)")
        elif opt.kind == URL and not re.fullmatch(r"https://[^\s?#]+", w.text):
            # kube-apiserver: "--oidc-issuer-url must use the https scheme", no query or fragment.
            _error(ctx, "PC263", f"issuer `{w.text}` must be an https URL without query or fragment", w.span,
                   "write the issuer exactly as the identity provider's discovery document gives it")
        elif opt.kind == DURATION and not _GO_DURATION.fullmatch(w.text):
            _error(ctx, "PC263", f"`{w.text}` is not a duration", w.span, "write it like `2m`, `30s` or `1h30m`")
        elif opt.kind in (TEXT, LIST) and not w.text:
            _error(ctx, "PC263", f"option `{key}` of `{method}` is empty", w.span, "give it a value")


# Kubernetes keeps `system:` names for its own components: `system:masters` bypasses RBAC,
# `system:nodes` / `system:node:NAME` are kubelets to the Node authorizer, and the bootstrap
# ClusterRoleBindings bind users such as `system:kube-controller-manager`. The documentation's
# AuthenticationConfiguration example refuses them with userValidationRules
# (`!user.username.startsWith('system:')`, kubernetes.io "Authenticating", JWT authenticator).
RESERVED_PREFIX = "system:"
_PREFIX_EXAMPLE = {"username-prefix": ("user", "kube-controller-manager"), "groups-prefix": ("group", "masters")}


def _check_oidc_prefixes(ctx: Context, line: _Line) -> None:
    """PC199: a username or groups prefix that puts identity-provider names into `system:`.

    Refused both for a prefix that starts with `system:` and for one that `system:` starts with
    (`sys`): the identity provider then chooses the rest (`tem:masters`).
    """
    for key, (what, rest) in _PREFIX_EXAMPLE.items():
        word = line.word(key)
        if word is None or not word.text or word.text == "-":
            continue
        prefix = word.text
        if prefix.startswith(RESERVED_PREFIX):
            claim = rest
        elif RESERVED_PREFIX.startswith(prefix):
            claim = (RESERVED_PREFIX + rest)[len(prefix):]
        else:
            continue
        _error(ctx, "PC199", f"`{key} {_shown(prefix)}` lets the identity provider name Kubernetes' own "
               f"`system:` identities: its {what} `{claim}` would become `{_shown(prefix + claim)}`", word.span,
               "use a prefix of your own that does not begin `system:`, such as `oidc:`")


def _parse_line(ctx: Context, setting: m.AuthSetting) -> _Line | None:
    """Parse and check one authentication line; None for an unknown method."""
    method = setting.method.text
    if method not in METHODS:
        near = api.closest(method, set(METHODS))
        _error(ctx, "PC260", f"unknown authentication method `{method}`", setting.method.span,
               f"did you mean `{near}`?" if near else "use one of " + ", ".join(f"`{k}`" for k in METHODS))
        return None
    line = _Line(setting)
    if method == "anonymous":
        words = [w for g in setting.setting.groups for w in g][1:]
        if words and words[0].text == "only":
            return _anonymous_only(ctx, line, setting)
        if len(words) != 1 or words[0].text.lower() not in _BOOL:
            _error(ctx, "PC263", "`anonymous` takes one value, `yes` or `no`, or `only PATH, ...`", setting.span,
                   "write `anonymous no` to refuse unauthenticated requests, or `anonymous only /livez, /readyz, "
                   "/healthz` (1.31+) to allow them on the health endpoints only")
            return None
        line.options["value"] = (setting.method, (words[0],))
        return line
    errors_before = sum(d.is_error for d in ctx.diags)
    line.options = _parse_options(ctx, setting, line.repeated if method == "oidc" else None)
    malformed = sum(d.is_error for d in ctx.diags) > errors_before
    schema = METHODS[method]
    for key, (kword, values) in list(line.options.items()):
        if key not in schema:
            near = api.closest(key, set(schema))
            _error(ctx, "PC261", f"unknown option `{kword.text}` for `{method}`", kword.span,
                   f"did you mean `{near}`?" if near else "options of `" + method + "`: "
                   + ", ".join(f"`{k}`" for k in schema))
            del line.options[key]
            continue
        _check_value(ctx, method, key, schema[key], values)
    for key, _kword, values in line.repeated:
        _check_value(ctx, method, key, schema[key], values)
    if method == "oidc":
        _check_oidc_prefixes(ctx, line)
    missing = [k for k, o in schema.items() if o.required and k not in line.options]
    if method == "oidc" and "client-id" not in line.options and "audiences" not in line.options:
        missing.append("client-id")
    if missing:
        if not malformed:  # a malformed option was reported already; "missing" would say it twice
            _error(ctx, "PC262", f"`{method}` needs " + ", ".join(f"`{k}`" for k in missing), setting.span,
                   "add " + " and ".join(f"`{k} VALUE`" for k in missing) + f" to the `{method}` line")
        return None
    return line


def _anonymous_only(ctx: Context, line: _Line, setting: m.AuthSetting) -> _Line | None:
    """`anonymous only PATH, PATH`: anonymous.conditions[].path (KEP-4633), exact request paths."""
    groups = setting.setting.groups
    first = groups[0][2:]  # after `anonymous only`
    paths = [*first, *(w for g in groups[1:] for w in g)]
    bad = next((g for g in groups[1:] if len(g) != 1), None) or (first if len(first) != 1 else None)
    if bad is not None or not paths:
        _error(ctx, "PC263", "`anonymous only` takes a list of paths", setting.span,
               "write `anonymous only /livez, /readyz, /healthz`")
        return None
    seen: dict[str, m.Word] = {}
    for w in paths:
        if not w.text.startswith("/") or any(ch.isspace() for ch in w.text):
            _error(ctx, "PC263", f"`{w.text}` is not a request path", w.span,
                   "write the path as the API server receives it, starting with `/`, such as `/livez`")
            return None
        if w.text in seen:
            _error(ctx, "PC264", f"path `{w.text}` is listed twice", w.span, "list each path once",
                   labels=(Label(seen[w.text].span, "first listed here"),))
            return None
        seen[w.text] = w
    line.options["only"] = (groups[0][1], tuple(paths))
    return line


def merge_clusters(ctx: Context) -> _Cluster | None:
    """All `cluster` blocks as one; PC264 when two of them set the same thing."""
    clusters = ctx.policy.clusters
    if not clusters:
        return None
    merged = _Cluster(clusters[0].span)
    for c in clusters:
        for attr in ("authorization", "admission"):
            words, span = getattr(c, attr), getattr(c, f"{attr}_span")
            if not words:
                continue
            if getattr(merged, attr) is not None:
                _error(ctx, "PC264", f"`{attr}` is set twice", span or c.span,
                       f"set `{attr}` once, in one `cluster` block",
                       labels=(Label(getattr(merged, f"{attr}_span") or merged.span, "first set here"),))
                continue
            setattr(merged, attr, words)
            setattr(merged, f"{attr}_span", span or c.span)
        for setting in c.authentication:
            line = _parse_line(ctx, setting)
            if line is None:
                continue
            method = setting.method.text
            if method == "oidc":  # several issuers: one jwt entry each
                merged.oidc_lines.append(line)
                merged.lines.setdefault(method, line)
                continue
            if method in merged.lines:
                _error(ctx, "PC264", f"authentication method `{method}` is configured twice", setting.method.span,
                       "configure each method once",
                       labels=(Label(merged.lines[method].setting.method.span, "first configured here"),))
                continue
            merged.lines[method] = line
        for hook in c.webhooks:
            if hook.name.text in merged.webhooks:
                _error(ctx, "PC273", f"webhook `{hook.name.text}` is configured twice", hook.name.span,
                       "configure each webhook once",
                       labels=(Label(merged.webhooks[hook.name.text].name.span, "first configured here"),))
                continue
            merged.webhooks[hook.name.text] = hook
    _check_structured(ctx, merged)
    return merged


# ---------------------------------------------------------------------------------------------
# The structured configuration files (--authentication-config, --authorization-config)
# ---------------------------------------------------------------------------------------------


def _parse_cel(ctx: Context, word: m.Word, variable: str) -> cel.CelExpr | None:
    """PC271 for an expression that does not parse or reads an unknown variable."""
    expr, problems = cel.parse(word, variable)
    for p in problems:
        _error(ctx, "PC271", p.message, p.span,
               f"fix the expression; it is CEL (kubernetes.io/docs/reference/using-api/cel/) over `{variable}`")
    return expr if not problems else None


def _oidc_settings(ctx: Context, line: _Line) -> OidcSettings:
    """One `oidc` line, its expressions parsed and its structured-only rules checked (PC271, PC272)."""
    for what in ("username", "groups"):
        expr, claim, prefix = line.word(f"{what}-expression"), line.word(f"{what}-claim"), line.word(f"{what}-prefix")
        # validation.go validatePrefixClaimOrExpression: "claim and expression can't both be set",
        # prefix "may not be specified when expression is set".
        if expr is not None and claim is not None:
            _error(ctx, "PC272", f"`{what}-claim` and `{what}-expression` cannot both be set", claim.span,
                   "keep one: the expression gives "
                   + ("the whole user name" if what == "username" else "all the groups"))
        if expr is not None and prefix is not None:
            _error(ctx, "PC272", f"`{what}-prefix` cannot be used with `{what}-expression`", prefix.span,
                   "put the prefix into the expression, e.g. `\"oidc:\" + claims.sub`"
                   if what == "username" else "map the prefix inside the expression, e.g. "
                   "`claims.groups.map(g, \"oidc:\" + g)`")
    parsed: dict[str, cel.CelExpr] = {}
    for key in ("username-expression", "groups-expression"):
        word = line.word(key)
        if word is not None:
            expr = _parse_cel(ctx, word, cel.CLAIMS)
            if expr is not None:
                parsed[key] = expr
    rules: list[ClaimValidation] = []
    rule_exprs: list[cel.CelExpr] = []
    seen: dict[str, m.Word] = {}
    last_has_message = True
    for key, kword, values in line.repeated:
        if key == "claim-validation":
            word = values[0]
            if word.text in seen:  # validation.go: field.Duplicate on claimValidationRules[].expression
                _error(ctx, "PC264", "this `claim-validation` is given twice", word.span, "give each rule once",
                       labels=(Label(seen[word.text].span, "first given here"),))
                continue
            seen[word.text] = word
            expr = _parse_cel(ctx, word, cel.CLAIMS)
            if expr is not None:
                rule_exprs.append(expr)
            rules.append(ClaimValidation(word.text))
            last_has_message = False
        elif not rules or last_has_message:
            _error(ctx, "PC272", "`message` must follow a `claim-validation`", kword.span,
                   "write `claim-validation EXPR message TEXT`: the message is what the API server answers when "
                   "that rule is false")
        else:
            rules[-1] = ClaimValidation(rules[-1].expression, values[0].text)
            last_has_message = True
    username = parsed.get("username-expression")
    # validation.go: "claims.email_verified must be used in claimMappings.username.expression or ...
    # claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression".
    if username is not None and username.selects(cel.CLAIMS, "email") and not any(
            e.selects(cel.CLAIMS, "email_verified") for e in (username, *rule_exprs)):
        _error(ctx, "PC272", "`username-expression` reads `claims.email` but nothing checks `claims.email_verified`",
               username.word.span,
               "add `claim-validation \"claims.?email_verified.orValue(true) == true\"` or check it in the "
               "expression (`claims.email_verified ? claims.email : ''`): the API server refuses the configuration "
               "otherwise")
    return OidcSettings(
        issuer=line.text("issuer") or "",
        client_id=line.text("client-id") or "",
        username_claim=line.text("username-claim"),
        groups_claim=line.text("groups-claim"),
        username_prefix=line.text("username-prefix"),
        groups_prefix=line.text("groups-prefix"),
        ca_file=line.text("ca"),
        config_file=line.text("config"),
        audiences=line.texts("audiences"),
        username_expression=line.text("username-expression"),
        groups_expression=line.text("groups-expression"),
        claim_validations=tuple(rules),
    )


def _release_allows(ctx: Context, what: str, span: Span, entry: tuple[str, str | None] | None, since: str,
                    fix: str) -> bool:
    """PC440 when the release lacks a structured setting, PC441 when it needs an alpha feature gate."""
    rel = format_version(_release(ctx))
    if entry is None:
        _error(ctx, "PC440", f"{what} needs Kubernetes {since} or later, not {rel}", span, fix)
        return False
    if entry[1]:
        ctx.warn("PC441", f"{what} is alpha in Kubernetes {rel}", span,
                 f"start the API server with --feature-gates={entry[1]}=true (off by default in {rel})")
    return True


def _check_structured(ctx: Context, cluster: _Cluster) -> None:
    """The settings only an AuthenticationConfiguration or AuthorizationConfiguration can hold."""
    release = _release(ctx)
    oidcs = tuple(_oidc_settings(ctx, line) for line in cluster.oidc_lines)
    issuers: dict[str, _Line] = {}
    configs: dict[str, _Line] = {}
    for line, o in zip(cluster.oidc_lines, oidcs, strict=True):
        if o.issuer in issuers:  # validation.go: jwt[].issuer.url must be unique (field.Duplicate)
            _error(ctx, "PC272", f"issuer `{o.issuer}` is configured twice", line.options["issuer"][1][0].span,
                   "give each issuer one `oidc` line; list several client ids with `audiences`",
                   labels=(Label(issuers[o.issuer].options["issuer"][1][0].span, "first configured here"),))
        issuers.setdefault(o.issuer, line)
        if o.config_file is not None:
            configs.setdefault(o.config_file, line)
    if len(configs) > 1:
        second = list(configs.values())[1]
        _error(ctx, "PC272", "the authentication configuration path is given twice, differently",
               second.options["config"][0].span,
               "give `config PATH` on one `oidc` line: all issuers go into that one file (--authentication-config)")
    structured = [(line, o) for line, o in zip(cluster.oidc_lines, oidcs, strict=True) if o.needs_structured()]
    wants_file = bool(configs) or len(oidcs) > 1 or bool(structured)
    entry = api.authentication_config(release)
    if len(oidcs) > 1:
        second = cluster.oidc_lines[1]
        if not _release_allows(ctx, "several `oidc` issuers", second.setting.method.span, entry, "1.29",
                               "keep one `oidc` line: the --oidc-* flags take one issuer"):
            wants_file = False
    for line, _o in structured:
        key = next(k for k in ("audiences", "username-expression", "groups-expression") if k in line.options) \
            if any(k in line.options for k in ("audiences", "username-expression", "groups-expression")) \
            else "claim-validation"
        span = line.options[key][0].span if key in line.options else line.repeated[0][1].span
        if not _release_allows(ctx, f"`{key}` (AuthenticationConfiguration)", span, entry, "1.29",
                               "remove it: the --oidc-* flags cannot express it"):
            wants_file = False
            break
    anonymous = cluster.lines.get("anonymous")
    paths = None
    if anonymous is not None and "only" in anonymous.options:
        kword, words = anonymous.options["only"]
        has, gate = api.anonymous_config(release)
        if _release_allows(ctx, "`anonymous only` (anonymous.conditions)", kword.span,
                           (entry[0] if entry else "", gate) if has else None, "1.31",
                           "write `anonymous yes` (RBAC lets anonymous requests read only the health endpoints and "
                           "/version) or `anonymous no` with probes that carry credentials"):
            paths = tuple(w.text for w in words)
            wants_file = True
    cluster.oidcs = oidcs
    cluster.anonymous_paths = paths
    if wants_file and entry is not None:
        cluster.authn_config = next(iter(configs), DEFAULT_AUTHN_CONFIG)
    _check_authorizers(ctx, cluster)


# DNS-1123 subdomain (apimachinery IsDNS1123Subdomain): authorizer names (validation.go).
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# webhook block line -> (field, required, allowed values or kind)
_WEBHOOK_SETTINGS: dict[str, tuple[bool, object]] = {
    "kubeconfig": (True, PATH),
    "failure-policy": (True, ("NoOpinion", "Deny")),
    "timeout": (True, DURATION),
    "authorized-ttl": (False, DURATION),
    "unauthorized-ttl": (False, DURATION),
    "subject-access-review-version": (False, ("v1", "v1beta1")),
    "match": (False, TEXT),
}
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def _seconds(text: str) -> float:
    return sum(float(n) * _DURATION_UNITS[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)", text))


def _webhook(ctx: Context, hook: m.AuthzWebhook) -> WebhookAuthorizer | None:
    """One `webhook NAME { }` block as a Webhook authorizer (validation.go ValidateWebhookConfiguration)."""
    values: dict[str, m.Word] = {}
    matches: list[m.Word] = []
    ok = True
    for setting in hook.settings:
        words = [w for g in setting.groups for w in g]
        key = words[0]
        if key.text not in _WEBHOOK_SETTINGS:
            near = api.closest(key.text, set(_WEBHOOK_SETTINGS))
            _error(ctx, "PC273", f"unknown webhook setting `{key.text}`", key.span,
                   f"did you mean `{near}`?" if near else "settings: " + ", ".join(f"`{k}`" for k in _WEBHOOK_SETTINGS))
            ok = False
            continue
        if len(words) != 2:
            _error(ctx, "PC273", f"`{key.text}` takes one value", setting.span, f"write `{key.text} VALUE`")
            ok = False
            continue
        value = words[1]
        if key.text == "match":
            if value.text in {w.text for w in matches}:  # validation.go: field.Duplicate
                _error(ctx, "PC264", "this `match` is given twice", value.span, "give each condition once")
                continue
            matches.append(value)
            ok = _parse_cel(ctx, value, cel.REQUEST) is not None and ok
            continue
        if key.text in values:
            _error(ctx, "PC264", f"`{key.text}` is given twice", key.span, "give it once",
                   labels=(Label(values[key.text].span, "first given here"),))
            continue
        kind = _WEBHOOK_SETTINGS[key.text][1]
        if kind == PATH and not _is_clean_path(value.text):
            _error(ctx, "PC263", f"`{value.text}` is not an absolute file path", value.span,
                   "write the kubeconfig's path on the control-plane node (the API server requires an absolute "
                   "path)")
            ok = False
        elif kind == DURATION and (not _GO_DURATION.fullmatch(value.text) or _seconds(value.text) <= 0):
            _error(ctx, "PC263", f"`{value.text}` is not a positive duration", value.span,
                   "write it like `3s`, `30s` or `5m`")
            ok = False
        elif isinstance(kind, tuple) and value.text not in kind:
            _error(ctx, "PC273", f"`{key.text}` cannot be `{value.text}`", value.span,
                   "use " + " or ".join(f"`{v}`" for v in kind))
            ok = False
        elif key.text == "timeout" and _seconds(value.text) > 30:
            _error(ctx, "PC273", f"webhook timeout `{value.text}` is over 30s", value.span,
                   "the API server accepts a timeout above 0s and at most 30s")
            ok = False
        values[key.text] = value
    missing = [k for k, (required, _) in _WEBHOOK_SETTINGS.items() if required and k not in values]
    if missing and ok:
        _error(ctx, "PC273", f"webhook `{hook.name.text}` needs " + ", ".join(f"`{k}`" for k in missing),
               hook.name.span, "add " + ", ".join(f"`{k} VALUE`" for k in missing) + " (no defaults: the API "
               "server requires them)")
    if missing or not ok:
        return None
    return WebhookAuthorizer(
        name=hook.name.text,
        kubeconfig=values["kubeconfig"].text,
        timeout=values["timeout"].text,
        failure_policy=values["failure-policy"].text,
        authorized_ttl=values["authorized-ttl"].text if "authorized-ttl" in values else "5m0s",
        unauthorized_ttl=values["unauthorized-ttl"].text if "unauthorized-ttl" in values else "30s",
        subject_access_review_version=values["subject-access-review-version"].text
        if "subject-access-review-version" in values else "v1",
        match_conditions=tuple(w.text for w in matches),
    )


def _check_authorizers(ctx: Context, cluster: _Cluster) -> None:
    """PC273/PC274 and the release rules of `authorization ..., webhook NAME` (AuthorizationConfiguration)."""
    words = cluster.authorization or ()
    refs = [w for w in words if isinstance(w, m.AuthzWebhookRef)]
    used = {r.name.text for r in refs}
    for name, hook in cluster.webhooks.items():
        if name not in used:
            ctx.warn("PC274", f"webhook `{name}` is not in `authorization`", hook.name.span,
                     f"add `webhook {name}` to `authorization` where it should run, or remove the block")
    if not refs:
        return
    legacy = next((w for w in words if not isinstance(w, m.AuthzWebhookRef) and w.text == "Webhook"), None)
    if legacy is not None:
        # options/authorization.go: --authorization-config and --authorization-mode are exclusive.
        _error(ctx, "PC273", "the `Webhook` mode cannot be used beside `webhook NAME` authorizers", legacy.span,
               "describe that webhook as a `webhook NAME { kubeconfig PATH ... }` block and name it here")
    entry = api.authorization_config(_release(ctx))
    if not _release_allows(ctx, "a `webhook NAME` authorizer (AuthorizationConfiguration)", refs[0].span, entry,
                           "1.29", "use the `Webhook` mode with --authorization-webhook-config-file instead"):
        return
    authorizers: list[Authorizer] = []
    seen: dict[str, m.Word] = {}
    failed = legacy is not None
    for w in words:
        if not isinstance(w, m.AuthzWebhookRef):
            if api.authorization_mode(w.text) is None:
                failed = True
                continue
            # Names of the built-in authorizers as in the Kubernetes documentation's example.
            authorizers.append(Authorizer(w.text, w.text.lower()))
            continue
        name = w.name
        if not _DNS_SUBDOMAIN.fullmatch(name.text) or len(name.text) > 253 or name.text in {
                a.lower() for a in ("Node", "RBAC", "ABAC", "AlwaysAllow", "AlwaysDeny")}:
            _error(ctx, "PC273", f"webhook name `{name.text}` is not usable", name.span,
                   "use a lowercase DNS name such as `opa` or `authz.example.com`, other than the names of the "
                   "built-in authorizers (node, rbac)")
            failed = True
            continue
        if name.text in seen:
            _error(ctx, "PC265", f"webhook `{name.text}` is listed twice", name.span, "list each webhook once",
                   labels=(Label(seen[name.text].span, "first listed here"),))
            failed = True
            continue
        seen[name.text] = name
        hook = cluster.webhooks.get(name.text)
        if hook is None:
            _error(ctx, "PC273", f"no `webhook {name.text} {{ }}` block", name.span,
                   f"add `webhook {name.text} {{ kubeconfig PATH, failure-policy Deny, timeout 3s }}` (one setting "
                   "a line) to the `cluster` block")
            failed = True
            continue
        config = _webhook(ctx, hook)
        if config is None:
            failed = True
            continue
        authorizers.append(Authorizer("Webhook", name.text, config))
    if not failed:
        cluster.authorizers = tuple(authorizers)
        cluster.authz_config = DEFAULT_AUTHZ_CONFIG
        if ctx.policy.guards:
            # Authorizers run in order and the first allow or deny decides (AuthorizationConfiguration):
            # a webhook answers at run time, so a guard cannot bound it.
            ctx.diags.append(Diagnostic(
                "PC275", Severity.NOTE, f"the `forbid` guards do not cover what webhook `{refs[0].name.text}` allows",
                refs[0].span, "guards are checked against the RBAC policyc emits; make sure the webhook never "
                "allows what they forbid (its answer is not known at build time)"))


# ---------------------------------------------------------------------------------------------
# Release rules (PC43x-PC44x) and conflicts of the settings
# ---------------------------------------------------------------------------------------------


def _release(ctx: Context) -> tuple[int, int]:
    return ctx.release.version


def _check_admission(ctx: Context, words: tuple[m.Word, ...]) -> None:
    """PC430 a plugin the release lacks; PC432 AlwaysAdmit; PC266 listed twice; PC269 needs a file."""
    release = _release(ctx)
    rel = format_version(release)
    seen: dict[str, m.Word] = {}
    for w in words:
        name = w.text
        if name in seen:
            ctx.diags.append(
                Diagnostic("PC266", Severity.WARNING, f"admission plugin `{name}` is listed twice", w.span,
                           "list each plugin once", (Label(seen[name].span, "first listed here"),))
            )
            continue
        seen[name] = w
        info = api.admission_plugin(name)
        if info is None:
            near = api.closest(name, api.admission_plugins(release))
            _error(ctx, "PC430", f"unknown admission plugin `{name}` in Kubernetes {rel}", w.span,
                   f"did you mean `{near}`?" if near else "see `kube-apiserver --help` for the plugins of the release")
            continue
        if not info.exists_in(release):
            if name == "PodSecurityPolicy" and info.removed is not None and release >= info.removed:
                continue  # the admission checks report PodSecurityPolicy on 1.25+ (one diagnostic, not two)
            _error(ctx, "PC430", f"admission plugin `{name}` does not exist in Kubernetes {rel}: "
                   f"{info.describe_absence(release)}", w.span,
                   "remove it from `admission`, or target a release that has it")
            continue
        if name == "AlwaysAdmit":
            _error(ctx, "PC432", "admission plugin `AlwaysAdmit` admits every request", w.span,
                   "remove it; it admits every request and has no place in a real cluster")
        elif name in api.plugins_needing_config():
            ctx.warn("PC269", f"admission plugin `{name}` needs an admission configuration file", w.span,
                     "give the API server --admission-control-config-file with its configuration; "
                     "policyc does not write that file and the API server exits without it")


def _check_authorization(ctx: Context, words: tuple[m.Word, ...]) -> None:
    """PC433 unknown mode; PC434 AlwaysAllow; PC265 a mode twice; PC268 a mode needing a flag."""
    seen: dict[str, m.Word] = {}
    for w in words:
        if isinstance(w, m.AuthzWebhookRef):
            continue  # a structured webhook authorizer (_check_authorizers)
        name = w.text
        if name in seen:
            # pkg/kubeapiserver/options/authorization.go: "... has mode specified more than once"
            _error(ctx, "PC265", f"authorization mode `{name}` is listed twice", w.span,
                   "list each mode once; the API server refuses to start otherwise",
                   labels=(Label(seen[name].span, "first listed here"),))
            continue
        seen[name] = w
        if api.authorization_mode(name) is None:
            near = api.closest(name, {"AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node"})
            _error(ctx, "PC433", f"unknown authorization mode `{name}`", w.span,
                   f"did you mean `{near}`?" if near else "use `Node, RBAC`")
        elif name == "AlwaysAllow":
            _error(ctx, "PC434", "authorization mode `AlwaysAllow` allows every request", w.span,
                   "use `authorization Node, RBAC` and grant what is needed")
        elif name in api.modes_needing_flag():
            flag = api.modes_needing_flag()[name]
            ctx.warn("PC268", f"authorization mode `{name}` needs {flag}", w.span,
                     f"set {flag} on the API server yourself; policyc does not manage it and the API server "
                     "exits without it")


def _check_flags_in_release(ctx: Context, cluster: _Cluster) -> None:
    """PC435 --basic-auth-file after 1.18; PC437/PC438 structured authentication config; PC267."""
    release = _release(ctx)
    rel = format_version(release)
    basic = cluster.lines.get("basic-auth")
    if basic is not None and not api.flag("basic-auth-file").exists_in(release):
        _error(ctx, "PC435", f"`basic-auth` authentication was removed in Kubernetes "
               f"{format_version(api.flag('basic-auth-file').removed)} and cannot be used on {rel}",
               basic.setting.method.span, "use `tokens file PATH` or `oidc`, and `auth token` users")
    for line in cluster.oidc_lines:
        if "ca" in line.options and cluster.authn_config is not None and "config" not in line.options:
            _error(ctx, "PC267", "`ca` cannot be used when the issuers go into an AuthenticationConfiguration",
                   line.options["ca"][0].span,
                   "the file takes the CA as inline PEM (jwt.issuer.certificateAuthority), which policyc does not "
                   "write: remove `ca` if the issuer's certificate is publicly trusted, or keep one plain `oidc` "
                   "line for --oidc-ca-file")
    oidc = next((line for line in cluster.oidc_lines if "config" in line.options), None)
    config = oidc.word("config") if oidc else None
    if oidc is None or config is None:
        return
    supported = api.authentication_config(release)
    if supported is None:
        _error(ctx, "PC437", f"structured authentication configuration (`config`) needs Kubernetes "
               f"{format_version(api.flag('authentication-config').since)} or later, not {rel}",
               oidc.options["config"][0].span, "remove `config PATH` to use the --oidc-* flags")
    elif supported[1]:
        ctx.warn("PC438", f"structured authentication configuration is alpha in Kubernetes {rel}", config.span,
                 f"start the API server with --feature-gates={supported[1]}=true, or remove `config PATH`")
    if "ca" in oidc.options:
        _error(ctx, "PC267", "`ca` cannot be used with `config`", oidc.options["ca"][0].span,
               "AuthenticationConfiguration takes the CA as inline PEM (jwt.issuer.certificateAuthority); "
               "remove `ca` if the issuer's certificate is publicly trusted, or drop `config` to use --oidc-ca-file")


def _check_anonymous_probes(ctx: Context, cluster: _Cluster) -> None:
    """PC270: refusing anonymous requests also refuses the kubelet's probes of the API server."""
    anonymous = cluster.lines.get("anonymous")
    if anonymous is None or anonymous.text("value") is None or _BOOL[anonymous.text("value").lower()]:
        return
    release = _release(ctx)
    has_only, _gate = api.anonymous_config(release)
    only = ("; on this release `anonymous only /livez, /readyz, /healthz` refuses every other anonymous request "
            "and keeps the probes working (the structured authentication configuration, KEP-4633)") if has_only \
        else ""
    # kubeadm's kube-apiserver pod probes /livez, /readyz (/healthz before 1.20) over HTTPS without
    # credentials; with --anonymous-auth=false they get 401 (kubernetes/kubeadm#798, #3174).
    ctx.warn("PC270", "with `anonymous no` the kubelet's health probes of the API server are refused",
             anonymous.setting.span,
             "kubeadm's probes carry no credentials, so the kubelet would restart the API server in a loop: "
             "change the probes (e.g. to tcpSocket) before `policyc apiserver patch`, which refuses until then, "
             "or keep `anonymous yes` (RBAC lets anonymous requests read only /healthz, /livez, /readyz and "
             "/version)" + only)


# ---------------------------------------------------------------------------------------------
# CIS Kubernetes Benchmark, kube-apiserver (section 1.2)
# ---------------------------------------------------------------------------------------------


_HELP = {rule.code: rule.help for rule in RULES}  # the registered fix (SARIF shows it too)


def _check_cis(ctx: Context, cluster: _Cluster) -> None:
    """PC540-PC553: the CIS 1.2.x controls the policy's settings decide (docs/cis.md).

    Each code names its control by key (RULES above); the id, and whether the control exists at
    all, is that of the benchmark kube-bench applies to the target release (policyc/k8s/cis.py).
    """
    release = _release(ctx)
    bench = cis.benchmark_for(release)

    def has(key: str) -> bool:
        return bench is not None and bench.control(key) is not None

    anonymous = cluster.lines.get("anonymous")
    if anonymous is not None and "only" in anonymous.options:
        # CIS 1.2.1's intent (anonymous requests restricted to the health endpoints) is met when every
        # path is one of them; kube-bench's automated test still reads --anonymous-auth (docs/cis.md).
        others = [w for w in anonymous.options["only"][1] if w.text not in HEALTH_PATHS]
        control = bench.control("anonymous-auth") if bench is not None else None
        if not others and control is not None:
            # Every benchmark kube-bench ships up to cis-1.12 tests `--anonymous-auth` eq `false`
            # (policyc/data/cis/benchmarks.yaml); the flag must be absent beside the file's `anonymous`.
            ctx.diags.append(Diagnostic(
                "PC554", Severity.NOTE, "anonymous requests are restricted to the health endpoints, which "
                f"kube-bench's test of {bench.title} {control.id} does not see", anonymous.options["only"][0].span,
                "kube-bench reads `--anonymous-auth=false`, which cannot be set beside the configuration's "
                "`anonymous` (the API server refuses both), so it reports FAIL: record the exception for your "
                "auditors; the benchmark's own remediation allows anonymous access to the health endpoints"))
        if others:
            ctx.warn("PC540", "anonymous requests are allowed on " + ", ".join(f"`{w.text}`" for w in others)
                     + ", which is not a health endpoint", others[0].span,
                     "keep `anonymous only` to " + ", ".join(HEALTH_PATHS) + " (what the kubelet's probes and load "
                     "balancers call); grant anything else to authenticated users")
    elif anonymous is None or _BOOL[anonymous.text("value").lower()]:
        span = anonymous.setting.span if anonymous else cluster.span
        help = _HELP["PC540"]
        if api.anonymous_config(release)[0]:
            help = ("write `anonymous only /livez, /readyz, /healthz` in `authentication { }`: the kubelet's probes "
                    "keep working and every other anonymous request is refused")
        ctx.warn("PC540", "anonymous requests are allowed" + ("" if anonymous else " (the API server's default)"),
                 span, help)
    tokens = cluster.lines.get("tokens")
    if tokens is not None:
        ctx.warn("PC541", "a static token file authenticates users with tokens that never expire", tokens.setting.span,
                 _HELP["PC541"])
    basic = cluster.lines.get("basic-auth")
    if basic is not None and api.flag("basic-auth-file").exists_in(release):  # 1.19+ is the error PC435
        ctx.warn("PC553", "a basic-auth file authenticates users with static passwords", basic.setting.span,
                 _HELP["PC553"])
    # kubeadm never sets --kubelet-certificate-authority: kubelets serve a self-signed certificate
    # unless serverTLSBootstrap is on, and the kubelet-serving CSRs are never approved
    # automatically (kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/
    # #kubelet-serving-certs; kubernetes/kubeadm#1223), so the API server cannot verify them;
    # policyc does not write the flag either.
    ctx.warn("PC549", "the API server does not verify the kubelets' serving certificates "
             "(`--kubelet-certificate-authority` is not set: neither kubeadm nor policyc sets it)", cluster.span,
             _HELP["PC549"])
    if cluster.authorization is not None:
        modes = {w.text for w in cluster.authorization}
        span = cluster.authorization_span or cluster.span
        if "Node" not in modes:
            ctx.warn("PC543", "authorization modes do not include `Node`", span, _HELP["PC543"])
        if "RBAC" not in modes:
            ctx.warn("PC544", "authorization modes do not include `RBAC`", span, _HELP["PC544"])
    if cluster.admission is None:
        return
    plugins = {w.text for w in cluster.admission}
    span = cluster.admission_span or cluster.span
    deny = "DenyServiceExternalIPs"
    # cis-1.23 and cis-1.24 (Kubernetes 1.22-1.24) score the opposite of the later versions:
    # 1.2.3 "Ensure that the --DenyServiceExternalIPs is not set".
    opposite = bench.control("deny-service-external-ips-not-set") if bench is not None else None
    if deny in api.admission_plugins(release) and deny not in plugins:
        against = (f"; {bench.title} {opposite.id} ({opposite.kind}) asks for the opposite, so with the plugin "
                   "kube-bench reports that check as FAIL (PC548)") if opposite and bench else ""
        ctx.warn("PC542", f"admission plugin `{deny}` is not enabled", span, _HELP["PC542"] + against)
    if deny in plugins and opposite is not None and bench is not None:
        ctx.diags.append(Diagnostic(
            "PC548", Severity.NOTE, f"admission plugin `{deny}` is enabled, which the benchmark asks not to be",
            span,
            f"kube-bench reports this {opposite.kind} check as FAIL on Kubernetes {format_version(release)}; "
            "policyc keeps the advice of the later benchmarks (the plugin closes CVE-2020-8554): record the "
            "exception for your auditors"))
    if "EventRateLimit" not in plugins:
        ctx.warn("PC545", "admission plugin `EventRateLimit` is not enabled", span,
                 _HELP["PC545"])
    if "AlwaysPullImages" not in plugins:
        ctx.warn("PC546", "admission plugin `AlwaysPullImages` is not enabled", span,
                 _HELP["PC546"])
    if "NodeRestriction" not in plugins:
        uses_node = cluster.authorization is not None and any(w.text == "Node" for w in cluster.authorization)
        ctx.warn("PC547", "admission plugin `NodeRestriction` is not enabled"
                 + (" although authorization uses `Node`" if uses_node else ""), span,
                 _HELP["PC547"])
    psp = "PodSecurityPolicy"
    if has("admission-pod-security-policy") and psp in api.admission_plugins(release) and psp not in plugins:
        ctx.warn("PC551", f"admission plugin `{psp}` is not enabled", span, _HELP["PC551"])
    scd = "SecurityContextDeny"
    if has("admission-security-context-deny") and not plugins & {scd, psp}:
        ctx.diags.append(Diagnostic(
            "PC552", Severity.NOTE, f"neither `{scd}` nor `{psp}` is enabled", span,
            "the benchmark asks for SecurityContextDeny when PodSecurityPolicy is not used, and kube-bench reports "
            "this not-scored check as FAIL; policyc does not advise SecurityContextDeny (deprecated in 1.27, "
            "removed in 1.30): restrict pods with `pod-security` levels (Pod Security Admission) and record the "
            "exception for your auditors"))


# ---------------------------------------------------------------------------------------------
# Users and service accounts (PC19x) and their release rules
# ---------------------------------------------------------------------------------------------

_METHOD_LINE = {"token": "tokens", "basic": "basic-auth", "oidc": "oidc", "certificate": "certificates"}
_METHOD_HELP = {
    "token": "add `tokens file /etc/kubernetes/auth/tokens.csv` to `cluster { authentication { } }`",
    "basic": "add `basic-auth file /etc/kubernetes/auth/basic-auth.csv` to `cluster { authentication { } }`",
    "oidc": "add `oidc issuer URL client-id ID` to `cluster { authentication { } }`",
    "certificate": "add `certificates ca /etc/kubernetes/pki/ca.crt` to `cluster { authentication { } }`",
}


def parse_expires(text: str) -> int | None:
    """`90d`, `24h`, `30m`, `3600s` or a mix (`1d12h`) in seconds; None if it is not such a duration."""
    if not _EXPIRES.fullmatch(text):
        return None
    unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(n) * unit[u] for n, u in re.findall(r"(\d+)([dhms])", text))


def default_uid(user: str) -> str:
    """The stable uid column of a token or basic user: a UUID derived from the user name."""
    return str(uuid.uuid5(UID_NAMESPACE, user))


def _user_options(ctx: Context, user: m.User, method: str) -> dict[str, m.Word]:
    """PC195 an option the method does not take; PC196 an invalid value. Returns the valid ones."""
    valid: dict[str, m.Word] = {}
    for key, value in user.options:
        methods = USER_OPTIONS.get(key.text)
        if methods is None or method not in methods:
            known = [k for k, ms in USER_OPTIONS.items() if method in ms]
            _error(ctx, "PC195", f"`{method}` users take no option `{key.text}`", key.span,
                   ("options of `" + method + "` users: " + ", ".join(f"`{k}`" for k in known)) if known
                   else f"remove it; `{method}` users have no options")
            continue
        if key.text in valid:
            _error(ctx, "PC195", f"option `{key.text}` is given twice", key.span, "give it once")
            continue
        if key.text == "expires":
            seconds = parse_expires(value.text)
            if seconds is None or seconds < MIN_EXPIRATION_SECONDS:
                _error(ctx, "PC196", f"invalid certificate lifetime `{value.text}`", value.span,
                       "write a duration of at least 10 minutes, such as `90d`, `24h` or `30m` (the API server's "
                       "minimum is 600 seconds)")
                continue
        elif key.text == "key-size" and value.text not in {str(k) for k in KEY_SIZES}:
            _error(ctx, "PC196", f"invalid RSA key size `{value.text}`", value.span,
                   "use " + ", ".join(str(k) for k in KEY_SIZES))
            continue
        elif key.text == "uid" and (not value.text or any(c in value.text for c in ',"\n\r')):
            _error(ctx, "PC196", f"invalid uid `{value.text}`", value.span,
                   "a uid may not be empty or contain commas or quotes")
            continue
        valid[key.text] = value
    return valid


# RFC 5280 Appendix A: ub-common-name and ub-organization-name are 64 characters; the CSR
# cannot be built with a longer subject (and the CA would refuse it).
X509_NAME_LIMIT = 64


def _check_credential_fields(ctx: Context, user: m.User, method: str) -> None:
    """PC193: a name, uid or group the credential's reader would not read back as written.

    Token and basic users land in kube-apiserver's static CSV files (policyc/k8s/credfile.py:
    groups split on commas, nothing trimmed); certificate users in an X.509 subject (CN, O).
    """
    fields: list[tuple[str, m.Word]] = [(credfile.USER, user.name)]
    fields += [(credfile.GROUP, g) for g in user.groups]
    if method in ("token", "basic"):
        fields += [(credfile.UID, v) for k, v in user.options if k.text == "uid"]
        where = "the API server's " + ("token" if method == "token" else "password") + " file"
    elif method == "certificate":
        where = "a client certificate"
    else:
        return
    for column, word in fields:
        reason = credfile.field_problem(word.text, column if method != "certificate" else credfile.USER)
        if reason is None and method == "certificate" and len(word.text) > X509_NAME_LIMIT:
            part = "common name (CN)" if column == credfile.USER else "organization (O)"
            reason = (f"is {len(word.text)} characters long; an X.509 {part} holds at most "
                      f"{X509_NAME_LIMIT}")
        if reason is not None:
            _error(ctx, "PC193", f"{column} `{_shown(word.text)}` cannot be written into {where}: it {reason}",
                   word.span, "use a name without commas, line breaks, control characters or surrounding blanks"
                   + (f", of at most {X509_NAME_LIMIT} characters" if method == "certificate" else "")
                   + "; give a user several groups as `groups a, b`")


def _shown(text: str) -> str:
    """A name for a message: control characters escaped, long names cut."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _check_users(ctx: Context, users: dict[str, m.User], cluster: _Cluster | None) -> tuple[UserCredential, ...]:
    """The credentials to issue, with PC190-PC198, PC436 and PC439 along the way."""
    release = _release(ctx)
    configured = set(cluster.lines) if cluster else set()
    creds: list[UserCredential] = []
    uids: dict[str, m.User] = {}
    for name in sorted(users):
        user = users[name]
        method = user.auth.text
        if method not in USER_METHODS:
            near = api.closest(method, set(USER_METHODS))
            _error(ctx, "PC190", f"unknown authentication method `{method}` for user `{name}`", user.auth.span,
                   f"did you mean `{near}`?" if near else "use `certificate`, `token`, `basic` or `oidc`")
            continue
        options = _user_options(ctx, user, method)
        if method == "basic" and not api.flag("basic-auth-file").exists_in(release):
            removed = api.flag("basic-auth-file").removed
            assert removed is not None
            _error(ctx, "PC436", f"user `{name}` uses basic authentication, which Kubernetes removed in "
                   f"{format_version(removed)}", user.auth.span, "use `auth token` or `auth certificate`")
        elif _METHOD_LINE[method] not in configured:
            _error(ctx, "PC191", f"user `{name}` logs on with `{method}`, which the cluster does not configure",
                   user.auth.span, _METHOD_HELP[method])
        if method == "oidc":
            if user.groups:
                ctx.warn("PC198", f"the groups of OIDC user `{name}` come from the identity provider",
                         user.groups[0].span, "remove `groups`; the token's groups claim decides them")
            continue
        for g in user.groups:
            # system:masters has its own error (PC131); other system: groups impersonate components
            # (O=system:nodes is a kubelet identity to the Node authorizer).
            if g.text.startswith("system:") and g.text != "system:masters":
                _error(ctx, "PC192", f"group `{g.text}` is reserved for Kubernetes and cannot be put in a "
                       "credential", g.span, "name a group of your own and grant it what it needs")
        _check_credential_fields(ctx, user, method)
        if "expires" in options and not api.csr_api(release).expiration:
            _error(ctx, "PC439", f"certificate lifetimes (`expires`) need Kubernetes 1.22 or later, not "
                   f"{format_version(release)}", options["expires"].span,
                   "remove `expires`; the signer's --cluster-signing-duration decides the lifetime")
        uid = options["uid"].text if "uid" in options else default_uid(name)
        if method in ("token", "basic"):
            if uid in uids:
                _error(ctx, "PC194", f"users `{uids[uid].name.text}` and `{name}` have the same uid `{uid}`",
                       (options["uid"].span if "uid" in options else user.name.span),
                       "give every user its own uid; the API server would treat them as one identity in audit "
                       "logs", labels=(Label(uids[uid].name.span, "the other user"),))
            uids[uid] = user
        expires = parse_expires(options["expires"].text) if "expires" in options else None
        creds.append(
            UserCredential(
                name=name,
                method=method,
                groups=tuple(dict.fromkeys(g.text for g in user.groups)),
                uid=uid,
                expiration_seconds=expires,
                key_size=int(options["key-size"].text) if "key-size" in options else 2048,
                sources=(user.span.file,),
            )
        )
    return tuple(creds)


def _check_serviceaccounts(ctx: Context, sas: dict[str, m.ServiceAccount]) -> tuple[ServiceAccountToken, ...]:
    """PC197 an unknown service-account option; the service accounts that ask for a token Secret."""
    out = []
    for ref in sorted(sas):
        sa = sas[ref]
        wants = False
        for opt in sa.options:
            if opt.text == "token":
                wants = True
            else:
                _error(ctx, "PC197", f"unknown service-account option `{opt.text}`", opt.span,
                       "the only option is `token` (a long-lived token Secret)")
        if wants and "/" in ref:
            out.append(ServiceAccountToken(sa.namespace, sa.name, (sa.span.file,)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def _settings(cluster: _Cluster) -> ApiserverSettings:
    lines = cluster.lines

    def opt(method: str, key: str) -> str | None:
        line = lines.get(method)
        return line.text(key) if line else None

    oidc = cluster.oidcs[0] if cluster.oidcs else None
    proxy = None
    if "proxy" in lines:
        line = lines["proxy"]
        proxy = ProxySettings(
            client_ca=line.text("client-ca") or "",
            username_headers=line.texts("username-header"),
            group_headers=line.texts("group-header"),
            allowed_names=line.texts("allowed-names"),
            extra_headers_prefix=line.texts("extra-headers-prefix"),
        )
    anonymous = opt("anonymous", "value")
    if cluster.anonymous_paths is not None:
        anonymous = None  # in the configuration file: --anonymous-auth must not be set
    return ApiserverSettings(
        authorization=_texts(cluster.authorization),
        admission=_texts(cluster.admission),
        anonymous=None if anonymous is None else _BOOL[anonymous.lower()],
        client_ca=opt("certificates", "ca"),
        token_file=opt("tokens", "file"),
        basic_auth_file=opt("basic-auth", "file"),
        oidc=oidc,
        webhook_config=opt("webhook", "config"),
        webhook_cache_ttl=opt("webhook", "cache-ttl"),
        proxy=proxy,
        oidcs=cluster.oidcs,
        anonymous_paths=cluster.anonymous_paths,
        authentication_config=cluster.authn_config,
        authorizers=cluster.authorizers,
        authorization_config=cluster.authz_config,
    )


def _texts(words: Iterable[m.Word] | None) -> tuple[str, ...] | None:
    return None if words is None else tuple(w.text for w in words)


def apiserver_settings(cluster: _Cluster | None) -> ApiserverSettings | None:
    """The typed settings of the merged cluster blocks (the one parse of the `authentication` lines)."""
    return _settings(cluster) if cluster is not None else None


def check_authn(ctx: Context, program, cluster: _Cluster | None, settings: ApiserverSettings | None) -> AuthnPlan:
    """Check the cluster block, users and service accounts; the plan the backends emit from.

    `cluster` and `settings` come from `merge_clusters` and `apiserver_settings`, which the check
    stage runs first: the OIDC username prefix the grants need is read from those settings.
    """
    if cluster is not None:
        if cluster.admission is not None:
            _check_admission(ctx, cluster.admission)
        if cluster.authorization is not None:
            _check_authorization(ctx, cluster.authorization)
        _check_flags_in_release(ctx, cluster)
        _check_anonymous_probes(ctx, cluster)
        _check_cis(ctx, cluster)
    credentials = _check_users(ctx, program.users, cluster)
    if cluster is not None and len(cluster.oidcs) > 1:
        oidc_users = [u for u in program.users.values() if u.auth.text == "oidc"]
        first = cluster.oidcs[0]
        if oidc_users:
            ctx.diags.append(Diagnostic(
                "PC442", Severity.NOTE, f"`auth oidc` users are the users of the first issuer, `{first.issuer}`",
                oidc_users[0].auth.span,
                f"their RBAC names take its username prefix (`{first.effective_username_prefix()}`); bind users of "
                "the other issuers by the name their mapping gives (e.g. `user \"partner:alice\"` in a grant)"))
    sa_tokens = _check_serviceaccounts(ctx, program.serviceaccounts)
    return AuthnPlan(
        apiserver=settings,
        credentials=credentials,
        sa_tokens=sa_tokens,
        oidc_username_prefix=program.oidc_username_prefix,
    )

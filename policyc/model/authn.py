"""The checked authentication plan: kube-apiserver settings, users' credentials, token Secrets.

check/authn.py produces it from the `cluster { authentication { } }` block and the users;
the authentication and apiserver backends and the credential writer only read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimValidation:
    """`claim-validation EXPR [message TEXT]`: a CEL rule on the token's claims (claimValidationRules)."""

    expression: str
    message: str | None = None


@dataclass(frozen=True)
class OidcSettings:
    """`oidc issuer URL client-id ID ...`: flags, or one `jwt` entry of the AuthenticationConfiguration."""

    issuer: str
    client_id: str
    username_claim: str | None = None
    groups_claim: str | None = None
    username_prefix: str | None = None
    groups_prefix: str | None = None
    ca_file: str | None = None
    config_file: str | None = None
    audiences: tuple[str, ...] = ()  # besides client_id (issuer.audiences, MatchAny)
    username_expression: str | None = None
    groups_expression: str | None = None
    claim_validations: tuple[ClaimValidation, ...] = ()

    def all_audiences(self) -> tuple[str, ...]:
        """issuer.audiences: the client id first, then `audiences`, each once."""
        return tuple(dict.fromkeys(a for a in (self.client_id, *self.audiences) if a))

    def needs_structured(self) -> bool:
        """Whether only an AuthenticationConfiguration can say this (no --oidc-* flag for it)."""
        return bool(self.audiences or self.username_expression or self.groups_expression
                    or self.claim_validations)

    def effective_username_prefix(self) -> str:
        """The prefix the API server puts before OIDC usernames.

        kube-apiserver (pkg/kubeapiserver/options/authentication.go): with no
        --oidc-username-prefix and a username claim other than `email`, the prefix is the
        issuer URL followed by `#`; the prefix `-` disables prefixing. A username expression
        gives the whole name: the configuration forbids a prefix beside it
        (apis/apiserver/validation: "may not be specified when expression is set").
        """
        if self.username_expression is not None:
            return ""
        if self.username_prefix is not None:
            return "" if self.username_prefix == "-" else self.username_prefix
        if (self.username_claim or "sub") == "email":
            return ""
        return f"{self.issuer}#" if self.issuer else ""


@dataclass(frozen=True)
class ProxySettings:
    """`proxy client-ca P username-header H ...`: the --requestheader-* flags."""

    client_ca: str
    username_headers: tuple[str, ...]
    group_headers: tuple[str, ...] = ()
    allowed_names: tuple[str, ...] = ()
    extra_headers_prefix: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebhookAuthorizer:
    """`webhook NAME { ... }`: a Webhook authorizer of the AuthorizationConfiguration (1.29+)."""

    name: str
    kubeconfig: str
    timeout: str
    failure_policy: str  # NoOpinion | Deny
    authorized_ttl: str = "5m0s"  # the defaults of apis/apiserver/v1beta1/defaults.go
    unauthorized_ttl: str = "30s"
    subject_access_review_version: str = "v1"
    match_conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Authorizer:
    """One entry of `authorization`: a mode (`Node`, `RBAC`, ...) or a webhook with its settings."""

    type: str
    name: str
    webhook: WebhookAuthorizer | None = None


@dataclass(frozen=True)
class ApiserverSettings:
    """What the `cluster` block says about kube-apiserver; None fields are left as they are."""

    authorization: tuple[str, ...] | None = None
    admission: tuple[str, ...] | None = None
    anonymous: bool | None = None
    client_ca: str | None = None
    token_file: str | None = None
    basic_auth_file: str | None = None
    oidc: OidcSettings | None = None
    webhook_config: str | None = None
    webhook_cache_ttl: str | None = None
    proxy: ProxySettings | None = None
    # Every `oidc` line (the first is `oidc`); several are several `jwt` entries of the config.
    oidcs: tuple[OidcSettings, ...] = ()
    # `anonymous only PATH, ...`: anonymous requests only on these paths (anonymous.conditions).
    anonymous_paths: tuple[str, ...] | None = None
    # The AuthenticationConfiguration's path on the node when one is written (--authentication-config).
    authentication_config: str | None = None
    # `authorization ..., webhook NAME`: the authorizers of an AuthorizationConfiguration at
    # `authorization_config` (--authorization-config), which replaces --authorization-mode.
    authorizers: tuple[Authorizer, ...] = ()
    authorization_config: str | None = None

    def webhook_authorizers(self) -> tuple[WebhookAuthorizer, ...]:
        """The webhooks among the authorizers: their answers are unknown to policyc."""
        return tuple(a.webhook for a in self.authorizers if a.webhook is not None)


@dataclass(frozen=True)
class UserCredential:
    """A user policyc issues a credential for: `token`, `basic` or `certificate`."""

    name: str
    method: str
    groups: tuple[str, ...]
    uid: str
    expiration_seconds: int | None = None
    key_size: int = 2048
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceAccountToken:
    """A service account that asks for a long-lived token Secret (`serviceaccount NS/NAME token`)."""

    namespace: str
    name: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthnPlan:
    """Everything the authentication backends need, checked."""

    apiserver: ApiserverSettings | None = None
    credentials: tuple[UserCredential, ...] = ()
    sa_tokens: tuple[ServiceAccountToken, ...] = ()
    oidc_username_prefix: str = ""

    def credential(self, user: str) -> UserCredential | None:
        """The credential of `user`, or None when policyc issues none for it."""
        return next((c for c in self.credentials if c.name == user), None)

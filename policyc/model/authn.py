"""The checked authentication plan: kube-apiserver settings, users' credentials, token Secrets.

check/authn.py produces it from the `cluster { authentication { } }` block and the users;
the authentication and apiserver backends and the credential writer only read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OidcSettings:
    """`oidc issuer URL client-id ID ...`: flags, or an AuthenticationConfiguration at `config_file`."""

    issuer: str
    client_id: str
    username_claim: str | None = None
    groups_claim: str | None = None
    username_prefix: str | None = None
    groups_prefix: str | None = None
    ca_file: str | None = None
    config_file: str | None = None

    def effective_username_prefix(self) -> str:
        """The prefix the API server puts before OIDC usernames.

        kube-apiserver (pkg/kubeapiserver/options/authentication.go): with no
        --oidc-username-prefix and a username claim other than `email`, the prefix is the
        issuer URL followed by `#`; the prefix `-` disables prefixing.
        """
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

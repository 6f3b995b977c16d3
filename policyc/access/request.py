"""Who asks and what they ask for: the authorizer's `user.Info` and `authorizer.Attributes`.

Identity rules follow the API server:
- service account users are `system:serviceaccount:NS:NAME` in the groups `system:serviceaccounts`,
  `system:serviceaccounts:NS` (k8s.io/apiserver/pkg/authentication/serviceaccount/util.go:
  MakeUsername, SplitUsername, MakeGroupNames);
- every authenticated user but `system:anonymous` gets `system:authenticated`, unless it already
  has `system:authenticated` or `system:unauthenticated`
  (k8s.io/apiserver/pkg/authentication/group/authenticated_group_adder.go);
- impersonation (`kubectl --as`, `--as-group`) sets the groups from the headers; a service account
  without `--as-group` gets its fixed groups, and `system:authenticated` (or, for
  `system:anonymous`, `system:unauthenticated`) is added the same way
  (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policyc.k8s import releases

SA_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
MASTERS = "system:masters"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\Z")


def sa_username(namespace: str, name: str) -> str:
    """`system:serviceaccount:NS:NAME` (serviceaccount.MakeUsername)."""
    return f"{SA_PREFIX}{namespace}:{name}"


def sa_groups(namespace: str) -> tuple[str, str]:
    """The fixed groups of a service account of `namespace` (serviceaccount.MakeGroupNames)."""
    return (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}")


def split_sa_username(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a service account user name, or None (serviceaccount.SplitUsername)."""
    if not username.startswith(SA_PREFIX):
        return None
    parts = username[len(SA_PREFIX) :].split(":")
    if len(parts) != 2:
        return None
    namespace, name = parts
    if not _DNS_LABEL.match(namespace) or not _DNS_SUBDOMAIN.match(name):
        return None
    return namespace, name


def _with_authenticated(name: str, groups: tuple[str, ...]) -> tuple[str, ...]:
    if name == ANONYMOUS:
        return groups if UNAUTHENTICATED in groups else (*groups, UNAUTHENTICATED)
    if AUTHENTICATED in groups or UNAUTHENTICATED in groups:
        return groups
    return (*groups, AUTHENTICATED)


def _dedupe(items: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def authenticated_groups(name: str, groups: tuple[str, ...]) -> tuple[str, ...]:
    """The groups `UserInfo.authenticated(name, groups)` gives, once a service account's fixed groups
    are in `groups`: deduplicated, with `system:authenticated` added (the adder leaves the anonymous
    user alone)."""
    gs = _dedupe(groups)
    return gs if name == ANONYMOUS else _with_authenticated(name, gs)


@dataclass(frozen=True, order=True)
class UserInfo:
    """A user as the authorizer sees it: a name and groups (user.Info)."""

    name: str
    groups: tuple[str, ...] = ()

    @classmethod
    def authenticated(cls, name: str, groups: tuple[str, ...] | list[str] = ()) -> UserInfo:
        """A user as an authenticator reports it, after the authenticated-group adder."""
        if name != ANONYMOUS and (sa := split_sa_username(name)) is not None and not groups:
            groups = sa_groups(sa[0])
        return cls(name, authenticated_groups(name, tuple(groups)))

    @classmethod
    def service_account(cls, namespace: str, name: str) -> UserInfo:
        """A service account's token user."""
        return cls(sa_username(namespace, name), (*sa_groups(namespace), AUTHENTICATED))

    @classmethod
    def anonymous(cls) -> UserInfo:
        """An unauthenticated request (when anonymous authentication is enabled)."""
        return cls(ANONYMOUS, (UNAUTHENTICATED,))

    @classmethod
    def impersonated(cls, name: str, groups: tuple[str, ...] | list[str] = ()) -> UserInfo:
        """What `kubectl --as NAME [--as-group G ...]` makes the API server see."""
        gs = list(groups)
        if not gs and (sa := split_sa_username(name)) is not None:
            gs = list(sa_groups(sa[0]))
        return cls(name, _with_authenticated(name, _dedupe(gs)))

    @property
    def service_account_ref(self) -> tuple[str, str] | None:
        """(namespace, name) when the user is a service account."""
        return split_sa_username(self.name)

    def __str__(self) -> str:
        groups = ", ".join(self.groups) or "none"
        return f"{self.name or '<no name>'} (groups: {groups})"


@dataclass(frozen=True)
class Request:
    """One request to authorize (authorizer.Attributes): a resource request or a non-resource path."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        """Whether this is a resource request (not a non-resource URL such as `/healthz`)."""
        return not self.path

    @property
    def combined_resource(self) -> str:
        """`resource/subresource` as RBAC rules name it."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    @property
    def target(self) -> str:
        """The target as the policy language writes it: `pods/log`, `deployments.apps`, `/healthz`."""
        if not self.is_resource_request:
            return self.path
        base = f"{self.resource}.{self.group}" if self.group and self.group != "*" else self.resource
        return f"{base}/{self.subresource}" if self.subresource else base

    @classmethod
    def parse(cls, verb: str, target: str, name: str = "", namespace: str = "") -> Request:
        """A request from command-line words: `get pods/log NAME` or `get /healthz`.

        Raises ValueError for a malformed resource.
        """
        if target.startswith("/"):
            if name:
                raise ValueError("a non-resource URL takes no resource name")
            return cls(verb=verb, path=target)
        ref = releases.parse_resource(target)
        # kubectl sends the core group for `*` (kubectl/pkg/cmd/auth/cani.go resourceFor).
        group = "" if ref.group == releases.WILDCARD else ref.group
        return cls(verb, group, ref.resource, ref.subresource or "", name, namespace)

    def __str__(self) -> str:
        if not self.is_resource_request:
            return f"{self.verb} {self.path}"
        named = f" `{self.name}`" if self.name else ""
        where = f" in namespace `{self.namespace}`" if self.namespace else " cluster-wide"
        return f"{self.verb} {self.target}{named}{where}"

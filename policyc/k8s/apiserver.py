"""kube-apiserver facts per release: admission plugins, authorization modes, flags and config APIs.

The data is `policyc/data/apiserver/releases.yaml`, where every entry cites its source. A thing
with `since` S and `removed` R exists in releases S <= r < R; `since` defaults to the oldest
supported release.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from policyc.k8s.releases import OLDEST, format_version

# The bundled data is plain YAML: libyaml's loader reads it several times faster (issue 19).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Version = tuple[int, int]

__all__ = [
    "Availability",
    "CsrApi",
    "admission_plugin",
    "admission_plugins",
    "anonymous_config",
    "authentication_config",
    "authorization_config",
    "authorization_mode",
    "closest",
    "csr_api",
    "default_on_plugins",
    "flag",
    "kubeadm_api_version",
    "modes_needing_flag",
    "plugins_needing_config",
    "sa_token_secret_needed",
]


def _version(text: str) -> Version:
    major, minor = str(text).split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Availability:
    """When a plugin, mode or flag exists: `since` <= release < `removed`."""

    name: str
    since: Version
    removed: Version | None = None
    source: str = ""

    def exists_in(self, release: Version) -> bool:
        """Whether the thing exists in `release`."""
        return self.since <= release and (self.removed is None or release < self.removed)

    def describe_absence(self, release: Version) -> str:
        """Why it is missing from `release`: `it was added in 1.22` or `it was removed in 1.25`."""
        if release < self.since:
            return f"it was added in {format_version(self.since)}"
        assert self.removed is not None
        return f"it was removed in {format_version(self.removed)}"


@dataclass(frozen=True)
class CsrApi:
    """The CertificateSigningRequest API of a release."""

    api_version: str
    signer_name: bool
    expiration: bool


@functools.cache
def _data() -> dict[str, Any]:
    text = (resources.files("policyc") / "data" / "apiserver" / "releases.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)


def _table(key: str) -> dict[str, Availability]:
    return {
        name: Availability(
            name,
            _version(entry.get("since", format_version(OLDEST))),
            _version(entry["removed"]) if "removed" in entry else None,
            entry.get("source", ""),
        )
        for name, entry in (_data()[key] or {}).items()
    }


@functools.cache
def _plugins() -> dict[str, Availability]:
    return _table("admission_plugins")


@functools.cache
def _modes() -> dict[str, Availability]:
    return _table("authorization_modes")


@functools.cache
def _flags() -> dict[str, Availability]:
    return _table("flags")


def admission_plugin(name: str) -> Availability | None:
    """The availability of an admission plugin in any release, or None if no release has it."""
    return _plugins().get(name)


def admission_plugins(release: Version) -> frozenset[str]:
    """Every admission plugin compiled into kube-apiserver `release`."""
    return frozenset(n for n, a in _plugins().items() if a.exists_in(release))


def default_on_plugins() -> frozenset[str]:
    """Plugins that run without being listed, in every supported release (for the CIS checks)."""
    return frozenset(_data()["default_on_plugins"])


def plugins_needing_config() -> frozenset[str]:
    """Plugins the API server refuses to start without an admission configuration file."""
    return frozenset(_data()["plugins_needing_config"])


def authorization_mode(name: str) -> Availability | None:
    """The availability of an authorization mode, or None if it is not a mode."""
    return _modes().get(name)


def modes_needing_flag() -> dict[str, str]:
    """Authorization modes that need a flag policyc does not write: mode -> flag."""
    return dict(_data()["modes_needing_flag"])


def flag(name: str) -> Availability:
    """The availability of a kube-apiserver flag policyc writes (`token-auth-file`, no dashes)."""
    return _flags()[name]


def closest(name: str, candidates: frozenset[str] | set[str]) -> str | None:
    """The candidate closest to `name` (case-insensitive first), for a "did you mean" help."""
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return match[0] if match else None


def _by_release(key: str, release: Version) -> dict[str, Any] | None:
    found = None
    for entry in _data()[key]:
        if _version(entry["since"]) <= release:
            found = entry
    return found


def authentication_config(release: Version) -> tuple[str, str | None] | None:
    """(AuthenticationConfiguration apiVersion, feature gate it needs or None), or None before 1.29."""
    entry = _by_release("authentication_config", release)
    return None if entry is None else (entry["version"], entry.get("feature_gate"))


def authorization_config(release: Version) -> tuple[str, str | None] | None:
    """(AuthorizationConfiguration apiVersion, feature gate it needs or None), or None before 1.29."""
    entry = _by_release("authorization_config", release)
    return None if entry is None else (entry["version"], entry.get("feature_gate"))


def anonymous_config(release: Version) -> tuple[bool, str | None]:
    """(whether AuthenticationConfiguration takes `anonymous`, the feature gate it needs or None)."""
    entry = _by_release("anonymous_config", release)
    return (False, None) if entry is None else (True, entry.get("feature_gate"))


def kubeadm_api_version(release: Version) -> str:
    """The kubeadm configuration apiVersion to write for `release`."""
    entry = _by_release("kubeadm", release)
    assert entry is not None
    return entry["version"]


def csr_api(release: Version) -> CsrApi:
    """The CertificateSigningRequest API version and fields of `release`."""
    entry = _by_release("csr", release)
    assert entry is not None
    return CsrApi(entry["version"], bool(entry["signer_name"]), bool(entry["expiration"]))


def sa_token_secret_needed(release: Version) -> bool:
    """Whether a service account's token Secret must be created by hand (1.24 and later)."""
    return release > _version(_data()["sa_token_secrets_auto_until"])

"""The value every backend produces: one Kubernetes object and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policyc.slotted import frozen_slots

if TYPE_CHECKING:
    from policyc.model.rbac import Binding


@frozen_slots
class Manifest:
    """One Kubernetes object to emit.

    `body` is the complete object (apiVersion, kind, metadata, ...) as plain dicts, lists,
    strings, ints and bools. `sources` are the policy files it came from (for the
    `policyc.dev/source` annotation). Backends never print, write files or read the clock.
    """

    api_version: str
    kind: str
    name: str
    namespace: str | None
    body: dict[str, Any] = field(compare=False, hash=False)
    sources: tuple[str, ...] = ()
    # The compiled binding a RoleBinding or ClusterRoleBinding was made from (backends/rbac.py), so
    # that the access model reads it instead of parsing the body back (policyc/access/policy.py);
    # None for every other object. The body is never changed after it is emitted.
    binding: Binding | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of the object in a cluster: (namespace, kind, apiVersion group, name)."""
        group = self.api_version.rpartition("/")[0]
        return (self.namespace or "", self.kind, group, self.name)


@dataclass(frozen=True)
class ConfigFile:
    """A file written beside the objects that is not one to apply (the kube-apiserver change).

    `comment` is `#` lines (each ending in a newline) put before the one YAML document `body`;
    output/yaml.py renders it. Secrets never go here.
    """

    path: str
    comment: str
    body: dict[str, Any] = field(compare=False, hash=False)

"""Validation of emitted objects against the strict upstream JSON schemas of a release.

Where the schemas come from:

* 1.25 and later: the ``*-local-strict`` folders shipped by the `kubernetes-validate` package
  (a test extra, imported lazily). A release newer than the newest it ships uses the newest;
  one missing from an older install uses the nearest shipped release.
* 1.24 and 1.18: ``v1.24.0-local-strict`` and ``v1.18.0-local-strict`` in the shared schema
  folder: the `schemas_dir` argument, else the environment variable ``POLICYC_K8S_SCHEMAS``,
  else the first ``shared/k8s-schemas`` found walking up from this file (in a checkout,
  ``<repo>/../shared/k8s-schemas``).
* Releases without schemas of their own use the nearest release that has them: 1.22-1.23
  use 1.24; 1.21 and older (1.16-1.17, 1.19-1.21) use 1.18. 1.21 is as far from 1.18 as from
  1.24 and goes to 1.18 because 1.22 removed the beta APIs (rbac v1beta1, admissionregistration
  v1beta1, ...) that 1.21 still serves.

"Strict" means ``additionalProperties: false``: an unknown field is an error, as
``kubectl apply --validate=strict`` makes it. An object whose apiVersion/kind has no schema in
the release is reported as an error (the release cannot express it). Missing schema data is
an environment problem and raises `SchemaUnavailable` instead.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

__all__ = ["SchemaUnavailable", "has_schema", "schema_release", "shared_schemas_dir", "validate"]

ENV_VAR = "POLICYC_K8S_SCHEMAS"
# Releases whose schemas live in the shared folder rather than in kubernetes-validate.
SHARED_RELEASES: tuple[tuple[int, int], ...] = ((1, 18), (1, 24))
FIRST_PACKAGED_RELEASE = (1, 25)

_PACKAGED_DIR = re.compile(r"v(\d+)\.(\d+)\.0-local-strict")


class SchemaUnavailable(RuntimeError):
    """The schemas for a release are not on this machine (package or folder missing)."""


def shared_schemas_dir(schemas_dir: str | os.PathLike[str] | None = None) -> Path:
    """The shared schema folder: `schemas_dir`, else $POLICYC_K8S_SCHEMAS, else found by walking up.

    Raises SchemaUnavailable when no folder is given and none is found.
    """
    if schemas_dir is not None:
        return Path(schemas_dir)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "k8s-schemas"
        if candidate.is_dir():
            return candidate
    raise SchemaUnavailable(
        f"no shared Kubernetes schema folder found: set {ENV_VAR} to the folder holding "
        "v1.24.0-local-strict and v1.18.0-local-strict (shared/k8s-schemas)"
    )


def _packaged_root() -> Path:
    try:
        module = importlib.import_module("kubernetes_validate")
    except ImportError as exc:
        raise SchemaUnavailable(
            "the schemas of Kubernetes 1.25 and later come from the `kubernetes-validate` package, "
            "which is not installed (pip install 'policyc[test]')"
        ) from exc
    return Path(module.__file__).parent / "kubernetes-json-schema"


@functools.cache
def _packaged_releases(root: Path) -> tuple[tuple[int, int], ...]:
    found = []
    if root.is_dir():
        for entry in root.iterdir():
            m = _PACKAGED_DIR.fullmatch(entry.name)
            if m and (int(m[1]), int(m[2])) >= FIRST_PACKAGED_RELEASE:
                found.append((int(m[1]), int(m[2])))
    return tuple(sorted(found))


def _nearest(release: tuple[int, int], candidates: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    # Ties go to the older release (candidates are sorted ascending; min keeps the first).
    return min(candidates, key=lambda c: abs((c[1] - release[1]) + 100 * (c[0] - release[0])))


def _locate(release: tuple[int, int], schemas_dir: str | os.PathLike[str] | None) -> tuple[tuple[int, int], Path]:
    """(release whose schemas are used, its resolved ``-local-strict`` folder)."""
    arg = None if schemas_dir is None else os.fspath(schemas_dir)
    # The environment is part of the key so that changing $POLICYC_K8S_SCHEMAS takes effect.
    return _locate_cached(tuple(release), arg, os.environ.get(ENV_VAR))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=64)
def _locate_cached(release: tuple[int, int], schemas_dir: str | None, env: str | None) -> tuple[tuple[int, int], Path]:
    # Failures raise and are not cached, so schemas installed later are picked up.
    if release >= FIRST_PACKAGED_RELEASE:
        root = _packaged_root()
        available = _packaged_releases(root)
        if not available:
            raise SchemaUnavailable(f"kubernetes-validate at {root} ships no strict schemas for 1.25+")
        used = _nearest(release, available)
        return used, (root / f"v{used[0]}.{used[1]}.0-local-strict").resolve()
    used = (1, 24) if release >= (1, 22) else (1, 18)
    base = Path(schemas_dir) if schemas_dir is not None else Path(env) if env else shared_schemas_dir()
    folder = base / f"v{used[0]}.{used[1]}.0-local-strict"
    if not (folder / "_definitions.json").is_file():
        raise SchemaUnavailable(
            f"no schemas for Kubernetes {used[0]}.{used[1]}: {folder}/_definitions.json is missing "
            f"(pass schemas_dir or set {ENV_VAR} to the shared k8s-schemas folder)"
        )
    return used, folder.resolve()


def schema_release(release: tuple[int, int], *, schemas_dir: str | os.PathLike[str] | None = None) -> tuple[int, int]:
    """The release whose schemas validate objects for `release` (see the module docstring).

    Raises SchemaUnavailable when those schemas are not installed.
    """
    return _locate(release, schemas_dir)[0]


@dataclass
class _SchemaSet:
    """The schemas of one release in one folder, with a validator per kind built on demand."""

    folder: Path
    release: tuple[int, int]
    packaged: bool
    registry: referencing.Registry[Any]
    validators: dict[tuple[str, str], Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def validator(self, api_version: str, kind: str) -> Any | None:
        """The validator of apiVersion/kind, or None when the release has no such object."""
        key = (api_version, kind)
        try:
            return self.validators[key]
        except KeyError:
            pass
        with self.lock:
            if key not in self.validators:
                self.validators[key] = self._build(api_version, kind)
            return self.validators[key]

    def _build(self, api_version: str, kind: str) -> Any | None:
        group, _, version = api_version.rpartition("/")
        # Files are named <kind>-<first label of the group>-<version>.json (core: <kind>-<version>).
        stem = f"{kind.lower()}-{group.split('.')[0]}-{version}" if group else f"{kind.lower()}-{version}"
        path = self.folder / f"{stem}.json"
        if not re.fullmatch(r"[a-z0-9.-]+", stem) or not path.is_file():
            return None
        schema = json.loads(path.read_text(encoding="utf-8"))
        # The short file name drops most of the group: check the full group/version/kind so that,
        # e.g., a CRD rbac.example.com/v1 ClusterRole is not validated as an RBAC ClusterRole.
        if (group, version, kind) not in self._gvks(schema):
            return None
        if self.packaged:
            return jsonschema.Draft202012Validator(schema, registry=self.registry)
        # The legacy files declare no draft ("http://json-schema.org/schema#"); they are
        # OpenAPI v2 schemas, whose $ref semantics (siblings ignored) are draft 4-7's.
        return jsonschema.Draft7Validator(schema, registry=self.registry)

    def _gvks(self, schema: dict[str, Any]) -> set[tuple[str, str, str]]:
        target = schema
        ref = schema.get("$ref")
        if "x-kubernetes-group-version-kind" not in schema and isinstance(ref, str):
            target = self.registry.resolver().lookup(ref).contents
        return {
            (g.get("group", ""), g.get("version", ""), g.get("kind", ""))
            for g in target.get("x-kubernetes-group-version-kind", ())
        }


@functools.lru_cache(maxsize=16)
def _schema_set(release: tuple[int, int], folder: Path) -> _SchemaSet:
    packaged = release >= FIRST_PACKAGED_RELEASE
    contents = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))
    if packaged:
        # Carries its own $id (https://kubernetes.io/api/_definitions.json) and dialect.
        resource = referencing.Resource.from_contents(contents)
        registry = resource @ referencing.Registry()
    else:
        # Kind files have no $id and refer to "_definitions.json#/definitions/...", which
        # resolves against an empty base URI to the relative URI registered here.
        resource = referencing.jsonschema.DRAFT7.create_resource(contents)
        registry = referencing.Registry().with_resource("_definitions.json", resource)
    return _SchemaSet(folder=folder, release=release, packaged=packaged, registry=registry)


def _release_text(release: tuple[int, int]) -> str:
    return f"{release[0]}.{release[1]}"


def _path_text(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(object)"


def has_schema(
    api_version: str,
    kind: str,
    release: tuple[int, int],
    *,
    schemas_dir: str | os.PathLike[str] | None = None,
) -> bool:
    """Whether `release` (or the release standing in for it) has a schema for apiVersion/kind.

    Raises SchemaUnavailable when the schemas of that release are not installed.
    """
    used, folder = _locate(release, schemas_dir)
    return _schema_set(used, folder).validator(api_version, kind) is not None


def validate(
    obj: dict[str, Any],
    release: tuple[int, int],
    *,
    schemas_dir: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Validate one Kubernetes object against the strict schema of `release` (major, minor).

    Returns error messages (``<field path>: <problem>``, sorted), empty when the object is
    valid. An apiVersion/kind the release does not have is one error. For a release without
    schemas of its own the nearest release with schemas is used (1.22-1.23 -> 1.24, 1.21 and
    older -> 1.18, newer than the newest packaged -> the newest; see the module docstring) and
    the messages name it. Loaded schemas and per-kind validators are cached.

    Raises SchemaUnavailable when the schemas are not installed: `kubernetes-validate` for
    1.25+, the shared folder (`schemas_dir`, $POLICYC_K8S_SCHEMAS or ``../shared/k8s-schemas``)
    for 1.24 and older.
    """
    used, folder = _locate(release, schemas_dir)
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["(object): apiVersion and kind must both be set to strings"]
    schemas = _schema_set(used, folder)
    validator = schemas.validator(api_version, kind)
    if validator is None:
        stand_in = "" if used == release else f" (validated with the {_release_text(used)} schemas)"
        return [
            f"(object): Kubernetes {_release_text(release)}{stand_in} has no {api_version} {kind}: "
            "the API does not exist in that release"
        ]
    errors = [(_path_text(e.absolute_path), e.message) for e in validator.iter_errors(obj)]
    return [f"{path}: {message}" for path, message in sorted(errors)]

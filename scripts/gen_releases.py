#!/usr/bin/env python3
"""Generate policyc's per-release Kubernetes API tables from the official Python client.

For every Kubernetes release policyc supports, this script downloads the matching
``kubernetes`` client wheel from PyPI (with ``pip download``, into a cache directory that
is never committed), reads it as a zip file (nothing is installed or imported), and
extracts every REST path and HTTP method from ``kubernetes/client/api/*_api.py``.  The
paths are classified the way kube-apiserver's ``RequestInfoFactory`` classifies requests
(``staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go``) and turned into
RBAC verbs.  A small, cited overlay (``OVERLAY`` below) then records what RBAC authorizes
but no REST path shows (special verbs, pseudo-resources, kubelet subresources).

Output: ``policyc/data/releases/1.N.json`` per release and ``policyc/data/releases/index.json``.

Usage::

    python scripts/gen_releases.py                 # download (cached) and regenerate
    python scripts/gen_releases.py --wheels DIR    # use/put wheels in DIR
    python scripts/gen_releases.py --check         # verify committed data is up to date
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "policyc" / "data" / "releases"
SCHEMA = 1

# Kubernetes release -> `kubernetes` client version on PyPI.  The client's major version
# tracks the release since 17.x (12.x tracked 1.16; 13-16 were never published as stable
# for a new release).  Every mapping is checked against the wheel's own
# `kubernetes/client/configuration.py` ("Version of the API: release-1.N") at run time.
CLIENTS: dict[tuple[int, int], str] = {
    (1, 16): "12.0.1",
    (1, 17): "17.17.0",
    (1, 18): "18.20.0",
    (1, 19): "19.15.0",
    (1, 20): "20.13.0",
    (1, 21): "21.7.0",
    (1, 22): "22.6.0",
    (1, 23): "23.6.0",
    (1, 24): "24.2.0",
    (1, 25): "25.3.0",
    (1, 26): "26.1.0",
    (1, 27): "27.2.0",
    (1, 28): "28.1.0",
    (1, 29): "29.0.0",
    (1, 30): "30.1.0",
    (1, 31): "31.0.0",
    (1, 32): "32.0.1",
    (1, 33): "33.1.0",
    (1, 34): "34.1.0",
    (1, 35): "35.0.0",
    (1, 36): "36.0.3",
    (1, 37): "37.0.2",
}

# --------------------------------------------------------------------------------------
# REST path -> RBAC attributes, mirroring kube-apiserver's RequestInfoFactory
# (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).
# --------------------------------------------------------------------------------------

# HTTP method -> verb, before the list/watch/deletecollection adjustment for collections.
# OPTIONS (and anything else) maps to the empty verb in RequestInfoFactory: dropped here.
METHOD_VERBS: dict[str, str] = {
    "GET": "get",
    "HEAD": "get",
    "POST": "create",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}

# RequestInfoFactory: "namespaces/{name}/status" and "namespaces/{name}/finalize" are
# subresources of the namespace, not resources inside it.
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})

_PARAM = re.compile(r"^\{[^}]*\}$")


@dataclass(frozen=True)
class Endpoint:
    """One REST operation of the client: path, HTTP method and whether it accepts `watch`."""

    path: str
    method: str
    watch: bool
    kind: str | None = None  # the object kind the operation reads or writes (`Pod`), if known


@dataclass(frozen=True)
class Classified:
    """RBAC attributes of one endpoint."""

    group: str
    version: str
    resource: str
    subresource: str | None
    namespaced: bool
    verbs: frozenset[str]
    kind: str | None = None


def classify(ep: Endpoint) -> Classified | None:
    """Turn a REST endpoint into RBAC attributes; None for non-resource or generic paths."""
    parts = [p for p in ep.path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None  # /version, /logs, /.well-known, /openid, /apis discovery
    if _PARAM.match(group) or _PARAM.match(version) or not rest:
        return None  # custom objects API (/apis/{group}/{version}/...) or discovery
    watch_prefix = False
    if rest[0] == "watch":  # deprecated /watch/ paths: always the watch verb
        watch_prefix, rest = True, rest[1:]
        if not rest:
            return None
    namespaced = False
    if rest[0] == "namespaces" and len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
        namespaced = True
        rest = rest[2:]
    resource = rest[0]
    if _PARAM.match(resource):
        return None
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and _PARAM.match(subresource):
        return None
    verb = METHOD_VERBS.get(ep.method.upper())
    if verb is None:
        return None
    verbs: set[str]
    if watch_prefix:
        verbs = {"watch"} if verb == "get" else set()
    elif name is None and verb == "get":
        verbs = {"list", "watch"} if ep.watch else {"list"}
    elif name is None and verb == "delete":
        verbs = {"deletecollection"}
    else:
        verbs = {verb}
    if not verbs:
        return None
    return Classified(group, version, resource, subresource, namespaced, frozenset(verbs), ep.kind)


# --------------------------------------------------------------------------------------
# Reading the client wheel
# --------------------------------------------------------------------------------------

_API_FILE = re.compile(r"^kubernetes/client/api/[a-z0-9_]+_api\.py$")
_API_VERSION = re.compile(r"Version of the API: release-(\d+)\.(\d+)")
_PKG_VERSION = re.compile(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", re.M)


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


# The operation a function implements: `read_namespaced_pod` is the public method,
# `read_namespaced_pod_with_http_info` (up to client 36.x) or `_read_namespaced_pod_serialize`
# (from 37.x) the one that names the REST path.
_OP_SUFFIXES = ("_with_http_info", "_without_preload_content", "_serialize")
# A client model name: `V1Pod`, `V1beta1CSIDriver`, `ExtensionsV1beta1Ingress`, `CoreV1Event`.
_MODEL = re.compile(r"\b(?:[A-Z][a-z]+)*V\d+(?:(?:alpha|beta)\d+)?([A-Z]\w*)\b")


def _op_name(fn: ast.FunctionDef) -> str:
    name = fn.name.lstrip("_")
    for suffix in _OP_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def _returned_kind(fn: ast.FunctionDef) -> str | None:
    """The kind a public client method returns: its return annotation (client 37.x) or the
    `:rtype:` / `:return:` line of its docstring (older clients), without the version prefix."""
    texts: list[str] = []
    if isinstance(fn.returns, ast.Name):
        texts.append(fn.returns.id)
    doc = ast.get_docstring(fn) or ""
    texts += re.findall(r":rtype: (\S+)", doc) + re.findall(r":return: (\S+)", doc)
    for text in texts:
        m = _MODEL.fullmatch(text)
        if m:
            return m.group(1)
    return None


def _endpoints_in_function(fn: ast.FunctionDef) -> Iterator[Endpoint]:
    calls: list[tuple[str, str]] = []
    mentions_watch = False
    for node in ast.walk(fn):
        if isinstance(node, ast.Constant) and node.value == "watch":
            mentions_watch = True
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "call_api":  # generator layout up to client 35.x
            path = _const_str(node.args[0]) if len(node.args) > 0 else None
            method = _const_str(node.args[1]) if len(node.args) > 1 else None
        elif node.func.attr == "param_serialize":  # generator layout from client 36.x
            kw = {k.arg: k.value for k in node.keywords}
            path, method = _const_str(kw.get("resource_path")), _const_str(kw.get("method"))
        else:
            continue
        if path and method:
            calls.append((path, method))
    for path, method in calls:
        yield Endpoint(path, method.upper(), mentions_watch)


def read_wheel(wheel: Path) -> tuple[str, tuple[int, int], list[Endpoint]]:
    """Return (package version, Kubernetes release, endpoints) of a client wheel."""
    endpoints: set[Endpoint] = set()
    with zipfile.ZipFile(wheel) as zf:
        init = zf.read("kubernetes/__init__.py").decode()
        m = _PKG_VERSION.search(init)
        if not m:
            raise SystemExit(f"{wheel.name}: no __version__ in kubernetes/__init__.py")
        pkg_version = m.group(1)
        cfg = zf.read("kubernetes/client/configuration.py").decode()
        m = _API_VERSION.search(cfg)
        if not m:
            raise SystemExit(f"{wheel.name}: no 'Version of the API' in configuration.py")
        release = (int(m.group(1)), int(m.group(2)))
        for name in sorted(zf.namelist()):
            if not _API_FILE.match(name):
                continue
            tree = ast.parse(zf.read(name).decode(), filename=name)
            kinds: dict[str, str] = {}
            found: list[tuple[str, Endpoint]] = []
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    op = _op_name(node)
                    if node.name == op and (kind := _returned_kind(node)) is not None:
                        kinds[op] = kind
                    found += [(op, ep) for ep in _endpoints_in_function(node)]
            endpoints.update(Endpoint(ep.path, ep.method, ep.watch, kinds.get(op)) for op, ep in found)
    return pkg_version, release, sorted(endpoints, key=lambda e: (e.path, e.method))


# --------------------------------------------------------------------------------------
# Building the table
# --------------------------------------------------------------------------------------

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int]:
    """Sort key for API versions, highest priority first when sorted ascending.

    Kubernetes' version ordering (apimachinery's CompareKubeAwareVersionStrings): GA before
    beta before alpha, then higher major, then higher minor; anything else last.
    """
    m = _KUBE_VERSION.match(version)
    if not m:
        return (9, 0, 0)
    major = int(m.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor)


@dataclass
class Res:
    """Mutable resource record while building the table."""

    namespaced: bool = False
    verbs: set[str] = field(default_factory=set)
    versions: set[str] = field(default_factory=set)
    subresources: dict[str, set[str]] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)  # rank of the operation -> kind it names

    @property
    def kind(self) -> str | None:
        """The resource's kind: what `get` returns, else `create`, else the item of `list`."""
        return self.kinds[min(self.kinds)] if self.kinds else None


# Which operations name the resource's kind, best first (`delete` may return a Status).
_KIND_RANKS = {"get": 0, "create": 1, "update": 2, "patch": 3, "list": 4}


def build_table(endpoints: Iterable[Endpoint]) -> dict[str, dict[str, Res]]:
    """Group endpoints into group -> resource -> merged record (union across versions)."""
    groups: dict[str, dict[str, Res]] = {}
    for ep in endpoints:
        c = classify(ep)
        if c is None:
            continue
        res = groups.setdefault(c.group, {}).setdefault(c.resource, Res())
        res.versions.add(c.version)
        res.namespaced = res.namespaced or c.namespaced
        if c.subresource is None:
            res.verbs |= c.verbs
            ranks = [_KIND_RANKS[v] for v in c.verbs if v in _KIND_RANKS]
            if c.kind and ranks:
                kind = c.kind.removesuffix("List") if min(ranks) == _KIND_RANKS["list"] else c.kind
                res.kinds.setdefault(min(ranks), kind)
        else:
            res.subresources.setdefault(c.subresource, set()).update(c.verbs)
    return groups


# --------------------------------------------------------------------------------------
# OVERLAY: what RBAC authorizes but no REST path of the client shows.
#
# Each entry is applied to a release when its conditions hold.  Fields:
#   group, resource, subresource ("*" = any subresource name, e.g. userextras/<extra key>;
#   resource "*" = any resource name in the group, e.g. token audiences),
#   verbs, namespaced (only for resources that have no REST path),
#   since/until (inclusive Kubernetes releases), requires (group, resource) that must be
#   served by the REST table of that release, source (the page or file it comes from).
# Sources were checked against the kubernetes/kubernetes and kubernetes/website
# repositories where a copy was available; entries marked "from knowledge" were not.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlay:
    """One overlay fact: verbs RBAC checks on a (group, resource[, subresource])."""

    group: str
    resource: str
    verbs: tuple[str, ...]
    source: str
    subresource: str | None = None
    namespaced: bool | None = None
    since: tuple[int, int] = (1, 0)
    until: tuple[int, int] = (9, 99)
    requires: tuple[str, str] | None = None


_RBAC_DOC = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
_PSP_DOC = "https://kubernetes.io/docs/concepts/security/pod-security-policy/ (archived)"
_IMP_DOC = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation"
_IMP_SRC = "staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go"
_CIMP_DOC = "https://kubernetes.io/docs/reference/access-authn-authz/constrained-impersonation/"
_CSR_DOC = (
    "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization"
)
_CTB_DOC = "k8s.io/api certificates ClusterTrustBundleSpec.signerName (verb=attest on signers)"
_KUBELET_DOC = "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"
_KUBELET_SRC = "pkg/kubelet/server/auth.go"
_BOOTSTRAP_SRC = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (system:kubelet-api-admin)"
_AUD_DOC = "https://kubernetes.io/docs/reference/access-authn-authz/node/ (token audience restriction)"
_DRA_SRC = "kubernetes/kubernetes#134947, pkg/registry/resource/utils.go (KEP-4817)"

OVERLAY: tuple[Overlay, ...] = (
    # -- PodSecurityPolicy: admission checks `use` on the policy object (1.16-1.24). --
    # Source: PodSecurityPolicy docs, "Policy order"/"Authorizing policies";
    # plugin/pkg/admission/security/podsecuritypolicy/admission.go (from knowledge).
    Overlay("policy", "podsecuritypolicies", ("use",), _PSP_DOC, requires=("policy", "podsecuritypolicies")),
    Overlay(
        "extensions",
        "podsecuritypolicies",
        ("use",),
        _PSP_DOC,
        requires=("extensions", "podsecuritypolicies"),
    ),
    # -- RBAC escalation prevention: `bind` on the referenced role, `escalate` on roles. --
    # Source: RBAC docs "Privilege escalation prevention and bootstrapping";
    # pkg/registry/rbac/escalation_check.go (from knowledge).
    Overlay(
        "rbac.authorization.k8s.io",
        "roles",
        ("bind", "escalate"),
        _RBAC_DOC,
        requires=("rbac.authorization.k8s.io", "roles"),
    ),
    Overlay(
        "rbac.authorization.k8s.io",
        "clusterroles",
        ("bind", "escalate"),
        _RBAC_DOC,
        requires=("rbac.authorization.k8s.io", "clusterroles"),
    ),
    # -- Impersonation: `impersonate` on users, groups, serviceaccounts (core) and on
    # userextras/<extra key>, uids (authentication.k8s.io). The extra key is the
    # subresource, so the data records userextras with the "any name" subresource "*".
    # Source: authentication docs "User impersonation"; impersonation.go (read).
    Overlay("", "users", ("impersonate",), _IMP_SRC, namespaced=False),
    Overlay("", "groups", ("impersonate",), _IMP_SRC, namespaced=False),
    Overlay("", "serviceaccounts", ("impersonate",), _IMP_DOC, requires=("", "serviceaccounts")),
    Overlay(
        "authentication.k8s.io", "userextras", ("impersonate",), _IMP_DOC, subresource="*", namespaced=False
    ),
    # Impersonate-Uid exists from v1.22 (kubernetes/kubernetes#99961, website#28430).
    Overlay("authentication.k8s.io", "uids", ("impersonate",), _IMP_DOC, namespaced=False, since=(1, 22)),
    # -- Constrained impersonation (alpha in v1.35, ConstrainedImpersonation gate): the
    # identity checks move to authentication.k8s.io with mode verbs. The per-action
    # `impersonate-on:<mode>:<verb>` verbs are in VERB_PREFIXES below. --
    Overlay(
        "authentication.k8s.io",
        "users",
        ("impersonate:user-info",),
        _CIMP_DOC,
        namespaced=False,
        since=(1, 35),
    ),
    Overlay(
        "authentication.k8s.io",
        "groups",
        ("impersonate:user-info",),
        _CIMP_DOC,
        namespaced=False,
        since=(1, 35),
    ),
    Overlay(
        "authentication.k8s.io",
        "uids",
        ("impersonate:user-info",),
        _CIMP_DOC,
        namespaced=False,
        since=(1, 35),
    ),
    Overlay(
        "authentication.k8s.io",
        "userextras",
        ("impersonate:user-info",),
        _CIMP_DOC,
        subresource="*",
        namespaced=False,
        since=(1, 35),
    ),
    Overlay(
        "authentication.k8s.io",
        "serviceaccounts",
        ("impersonate:serviceaccount",),
        _CIMP_DOC,
        namespaced=True,
        since=(1, 35),
    ),
    Overlay(
        "authentication.k8s.io",
        "nodes",
        ("impersonate:arbitrary-node", "impersonate:associated-node"),
        _CIMP_DOC,
        namespaced=False,
        since=(1, 35),
    ),
    # -- Certificate signers: `approve` and `sign` on signers/<signerName> (signerName
    # exists from v1.18; CSR docs "Authorization", from knowledge), `attest` for
    # ClusterTrustBundles (served from v1.27; ClusterTrustBundleSpec.signerName field doc). --
    Overlay("certificates.k8s.io", "signers", ("approve", "sign"), _CSR_DOC, namespaced=False, since=(1, 18)),
    Overlay(
        "certificates.k8s.io",
        "signers",
        ("attest",),
        _CTB_DOC,
        namespaced=False,
        requires=("certificates.k8s.io", "clustertrustbundles"),
    ),
    # -- Kubelet API: the kubelet authorizes its own HTTP API as nodes/<subresource>,
    # verb from the HTTP method (POST create, GET get, PUT update, PATCH patch,
    # DELETE delete); everything without a dedicated subresource is nodes/proxy. --
    # Source: kubelet authn/authz docs; pkg/kubelet/server/auth.go (read).
    Overlay(
        "",
        "nodes",
        ("get", "create", "update", "patch", "delete"),
        _KUBELET_SRC,
        subresource="proxy",
        requires=("", "nodes"),
    ),
    Overlay("", "nodes", ("get",), _KUBELET_DOC, subresource="stats", requires=("", "nodes")),
    Overlay("", "nodes", ("get",), _KUBELET_DOC, subresource="metrics", requires=("", "nodes")),
    Overlay("", "nodes", ("get",), _KUBELET_DOC, subresource="log", requires=("", "nodes")),
    # /spec was a cAdvisor JSON endpoint, deprecated with them (KEP-2129, v1.21) and no
    # longer named by the current auth.go; the built-in system:kubelet-api-admin role
    # still grants nodes/spec, so it stays valid in every release.
    Overlay("", "nodes", ("get",), _BOOTSTRAP_SRC, subresource="spec", requires=("", "nodes")),
    # /checkpoint (ContainerCheckpoint, alpha v1.25): POST only (website#48012).
    Overlay(
        "",
        "nodes",
        ("create",),
        _KUBELET_SRC,
        subresource="checkpoint",
        since=(1, 25),
        requires=("", "nodes"),
    ),
    # KEP-2862 fine-grained kubelet authz: alpha v1.32, beta v1.33, GA v1.36.
    Overlay(
        "", "nodes", ("get",), _KUBELET_SRC, subresource="configz", since=(1, 32), requires=("", "nodes")
    ),
    Overlay(
        "", "nodes", ("get",), _KUBELET_SRC, subresource="healthz", since=(1, 32), requires=("", "nodes")
    ),
    Overlay("", "nodes", ("get",), _KUBELET_SRC, subresource="pods", since=(1, 32), requires=("", "nodes")),
    # -- The legacy `proxy` verb (RequestInfoFactory's specialVerbs, for /api/v1/proxy/...
    # paths): the built-in system:kubelet-api-admin role grants `proxy` on nodes. --
    Overlay("", "nodes", ("proxy",), _BOOTSTRAP_SRC, requires=("", "nodes")),
    # -- ServiceAccountNodeAudienceRestriction (beta, on by default from v1.33): a kubelet
    # needs `request-serviceaccounts-token-audience` on resource=<audience> in group "". --
    Overlay("", "*", ("request-serviceaccounts-token-audience",), _AUD_DOC, since=(1, 33)),
    # -- DRAResourceClaimGranularStatusAuthorization (beta, on by default in v1.36):
    # synthetic subresources resourceclaims/binding and resourceclaims/driver. --
    Overlay(
        "resource.k8s.io",
        "resourceclaims",
        ("update", "patch"),
        _DRA_SRC,
        subresource="binding",
        since=(1, 36),
        requires=("resource.k8s.io", "resourceclaims"),
    ),
    Overlay(
        "resource.k8s.io",
        "resourceclaims",
        ("associated-node:update", "associated-node:patch", "arbitrary-node:update", "arbitrary-node:patch"),
        _DRA_SRC,
        subresource="driver",
        since=(1, 36),
        requires=("resource.k8s.io", "resourceclaims"),
    ),
)

# Verb families `<prefix><verb>` where <verb> is any verb known to the release.
# Source: constrained impersonation docs (alpha v1.35, ConstrainedImpersonation gate).
VERB_PREFIXES: tuple[tuple[str, tuple[int, int], str], ...] = (
    ("impersonate-on:user-info:", (1, 35), _CIMP_DOC),
    ("impersonate-on:serviceaccount:", (1, 35), _CIMP_DOC),
    ("impersonate-on:arbitrary-node:", (1, 35), _CIMP_DOC),
    ("impersonate-on:associated-node:", (1, 35), _CIMP_DOC),
)


# --------------------------------------------------------------------------------------
# What kubectl's REST mapper reads from discovery but the client does not carry.
# --------------------------------------------------------------------------------------

# Short names: each built-in resource's REST storage declares them with `ShortNames()`
# (rest.ShortNamesProvider), in pkg/registry/<group>/<resource>/storage/storage.go of
# kubernetes/kubernetes (e.g. pkg/registry/core/pod/storage/storage.go: `po`;
# pkg/registry/core/event/storage/storage.go: `ev`, the storage events.k8s.io serves too;
# pkg/registry/storage/volumeattributesclass/storage/storage.go: `vac`;
# staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition/etcd.go:
# `crd`, `crds`). A short name applies in every release that serves the resource.
SHORT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "componentstatuses"): ("cs",),
    ("", "configmaps"): ("cm",),
    ("", "endpoints"): ("ep",),
    ("", "events"): ("ev",),
    ("", "limitranges"): ("limits",),
    ("", "namespaces"): ("ns",),
    ("", "nodes"): ("no",),
    ("", "persistentvolumeclaims"): ("pvc",),
    ("", "persistentvolumes"): ("pv",),
    ("", "pods"): ("po",),
    ("", "replicationcontrollers"): ("rc",),
    ("", "resourcequotas"): ("quota",),
    ("", "serviceaccounts"): ("sa",),
    ("", "services"): ("svc",),
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("crd", "crds"),
    ("apps", "daemonsets"): ("ds",),
    ("apps", "deployments"): ("deploy",),
    ("apps", "replicasets"): ("rs",),
    ("apps", "statefulsets"): ("sts",),
    ("autoscaling", "horizontalpodautoscalers"): ("hpa",),
    ("batch", "cronjobs"): ("cj",),
    ("certificates.k8s.io", "certificatesigningrequests"): ("csr",),
    ("events.k8s.io", "events"): ("ev",),
    ("extensions", "daemonsets"): ("ds",),
    ("extensions", "deployments"): ("deploy",),
    ("extensions", "ingresses"): ("ing",),
    ("extensions", "networkpolicies"): ("netpol",),
    ("extensions", "podsecuritypolicies"): ("psp",),
    ("extensions", "replicasets"): ("rs",),
    ("networking.k8s.io", "ingresses"): ("ing",),
    ("networking.k8s.io", "networkpolicies"): ("netpol",),
    ("policy", "poddisruptionbudgets"): ("pdb",),
    ("policy", "podsecuritypolicies"): ("psp",),
    ("scheduling.k8s.io", "priorityclasses"): ("pc",),
    ("storage.k8s.io", "storageclasses"): ("sc",),
    ("storage.k8s.io", "volumeattributesclasses"): ("vac",),
}

# Discovery lists the core group first, then the groups by descending priority
# (kube-apiserver's APIService priorities: cmd/kube-apiserver/app/aggregator.go
# `apiVersionPriorities`, since 1.30 pkg/controlplane/apiserver/aggregator.go
# `DefaultGenericAPIServicePriorities` plus the kube-apiserver-only groups). `extensions`
# sat at 17900, above every other group, "for CLI compatibility" while it was served (to
# 1.21 for ingresses). kubectl's PriorityRESTMapper (k8s.io/client-go/restmapper/discovery.go
# NewDiscoveryRESTMapper) resolves a name several groups have in this order: `ingresses`
# is extensions' up to 1.21. Groups not listed sort after these, alphabetically.
GROUP_PRIORITIES: dict[str, int] = {
    "": 18000,
    "extensions": 17900,
    "apps": 17800,
    "events.k8s.io": 17750,
    "authentication.k8s.io": 17700,
    "authorization.k8s.io": 17600,
    "autoscaling": 17500,
    "batch": 17400,
    "certificates.k8s.io": 17300,
    "networking.k8s.io": 17200,
    "policy": 17100,
    "rbac.authorization.k8s.io": 17000,
    "settings.k8s.io": 16900,
    "storage.k8s.io": 16800,
    "apiextensions.k8s.io": 16700,
    "admissionregistration.k8s.io": 16700,
    "scheduling.k8s.io": 16600,
    "coordination.k8s.io": 16500,
    "auditregistration.k8s.io": 16400,
    "node.k8s.io": 16300,
    "discovery.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100,
    "internal.apiserver.k8s.io": 16000,
    "resource.k8s.io": 15900,
    "storagemigration.k8s.io": 15800,
}


def discovery_order(groups: Iterable[str]) -> list[str]:
    """The groups in the order discovery lists them (GROUP_PRIORITIES)."""
    return sorted(groups, key=lambda g: (-GROUP_PRIORITIES.get(g, 0), g))


def applicable_overlay(release: tuple[int, int], rest: dict[str, dict[str, Res]]) -> list[Overlay]:
    """Overlay entries that apply to ``release`` given its REST table."""
    out = []
    for entry in OVERLAY:
        if not entry.since <= release <= entry.until:
            continue
        if entry.requires is not None:
            g, r = entry.requires
            if r not in rest.get(g, {}):
                continue
        out.append(entry)
    return out


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def release_document(release: tuple[int, int], client: str, endpoints: list[Endpoint]) -> dict:
    """The JSON document for one release."""
    rest = build_table(endpoints)
    groups_doc: dict[str, dict] = {}
    for group, resources in sorted(rest.items()):
        versions = sorted({v for r in resources.values() for v in r.versions}, key=version_priority)
        groups_doc[group] = {
            "preferred": versions[0],
            "versions": versions,
            "resources": {
                name: _resource_doc(res, SHORT_NAMES.get((group, name), ()))
                for name, res in sorted(resources.items())
            },
        }
    overlay = applicable_overlay(release, rest)
    overlay_doc = [
        {
            k: v
            for k, v in (
                ("group", e.group),
                ("resource", e.resource),
                ("subresource", e.subresource),
                ("verbs", sorted(e.verbs)),
                ("namespaced", e.namespaced),
                ("source", e.source),
            )
            if v is not None
        }
        for e in overlay
    ]
    rest_verbs = {v for rs in rest.values() for r in rs.values() for v in _all_verbs(r)}
    overlay_verbs = {v for e in overlay for v in e.verbs}
    return {
        "schema": SCHEMA,
        "release": f"{release[0]}.{release[1]}",
        "client": client,
        "groups": groups_doc,
        "discovery_order": discovery_order(rest),
        "overlay": overlay_doc,
        "verb_prefixes": sorted(p for p, since, _ in VERB_PREFIXES if release >= since),
        "verbs": sorted(rest_verbs | overlay_verbs),
    }


def _all_verbs(res: Res) -> set[str]:
    out = set(res.verbs)
    for verbs in res.subresources.values():
        out |= verbs
    return out


def _resource_doc(res: Res, short_names: tuple[str, ...]) -> dict:
    doc: dict = {
        "namespaced": res.namespaced,
        "verbs": sorted(res.verbs),
        "versions": sorted(res.versions, key=version_priority),
    }
    if res.kind:
        doc["kind"] = res.kind
    if short_names:
        doc["short_names"] = list(short_names)
    if res.subresources:
        doc["subresources"] = {k: sorted(v) for k, v in sorted(res.subresources.items())}
    return doc


def dump(doc: dict) -> str:
    """Compact, deterministic JSON (sorted keys, no whitespace, trailing newline)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"


def default_cache() -> Path:
    """Where wheels are cached between runs (never inside the repository)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policyc" / "kubernetes-client-wheels"


def fetch_wheel(version: str, cache: Path) -> Path:
    """Return the cached wheel for ``kubernetes==version``, downloading it with pip."""
    found = sorted(cache.glob(f"kubernetes-{version}-*.whl"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(cache),
        f"kubernetes=={version}",
    ]
    subprocess.run(cmd, check=True)
    found = sorted(cache.glob(f"kubernetes-{version}-*.whl"))
    if not found:
        raise SystemExit(f"pip did not produce a wheel for kubernetes=={version}")
    return found[0]


def generate(wheels: Path) -> dict[str, str]:
    """Build every output file; returns file name -> content."""
    files: dict[str, str] = {}
    index_releases = []
    for release, client in sorted(CLIENTS.items()):
        wheel = fetch_wheel(client, wheels)
        pkg_version, api_release, endpoints = read_wheel(wheel)
        if pkg_version != client:
            raise SystemExit(f"{wheel.name}: __version__ is {pkg_version}, expected {client}")
        if api_release != release:
            raise SystemExit(
                f"kubernetes=={client} is generated from release-{api_release[0]}.{api_release[1]},"
                f" not {release[0]}.{release[1]}"
            )
        label = f"{release[0]}.{release[1]}"
        doc = release_document(release, client, endpoints)
        files[f"{label}.json"] = dump(doc)
        index_releases.append({"release": label, "client": client, "file": f"{label}.json"})
        n_res = sum(len(g["resources"]) for g in doc["groups"].values())
        print(
            f"{label}: kubernetes=={client}, {len(endpoints)} endpoints, "
            f"{len(doc['groups'])} groups, {n_res} resources",
            file=sys.stderr,
        )
    index = {
        "schema": SCHEMA,
        "source": "kubernetes Python client wheels from PyPI (kubernetes/client/api/*_api.py)",
        "generator": "scripts/gen_releases.py",
        "newest": index_releases[-1]["release"],
        "oldest": index_releases[0]["release"],
        "releases": index_releases,
    }
    files["index.json"] = json.dumps(index, sort_keys=True, indent=1) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--wheels", type=Path, default=None, help=f"wheel cache directory (default: {default_cache()})"
    )
    ap.add_argument("--tmp", action="store_true", help="download into a fresh temporary directory")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    ap.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output directory differs"
    )
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="policyc-k8s-wheels-") as tmp:
        wheels = Path(tmp) if args.tmp else (args.wheels or default_cache())
        files = generate(wheels)
    if args.check:
        stale = [
            n
            for n, text in files.items()
            if not (args.out / n).exists() or (args.out / n).read_text() != text
        ]
        for n in stale:
            print(f"stale: {args.out / n}", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (args.out / name).write_text(text)
    total = sum(len(t.encode()) for t in files.values())
    print(f"wrote {len(files)} files to {args.out} ({total} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

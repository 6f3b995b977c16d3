"""Tests of policyc.k8s.releases over the committed package data (no network)."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from policyc.k8s.releases import (
    CLIENT_VERSIONS,
    NEWEST,
    OLDEST,
    SUPPORTED,
    Problem,
    Release,
    ResourceRef,
    check_resource,
    check_verb,
    load_release,
    parse_resource,
    parse_version,
)

CRUD = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
DATA = resources.files("policyc") / "data" / "releases"


def rel(minor: int) -> Release:
    return load_release((1, minor))


def assert_one_lowercase_sentence(message: str) -> None:
    """Outside `backticked names` and "Kubernetes", lowercase; one sentence, no final period."""
    prose = re.sub(r"`[^`]*`", "", message).replace("Kubernetes", "kubernetes")
    assert prose == prose.lower(), message
    assert not message.endswith(".") and ". " not in prose, message


# --------------------------------------------------------------------------------------
# versions and data
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.24", (1, 24)),
        ("v1.24", (1, 24)),
        ("1.24.3", (1, 24)),
        ("v1.28.2-eks-1", (1, 28)),
        ("v1.30.1+k3s1", (1, 30)),
        (" 1.16 ", (1, 16)),
        ("1.37", (1, 37)),
        ("1", None),
        ("1.x", None),
        ("", None),
        ("latest", None),
        ("1.24.3.4", None),
        ("vv1.24", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_version(text) == expected


def test_supported_releases() -> None:
    assert tuple((1, m) for m in range(16, 38)) == SUPPORTED
    assert OLDEST == (1, 16)
    assert NEWEST == (1, 37)


@pytest.mark.parametrize(
    ("version", "client"),
    [((1, 16), "12.0.1"), ((1, 17), "17.17.0"), ((1, 24), "24.2.0"), ((1, 32), "32.0.1")],
)
def test_client_versions(version: tuple[int, int], client: str) -> None:
    assert CLIENT_VERSIONS[version] == client
    assert load_release(version).client_version == client


@pytest.mark.parametrize("version", [(1, 15), (1, 38), (2, 0)])
def test_unsupported_release(version: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="unsupported Kubernetes release"):
        load_release(version)


def test_load_release_is_cached() -> None:
    assert load_release((1, 24)) is load_release((1, 24))
    assert load_release((1, 24)).version == (1, 24)
    assert load_release((1, 24)).label == "1.24"


def test_index_matches_files() -> None:
    index = json.loads((DATA / "index.json").read_text())
    assert index["newest"] == "1.37"
    assert index["oldest"] == "1.16"
    assert [e["release"] for e in index["releases"]] == [f"1.{m}" for m in range(16, 38)]
    for entry in index["releases"]:
        assert (DATA / entry["file"]).is_file()


@pytest.mark.parametrize("version", SUPPORTED)
def test_release_file_is_compact_sorted_and_consistent(version: tuple[int, int]) -> None:
    text = (DATA / f"{version[0]}.{version[1]}.json").read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"
    assert doc["release"] == f"{version[0]}.{version[1]}"
    assert doc["client"] == CLIENT_VERSIONS[version]
    # every overlay entry cites a source
    assert doc["overlay"] and all(e["source"] for e in doc["overlay"])


def test_total_data_size_is_reasonable() -> None:
    total = sum(len(p.read_bytes()) for p in DATA.iterdir() if p.name.endswith(".json"))
    assert total < 3 * 1024 * 1024


# --------------------------------------------------------------------------------------
# parse_resource
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "group", "resource", "sub"),
    [
        ("pods", "", "pods", None),
        ("pods/log", "", "pods", "log"),
        ("deployments.apps", "apps", "deployments", None),
        ("deployments.apps/scale", "apps", "deployments", "scale"),
        ("pods.metrics.k8s.io", "metrics.k8s.io", "pods", None),
        ("roles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "roles", None),
        ("*", "*", "*", None),
        ("*.apps", "apps", "*", None),
        ("*/scale", "*", "*", "scale"),
        ("pods.*", "*", "pods", None),
        ("pods/*", "", "pods", "*"),
        ("userextras.authentication.k8s.io/scopes", "authentication.k8s.io", "userextras", "scopes"),
        (
            "userextras.authentication.k8s.io/example.com/team",
            "authentication.k8s.io",
            "userextras",
            "example.com/team",
        ),
        ("  nodes/proxy ", "", "nodes", "proxy"),
    ],
)
def test_parse_resource(text: str, group: str, resource: str, sub: str | None) -> None:
    ref = parse_resource(text)
    assert ref == ResourceRef(group, resource, sub)


@pytest.mark.parametrize(
    "text",
    ["pods", "pods/log", "deployments.apps/scale", "*", "*.apps", "*/scale", "pods.metrics.k8s.io"],
)
def test_resource_ref_round_trips(text: str) -> None:
    assert str(parse_resource(text)) == text


@pytest.mark.parametrize("text", ["", "   ", "pods/", ".apps", "pods.", "po ds", "/log"])
def test_parse_resource_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_resource(text)


# --------------------------------------------------------------------------------------
# lookup
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("minor", [16, 24, 37])
def test_pods_are_namespaced_with_all_verbs(minor: int) -> None:
    pods = rel(minor).lookup("", "pods")
    assert pods is not None
    assert pods.namespaced
    assert pods.verbs >= CRUD
    assert pods.versions == ("v1",)
    assert pods.qualified_name == "pods"
    assert pods.maturity == "ga"
    assert not pods.virtual


@pytest.mark.parametrize(
    ("minor", "group", "resource", "sub", "verbs"),
    [
        (24, "", "pods", "log", {"get"}),
        (24, "", "pods", "exec", {"get", "create"}),
        (24, "", "pods", "attach", {"get", "create"}),
        (24, "", "pods", "portforward", {"get", "create"}),
        (24, "", "pods", "eviction", {"create"}),
        (24, "", "pods", "proxy", {"get", "create", "update", "patch", "delete"}),
        (24, "", "pods", "status", {"get", "update", "patch"}),
        (24, "", "serviceaccounts", "token", {"create"}),
        (24, "apps", "deployments", "scale", {"get", "update", "patch"}),
        (24, "apps", "statefulsets", "scale", {"get", "update", "patch"}),
        (24, "", "namespaces", "finalize", {"update"}),
        (24, "certificates.k8s.io", "certificatesigningrequests", "approval", {"get", "update", "patch"}),
        (32, "", "pods", "resize", {"get", "update", "patch"}),
        (21, "", "pods", "ephemeralcontainers", {"get", "update", "patch"}),
    ],
)
def test_subresource_verbs(minor: int, group: str, resource: str, sub: str, verbs: set[str]) -> None:
    info = rel(minor).lookup(group, resource)
    assert info is not None
    assert info.subresource_verbs(sub) == verbs


@pytest.mark.parametrize(
    ("minor", "group", "resource", "namespaced"),
    [
        (24, "", "nodes", False),
        (24, "", "namespaces", False),
        (24, "", "persistentvolumes", False),
        (24, "", "configmaps", True),
        (24, "apps", "deployments", True),
        (24, "rbac.authorization.k8s.io", "clusterroles", False),
        (24, "rbac.authorization.k8s.io", "roles", True),
        (24, "storage.k8s.io", "storageclasses", False),
        (24, "authorization.k8s.io", "localsubjectaccessreviews", True),
        (24, "authorization.k8s.io", "selfsubjectaccessreviews", False),
        (30, "flowcontrol.apiserver.k8s.io", "flowschemas", False),
        (37, "coordination.k8s.io", "leases", True),
    ],
)
def test_scope(minor: int, group: str, resource: str, namespaced: bool) -> None:
    info = rel(minor).lookup(group, resource)
    assert info is not None
    assert info.namespaced is namespaced


@pytest.mark.parametrize(
    ("group", "resource", "present_in", "absent_in"),
    [
        ("policy", "podsecuritypolicies", [16, 20, 24], [25, 30, 37]),
        ("extensions", "podsecuritypolicies", [16, 17], [18, 24]),
        ("admissionregistration.k8s.io", "validatingadmissionpolicies", [26, 30, 37], [16, 25]),
        ("flowcontrol.apiserver.k8s.io", "flowschemas", [17, 24, 29, 37], [16]),
        ("batch", "cronjobs", [16, 21, 37], []),
        ("networking.k8s.io", "ingressclasses", [18, 37], [16, 17]),
        ("extensions", "ingresses", [16, 21], [22, 37]),
        ("resource.k8s.io", "resourceclaims", [26, 34, 37], [25]),
        ("certificates.k8s.io", "clustertrustbundles", [27, 37], [26]),
        ("storage.k8s.io", "csistoragecapacities", [21, 37], [20]),
    ],
)
def test_resource_presence(group: str, resource: str, present_in: list[int], absent_in: list[int]) -> None:
    for minor in present_in:
        assert rel(minor).lookup(group, resource) is not None, f"1.{minor}"
    for minor in absent_in:
        assert rel(minor).lookup(group, resource) is None, f"1.{minor}"


@pytest.mark.parametrize(
    ("minor", "group", "resource", "versions", "maturity"),
    [
        (26, "admissionregistration.k8s.io", "validatingadmissionpolicies", ("v1alpha1",), "alpha"),
        (28, "admissionregistration.k8s.io", "validatingadmissionpolicies", ("v1beta1", "v1alpha1"), "beta"),
        (
            30,
            "admissionregistration.k8s.io",
            "validatingadmissionpolicies",
            ("v1", "v1beta1", "v1alpha1"),
            "ga",
        ),
        (24, "policy", "podsecuritypolicies", ("v1beta1",), "beta"),
        (24, "autoscaling", "horizontalpodautoscalers", ("v2", "v1", "v2beta2", "v2beta1"), "ga"),
        (17, "flowcontrol.apiserver.k8s.io", "flowschemas", ("v1alpha1",), "alpha"),
        (29, "flowcontrol.apiserver.k8s.io", "flowschemas", ("v1", "v1beta3"), "ga"),
    ],
)
def test_versions_merge(
    minor: int, group: str, resource: str, versions: tuple[str, ...], maturity: str
) -> None:
    info = rel(minor).lookup(group, resource)
    assert info is not None
    assert info.versions == versions
    assert info.maturity == maturity


@pytest.mark.parametrize(
    ("minor", "group", "preferred"),
    [
        (24, "", "v1"),
        (24, "apps", "v1"),
        (24, "autoscaling", "v2"),
        (24, "flowcontrol.apiserver.k8s.io", "v1beta2"),
        (26, "resource.k8s.io", "v1alpha1"),
        (24, "example.com", None),
    ],
)
def test_preferred_version(minor: int, group: str, preferred: str | None) -> None:
    assert rel(minor).preferred_version(group) == preferred


def test_groups() -> None:
    r = rel(24)
    groups = r.groups()
    assert {"", "apps", "batch", "policy", "rbac.authorization.k8s.io"} <= groups
    assert r.has_group("")
    assert r.has_group("apps")
    assert not r.has_group("metrics.k8s.io")
    assert not r.has_group("example.com")
    names = [i.name for i in r.resources("apps")]
    assert names == sorted(names)
    assert {"deployments", "statefulsets", "daemonsets", "replicasets"} <= set(names)
    assert r.resources("example.com") == []


# --------------------------------------------------------------------------------------
# the overlay: special verbs, pseudo-resources, kubelet subresources
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "group", "resource", "sub", "verb"),
    [
        (24, "policy", "podsecuritypolicies", None, "use"),
        (16, "extensions", "podsecuritypolicies", None, "use"),
        (24, "rbac.authorization.k8s.io", "roles", None, "bind"),
        (24, "rbac.authorization.k8s.io", "clusterroles", None, "escalate"),
        (16, "", "users", None, "impersonate"),
        (24, "", "groups", None, "impersonate"),
        (24, "", "serviceaccounts", None, "impersonate"),
        (22, "authentication.k8s.io", "uids", None, "impersonate"),
        (24, "authentication.k8s.io", "userextras", "scopes", "impersonate"),
        (24, "authentication.k8s.io", "userextras", "anything.example.com/key", "impersonate"),
        (24, "certificates.k8s.io", "signers", None, "approve"),
        (24, "certificates.k8s.io", "signers", None, "sign"),
        (27, "certificates.k8s.io", "signers", None, "attest"),
        (24, "", "nodes", "proxy", "get"),
        (24, "", "nodes", "stats", "get"),
        (24, "", "nodes", "metrics", "get"),
        (24, "", "nodes", "log", "get"),
        (24, "", "nodes", "spec", "get"),
        (25, "", "nodes", "checkpoint", "create"),
        (32, "", "nodes", "configz", "get"),
        (33, "", "nodes", "healthz", "get"),
        (37, "", "nodes", "pods", "get"),
        (35, "authentication.k8s.io", "users", None, "impersonate:user-info"),
        (35, "authentication.k8s.io", "serviceaccounts", None, "impersonate:serviceaccount"),
        (36, "resource.k8s.io", "resourceclaims", "driver", "associated-node:update"),
        (36, "resource.k8s.io", "resourceclaims", "binding", "update"),
    ],
)
def test_overlay_verbs(minor: int, group: str, resource: str, sub: str | None, verb: str) -> None:
    r = rel(minor)
    info = r.lookup(group, resource)
    assert info is not None
    verbs = info.verbs if sub is None else info.subresource_verbs(sub)
    assert verbs is not None and verb in verbs
    assert verb in r.verbs
    assert check_verb(r, verb) is None


@pytest.mark.parametrize(
    ("minor", "group", "resource", "virtual", "namespaced"),
    [
        (24, "", "users", True, False),
        (24, "", "groups", True, False),
        (24, "authentication.k8s.io", "userextras", True, False),
        (24, "authentication.k8s.io", "uids", True, False),
        (24, "certificates.k8s.io", "signers", True, False),
        (24, "", "serviceaccounts", False, True),
    ],
)
def test_pseudo_resources(minor: int, group: str, resource: str, virtual: bool, namespaced: bool) -> None:
    info = rel(minor).lookup(group, resource)
    assert info is not None
    assert info.virtual is virtual
    assert info.namespaced is namespaced
    if virtual:
        assert info.versions == ()
        assert info.maturity == "none"


@pytest.mark.parametrize(
    ("minor", "group", "resource", "sub"),
    [
        (21, "authentication.k8s.io", "uids", None),  # Impersonate-Uid is 1.22+
        (17, "certificates.k8s.io", "signers", None),  # signerName is 1.18+
        (31, "", "nodes", "configz"),  # KEP-2862 is 1.32+
        (24, "", "nodes", "checkpoint"),  # ContainerCheckpoint is 1.25+
        (34, "authentication.k8s.io", "users", None),  # constrained impersonation is 1.35+
    ],
)
def test_overlay_respects_releases(minor: int, group: str, resource: str, sub: str | None) -> None:
    info = rel(minor).lookup(group, resource)
    if sub is None:
        assert info is None
    else:
        assert info is not None and not info.has_subresource(sub)


@pytest.mark.parametrize(
    ("minor", "verb", "known"),
    [
        (24, "use", True),
        (25, "use", False),
        (26, "attest", False),
        (27, "attest", True),
        (32, "request-serviceaccounts-token-audience", False),
        (33, "request-serviceaccounts-token-audience", True),
        (24, "proxy", True),
        (24, "impersonate", True),
        (24, "deletecollection", True),
        (35, "impersonate-on:user-info:list", True),
        (35, "impersonate-on:associated-node:get", True),
        (35, "impersonate-on:serviceaccount:*", True),
        (34, "impersonate-on:user-info:list", False),
        (35, "impersonate-on:user-info:frobnicate", False),
    ],
)
def test_known_verbs(minor: int, verb: str, known: bool) -> None:
    assert rel(minor).is_known_verb(verb) is known
    assert (check_verb(rel(minor), verb) is None) is known


def test_verbs_do_not_include_wildcard() -> None:
    for version in SUPPORTED:
        r = load_release(version)
        assert "*" not in r.verbs
        assert r.verbs >= CRUD
        assert {"bind", "escalate", "impersonate"} <= r.verbs


# --------------------------------------------------------------------------------------
# check_resource / check_verb
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "text"),
    [
        (24, "pods"),
        (24, "pods/log"),
        (24, "deployments.apps"),
        (24, "deployments.apps/scale"),
        (24, "*"),
        (24, "*.apps"),
        (24, "*/scale"),
        (24, "pods/*"),
        (24, "pods.*"),
        (24, "*.example.com"),
        (24, "widgets.example.com"),  # CRD
        (24, "widgets.example.com/status"),
        (24, "pods.metrics.k8s.io"),  # aggregated API
        (24, "users"),
        (24, "userextras.authentication.k8s.io/scopes"),
        (24, "signers.certificates.k8s.io"),
        (24, "nodes/proxy"),
        (16, "deployments.extensions"),
        (24, "podsecuritypolicies.policy"),
        (37, "validatingadmissionpolicies.admissionregistration.k8s.io/status"),
    ],
)
def test_check_resource_accepts(minor: int, text: str) -> None:
    assert check_resource(rel(minor), parse_resource(text)) is None


@pytest.mark.parametrize(
    ("minor", "text", "kind", "message", "suggestion"),
    [
        (
            24,
            "pods/portfoward",
            "unknown-subresource",
            "unknown subresource `pods/portfoward` in Kubernetes 1.24",
            "pods/portforward",
        ),
        (
            24,
            "deploymens.apps",
            "unknown-resource",
            "unknown resource `deploymens.apps` in Kubernetes 1.24",
            "deployments.apps",
        ),
        (
            24,
            "deployments",
            "unknown-resource",
            "unknown resource `deployments` in the core group of Kubernetes 1.24",
            "deployments.apps",
        ),
        (
            16,
            "deployments",
            "unknown-resource",
            "unknown resource `deployments` in the core group of Kubernetes 1.16",
            "deployments.apps",
        ),
        (
            24,
            "deployments/scale",
            "unknown-resource",
            "unknown resource `deployments` in the core group of Kubernetes 1.24",
            "deployments.apps/scale",
        ),
        (24, "cronjobs", "unknown-resource", None, "cronjobs.batch"),
        (24, "ingresses", "unknown-resource", None, "ingresses.networking.k8s.io"),
        (21, "ingresses", "unknown-resource", None, "ingresses.networking.k8s.io"),
        (24, "podsecuritypolicies", "unknown-resource", None, "podsecuritypolicies.policy"),
        (24, "pod", "unknown-resource", None, "pods"),
        (24, "Pods", "unknown-resource", None, "pods"),
        (24, "deploymens", "unknown-resource", None, "deployments.apps"),
        (
            24,
            "clusterrole.rbac.authorization.k8s.io",
            "unknown-resource",
            None,
            "clusterroles.rbac.authorization.k8s.io",
        ),
        (24, "deployments.apps/scael", "unknown-subresource", None, "deployments.apps/scale"),
        (24, "pods/logs", "unknown-subresource", None, "pods/log"),
        (24, "pods/eviction/x", "unknown-subresource", None, "pods/eviction"),
        (24, "frobnicators.apps", "unknown-resource", None, None),
        (
            25,
            "podsecuritypolicies.policy",
            "unknown-resource",
            "unknown resource `podsecuritypolicies.policy` in Kubernetes 1.25 (known in 1.16 to 1.24)",
            None,
        ),
        (
            25,
            "validatingadmissionpolicies.admissionregistration.k8s.io",
            "unknown-resource",
            "unknown resource `validatingadmissionpolicies.admissionregistration.k8s.io` in Kubernetes 1.25"
            " (known in 1.26 to 1.37)",
            None,
        ),
        (
            31,
            "nodes/configz",
            "unknown-subresource",
            "unknown subresource `nodes/configz` in Kubernetes 1.31 (known in 1.32 to 1.37)",
            None,
        ),
        (24, "my-registry-audience", "unknown-resource", None, None),
    ],
)
def test_check_resource_problems(
    minor: int, text: str, kind: str, message: str | None, suggestion: str | None
) -> None:
    problem = check_resource(rel(minor), parse_resource(text))
    assert isinstance(problem, Problem)
    assert problem.kind == kind
    if message is not None:
        assert problem.message == message
    assert_one_lowercase_sentence(problem.message)
    assert problem.suggestion == suggestion
    if suggestion is not None:
        assert check_resource(rel(minor), parse_resource(suggestion)) is None


def test_free_form_resource_verbs() -> None:
    ref = parse_resource("my-registry-audience")
    verbs = ["request-serviceaccounts-token-audience"]
    assert check_resource(rel(33), ref, verbs=verbs) is None
    assert check_resource(rel(32), ref, verbs=verbs) is not None
    assert check_resource(rel(33), ref, verbs=["get"]) is not None
    assert "request-serviceaccounts-token-audience" in rel(33).any_resource_verbs("")


@pytest.mark.parametrize(
    ("minor", "verb", "message", "suggestion"),
    [
        (24, "lsit", "unknown verb `lsit` in Kubernetes 1.24", "list"),
        (24, "Get", "unknown verb `Get` in Kubernetes 1.24", "get"),
        (24, "escalte", None, "escalate"),
        (24, "impersonat", None, "impersonate"),
        (24, "deletecolection", None, "deletecollection"),
        (24, "frobnicate", "unknown verb `frobnicate` in Kubernetes 1.24", None),
        (25, "use", "unknown verb `use` in Kubernetes 1.25 (known in 1.16 to 1.24)", None),
        (35, "impersonate-on:user-info:lsit", None, "impersonate-on:user-info:list"),
    ],
)
def test_check_verb_problems(minor: int, verb: str, message: str | None, suggestion: str | None) -> None:
    problem = check_verb(rel(minor), verb)
    assert problem is not None
    assert problem.kind == "unknown-verb"
    if message is not None:
        assert problem.message == message
    assert_one_lowercase_sentence(problem.message)
    assert problem.suggestion == suggestion


@pytest.mark.parametrize("verb", ["*", "get", "list", "watch", "create", "update", "patch", "delete"])
def test_check_verb_accepts(verb: str) -> None:
    for version in (OLDEST, (1, 24), NEWEST):
        assert check_verb(load_release(version), verb) is None


def test_custom_verbs_on_crds_are_accepted() -> None:
    crd = parse_resource("securitycontextconstraints.security.openshift.io")
    assert check_verb(rel(25), "use", resource=crd) is None
    assert check_verb(rel(25), "use", resource=parse_resource("pods")) is not None
    assert check_verb(rel(25), "use", resource=parse_resource("*")) is not None

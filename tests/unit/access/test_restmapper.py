"""kubectl's resource spellings, per release (policyc/access/restmapper.py).

The expectations are kubectl's answers: `kubectl auth can-i VERB TYPE` maps TYPE with the REST
mapper of the cluster's discovery (staging/src/k8s.io/kubectl/pkg/cmd/auth/cani.go resourceFor;
k8s.io/client-go/restmapper shortcut.go and discovery.go; k8s.io/apimachinery/pkg/api/meta
restmapper.go and priority.go), short names from each resource's REST storage
(pkg/registry/*/*/storage/storage.go ShortNames()).
"""

from __future__ import annotations

import pytest

from policyc.access.restmapper import AmbiguousResource, RestMapper, custom_resources
from policyc.k8s import releases
from policyc.k8s.releases import Release

NEWEST = releases.format_version(releases.NEWEST)

# release, spelling, (group, resource), kubectl's warnings
SPELLINGS = [
    # plural, singular, kind (any case), short name
    (NEWEST, "pods", ("", "pods"), ()),
    (NEWEST, "pod", ("", "pods"), ()),
    (NEWEST, "Pod", ("", "pods"), ()),
    (NEWEST, "po", ("", "pods"), ()),
    (NEWEST, "PO", ("", "pods"), ()),
    (NEWEST, "svc", ("", "services"), ()),
    (NEWEST, "cm", ("", "configmaps"), ()),
    (NEWEST, "sa", ("", "serviceaccounts"), ()),
    (NEWEST, "ns", ("", "namespaces"), ()),
    (NEWEST, "no", ("", "nodes"), ()),
    (NEWEST, "pv", ("", "persistentvolumes"), ()),
    (NEWEST, "pvc", ("", "persistentvolumeclaims"), ()),
    (NEWEST, "rc", ("", "replicationcontrollers"), ()),
    (NEWEST, "quota", ("", "resourcequotas"), ()),
    (NEWEST, "limits", ("", "limitranges"), ()),
    (NEWEST, "ep", ("", "endpoints"), ()),
    (NEWEST, "endpoints", ("", "endpoints"), ()),
    (NEWEST, "cs", ("", "componentstatuses"), ()),
    # groups found without being named
    (NEWEST, "deploy", ("apps", "deployments"), ()),
    (NEWEST, "deployment", ("apps", "deployments"), ()),
    (NEWEST, "Deployment", ("apps", "deployments"), ()),
    (NEWEST, "deployments", ("apps", "deployments"), ()),
    (NEWEST, "ds", ("apps", "daemonsets"), ()),
    (NEWEST, "rs", ("apps", "replicasets"), ()),
    (NEWEST, "sts", ("apps", "statefulsets"), ()),
    (NEWEST, "cj", ("batch", "cronjobs"), ()),
    (NEWEST, "job", ("batch", "jobs"), ()),
    (NEWEST, "hpa", ("autoscaling", "horizontalpodautoscalers"), ()),
    (NEWEST, "csr", ("certificates.k8s.io", "certificatesigningrequests"), ()),
    (NEWEST, "crd", ("apiextensions.k8s.io", "customresourcedefinitions"), ()),
    (NEWEST, "crds", ("apiextensions.k8s.io", "customresourcedefinitions"), ()),
    (NEWEST, "ing", ("networking.k8s.io", "ingresses"), ()),
    (NEWEST, "netpol", ("networking.k8s.io", "networkpolicies"), ()),
    (NEWEST, "pdb", ("policy", "poddisruptionbudgets"), ()),
    (NEWEST, "pc", ("scheduling.k8s.io", "priorityclasses"), ()),
    (NEWEST, "sc", ("storage.k8s.io", "storageclasses"), ()),
    (NEWEST, "clusterrole", ("rbac.authorization.k8s.io", "clusterroles"), ()),
    # with the group, the group with a version, a group prefix, a short name in its group
    (NEWEST, "deployment.apps", ("apps", "deployments"), ()),
    (NEWEST, "deployments.apps", ("apps", "deployments"), ()),
    (NEWEST, "deploy.apps", ("apps", "deployments"), ()),
    (NEWEST, "deployments.v1.apps", ("apps", "deployments"), ()),
    (NEWEST, "Deployment.v1.apps", ("apps", "deployments"), ()),
    (NEWEST, "ingresses.networking.k8s.io", ("networking.k8s.io", "ingresses"), ()),
    (NEWEST, "ingresses.v1.networking.k8s.io", ("networking.k8s.io", "ingresses"), ()),
    (NEWEST, "storageclasses.storage", ("storage.k8s.io", "storageclasses"), ()),
    (NEWEST, "hpa.autoscaling", ("autoscaling", "horizontalpodautoscalers"), ()),
    # core first in discovery: `events` is the core group's; the short name warns
    (NEWEST, "events", ("", "events"), ()),
    (NEWEST, "event", ("", "events"), ()),
    (NEWEST, "ev", ("", "events"),
     ('short name "ev" could also match lower priority resource events.events.k8s.io',)),
    (NEWEST, "events.events.k8s.io", ("events.k8s.io", "events"), ()),
    # `extensions` came first in discovery while it served ingresses (to 1.21)
    ("1.19", "ingresses", ("extensions", "ingresses"), ()),
    ("1.21", "ing", ("extensions", "ingresses"),
     ('short name "ing" could also match lower priority resource ingresses.networking.k8s.io',)),
    ("1.21", "ingresses.networking.k8s.io", ("networking.k8s.io", "ingresses"), ()),
    ("1.22", "ing", ("networking.k8s.io", "ingresses"), ()),
    # ... but 1.16 stopped serving its deployments, daemonsets, replicasets, network policies, PSPs
    ("1.16", "deploy", ("apps", "deployments"), ()),
    ("1.16", "psp", ("policy", "podsecuritypolicies"), ()),
    ("1.16", "netpol", ("networking.k8s.io", "networkpolicies"), ()),
    ("1.24", "psp", ("policy", "podsecuritypolicies"), ()),
    # resources of some releases only
    ("1.30", "vac", ("storage.k8s.io", "volumeattributesclasses"), ()),
    ("1.24", "vac", ("", "vac"), ("the server doesn't have a resource type 'vac'",)),
    ("1.25", "psp", ("", "psp"), ("the server doesn't have a resource type 'psp'",)),
    # unknown: kubectl warns and asks as written; `users` and `groups` without a warning
    (NEWEST, "podz", ("", "podz"), ("the server doesn't have a resource type 'podz'",)),
    (NEWEST, "foos.example.com", ("example.com", "foos"),
     ("the server doesn't have a resource type 'foos' in group 'example.com'",)),
    (NEWEST, "users", ("", "users"), ()),
    (NEWEST, "groups", ("", "groups"), ()),
    (NEWEST, "signers.certificates.k8s.io", ("certificates.k8s.io", "signers"), ()),
    # wildcards
    (NEWEST, "*", ("", "*"), ()),
    (NEWEST, "*.apps", ("apps", "*"), ()),
]


@pytest.mark.parametrize(("release", "spelling", "want", "warnings"), SPELLINGS,
                         ids=[f"{r}-{s}" for r, s, _, _ in SPELLINGS])
def test_spellings_resolve_as_kubectl_does(release: str, spelling: str, want: tuple[str, str],
                                           warnings: tuple[str, ...]) -> None:
    mapped = RestMapper(releases.load_release(releases.parse_version(release))).resolve(spelling)
    assert (mapped.group, mapped.resource) == want
    assert mapped.warnings == warnings


@pytest.mark.parametrize("version", releases.SUPPORTED, ids=releases.format_version)
def test_every_resource_of_every_release_resolves_by_every_exact_spelling(version: tuple[int, int]) -> None:
    """plural.group, singular.group, Kind.group and plural.version.group name exactly one resource."""
    release = releases.load_release(version)
    mapper = RestMapper(release)
    checked = 0
    for group in release.groups():
        for info in release.resources(group):
            if info.virtual or not info.kind or not mapper.resolve(info.qualified_name).known:
                continue  # pseudo-resources; 1.16/1.17's unserved extensions copies
            spellings = [f"{n}.{group}" if group else n for n in (info.name, info.singular, info.kind)]
            spellings += [f"{info.name}.{v}.{group}" for v in info.versions if group]
            for s in spellings:
                mapped = mapper.resolve(s)
                assert (mapped.group, mapped.resource, mapped.warnings) == (group, info.name, ()), s
                checked += 1
    assert checked > 150


@pytest.mark.parametrize("version", releases.SUPPORTED, ids=releases.format_version)
def test_the_tables_carry_kinds_and_short_names(version: tuple[int, int]) -> None:
    release = releases.load_release(version)
    pods, deployments = release.lookup("", "pods"), release.lookup("apps", "deployments")
    assert pods is not None and (pods.kind, pods.singular, pods.short_names) == ("Pod", "pod", ("po",))
    assert deployments is not None and deployments.short_names == ("deploy",)
    assert release.discovery_order[0] == ""  # the legacy group comes first


def _release(resources: dict[str, dict]) -> Release:
    doc = {"client": "test", "verbs": ["get"], "overlay": [], "discovery_order": ["example.com"],
           "groups": {"example.com": {"preferred": "v1", "versions": ["v1"], "resources": resources}}}
    return Release((1, 99), doc)


def test_a_spelling_discovery_order_cannot_decide_is_ambiguous() -> None:
    """Two resources of one group and version: `foo` is the singular of `foos` and the plural of `foo`."""
    res = {"namespaced": True, "verbs": ["get"], "versions": ["v1"]}
    mapper = RestMapper(_release({"foos": {**res, "kind": "Foo"}, "foo": {**res, "kind": "Fooish"}}))
    with pytest.raises(AmbiguousResource) as err:
        mapper.resolve("foo")
    assert err.value.candidates == ["foo.example.com", "foos.example.com"]
    assert str(err.value) == ("`foo` is ambiguous: it matches `foo.example.com`, `foos.example.com`; "
                              "name the group (e.g. `resource.group`)")
    assert mapper.resolve("foos").resource == "foos"  # a plural is never expanded further


CRDS = [
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "certificates.cert-manager.io"},
     "spec": {"group": "cert-manager.io", "scope": "Namespaced",
              "names": {"plural": "certificates", "singular": "certificate", "kind": "Certificate",
                        "shortNames": ["cert", "certs"]},
              "versions": [{"name": "v1", "served": True}, {"name": "v1alpha2", "served": False}]}},
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "clusterissuers.cert-manager.io"},
     "spec": {"group": "cert-manager.io", "scope": "Cluster",
              "names": {"plural": "clusterissuers", "kind": "ClusterIssuer"}, "versions": [{"name": "v1"}]}},
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "certificates.example.com"},
     "spec": {"group": "example.com", "scope": "Namespaced",
              "names": {"plural": "certificates", "kind": "Certificate", "shortNames": ["cert"]},
              "versions": [{"name": "v1beta1"}]}},
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "broken"},
     "spec": {"names": {"plural": "x"}}},
]


def test_custom_resources_of_a_model_are_known_as_discovery_lists_them() -> None:
    """CRD groups come after the built-in ones, then by name: `cert` is cert-manager's (with
    kubectl's warning); scope comes from the definition."""
    custom, notes = custom_resources(CRDS)
    assert notes == ["note: CustomResourceDefinition `broken` has no group, plural, kind or served version; "
                     "its resource is not known by its short names or kind"]
    mapper = RestMapper(releases.load_release((1, 30)), custom)
    cert = mapper.resolve("cert")
    assert (cert.group, cert.resource, cert.namespaced) == ("cert-manager.io", "certificates", True)
    assert cert.warnings == ('short name "cert" could also match lower priority resource certificates.example.com',)
    for spelling in ("certificate", "Certificate.cert-manager.io", "certificates.v1.cert-manager.io", "certs"):
        assert (mapper.resolve(spelling).group, mapper.resolve(spelling).warnings) == ("cert-manager.io", ()), spelling
    issuer = mapper.resolve("clusterissuer")
    assert (issuer.group, issuer.resource, issuer.namespaced) == ("cert-manager.io", "clusterissuers", False)
    other = mapper.resolve("cert.example.com")
    assert (other.group, other.resource, other.warnings) == ("example.com", "certificates", ())

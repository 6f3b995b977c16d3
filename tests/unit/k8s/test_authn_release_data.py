"""The kube-apiserver release data, row by row from the sources cited in policyc/data/apiserver/releases.yaml."""

from __future__ import annotations

import pytest

from policyc.k8s import apiserver as api
from policyc.k8s.releases import SUPPORTED

# (plugin, release, compiled into kube-apiserver of that release)
PLUGINS = [
    # PodSecurity: alpha in 1.22 (kubernetes/kubernetes#103099)
    ("PodSecurity", (1, 21), False),
    ("PodSecurity", (1, 22), True),
    ("PodSecurity", (1, 37), True),
    # policy/v1beta1 and its plugin removed in 1.25
    ("PodSecurityPolicy", (1, 16), True),
    ("PodSecurityPolicy", (1, 24), True),
    ("PodSecurityPolicy", (1, 25), False),
    # kubernetes/kubernetes#94090: PodPreset API and plugin removed in 1.20
    ("PodPreset", (1, 19), True),
    ("PodPreset", (1, 20), False),
    # kubernetes/kubernetes#98669: removed for 1.21
    ("DenyEscalatingExec", (1, 20), True),
    ("DenyEscalatingExec", (1, 21), False),
    ("DenyExecOnPrivileged", (1, 21), False),
    # kubernetes/kubernetes#122612 (Feb 2024): gone in 1.30
    ("SecurityContextDeny", (1, 29), True),
    ("SecurityContextDeny", (1, 30), False),
    # kubernetes/kubernetes#124505 (May 2024): gone in 1.31
    ("PersistentVolumeLabel", (1, 30), True),
    ("PersistentVolumeLabel", (1, 31), False),
    # plugins.go release-1.18 adds the certificate plugins and DefaultIngressClass
    ("CertificateApproval", (1, 17), False),
    ("CertificateSigning", (1, 18), True),
    ("CertificateSubjectRestriction", (1, 18), True),
    ("DefaultIngressClass", (1, 18), True),
    ("DenyServiceExternalIPs", (1, 20), False),
    ("DenyServiceExternalIPs", (1, 21), True),
    ("ValidatingAdmissionPolicy", (1, 25), False),
    ("ValidatingAdmissionPolicy", (1, 26), True),
    ("ClusterTrustBundleAttest", (1, 27), True),
    ("MutatingAdmissionPolicy", (1, 31), False),
    ("MutatingAdmissionPolicy", (1, 32), True),
    ("PodTopologyLabels", (1, 32), False),
    ("PodTopologyLabels", (1, 33), True),
    ("NodeDeclaredFeatureValidator", (1, 35), True),
    ("PodGroupWorkloadExists", (1, 36), True),
    ("PodGroupWorkloadExists", (1, 37), False),
    # present in every supported release
    ("NodeRestriction", (1, 16), True),
    ("NodeRestriction", (1, 37), True),
    ("AlwaysAdmit", (1, 37), True),
    ("EventRateLimit", (1, 16), True),
]


@pytest.mark.parametrize(("plugin", "release", "present"), PLUGINS)
def test_admission_plugin_per_release(plugin: str, release: tuple[int, int], present: bool) -> None:
    assert (plugin in api.admission_plugins(release)) is present


def test_unknown_plugin_has_no_availability() -> None:
    assert api.admission_plugin("NoSuchPlugin") is None
    assert api.admission_plugin("PodSecurityPolicy").describe_absence((1, 25)) == "it was removed in 1.25"
    assert api.admission_plugin("PodSecurity").describe_absence((1, 21)) == "it was added in 1.22"


@pytest.mark.parametrize("release", SUPPORTED)
def test_every_release_has_the_core_plugins_and_modes(release: tuple[int, int]) -> None:
    plugins = api.admission_plugins(release)
    assert {"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction", "ResourceQuota"} <= plugins
    assert api.default_on_plugins() <= plugins
    for mode in ("AlwaysAllow", "AlwaysDeny", "ABAC", "Webhook", "RBAC", "Node"):
        availability = api.authorization_mode(mode)
        assert availability is not None and availability.exists_in(release)


@pytest.mark.parametrize(
    ("release", "present"), [((1, 16), True), ((1, 18), True), ((1, 19), False), ((1, 30), False)]
)
def test_basic_auth_file_removed_in_1_19(release: tuple[int, int], present: bool) -> None:
    # kubernetes/kubernetes#89069
    assert api.flag("basic-auth-file").exists_in(release) is present


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ((1, 28), None),
        ((1, 29), ("apiserver.config.k8s.io/v1alpha1", "StructuredAuthenticationConfiguration")),
        ((1, 30), ("apiserver.config.k8s.io/v1beta1", None)),
        ((1, 33), ("apiserver.config.k8s.io/v1beta1", None)),
        ((1, 34), ("apiserver.config.k8s.io/v1", None)),
        ((1, 37), ("apiserver.config.k8s.io/v1", None)),
    ],
)
def test_authentication_configuration_versions(release: tuple[int, int], expected: tuple | None) -> None:
    # v1alpha1 1.29 (gate off), v1beta1 1.30 (#123696), v1 1.34 (#131752)
    assert api.authentication_config(release) == expected


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ((1, 16), "kubeadm.k8s.io/v1beta2"),
        ((1, 21), "kubeadm.k8s.io/v1beta2"),
        ((1, 22), "kubeadm.k8s.io/v1beta3"),
        ((1, 30), "kubeadm.k8s.io/v1beta3"),
        ((1, 31), "kubeadm.k8s.io/v1beta4"),
        ((1, 37), "kubeadm.k8s.io/v1beta4"),
    ],
)
def test_kubeadm_api_version(release: tuple[int, int], version: str) -> None:
    assert api.kubeadm_api_version(release) == version


@pytest.mark.parametrize(
    ("release", "api_version", "signer", "expiration"),
    [
        ((1, 16), "certificates.k8s.io/v1beta1", False, False),
        ((1, 17), "certificates.k8s.io/v1beta1", False, False),
        ((1, 18), "certificates.k8s.io/v1beta1", True, False),
        ((1, 19), "certificates.k8s.io/v1", True, False),
        ((1, 21), "certificates.k8s.io/v1", True, False),
        ((1, 22), "certificates.k8s.io/v1", True, True),
        ((1, 37), "certificates.k8s.io/v1", True, True),
    ],
)
def test_csr_api(release: tuple[int, int], api_version: str, signer: bool, expiration: bool) -> None:
    assert api.csr_api(release) == api.CsrApi(api_version, signer, expiration)


@pytest.mark.parametrize(("release", "needed"), [((1, 23), False), ((1, 24), True), ((1, 37), True)])
def test_service_account_token_secrets_from_1_24(release: tuple[int, int], needed: bool) -> None:
    assert api.sa_token_secret_needed(release) is needed


def test_every_entry_after_the_oldest_release_cites_a_source() -> None:
    for name in ("PodSecurity", "PodSecurityPolicy", "SecurityContextDeny", "PersistentVolumeLabel", "PodPreset"):
        availability = api.admission_plugin(name)
        assert availability is not None and availability.source, name
    assert api.flag("basic-auth-file").source

"""Kubeconfigs for token, certificate and basic users and for service accounts, in the secrets directory.

A kubeconfig embeds its credential, so it is a secret: it is written through SecretStore (0600,
atomic, never where git would commit it) and only its path is printed.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from policyc.backends.authn import csr_name
from policyc.model.authn import UserCredential
from policyc.output.credentials import serviceaccount_kubeconfig, user_dir, user_files, user_kubeconfig
from policyc.output.secrets import SecretsError, SecretStore
from policyc.output.yaml import dump

__all__ = ["KubeconfigResult", "render", "write_serviceaccount", "write_user"]


@dataclass
class KubeconfigResult:
    """Where the kubeconfig went (relative to the secrets directory) and warnings for the admin."""

    path: str
    notes: list[str] = field(default_factory=list)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_ca(ca_pem: bytes | None) -> None:
    if ca_pem is None:
        return
    try:
        x509.load_pem_x509_certificates(ca_pem)
    except ValueError:
        raise SecretsError("the --ca file is not a PEM certificate") from None


def render(
    *, cluster: str, server: str, ca_pem: bytes | None, user: str, auth: dict[str, Any], namespace: str | None = None
) -> str:
    """A kubeconfig with one cluster, one user and the context joining them."""
    cluster_entry: dict[str, Any] = {"server": server}
    if ca_pem is not None:
        cluster_entry["certificate-authority-data"] = _b64(ca_pem)
    context: dict[str, Any] = {"cluster": cluster, "user": user}
    if namespace:
        context["namespace"] = namespace
    name = f"{user}@{cluster}"
    return dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": cluster_entry}],
            "contexts": [{"name": name, "context": context}],
            "current-context": name,
            "preferences": {},
            "users": [{"name": user, "user": auth}],
        }
    )


def _public(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _certificate_auth(store: SecretStore, cred: UserCredential, cert_pem: bytes | None, notes: list[str]) -> dict:
    key_rel = user_files(cred)[0]
    cert_rel = f"{user_dir(cred.name)}/cert.pem"
    key_pem = store.read(key_rel)
    if key_pem is None:
        raise SecretsError(f"user `{cred.name}` has no key in {store.root}: run `policyc build` first")
    if cert_pem is None:
        cert_pem = store.read(cert_rel)
    if cert_pem is None:
        raise SecretsError(
            f"user `{cred.name}` needs its signed certificate: approve the CSR, then "
            f"`kubectl get csr {csr_name(cred.name)} -o jsonpath='{{.status.certificate}}' | base64 -d > cert.pem` "
            "and pass --cert cert.pem"
        )
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except ValueError:
        raise SecretsError("the certificate (--cert) or the user's key is not valid PEM") from None
    if _public(cert.public_key()) != _public(key.public_key()):
        raise SecretsError(f"the certificate was not issued for the key of user `{cred.name}` (public keys differ)")
    names = [a.value for a in cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)]
    if names != [cred.name]:
        raise SecretsError(f"the certificate is for CN={','.join(map(str, names))}, not `{cred.name}`")
    if cert.not_valid_after_utc < datetime.datetime.now(datetime.UTC):
        notes.append(f"the certificate of `{cred.name}` expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    store.write(cert_rel, cert_pem)
    return {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)}


def write_user(
    store: SecretStore,
    cred: UserCredential,
    *,
    server: str,
    cluster: str,
    ca_pem: bytes | None = None,
    cert_pem: bytes | None = None,
) -> KubeconfigResult:
    """Write the kubeconfig of a token, basic or certificate user; raises SecretsError."""
    _check_ca(ca_pem)
    notes: list[str] = []
    if cred.method in ("token", "basic"):
        secret = store.read(user_files(cred)[0])
        if secret is None or not secret.strip():
            raise SecretsError(f"user `{cred.name}` has no {cred.method} in {store.root}: run `policyc build` first")
        try:
            value = secret.strip().decode("ascii")
        except UnicodeDecodeError:
            raise SecretsError(f"{store.path(user_files(cred)[0])} is not a token policyc wrote (not ASCII); "
                               f"run `policyc rotate {cred.name}`") from None
        auth = {"token": value} if cred.method == "token" else {"username": cred.name, "password": value}
    else:
        auth = _certificate_auth(store, cred, cert_pem, notes)
    rel = user_kubeconfig(cred.name)
    with store.locked():  # a build issuing credentials at the same time must not interleave
        store.prepare()
        store.check_git([rel])
        store.write(rel, render(cluster=cluster, server=server, ca_pem=ca_pem, user=cred.name, auth=auth).encode())
    return KubeconfigResult(rel, notes)


def write_serviceaccount(
    store: SecretStore,
    namespace: str,
    name: str,
    token: str,
    *,
    server: str,
    cluster: str,
    ca_pem: bytes | None = None,
) -> KubeconfigResult:
    """Write the kubeconfig of a service account from its token (read from the cluster by the admin)."""
    _check_ca(ca_pem)
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise SecretsError("the service-account token is empty or not a single word")
    rel = serviceaccount_kubeconfig(namespace, name)
    user = f"system:serviceaccount:{namespace}:{name}"
    text = render(cluster=cluster, server=server, ca_pem=ca_pem, user=user, auth={"token": token}, namespace=namespace)
    with store.locked():
        store.prepare()
        store.check_git([rel])
        store.write(rel, text.encode())
    return KubeconfigResult(rel)

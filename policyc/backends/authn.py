"""Authentication objects: CertificateSigningRequests for certificate users, token Secrets for service accounts.

The CSR of a user is only emitted when the credential stage issued its request (generated in
the secrets directory, never the key): it comes in `Credentials`; a backend reads no files.
"""

from __future__ import annotations

import base64
import hashlib
import re

from policyc.backends.contract import Backend, Credentials, Emitted
from policyc.backends.meta import metadata
from policyc.k8s import apiserver as api
from policyc.k8s.names import dns1123_subdomain
from policyc.model.authn import ServiceAccountToken, UserCredential
from policyc.model.manifest import Manifest
from policyc.model.program import Program

# The signer for client certificates the API server accepts (certificates.k8s.io signers:
# "kubernetes.io/kube-apiserver-client ... usages must include client auth").
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
USER_ANNOTATION = "policyc.dev/user"


def _safe_name(text: str, suffix: str = "") -> str:
    """`text` + `suffix` as a DNS-1123 subdomain; a hash keeps changed or shortened names unique."""
    name = text + suffix
    if dns1123_subdomain(name) is None:
        return name
    slug = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.") or "user"
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{slug[: 253 - len(suffix) - 9]}-{digest}{suffix}"


def csr_name(user: str) -> str:
    """The CertificateSigningRequest name of a user: the user name when it is a valid object name."""
    return _safe_name(user)


def token_secret_name(sa: str) -> str:
    """The name of the token Secret of service account `sa`."""
    return _safe_name(sa, "-token")


def csr_manifest(cred: UserCredential, pem: str, release: tuple[int, int]) -> Manifest:
    """A CertificateSigningRequest for the kube-apiserver-client signer, in the release's API version."""
    csr = api.csr_api(release)
    name = csr_name(cred.name)
    spec: dict = {"request": base64.b64encode(pem.encode("ascii")).decode("ascii")}
    if csr.signer_name:
        spec["signerName"] = CLIENT_SIGNER
    if csr.expiration and cred.expiration_seconds is not None:
        spec["expirationSeconds"] = cred.expiration_seconds
    spec["usages"] = ["client auth"]
    meta = metadata(name, None, cred.sources)
    meta["annotations"] = dict(sorted({**meta.get("annotations", {}), USER_ANNOTATION: cred.name}.items()))
    body = {"apiVersion": csr.api_version, "kind": "CertificateSigningRequest", "metadata": meta, "spec": spec}
    return Manifest(csr.api_version, "CertificateSigningRequest", name, None, body, cred.sources)


def pending_requests(program: Program, credentials: Credentials) -> list[str]:
    """Certificate users whose CSR object waits for the request `policyc build` makes with their key.

    `check` issues no key, so it knows these objects only in number: `build` writes them.
    """
    return [c.name for c in program.authn.credentials if c.method == "certificate" and c.name not in
            credentials.csr_requests]


def token_secret_manifest(sa: ServiceAccountToken) -> Manifest:
    """An empty `kubernetes.io/service-account-token` Secret; the token controller fills it in."""
    name = token_secret_name(sa.name)
    meta = metadata(name, sa.namespace, sa.sources)
    meta["annotations"] = dict(sorted({**meta.get("annotations", {}), SA_NAME_ANNOTATION: sa.name}.items()))
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": TOKEN_SECRET_TYPE}
    return Manifest("v1", "Secret", name, sa.namespace, body, sa.sources)


def emit(program: Program, credentials: Credentials) -> Emitted:
    """CSRs of certificate users whose request was issued; token Secrets on releases that need them."""
    out: list[Manifest] = []
    for cred in program.authn.credentials:
        pem = credentials.csr_requests.get(cred.name)
        if cred.method == "certificate" and pem is not None:
            out.append(csr_manifest(cred, pem, program.release))
    if api.sa_token_secret_needed(program.release):
        out.extend(token_secret_manifest(sa) for sa in program.authn.sa_tokens)
    return Emitted(tuple(out))


BACKEND = Backend("authn", emit)

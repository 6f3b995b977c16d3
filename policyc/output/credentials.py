"""Users' credentials in the secrets directory: tokens, passwords, keys, CSRs and the API server's files.

Layout of the secrets directory (all files 0600, see policyc.output.secrets):

    users/<user>/token                 a token user's bearer token
    users/<user>/password              a basic user's password (Kubernetes 1.18 and earlier)
    users/<user>/key.pem, csr.pem      a certificate user's private key and its request
    users/<user>/cert.pem              the signed certificate, once given to `policyc kubeconfig`
    apiserver/tokens.csv               the static token file (--token-auth-file)
    apiserver/basic-auth.csv           the static password file (--basic-auth-file)
    kubeconfigs/...                    written by `policyc kubeconfig`

A rebuild keeps every existing credential byte for byte; `rotate` replaces one user's on
purpose. A CSR is rewritten (with the same key) only when the user's groups changed. Tokens
come from the `secrets` module (43 URL-safe characters), keys from `cryptography`.
"""

from __future__ import annotations

import base64
import csv
import io
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policyc.backends.authn import USER_ANNOTATION
from policyc.k8s import credfile
from policyc.k8s.yamlread import load_all
from policyc.model.authn import UserCredential
from policyc.model.program import Program
from policyc.output.atomic import read_regular
from policyc.output.secrets import SecretsError, SecretStore, file_component
from policyc.output.tree import kind_plural

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

# `cryptography` (about 28 ms to import) is imported by the functions that make or read keys and
# certificate requests: a build whose policy has no certificate user never needs it.

__all__ = [
    "BASIC_AUTH_FILE",
    "TOKEN_FILE",
    "IssueReport",
    "commit_credentials",
    "csr_subject",
    "issue_credentials",
    "plan_credentials",
    "requests_in_tree",
    "rotate",
    "serviceaccount_kubeconfig",
    "static_file",
    "user_files",
    "user_kubeconfig",
]

TOKEN_FILE = "apiserver/tokens.csv"
BASIC_AUTH_FILE = "apiserver/basic-auth.csv"
KUBECONFIG_DIR = "kubeconfigs"


@dataclass
class IssueReport:
    """What issuing did; paths are relative to the secrets directory and sorted."""

    root: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    requests: dict[str, str] = field(default_factory=dict)  # certificate user -> CSR PEM (public)
    pending: dict[str, bytes] = field(default_factory=dict, repr=False)  # to write on commit
    exposed: list[str] = field(default_factory=list, repr=False)  # paths the git check covers

    @property
    def files(self) -> list[str]:
        """Every credential file of the policy."""
        return sorted(self.written + self.kept)


def user_dir(user: str) -> str:
    """The folder of a user's credentials, relative to the secrets directory."""
    return f"users/{file_component(user)}"


def user_kubeconfig(user: str) -> str:
    """Where `policyc kubeconfig` writes a user's kubeconfig, relative to the secrets directory."""
    return f"{KUBECONFIG_DIR}/{file_component(user)}.kubeconfig"


def serviceaccount_kubeconfig(namespace: str, name: str) -> str:
    """Where `policyc kubeconfig` writes a service account's kubeconfig."""
    return f"{KUBECONFIG_DIR}/serviceaccounts/{file_component(namespace)}/{file_component(name)}.kubeconfig"


def user_files(cred: UserCredential) -> list[str]:
    """The secret files of one credential."""
    base = user_dir(cred.name)
    return {
        "token": [f"{base}/token"],
        "basic": [f"{base}/password"],
        "certificate": [f"{base}/key.pem", f"{base}/csr.pem"],
    }.get(cred.method, [])


def _new_secret(method: str) -> bytes:
    # 32 random bytes -> 43 URL-safe characters (no comma or quote to escape in the CSV files).
    return (secrets.token_urlsafe(32) if method == "token" else secrets.token_urlsafe(24)).encode("ascii")


def csr_subject(cred: UserCredential) -> x509.Name:
    """CN=<user>, then one O= per group: how the API server reads a client certificate's identity."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cred.name)]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in cred.groups]
    return x509.Name(attrs)


def _new_key(size: int) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=size)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(store: SecretStore, rel: str, user: str, data: bytes) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SecretsError(
            f"{store.path(rel)} is not a readable private key; run `policyc rotate {user}` to replace it"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SecretsError(f"{store.path(rel)} is not an RSA key; run `policyc rotate {user}` to replace it")
    return key


def _csr_matches(pem: bytes, key: rsa.RSAPrivateKey, cred: UserCredential) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        csr = x509.load_pem_x509_csr(pem)
    except ValueError:
        return False
    same_key = csr.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return same_key and csr.is_signature_valid and csr.subject == csr_subject(cred)


def _new_csr(key: rsa.RSAPrivateKey, cred: UserCredential) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    csr = x509.CertificateSigningRequestBuilder().subject_name(csr_subject(cred)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def static_file(rows: list[tuple[str, str, str, tuple[str, ...]]]) -> str:
    """The API server's static token or password file: `secret,user,uid,"group1,group2"`.

    Written with Python's csv module (quoting only where needed), which the API server's Go
    `encoding/csv` reader parses the same way (kubernetes.io docs, "Static token file": more
    than one group must be double quoted). No groups: three columns, since an empty fourth
    column would be read as the group "".
    """
    ordered = sorted(rows, key=lambda r: r[1])
    # tokenfile.go keys its table by the token: for a duplicate it only warns, and the later line
    # wins, so one user would log on as the other (a secret file copied between users).
    owners: dict[str, str] = {}
    for secret, user, _uid, _groups in ordered:
        if secret in owners:
            raise SecretsError(f"users `{owners[secret]}` and `{user}` have the same secret; the API server would "
                               f"take both for `{user}`: run `policyc rotate {user}`")
        owners[secret] = user
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for secret, user, uid, groups in ordered:
        writer.writerow([secret, user, uid, ",".join(groups)] if groups else [secret, user, uid])
    text = out.getvalue()
    # Fail closed: the file must read back, with the API server's reader, as exactly these identities
    # (the checks refuse what would not, PC193; this guards the writer itself).
    expected = [credfile.Record(s, u, i, tuple(g) if g else None) for s, u, i, g in ordered]
    try:
        same = credfile.read(text) == expected
    except credfile.CsvError:
        same = False
    if not same:
        raise SecretsError("a static credential file would not read back as written; no file was written")
    return text


class _Issuer:
    """Works out the credentials of a program: what exists is kept, what is missing is made in
    memory (`report.pending`) and written only by `commit_credentials`."""

    def __init__(self, store: SecretStore, write: bool) -> None:
        self.store = store
        self.write_enabled = write
        self.report = IssueReport(store.root)

    def _put(self, rel: str, data: bytes) -> None:
        self.report.pending[rel] = data

    def secret(self, cred: UserCredential) -> bytes | None:
        rel = user_files(cred)[0]
        existing = self.store.read(rel)
        if existing is not None and existing.strip():
            self.report.kept.append(rel)
            return existing.strip()
        if not self.write_enabled:
            return None
        value = _new_secret(cred.method)
        self._put(rel, value + b"\n")
        return value

    def csr(self, cred: UserCredential) -> str | None:
        key_rel, csr_rel = user_files(cred)
        key_pem = self.store.read(key_rel)
        if key_pem is None:
            if not self.write_enabled:
                return None
            key_pem = _new_key(cred.key_size)
            self._put(key_rel, key_pem)
        else:
            self.report.kept.append(key_rel)
        key = _load_key(self.store, key_rel, cred.name, key_pem)
        csr_pem = self.store.read(csr_rel)
        if csr_pem is not None and _csr_matches(csr_pem, key, cred):
            self.report.kept.append(csr_rel)
        elif not self.write_enabled:
            return None
        else:
            csr_pem = _new_csr(key, cred)
            self._put(csr_rel, csr_pem)
        return csr_pem.decode("ascii")


def _plan_paths(program: Program) -> list[str]:
    creds = program.authn.credentials
    paths = [p for c in creds for p in user_files(c)]
    if any(c.method == "token" for c in creds):
        paths.append(TOKEN_FILE)
    if any(c.method == "basic" for c in creds):
        paths.append(BASIC_AUTH_FILE)
    return paths


def _check_case_collisions(store: SecretStore, creds: tuple[UserCredential, ...]) -> None:
    """Two users whose folders differ only in case share one folder where the file system ignores case
    (macOS, Windows): one user's token would be read for the other. Refused, naming both."""
    seen: dict[str, str] = {}
    for cred in creds:
        other = seen.setdefault(user_dir(cred.name).casefold(), cred.name)
        if other != cred.name and store.ignores_case():
            raise SecretsError(f"users `{other}` and `{cred.name}` would share one folder in {store.root}, whose "
                               "file system does not tell upper from lower case; rename one of them")


def plan_credentials(program: Program, store: SecretStore, write: bool = True) -> IssueReport:
    """The pipeline's "issue credentials" stage: read what `store` holds, make what is missing.

    Nothing is written: new secrets wait in `report.pending` for `commit_credentials` (the
    "write" stage), so a build that fails later leaves the secrets folder as it was. The
    report's `requests` are the CSR PEMs the authentication backend emits. With
    `write=False` nothing is made (for `build --check` and `diff`, which must not change
    secrets). Raises SecretsError (an unreadable key, an I/O error); nothing secret is in
    its message.
    """
    issuer = _Issuer(store, write)
    creds = program.authn.credentials
    if not creds or (not write and not store.exists()):
        return issuer.report
    if write:
        _check_case_collisions(store, creds)
    rows: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = {"token": [], "basic": []}
    requests = issuer.report.requests
    for cred in creds:
        if cred.method in rows:
            value = issuer.secret(cred)
            if value is not None:
                rows[cred.method].append((value.decode("ascii"), cred.name, cred.uid, cred.groups))
        elif cred.method == "certificate":
            pem = issuer.csr(cred)
            if pem is not None:
                requests[cred.name] = pem
    if write:
        for method, rel in (("token", TOKEN_FILE), ("basic", BASIC_AUTH_FILE)):
            if rows[method]:
                issuer._put(rel, static_file(rows[method]).encode("utf-8"))
        issuer.report.exposed = _plan_paths(program)
    return issuer.report


def commit_credentials(report: IssueReport, store: SecretStore) -> IssueReport:
    """Write what `plan_credentials` made: prepare the folder (0700), refuse a folder git would
    commit, then write each file (0600) that differs, under the folder's lock: two builds at
    once write one after the other, each its tokens with the CSV that lists them. Raises
    SecretsError."""
    if report.pending or report.exposed:
        with store.locked():
            store.prepare()
            store.check_git([*report.exposed, *store_listing(store)])
            for rel, data in report.pending.items():
                if store.write(rel, data):
                    report.written.append(rel)
                else:
                    report.kept.append(rel)
    report.pending = {}
    report.written.sort()
    report.kept = sorted(set(report.kept))
    return report


def issue_credentials(program: Program, store: SecretStore, write: bool = True) -> IssueReport:
    """Ensure every credential of `program` exists in `store` (plan, then commit at once)."""
    report = plan_credentials(program, store, write)
    if not write:
        report.kept = sorted(set(report.kept))
        return report
    return commit_credentials(report, store)


def store_listing(store: SecretStore) -> list[str]:
    """Every file already in the secrets directory (relative paths), for the git check."""
    return store.listing()


def requests_in_tree(out_dir: str | Path, program: Program) -> dict[str, str]:
    """CSR PEMs found in an existing output tree whose subject still matches the policy.

    A CSR is public: where the secrets folder is absent (a CI checkout of the repository), the
    request committed in `out/` stands in for it, so `build --check` still checks the objects.
    """
    path = Path(out_dir) / "cluster" / f"{kind_plural('CertificateSigningRequest')}.yaml"
    try:
        data = read_regular(path)  # committed: never follow a link to /dev/zero or a FIFO
        if data is None:
            return {}
        docs, problems = load_all(path.as_posix(), data.decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}
    if problems:  # not the tree policyc wrote (the one reader refuses it within its bounds): nothing to reuse
        return {}
    from cryptography import x509

    found: dict[str, str] = {}
    for doc in docs:
        try:
            user = doc["metadata"]["annotations"][USER_ANNOTATION]
            pem = base64.b64decode(doc["spec"]["request"], validate=True)
            csr = x509.load_pem_x509_csr(pem)
        except (KeyError, TypeError, ValueError):
            continue
        if not isinstance(user, str):
            continue
        cred = program.authn.credential(user)
        usable = cred is not None and cred.method == "certificate" and csr.is_signature_valid
        if usable and csr.subject == csr_subject(cred):
            found[user] = pem.decode("ascii")
    return found


def rotate(program: Program, store: SecretStore, user: str) -> IssueReport:
    """Replace one user's credential (and the static files that list it) on purpose."""
    cred = program.authn.credential(user)
    if cred is None:
        raise SecretsError(f"user `{user}` has no credential policyc issues (declare it `auth token`, "
                           "`auth certificate` or `auth basic`)")
    with store.locked():
        store.prepare()
        store.check_git([*_plan_paths(program), *store_listing(store)])
        base = user_dir(cred.name)
        # The kubeconfig and signed certificate hold the old credential: they go with it.
        for rel in [*user_files(cred), f"{base}/cert.pem", user_kubeconfig(cred.name)]:
            store.remove(rel)
    return issue_credentials(program, store)  # commits under the lock again

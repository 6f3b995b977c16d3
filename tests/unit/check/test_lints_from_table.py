"""The access lints flag the escalation table's paths (issue 13): cases generated from every row of
policyc/access/escalation_rules.py a lint covers (the smallest grants that show the path, and near
misses that do not), plus hand-written cases from the upstream sources."""

from __future__ import annotations

import pytest

from policyc.access import escalation_rules as er
from policyc.access.escalation_rules import EscalationRule, Need
from policyc.check.access_lints import covering_lints
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

# Written from the table's effects, not read from the lint: the code that must flag each kind of
# path. A row with a new effect fails test_every_path_row_is_linted until it is placed here.
LINT_OF_EFFECT = {
    "workload": {"PC504"},
    "pod-entry": {"PC512"},
    "token": {"PC511"},
    "read-tokens": {"PC502"},
    "token-secret": {"PC502"},
    "read-on-write": {"PC502"},
    "impersonate-sa": {"PC506"},
    "impersonate-user": {"PC506"},
    "impersonate-group": {"PC506"},
    "impersonate-node": {"PC506"},
    "bind": {"PC506"},
    "escalate": {"PC506"},
    "aggregated-member": {"PC506"},
    "csr": {"PC509"},
}
EVERY_SA = {"nodes": "PC508", er.ADMISSION: "PC510"}  # `every-sa` rows: by what they require
# portforward, userextras: no access; the namespace object: a request fact; the controller rows: reached
# through the service-account rows above; namespace deletion: no CIS 5.1 control names it (guards see it).
NOT_LINTED = {"none", "request", "controller-sa", "namespace-delete"}

# What CIS 5.1 names beyond the table (each lint keeps flagging it alone): (code, group, resource, verb).
CIS_BEYOND_TABLE = {
    ("PC502", "", "secrets", v) for v in ("get", "list", "watch")
} | {
    ("PC506", er.RBAC, r, v) for r in ("roles", "clusterroles") for v in ("bind", "escalate")
} | {
    ("PC506", g, r, "impersonate") for g, r in (("", "users"), ("", "groups"), ("", "serviceaccounts"),
                                                ("authentication.k8s.io", "uids"),
                                                ("authentication.k8s.io", "userextras"))
} | {
    ("PC508", "", "nodes/proxy", v) for v in ("get", "create", "update", "patch", "delete", "list", "watch")
} | {
    ("PC509", er.CERTS, "certificatesigningrequests/approval", v) for v in ("update", "patch")
} | {
    ("PC510", er.ADMISSION, r, v) for r in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations")
    for v in ("create", "update", "patch", "delete", "deletecollection")
}

# Of those, what a RoleBinding may hold (namespaced resources, or a role's name in `bind`/`escalate`).
CIS_IN_NAMESPACES = {c for c in CIS_BEYOND_TABLE if c[2] in ("secrets", "roles", "clusterroles", "serviceaccounts")}


def expected_codes(row: EscalationRule) -> set[str]:
    if row.effect == "every-sa":
        return {EVERY_SA[row.requires[0].group or row.requires[0].resource]}
    return set(LINT_OF_EFFECT[row.effect])


def lint(text: str):
    return compile_sources([SourceFile("t.policy", text)], lints=True)


def flagged(text: str) -> dict[str, set[int]]:
    """Lint code -> the lines it flags."""
    out: dict[str, set[int]] = {}
    for d in lint(text).diagnostics:
        assert d.code != "PC151", d.message  # the generated grant must name a real resource
        out.setdefault(d.code, set()).add(d.span.line)
    return out


def _release(row: EscalationRule) -> tuple[int, int]:
    """A release the row holds on: 1.30 where it does, else its first or last."""
    if row.applies_to((1, 30)):
        return (1, 30)
    return row.first if row.first is not None and row.first > (1, 30) else row.last  # type: ignore[return-value]


def grant_line(need: Need, verb: str | None = None, where: str | None = None, name: str | None = None) -> str:
    named = name or (need.names[0] if need.names else "")
    where = where or ("cluster" if need.cluster else "ns1")
    return (f"grant {verb or need.verbs[0]} {need.target}{f' named {named}' if named else ''} to user m in "
            f"{where}\n")


def policy(release: tuple[int, int], lines: list[str]) -> str:
    return f"kubernetes {release[0]}.{release[1]}\n" + "".join(lines)


def concern_lines(row: EscalationRule, code: str) -> list[int]:
    """The lines (policy below: line 1 is the release) of the needs the lint is about."""
    lines = []
    for i, need in enumerate(row.requires):
        verb = need.verbs[0]
        special = {"bind", "escalate", "impersonate"} & set(need.verbs)
        about = {
            "PC502": need.resource == "secrets",
            "PC506": bool(special),
            "PC509": need.sub == "approval" or need.resource == "signers",
        }.get(code, True)
        if about and verb != "*":
            lines.append(i + 2)
    return lines


PATH_ROWS = [r for r in er.RULES if r.effect not in NOT_LINTED]


def test_every_path_row_is_linted() -> None:
    for row in er.RULES:
        if row.effect in NOT_LINTED:
            assert covering_lints(row) == [], row.name
        else:
            assert set(covering_lints(row)) == expected_codes(row), row.name


@pytest.mark.parametrize("row", PATH_ROWS, ids=[r.name for r in PATH_ROWS])
def test_smallest_grants_showing_the_path_are_flagged(row: EscalationRule) -> None:
    # One grant per requirement, each its first verb: the smallest policy the guard's engine takes as the path.
    text = policy(_release(row), [grant_line(n) for n in row.requires])
    got = flagged(text)
    for code in expected_codes(row):
        assert set(concern_lines(row, code)) <= got.get(code, set()), (code, text, got)


@pytest.mark.parametrize("row", PATH_ROWS, ids=[r.name for r in PATH_ROWS])
def test_near_misses_are_not_flagged(row: EscalationRule) -> None:
    release = _release(row)
    for code in expected_codes(row):
        for i, need in enumerate(row.requires):
            line = i + 2
            if line not in concern_lines(row, code):
                continue
            others = [grant_line(n) for n in row.requires]
            combined = f"{need.resource}/{need.sub}" if need.sub else need.resource
            # Another verb on the same resource: no row needs it.
            wrong = next(v for v in ("get", "delete", "list") if v not in need.verbs)
            miss = [*others[:i], grant_line(need, verb=wrong), *others[i + 1:]]
            if (code, need.group, combined, wrong) not in CIS_BEYOND_TABLE and not any(
                    r.applies_to(release) and any(wrong in n.verbs and n.resource == need.resource
                                                  and n.sub == need.sub for n in r.requires)
                    for r in PATH_ROWS if code in expected_codes(r)):
                assert line not in flagged(policy(release, miss)).get(code, set()), (code, miss)
            # A cluster-scoped request: a RoleBinding never reaches it (unless CIS names the verb anywhere).
            if need.cluster and (code, need.group, combined, need.verbs[0]) not in CIS_IN_NAMESPACES:
                miss = [*others[:i], grant_line(need, where="ns1"), *others[i + 1:]]
                assert line not in flagged(policy(release, miss)).get(code, set()), (code, miss)
            # A request without a name (`create`): resourceNames never allow it.
            if not need.named and not need.names and (code, need.group, combined, need.verbs[0]) \
                    not in CIS_BEYOND_TABLE:
                miss = [*others[:i], grant_line(need, name="x"), *others[i + 1:]]
                assert line not in flagged(policy(release, miss)).get(code, set()), (code, miss)
        # Companions alone (every requirement the lint is not about) are not flagged by it.
        rest = [grant_line(n) for j, n in enumerate(row.requires) if j + 2 not in concern_lines(row, code)]
        if rest:
            assert code not in flagged(policy(release, rest)), (code, rest)


# Hand-written from the upstream sources (independent of the table's wording).
HAND = [
    # kubernetes/kubernetes#78741: the WebSocket handshake is a GET, authorised as `get` until
    # AuthorizePodWebsocketUpgradeCreatePermission (beta, on by default, 1.35).
    ("exec-get-1.34", "kubernetes 1.34\ngrant get pods/exec to user m in a\n", "PC512", True),
    ("exec-get-1.35", "kubernetes 1.35\ngrant get pods/exec to user m in a\n", "PC512", False),
    ("attach-get-1.20", "kubernetes 1.20\ngrant get pods/attach to user m in a\n", "PC512", True),
    ("exec-create-1.35", "kubernetes 1.35\ngrant create pods/exec to user m in a\n", "PC512", True),
    ("portforward", "kubernetes 1.30\ngrant create pods/portforward to user m in a\n", "PC512", False),
    ("ephemeral-1.23", "kubernetes 1.23\ngrant patch pods/ephemeralcontainers to user m in a\n", "PC512", True),
    ("ephemeral-1.22", "kubernetes 1.22\ngrant patch pods/ephemeralcontainers to user m in a\n", "PC512", False),
    # handlers/update.go, patch.go return the object: a patch reads the secret.
    ("patch-secrets-named", "kubernetes 1.30\ngrant patch secrets named db to user m in a\n", "PC502", True),
    ("delete-secrets", "kubernetes 1.30\ngrant delete secrets to user m in a\n", "PC502", False),
    # tokens_controller.go: a created service-account-token Secret is filled; read back by its name.
    ("create-then-read-token", "kubernetes 1.30\ngrant create secrets to user m in a\n"
     "grant get secrets named ci-token to user m in a\n", "PC502", True),
    ("create-secrets-alone", "kubernetes 1.30\ngrant create secrets to user m in a\n", "PC502", False),
    # A pod template names any service account: every workload kind, update by name too.
    ("cronjob-update-named", "kubernetes 1.30\ngrant update cronjobs.batch named nightly to user m in a\n",
     "PC504", True),
    ("rc-create", "kubernetes 1.30\ngrant create replicationcontrollers to user m in a\n", "PC504", True),
    ("deployments-get", "kubernetes 1.30\ngrant get deployments.apps to user m in a\n", "PC504", False),
    # CSR approval (plugin/pkg/admission/certificates/approval, 1.18+): approve on the signer.
    ("csr-legacy-unknown-1.21", "kubernetes 1.21\n"
     "grant create certificatesigningrequests.certificates.k8s.io to user m in cluster\n"
     "grant update certificatesigningrequests.certificates.k8s.io/approval to user m in cluster\n"
     "grant approve signers.certificates.k8s.io named kubernetes.io/legacy-unknown to user m in cluster\n",
     "PC509", True),
    # ... which signs nothing from 1.22: the approval line alone is flagged (CIS 5.1.11), not the signer's.
    ("csr-legacy-unknown-1.22", "kubernetes 1.22\n"
     "grant create certificatesigningrequests.certificates.k8s.io to user m in cluster\n"
     "grant update certificatesigningrequests.certificates.k8s.io/approval to user m in cluster\n"
     "grant approve signers.certificates.k8s.io named kubernetes.io/legacy-unknown to user m in cluster\n",
     "PC509", {3}),
    ("csr-signer-without-approval", "kubernetes 1.30\n"
     "grant create certificatesigningrequests.certificates.k8s.io to user m in cluster\n"
     "grant approve signers.certificates.k8s.io named kubernetes.io/kube-apiserver-client to user m in cluster\n",
     "PC509", False),
    ("csr-signer-domain-wildcard", "kubernetes 1.30\n"
     "grant create certificatesigningrequests.certificates.k8s.io to user m in cluster\n"
     "grant update certificatesigningrequests.certificates.k8s.io/approval to user m in cluster\n"
     "grant approve signers.certificates.k8s.io named kubernetes.io/* to user m in cluster\n", "PC509", True),
    # impersonation.go: users and groups are cluster-scoped; a RoleBinding never allows them.
    ("impersonate-users-in-namespace", "kubernetes 1.30\ngrant impersonate users to user m in a\n", "PC506", False),
    ("impersonate-sa-in-namespace", "kubernetes 1.30\ngrant impersonate serviceaccounts to user m in a\n",
     "PC506", True),
    # nodes/proxy reaches the kubelet's exec and run (GET, POST) whatever the release.
    ("nodes-proxy-create", "kubernetes 1.16\ngrant create nodes/proxy to user m in cluster\n", "PC508", True),
    ("nodes-proxy-in-namespace", "kubernetes 1.30\ngrant get nodes/proxy to user m in a\n", "PC508", False),
    # CIS 5.1.12 names deletes too (deleting a webhook switches its admission control off).
    ("webhooks-delete", "kubernetes 1.30\n"
     "grant delete validatingwebhookconfigurations.admissionregistration.k8s.io to user m in cluster\n", "PC510",
     True),
    # PersistentVolumes are cluster-scoped: a RoleBinding never allows creating one.
    ("pv-cluster", "kubernetes 1.30\ngrant create persistentvolumes to user m in cluster\n", "PC507", True),
    ("pv-in-namespace", "kubernetes 1.30\ngrant create persistentvolumes to user m in a\n", "PC507", False),
    # `create` carries no name: a rule limited by resourceNames never allows it.
    ("create-pods-named", "kubernetes 1.30\ngrant create pods named web to user m in a\n", "PC504", False),
    ("webhooks-create", "kubernetes 1.30\n"
     "grant create mutatingwebhookconfigurations.admissionregistration.k8s.io to user m in cluster\n", "PC510", True),
    ("webhooks-get", "kubernetes 1.30\n"
     "grant get validatingwebhookconfigurations.admissionregistration.k8s.io to user m in cluster\n", "PC510",
     False),
]


@pytest.mark.parametrize(("text", "code", "fires"), [c[1:] for c in HAND], ids=[c[0] for c in HAND])
def test_upstream_cases(text: str, code: str, fires: bool | set[int]) -> None:
    got = flagged(text)
    if isinstance(fires, set):
        assert got.get(code) == fires, got
    else:
        assert (code in got) == fires, got


def test_a_path_across_two_grants_names_the_other_grant() -> None:
    # BindingAuthorized (rolebinding/policybased/storage.go) is asked when a RoleBinding is written:
    # `bind` flags where the subject may also write RoleBindings, shown as a label.
    text = ("kubernetes 1.30\ngrant create rolebindings.rbac.authorization.k8s.io to user m in a\n"
            "grant bind clusterroles.rbac.authorization.k8s.io named admin to user m in a\n")
    (d,) = [d for d in lint(text).diagnostics if d.code == "PC506"]
    assert d.span.line == 3 and "allows `bind` in namespace `a`" in d.message
    assert [(lb.span.line, lb.message) for lb in d.labels] == [(2, "together with this grant")]


def test_messages_name_what_the_grant_allows() -> None:
    text = "kubernetes 1.30\ngrant get, create pods/exec to user m in a\n"
    (d,) = [d for d in lint(text).diagnostics if d.code == "PC512"]
    assert d.message == ("grant allows running code in existing pods (`create pods/exec`, `get pods/exec`) "
                         "in namespace `a`")


def test_a_cluster_wide_grant_meets_its_companion_in_a_namespace() -> None:
    # tokens_controller.go fills a created token Secret; the subject reads it back by name in `a`.
    text = ("kubernetes 1.30\ngrant create secrets to user m in cluster\n"
            "grant get secrets named ci-token to user m in a\ngrant get secrets named other to user n in b\n")
    found = {d.span.line: d for d in lint(text).diagnostics if d.code == "PC502"}
    assert [(lb.span.line, lb.message) for lb in found[2].labels] == [(3, "together with this grant")]
    # Another subject's grant is no companion.
    text = "kubernetes 1.30\ngrant create secrets to user m in cluster\ngrant get secrets named x to user n in a\n"
    assert 2 not in {d.span.line for d in lint(text).diagnostics if d.code == "PC502"}

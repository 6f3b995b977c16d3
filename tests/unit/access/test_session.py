"""policyc/access/session.py: the engine side of can-i, who-can and explain, without the CLI."""

from __future__ import annotations

import pytest

from policyc.access.escalation import Identity
from policyc.access.session import AccessError, Session, release_of
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

POLICY = """\
kubernetes 1.30

cluster {
  authentication {
    anonymous no
    certificates ca /etc/kubernetes/pki/ca.crt
    oidc issuer https://login.example.com client-id k8s username-prefix "oidc:"
  }
}

user alice auth oidc groups devs
user bob auth certificate

team web {
  members user alice, user bob, serviceaccount apps/ci
  grant role edit in apps
}
"""


@pytest.fixture(scope="module")
def session() -> Session:
    result = compile_sources([SourceFile("p.policy", POLICY)])
    assert result.ok, result.diagnostics
    return Session.of_program(result.program, result.manifests)


# kubectl's REST mapper: a bare plural resolves to its API group; cluster-scoped resources and
# non-resource URLs have no namespace (kubectl auth can-i, staging/src/k8s.io/kubectl/pkg/cmd/auth/cani.go).
REQUESTS = [
    # verb, resource, name, -n, -A, (group, resource, subresource, namespace), notes
    ("get", "pods", None, None, False, ("", "pods", "", "default"), []),
    ("get", "pods/log", "web-1", "apps", False, ("", "pods", "log", "apps"), []),
    ("list", "deployments", None, "apps", False, ("apps", "deployments", "", "apps"),
     ["note: `deployments` resolved to `deployments.apps`"]),
    ("update", "deployments.apps/scale", None, None, True, ("apps", "deployments", "scale", ""), []),
    ("get", "nodes", None, "apps", False, ("", "nodes", "", ""),
     ["warning: resource `nodes` is not namespace scoped; -n is ignored"]),
    ("get", "/healthz", None, "apps", False, ("", "", "", ""),
     ["warning: a non-resource URL has no namespace; -n is ignored"]),
]


@pytest.mark.parametrize(("verb", "resource", "name", "ns", "all_ns", "want", "notes"), REQUESTS,
                         ids=[f"{r[0]} {r[1]}" for r in REQUESTS])
def test_requests_resolve_as_kubectl_does(session: Session, verb: str, resource: str, name: str | None,
                                          ns: str | None, all_ns: bool, want: tuple, notes: list[str]) -> None:
    session.notes.clear()
    req = session.request(verb, resource, name, ns, all_ns)
    assert (req.group, req.resource, req.subresource, req.namespace) == want
    assert session.notes == notes


def test_a_malformed_resource_is_an_access_error(session: Session) -> None:
    with pytest.raises(AccessError):
        session.request("get", "pods/", None, None, False)


def test_an_oidc_user_is_the_name_the_api_server_sees(session: Session) -> None:
    [alice] = session.identities("user:alice")
    assert alice == Identity.user("oidc:alice", ("devs",))
    assert session.identities("user:bob") == [Identity.user("bob", ())]


def test_a_team_expands_to_its_members(session: Session) -> None:
    assert sorted(str(i) for i in session.identities("team:web")) == sorted(
        str(i) for i in [Identity.user("oidc:alice", ("devs",)), Identity.user("bob", ()),
                         Identity.service_account("apps", "ci")]
    )


@pytest.mark.parametrize(("text", "message"), [
    ("alice", "must be user:NAME, group:NAME, serviceaccount:NS/NAME or team:NAME"),
    ("robot:x", "must be user:NAME"),
    ("serviceaccount:ci", "service account `ci` must be written NS/NAME"),
    ("team:nobody", "no team `nobody` in the policy"),
])
def test_malformed_subjects(session: Session, text: str, message: str) -> None:
    with pytest.raises(AccessError, match=message):
        session.identities(text)


def test_teams_need_a_policy() -> None:
    bare = Session.of_objects([], release_of(None))
    with pytest.raises(AccessError, match="teams exist only in a policy"):
        bare.identities("team:web")
    assert bare.identities("serviceaccount:apps:ci") == [Identity.service_account("apps", "ci")]


def test_effective_access_of_a_team_names_its_origin(session: Session) -> None:
    idents = session.identities("team:web")
    entries = session.effective_access(idents)
    granted = [(g, who) for g, who in entries
               if not g.path and session.origin(g.permission.reason) == "grant of team `web` at p.policy:16:3"]
    assert {str(i) for _, who in granted for i in who} == {str(i) for i in idents}  # each member holds edit
    assert {g.permission.scope for g, _ in granted} == {"apps"}
    assert session.sources(granted[0][0].permission.reason) == ["p.policy:16:3"]


def test_unsupported_release() -> None:
    with pytest.raises(AccessError, match="unsupported Kubernetes release `1.2`"):
        release_of("1.2")

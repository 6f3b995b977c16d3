"""The RBAC of real projects (tests/data/realworld, SOURCES.md): import + build changes nobody's access.

For every project: `import -n NS` keeps nothing as raw YAML, the policy compiles, `--verify`'s
access diff (policyc/access/diff.py through importer/verify.py) finds no change, and every
request that can be formed from what the objects name (each subject x verb x resource or URL x
namespace x name that appears) is decided the same by the access engine before and after. The
only permissions left out are pinned below, each one something no Kubernetes API serves or
checks (importer/rules.py `is_dead`), never an authorization-only subresource
(k8s/releases.py AUTHZ_ONLY_SUBRESOURCES).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from importer_cases import run

from policyc.access.authorizer import AccessModel, group_member
from policyc.access.objects import parse_binding, parse_role
from policyc.access.request import Request, UserInfo
from policyc.importer.rules import is_dead, rule_atoms
from policyc.k8s.releases import load_release
from policyc.k8s.rules import Atom, expand_verbs
from policyc.k8s.yamlread import read_paths

CORPUS = Path(__file__).resolve().parents[2] / "data" / "realworld"
RELEASE = (1, 33)

# Project -> (namespace of `kubectl apply -n`, the permissions left out as dead, as `verb group/resource`).
PROJECTS: dict[str, tuple[str, set[str]]] = {
    "argo-cd": ("argocd", set()),
    "external-dns": ("default", set()),
    # `configmaps/status`: the core group serves no status subresource of configmaps.
    "flux2": ("flux-system", {"get /configmaps/status", "patch /configmaps/status", "update /configmaps/status"}),
    "ingress-nginx": ("ingress-nginx", set()),
    # One rule lists apiGroups ["", "apps"] with resources [deployments/finalizers, configmaps/finalizers]:
    # the cross product names deployments in the core group and configmaps in apps, which no API serves.
    "knative-eventing": ("knative-eventing", {"update /deployments/finalizers", "update apps/configmaps/finalizers"}),
    "strimzi": ("myproject", set()),
    "tekton-pipelines": ("tekton-pipelines", set()),
}


def _read(project: str):
    ns, _dead = PROJECTS[project]
    docs, _sources, diags = read_paths([str(CORPUS / project / "rbac.yaml")], namespace=ns)
    assert not [d for d in diags if d.is_error], diags
    return docs, diags


@pytest.fixture(scope="module", params=sorted(PROJECTS))
def imported(request):
    docs, diags = _read(request.param)
    result, compiled, verification = run(docs, RELEASE)
    return request.param, docs, diags, result, compiled, verification


def test_the_corpus_is_the_one_sources_md_lists() -> None:
    listed = (CORPUS / "SOURCES.md").read_text()
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == sorted(PROJECTS)
    for project in PROJECTS:
        assert f"| {project} | https://github.com/" in listed


def test_nothing_is_kept_as_raw_yaml_and_nothing_skipped(imported) -> None:
    project, docs, diags, result, _compiled, _v = imported
    assert not diags, [d.message for d in diags]  # `-n` placed every namespaced object
    assert [o.doc.ref for o in result.outcomes if o.status != "imported"] == [], project
    assert not [d for d in result.diagnostics if d.code in ("PC604", "PC606", "PC607", "PC614", "PC615")]
    assert len(result.outcomes) == len(docs)


def test_verify_finds_no_access_change(imported) -> None:
    project, _docs, _diags, _result, _compiled, v = imported
    assert (v.added, v.removed, v.settings) == ([], [], []), project
    assert v.subjects > 0


def test_only_what_no_api_serves_is_left_out(imported) -> None:
    project, docs, _diags, _result, _compiled, _v = imported
    release = load_release(RELEASE)
    dead = set()
    for doc in docs:
        if doc.kind in ("Role", "ClusterRole") and not parse_role(doc.obj).is_aggregated:
            for rule in parse_role(doc.obj).rules:
                dead |= {f"{a.verb} {a.group}/{a.resource}" for a in rule_atoms(rule) if is_dead(a, release)}
    assert dead == PROJECTS[project][1]


def _user(kind: str, name: str, namespace: str) -> UserInfo:
    if kind == "ServiceAccount":
        return UserInfo.service_account(namespace, name)
    return group_member(name) if kind == "Group" else UserInfo.authenticated(name)


def _queries(docs) -> tuple[list[UserInfo], list[Request]]:
    """Every request formed from what the objects name; dead ones (never served) are left out."""
    release = load_release(RELEASE)
    users: set[UserInfo] = set()
    verbs: set[str] = set()
    targets: set[tuple[str, str]] = set()
    urls: set[str] = set()
    names: set[str] = {""}
    namespaces: set[str] = {""}
    for doc in docs:
        if doc.namespace:
            namespaces.add(doc.namespace)
        if doc.kind in ("RoleBinding", "ClusterRoleBinding"):
            for s in parse_binding(doc.obj).subjects:
                users.add(_user(s.kind, s.name, s.namespace))
        if doc.kind in ("Role", "ClusterRole"):
            for rule in parse_role(doc.obj).rules:
                verbs |= set(expand_verbs(rule.verbs)) - {"*"}
                names |= set(rule.resource_names)
                # Request paths start with `/` (the URL `*` becomes `/*` in the language, importer/rules.py).
                urls |= {("" if u.startswith("/") else "/") + u.replace("*", "x") for u in rule.non_resource_urls}
                targets |= {(g, r) for g in rule.api_groups for r in rule.resources if "*" not in (g + r)}
    requests = []
    for verb, (group, resource), ns, name in itertools.product(sorted(verbs), sorted(targets), sorted(namespaces),
                                                               sorted(names)):
        base, _, sub = resource.partition("/")
        if not is_dead(Atom(verb, group, resource), release):
            requests.append(Request(verb, group, base, sub, name, ns))
    requests += [Request(verb, path=url) for verb, url in itertools.product(sorted(verbs), sorted(urls))]
    return sorted(users), requests


def test_every_query_is_answered_the_same(imported) -> None:
    project, docs, _diags, result, compiled, _v = imported
    before = AccessModel.from_objects([d.obj for d in docs], RELEASE)
    after = AccessModel.from_objects([m.body for m in compiled.manifests] + [d.obj for d in result.remaining],
                                     RELEASE)
    users, requests = _queries(docs)
    assert users and requests
    allowed = 0
    for user in users:
        for req in requests:
            b = before.authorize(user, req).allowed
            assert b == after.authorize(user, req).allowed, (project, str(user), req)
            allowed += b
    assert allowed > 0, project  # the queries reach what the objects grant

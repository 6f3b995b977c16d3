"""Every check of the core issue: code, message, underlined text and help, one table row each.

Rows are written from the rules they encode: Kubernetes name validation (apimachinery
IsDNS1123Label / IsDNS1123Subdomain / path-segment names), the RBAC authorizer's handling of
non-resource URLs and resourceNames, and the language's reference rules (LANGUAGE.md).
"""

from __future__ import annotations

import pytest

from helpers import compile_text, underlined

CASES = [
    # (id, policy text, code, message, underlined text, help contains)
    ("token", "role r {\n  get pods\n}\ngrant role r to user a in default extra\n",
     "PC001", "unexpected `extra`", "extra", "expected end of line"),
    ("eof", "role r {\n  get pods\n", "PC001", "unexpected end of file", "s", "expected `}`"),
    ("eol", "grant\n", "PC001", "unexpected end of line", "", "expected `role`"),
    ("char", "role r {\n  get pods$\n}\n", "PC002", "unexpected character `$`", "$", "quoted string"),
    ("nul", "\x00rest", "PC002", "unexpected character `U+0000`", "\x00", "quoted string"),
    ("string", 'user "bob auth token\n', "PC003", "unterminated string", '"', 'close the string'),
    ("label", "namespace a {\n  labels team\n}\n", "PC010", "label `team` has no value", "team", "key=value"),
    ("undefined-role", "grant role pod-reder to user a in default\nrole pod-reader {\n  get pods\n}\n",
     "PC101", "undefined role `pod-reder`", "pod-reder", "did you mean `pod-reader`?"),
    ("undefined-aggregate", "role r aggregates nothere\n", "PC101", "undefined role `nothere`", "nothere",
     "declare it"),
    ("undefined-team", "grant role view to team ops in default\n", "PC102", "undefined team `ops`", "team ops",
     "team NAME"),
    ("undefined-psp", "namespace a {\n  pod-security hardend\n}\n", "PC103",
     "undefined pod-security policy `hardend`", "hardend", "privileged"),
    ("unknown-system-role", "grant role system:kube-dns to user a in cluster\n", "PC104",
     "built-in role `system:kube-dns` is not in policyc's bootstrap data; its rules are not checked",
     "system:kube-dns", "kubectl get clusterroles"),
    ("system-role-of-other-releases",
     "kubernetes 1.30\ngrant role system:controller:resource-claim-controller to user a in cluster\n", "PC104",
     "built-in role `system:controller:resource-claim-controller` does not exist on Kubernetes 1.30 (the API server "
     "creates it from 1.34); the binding grants nothing there",
     "system:controller:resource-claim-controller", "target a release that has this one"),
    ("duplicate-role", "role r {\n  get pods\n}\nrole r {\n  list pods\n}\n", "PC110",
     "role `r` is declared twice", "r", "remove one declaration"),
    ("duplicate-team", "team t {\n  members user a\n}\nteam t {\n  members user b\n}\n", "PC110",
     "team `t` is declared twice", "t", "remove one declaration"),
    ("duplicate-sa", "serviceaccount a/b\nserviceaccount a/b\n", "PC110",
     "serviceaccount `a/b` is declared twice", "a/b", "remove one declaration"),
    ("duplicate-user", "user a auth oidc\nuser a auth oidc\n", "PC110", "user `a` is declared twice", "a",
     "remove one declaration"),
    ("builtin", "role edit {\n  get pods\n}\n", "PC111",
     "role `edit` is a built-in ClusterRole and cannot be redefined", "edit", "aggregate-to"),
    ("system-role", "role system:mine {\n  get pods\n}\n", "PC111",
     "role `system:mine` is reserved for Kubernetes and cannot be redefined", "system:mine", "another name"),
    ("namespace-name", "namespace Team_A {\n  labels a=b\n}\n", "PC120",
     "invalid namespace name `Team_A`: it must be lowercase letters, digits and `-`, starting and ending "
     "with a letter or digit", "Team_A", "DNS-1123 labels"),
    ("namespace-long", f"grant role view to user a in {'a' * 64}\n", "PC120",
     f"invalid namespace name `{'a' * 64}`: it must be at most 63 characters", "a" * 64, "DNS-1123"),
    ("sa-name", "serviceaccount ci/Runner_1\n", "PC121",
     "invalid service account name `Runner_1`: it must be lowercase letters, digits, `-` and `.`, starting "
     "and ending with a letter or digit", "ci/Runner_1", "DNS-1123 subdomains"),
    ("role-name", 'role "a/b" {\n  get pods\n}\n', "PC122", "invalid role name `a/b`: it may not contain `/`",
     '"a/b"', "rename"),
    ("label-value", "namespace a {\n  labels team=-x\n}\n", "PC123",
     "invalid label value `-x`: it must be at most 63 letters, digits, `-`, `_` or `.`, starting and ending "
     "with a letter or digit", "-x", "label value"),
    ("system-user", "grant role view to user system:kube-proxy in default\n", "PC130",
     "user name `system:kube-proxy` is reserved for Kubernetes components", "user system:kube-proxy",
     "service account"),
    ("masters-member", "team t {\n  members group system:masters\n}\n", "PC131",
     "the group `system:masters` bypasses authorization and cannot be used", "group system:masters",
     "cluster-admin"),
    ("masters-user-group", "user alice auth certificate groups system:masters\n", "PC131",
     "the group `system:masters` bypasses authorization and cannot be used", "system:masters", "cluster-admin"),
    ("masters-guard", "forbid get pods for group system:masters\n", "PC131",
     "the group `system:masters` bypasses authorization and cannot be used", "group system:masters",
     "cluster-admin"),
    ("sa-namespace", "grant role view to serviceaccount runner in default\n", "PC132",
     "service account `runner` has no namespace", "serviceaccount runner", "default/runner"),
    ("url-role", "role r in default {\n  get /healthz\n}\n", "PC140",
     "non-resource URL `/healthz` in a namespaced role", "/healthz", "in cluster"),
    ("url-grant", "grant get /healthz to group g in default\n", "PC141",
     "non-resource URL `/healthz` in a namespaced grant", "/healthz", "in cluster"),
    ("url-role-in-ns", "role h {\n  get /healthz\n}\ngrant role h to group g in default\n", "PC141",
     "role `h` holds non-resource URLs but is granted in namespace `default`",
     "grant role h to group g in default", "ClusterRoleBinding"),
    ("url-mixed", "role r {\n  get /healthz, pods\n}\n", "PC142",
     "a rule cannot mix non-resource URLs and resources", "get /healthz, pods", "two rules"),
    ("url-named", "role r {\n  get /healthz named x\n}\n", "PC142", "non-resource URLs cannot be `named`",
     "x", "remove"),
    ("verb", "role r {\n  gett pods\n}\n", "PC150", "unknown verb `gett` in Kubernetes 1.37", "gett",
     "did you mean `get`?"),
    ("verb-url", "role r {\n  post pods\n}\n", "PC150", "unknown verb `post` in Kubernetes 1.37", "post", ""),
    ("verb-mixed-groups", "role r {\n  frobnicate pods, widgets.example.com\n}\n", "PC150",
     "unknown verb `frobnicate` in Kubernetes 1.37", "frobnicate", ""),
    ("resource-typo", "role r {\n  get deploymens.apps\n}\n", "PC151",
     "unknown resource `deploymens.apps` in Kubernetes 1.37", "deploymens.apps",
     "did you mean `deployments.apps`?"),
    ("resource-group", "role r {\n  get deployments\n}\n", "PC151",
     "unknown resource `deployments` in the core group of Kubernetes 1.37", "deployments",
     "did you mean `deployments.apps`?"),
    ("resource-removed", "kubernetes 1.25\nrole r {\n  use podsecuritypolicies.policy\n}\n", "PC151",
     "unknown resource `podsecuritypolicies.policy` in Kubernetes 1.25 (known in 1.16 to 1.24)",
     "podsecuritypolicies.policy", ""),
    ("guard-resource", "forbid get secretz\n", "PC151", "unknown resource `secretz` in the core group of "
     "Kubernetes 1.37", "secretz", "did you mean `secrets`?"),
    ("subresource", "role r {\n  create pods/portfoward\n}\n", "PC152",
     "unknown subresource `pods/portfoward` in Kubernetes 1.37", "pods/portfoward",
     "did you mean `pods/portforward`?"),
    ("named", "role r {\n  create, get configmaps named a\n}\n", "PC160",
     "`create` with `named` never allows anything: those requests carry no object name",
     "create, get configmaps named a", "remove `create` from this rule"),
    ("named-alias", "role r {\n  write configmaps named a\n}\n", "PC160",
     "`create`, `deletecollection` with `named` never allows anything: those requests carry no object name",
     "write configmaps named a", "remove `create`, `deletecollection`"),
    ("no-subjects", "grant role view in default\n", "PC170", "grant has no subjects",
     "grant role view in default", "to user NAME"),
    ("no-place", "grant role view to user a\n", "PC171", "grant does not say where it applies",
     "grant role view to user a", "in cluster"),
    ("role-elsewhere", "role r in a {\n  get pods\n}\ngrant role r to user u in b\n", "PC172",
     "role `r` is declared in namespace `a` and cannot be granted in namespace `b`", "r", "grant it `in a`"),
    ("role-cluster", "role r in a {\n  get pods\n}\ngrant role r to user u in cluster\n", "PC172",
     "role `r` is declared in namespace `a` and cannot be granted in the cluster", "r", "grant it `in a`"),
    ("aggregate-builtin", "role r aggregates view\n", "PC173",
     "built-in role `view` cannot be aggregated into `r`", "view", "grant it alongside"),
    ("aggregate-namespaced", "role m in a {\n  get pods\n}\nrole r aggregates m\n", "PC173",
     "namespaced role `m` cannot be aggregated", "m", "ClusterRoles only"),
    ("aggregate-to", "role x {\n  get pods\n}\nrole r aggregate-to x {\n  get pods\n}\n", "PC174",
     "role `x` does not aggregate other roles", "x", "`aggregate-to` names"),
    ("aggregate-to-ns", "role r in a aggregate-to view {\n  get pods\n}\n", "PC174",
     "namespaced role `r` cannot aggregate into `view`", "view", "only ClusterRoles aggregate"),
    ("team-cycle", "team a {\n  members team b\n}\nteam b {\n  members team a\n}\n", "PC175",
     "team `b` contains itself through `a`", "team a", "circular"),
    ("release-conflict", "kubernetes 1.24\nkubernetes 1.30\n", "PC201",
     "conflicting target releases `1.24` and `1.30`", "1.30", "once"),
    ("release-old", "kubernetes 1.12\n", "PC401", "unsupported Kubernetes release `1.12`", "1.12",
     "from 1.16 to 1.37"),
    ("release-garbage", "kubernetes latest\n", "PC401", "unsupported Kubernetes release `latest`", "latest",
     "from 1.16"),
]


@pytest.mark.parametrize(("text", "code", "message", "under", "help_part"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_diagnostic(text: str, code: str, message: str, under: str, help_part: str) -> None:
    result = compile_text(text)
    found = [d for d in result.diagnostics if d.code == code]
    assert found, f"expected {code}, got {[(d.code, d.message) for d in result.diagnostics]}"
    d = found[0]
    assert d.message == message
    assert underlined(result, d) == under
    assert help_part in d.help
    assert d.span.file == "test.policy" and d.span.line >= 1 and d.span.col >= 1


def test_duplicate_names_the_first_declaration() -> None:
    result = compile_text("role r {\n  get pods\n}\n", other="role r {\n  list pods\n}\n")
    (d,) = [d for d in result.diagnostics if d.code == "PC110"]
    assert d.span.file == "test.policy" and d.span.line == 1
    assert [(lb.span.file, lb.span.line, lb.message) for lb in d.labels] == [("other", 1, "first declared here")]


@pytest.mark.parametrize(
    "text",
    [
        "role r {\n  get widgets.example.com, widgets.example.com/status\n}\n",  # CRDs are accepted
        "role r {\n  get *, */scale, *.apps\n}\n",
        "role r {\n  * *\n}\n",
        "role r {\n  get, update configmaps named app-settings\n}\n",
        "grant role cluster-admin to group ops in cluster\n",
        "role h {\n  get /healthz, /api/*\n}\ngrant role h to group g in cluster\n",
        "grant role cluster-admin to group ops in default\n",  # built-in roles with URLs may be bound per namespace
        "role r in a {\n  get pods\n}\ngrant role r to user u in a\n",
        "role h {\n  post, put, head, options /api/hooks/*\n}\n",  # URL rules take HTTP methods
        "role r {\n  approve, frobnicate widgets.example.com\n}\n",  # custom groups define their verbs
        "grant role view to everyone in a\n",
    ],
)
def test_valid_policies_have_no_diagnostics(text: str) -> None:
    assert compile_text(text).diagnostics == []


def test_all_semantic_errors_are_reported_sorted() -> None:
    text = "grant role nope to user a in default\nrole r {\n  gett pods\n}\ngrant role view to team x in b\n"
    result = compile_text(text)
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("PC101", 1), ("PC150", 3), ("PC102", 5)]


def test_text_rendering_shows_location_caret_and_help() -> None:
    from policyc.diagnostics import render_text

    result = compile_text("role r {\n  get deploymens.apps\n}\n")
    text = render_text(result.diagnostics, result.sources)
    assert text.splitlines() == [
        "test.policy:2:7: error[PC151]: unknown resource `deploymens.apps` in Kubernetes 1.37",
        "  |",
        "2 |   get deploymens.apps",
        "  |       ^^^^^^^^^^^^^^^",
        "  = help: did you mean `deployments.apps`?",
    ]

"""Malformed input gives diagnostics, never a crash: hand-picked shapes and generated documents."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_cases import run

from policyc.access.authorizer import AccessModel
from policyc.access.escalation import EscalationGraph, Identity
from policyc.k8s.yamlread import parse_stream

MALFORMED = [
    ("kind: Role\nmetadata: just-a-string\n", "`metadata` is not a mapping"),
    ("kind: Role\nmetadata: {name: 7}\n", "`metadata.name` is not a string"),
    ("kind: Namespace\nmetadata: {name: n, labels: {a: [1]}}\n", "`metadata.labels` is not a mapping of strings"),
    ("kind: ClusterRole\nmetadata: {name: r}\nrules: [{verbs: get}]\n", "`rules` is not a list of rules"),
    ("kind: ClusterRole\nmetadata: {name: r}\naggregationRule: {clusterRoleSelectors: [x]}\n", "`aggregationRule`"),
    ("kind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: []\n", "`roleRef` needs"),
    ("kind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: Role, name: r}\nsubjects: [1]\n",
     "`subjects` is not a list"),
    ("kind: LimitRange\nmetadata: {name: l, namespace: n}\nspec: {limits: [{type: Pod, max: 3}]}\n",
     "`spec.limits`"),
    ("kind: ResourceQuota\nmetadata: {name: q, namespace: n}\nspec: {hard: [pods]}\n", "`spec.hard`"),
    ("kind: Namespace\nmetadata: {name: n}\nspec: [x]\n", "`spec` is not a mapping"),
    # PodSecurityPolicySpec's types (policy/v1beta1): before, an internal error or a string "false" read as true.
    ("kind: ServiceAccount\nmetadata: {name: s, namespace: n}\nsecrets: 7\n", "`secrets` is not a list of references"),
    ("kind: ServiceAccount\nmetadata: {name: s, namespace: n}\nautomountServiceAccountToken: \"no\"\n",
     "`automountServiceAccountToken` is not true or false"),
    ("kind: LimitRange\nmetadata: {name: l, namespace: n}\nspec: {limits: [{type: [Pod]}]}\n",
     "`spec.limits` is not a list of limits (at `spec.limits[0].type`)"),
    ("kind: PodSecurityPolicy\nmetadata: {name: p}\nspec: {runAsUser: 7}\n", "`spec.runAsUser` is not a strategy"),
    ("kind: PodSecurityPolicy\nmetadata: {name: p}\nspec: {privileged: \"false\"}\n",
     "`spec.privileged` is not true or false"),
    ("kind: PodSecurityPolicy\nmetadata: {name: p}\nspec: {hostPorts: [{min: a, max: 2}]}\n",
     "`spec.hostPorts` is not a list of port ranges (at `spec.hostPorts[0].min`)"),
    ("kind: PodSecurityPolicy\nmetadata: {name: p}\nspec: {volumes: {a: b}}\n", "`spec.volumes` is not a list"),
    ("kind: PodSecurityPolicy\nmetadata: {name: p}\nspec: {fsGroup: {rule: MustRunAs, ranges: [{min: x}]}}\n",
     "`spec.fsGroup.ranges` is not a list of ranges (at `spec.fsGroup.ranges[0].min`)"),
]


def test_malformed_objects_are_reported_and_left_out() -> None:
    for text, words in MALFORMED:
        docs, diags = parse_stream("bad.yaml", "apiVersion: v1\n" + text)
        assert docs == [], text
        assert [d.code for d in diags] == ["PC602"], text
        assert words in diags[0].message, (text, diags[0].message)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=12)
KINDS = st.sampled_from(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "Namespace",
                         "LimitRange", "ResourceQuota", "PodSecurityPolicy", "List"])
FIELDS = st.sampled_from(["metadata", "rules", "aggregationRule", "roleRef", "subjects", "spec", "items", "secrets",
                          "imagePullSecrets", "automountServiceAccountToken"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, fields=st.dictionaries(FIELDS, VALUES, max_size=4))
def test_generated_documents_never_crash(kind: str, fields: dict) -> None:
    text = yaml.safe_dump({"apiVersion": "v1", "kind": kind, **fields})
    docs, _diags = parse_stream("gen.yaml", text)
    release = (1, 24) if kind == "PodSecurityPolicy" else (1, 30)
    run(docs, release)  # imports, compiles without errors and verifies, whatever the input


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, fields=st.dictionaries(FIELDS, VALUES, max_size=4))
def test_generated_documents_never_crash_the_access_engine(kind: str, fields: dict) -> None:
    """`--from` reads strictly: what the reader accepts, the access engine can evaluate."""
    text = yaml.safe_dump({"apiVersion": "v1", "kind": kind, **fields})
    docs, _diags = parse_stream("gen.yaml", text, strict="PC310")
    model = AccessModel.from_objects([(d.obj, f"{d.file}#{d.index}") for d in docs], (1, 30))
    graph = EscalationGraph(model)
    for subject in {s for b in model.bindings for s in b.subjects}:
        graph.effective_access(Identity.user(subject.name) if subject.kind != "ServiceAccount"
                               else Identity.service_account(subject.namespace, subject.name))


GROUPS = st.sampled_from(["", "apps", "*", "example.com", "batch"])
RESOURCES = st.sampled_from(["pods", "pods/log", "deployments", "deployments/scale", "*", "*/scale", "jobs",
                             "widgets", "secrets", "configmaps"])
VERBS = st.sampled_from(["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*",
                         "use", "bind", "escalate", "impersonate"])
RULE = st.one_of(
    st.fixed_dictionaries({"apiGroups": st.lists(GROUPS, min_size=1, max_size=2),
                           "resources": st.lists(RESOURCES, min_size=1, max_size=3),
                           "verbs": st.lists(VERBS, min_size=1, max_size=4)},
                          optional={"resourceNames": st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=2)}),
    st.fixed_dictionaries({"nonResourceURLs": st.lists(st.sampled_from(["/healthz", "/metrics", "/api/*", "*"]),
                                                       min_size=1, max_size=2),
                           "verbs": st.lists(st.sampled_from(["get", "*"]), min_size=1, max_size=2)}),
)
ROLE_NAMES = st.sampled_from(["r1", "r2", "r3", "view", "edit", "system:basic-user"])
NAMESPACES = st.sampled_from(["n1", "n2"])
SUBJECT = st.one_of(
    st.builds(lambda n: {"kind": "User", "name": n, "apiGroup": "rbac.authorization.k8s.io"},
              st.sampled_from(["alice", "bob", "carol", "system:serviceaccount:n1:sa"])),
    st.builds(lambda n: {"kind": "Group", "name": n, "apiGroup": "rbac.authorization.k8s.io"},
              st.sampled_from(["devs", "system:authenticated", "system:serviceaccounts:n2"])),
    st.builds(lambda ns, n: {"kind": "ServiceAccount", "name": n, "namespace": ns}, NAMESPACES,
              st.sampled_from(["sa", "default"])),
)


def _role(kind: str, name: str, ns: str, rules: list, labels: dict) -> dict:
    meta = {"name": name, **({"namespace": ns} if kind == "Role" else {}), **({"labels": labels} if labels else {})}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules}


ROLES = st.lists(st.builds(
    _role, st.sampled_from(["Role", "ClusterRole"]), ROLE_NAMES, NAMESPACES, st.lists(RULE, max_size=3),
    st.sampled_from([{}, {"rbac.authorization.k8s.io/aggregate-to-view": "true"}, {"example.com/agg": "true"}])),
    max_size=4)
BINDINGS = st.lists(st.builds(
    lambda kind, name, ns, role_kind, role, subjects: {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
        "metadata": {"name": name, **({"namespace": ns} if kind == "RoleBinding" else {})},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind if kind == "RoleBinding" else
                    "ClusterRole", "name": role},
        "subjects": subjects},
    st.sampled_from(["RoleBinding", "ClusterRoleBinding"]), st.sampled_from(["b1", "b2", "b3"]), NAMESPACES,
    st.sampled_from(["Role", "ClusterRole"]), ROLE_NAMES, st.lists(SUBJECT, min_size=1, max_size=3)), max_size=5)
AGGREGATOR = st.lists(st.just({
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "agg"},
    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/agg": "true"}}]}}), max_size=1)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roles=ROLES, bindings=BINDINGS, aggregator=AGGREGATOR)
def test_generated_rbac_round_trips_with_the_same_access(roles: list, bindings: list, aggregator: list) -> None:
    """Property: whatever the RBAC objects, the import plus what stays grants exactly the same access."""
    text = yaml.safe_dump_all(roles + bindings + aggregator)
    docs, diags = parse_stream("gen.yaml", text)
    result, _compiled, v = run(docs, (1, 30))
    live = [x for x in v.added + v.removed]
    assert not live, v.lines((1, 30)) + [result.files]


def _limit_item(kind: str, cpu: list[int], memory: list[int]) -> dict:
    """A valid LimitRange item: per resource min <= defaultRequest <= default <= max (the API server's rule)."""
    c, m = sorted(cpu), sorted(memory)
    if kind == "PersistentVolumeClaim":
        return {"type": kind, "max": {"storage": f"{m[3]}Gi"}, "min": {"storage": f"{m[0]}Gi"}}
    item = {"type": kind, "max": {"cpu": f"{c[3] * 100}m", "memory": f"{m[3] * 64}Mi"},
            "min": {"cpu": f"{c[0] * 100}m"}}
    if kind == "Container":
        item |= {"default": {"cpu": f"{c[2] * 100}m", "memory": f"{m[2] * 64}Mi"},
                 "defaultRequest": {"cpu": f"{c[1] * 100}m", "memory": f"{m[1] * 64}Mi"}}
    return item


QTY = st.lists(st.integers(min_value=1, max_value=40), min_size=4, max_size=4)
LIMIT_RANGES = st.lists(st.builds(
    lambda name, ns, items: {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name, "namespace": ns},
                             "spec": {"limits": items}},
    st.sampled_from(["l1", "l2"]), NAMESPACES,
    st.lists(st.builds(_limit_item, st.sampled_from(["Container", "Pod", "PersistentVolumeClaim"]), QTY, QTY),
             min_size=1, max_size=2, unique_by=lambda i: i["type"])), max_size=3)
QUOTAS = st.lists(st.builds(
    lambda name, ns, hard: {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name, "namespace": ns},
                            "spec": {"hard": hard}},
    st.sampled_from(["q1", "q2", "q3"]), NAMESPACES,
    st.dictionaries(st.sampled_from(["pods", "requests.cpu", "limits.memory", "configmaps", "count/jobs.batch"]),
                    st.sampled_from(["1", "10", "500m", "2Gi", "3"]), min_size=1, max_size=3)), max_size=3)
LEVEL = st.sampled_from(["privileged", "baseline", "restricted"])
NAMESPACE_OBJS = st.lists(st.builds(
    lambda ns, modes, extra: {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {
        **{f"pod-security.kubernetes.io/{m}": lvl for m, lvl in modes.items()},
        **{f"pod-security.kubernetes.io/{m}-version": "v1.30" for m in modes}, **extra}}},
    NAMESPACES, st.dictionaries(st.sampled_from(["enforce", "warn", "audit"]), LEVEL, max_size=3),
    st.sampled_from([{}, {"team": "a"}, {"tier": "prod", "team": "b"}])), max_size=2)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(namespaces=NAMESPACE_OBJS, limits=LIMIT_RANGES, quotas=QUOTAS)
def test_generated_admission_objects_round_trip_unchanged(namespaces: list, limits: list, quotas: list) -> None:
    """Property: namespaces, LimitRanges and quotas (several per namespace) come back with the same effect."""
    text = yaml.safe_dump_all(namespaces + limits + quotas)
    docs, _diags = parse_stream("gen.yaml", text)
    result, _compiled, v = run(docs, (1, 30))
    assert v.unchanged, v.lines((1, 30)) + [result.files]

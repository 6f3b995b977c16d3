"""`policyc import` proposals (importer/propose.py): a namespace class for repeated settings, and
`VERBS * except ...` for a role that lists all but a few resources; taking either changes nothing."""

from __future__ import annotations

from collections import defaultdict

from importer_cases import docs_from, run

from policyc.k8s.expand import expand
from policyc.k8s.releases import load_release
from policyc.pipeline import compile_sources
from policyc.source import SourceFile


def _namespace(name: str, tier: str, pods: int = 50) -> str:
    return f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: {name}
  labels:
    tier: {tier}
    team: {name.split("-")[0]}
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.30
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: quota
  namespace: {name}
spec:
  hard:
    pods: "{pods}"
---
"""


def _auditor_role() -> str:
    """A ClusterRole granting get, list, watch on every resource of 1.30 but secrets, as a person lists it."""
    by_group: dict[str, set[str]] = defaultdict(set)
    for _verb, target in expand(load_release((1, 30)), ["read"], [], ["*"], ["secrets"]).pairs:
        base, slash, sub = target.partition("/")
        resource, _, group = base.partition(".")
        by_group[group].add(resource + slash + sub)
    rules = "".join(
        f"- apiGroups: [\"{g}\"]\n  resources: [{', '.join(sorted(rs))}]\n  verbs: [get, list, watch]\n"
        for g, rs in sorted(by_group.items())
    )
    return f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: auditor\nrules:\n{rules}"


def test_repeated_namespace_settings_propose_a_class() -> None:
    text = "".join(_namespace(n, "prod") for n in ("web-prod", "api-prod")) + _namespace("lab", "dev", 30)
    result, _compiled, verification = run(docs_from(text))
    assert verification.unchanged
    [p] = [p for p in result.proposals if p.text[0].startswith("namespace-class")]
    assert p.text == (
        "namespace-class prod {",
        "  labels tier=prod",
        "  pod-security enforce restricted",
        "  quota pods 50",
        "}",
        "namespace api-prod, web-prod class prod",
    )
    # Taken as proposed (with each namespace's own label), it emits the same Namespaces and quotas.
    proposed = "\n".join(p.text) + "\n" + "".join(
        f"namespace {n} {{\n  labels team={n.split('-')[0]}\n}}\n" for n in ("api-prod", "web-prod"))
    mine = compile_sources([SourceFile("p.policy", "kubernetes 1.30\n" + proposed)])
    imported = compile_sources([SourceFile(k, v) for k, v in result.files.items()])
    def shape(m) -> object:  # noqa: ANN001
        return m.body["metadata"].get("labels") if m.kind == "Namespace" else m.body["spec"]

    ours = ("api-prod", "web-prod")
    wanted = {(m.kind, m.namespace, m.name): shape(m) for m in imported.manifests
              if m.namespace in ours or m.name in ours}
    got = {(m.kind, m.namespace, m.name): shape(m) for m in mine.manifests}
    assert got == wanted


def test_a_role_listing_all_but_secrets_proposes_an_exclusion() -> None:
    result, compiled, verification = run(docs_from(_auditor_role()))
    assert verification.unchanged
    [p] = [p for p in result.proposals if "except" in p.text[0]]
    assert p.text == ("get, list, watch * except secrets",)
    assert "role `auditor`" in p.summary
    mine = compile_sources([SourceFile("p.policy", "kubernetes 1.30\nrole auditor {\n  " + p.text[0] + "\n}\n")])
    [theirs] = [m.body["rules"] for m in compiled.manifests if m.kind == "ClusterRole" and m.name == "auditor"]
    [ours] = [m.body["rules"] for m in mine.manifests if m.kind == "ClusterRole" and m.name == "auditor"]

    def perms(rules: list[dict]) -> set[tuple[str, str, str]]:
        return {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]
                for v in rule["verbs"]}

    # The imported role also grants verbs a resource does not support (list pods/log); the
    # exclusion grants exactly the supported ones, which are all the imported role can use.
    assert perms(ours) <= perms(theirs)
    release = load_release((1, 30))
    usable = set()
    for g, r, v in perms(theirs):
        base, _, sub = r.partition("/")
        info = release.lookup(g, base)
        verbs = info.subresource_verbs(sub) if info and sub else (info.verbs if info else None)
        if verbs is not None and v in verbs and sub not in ("exec", "attach", "portforward", "proxy"):
            usable.add((g, r, v))
    assert usable == perms(ours)


def test_no_proposal_for_a_short_or_varied_policy() -> None:
    text = _namespace("web-prod", "prod") + (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n"
        "- apiGroups: [\"\"]\n  resources: [pods, services]\n  verbs: [get]\n")
    result, _compiled, _verification = run(docs_from(text))
    assert result.proposals == []

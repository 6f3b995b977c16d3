"""Exclusions (`VERBS [except VERBS] RESOURCES [except RESOURCES]`): what they emit per release, PC143, PC144.

The expected resources come from the release tables (policyc/data/releases/, generated from the
official client): PodSecurityPolicy is served up to 1.24 (removed in 1.25, KEP-5 / the 1.25
release notes), ValidatingAdmissionPolicy is GA in 1.30 (KEP-3488).
"""

from __future__ import annotations

import pytest

from helpers import codes, compile_text, underlined

AUDITOR = """\
kubernetes {release}
grant read * except secrets to group auditors in cluster
"""


def _rules(result, kind: str, name: str) -> list[dict]:
    (obj,) = [m for m in result.manifests if m.kind == kind and m.name == name]
    return obj.body["rules"]


def _granted(rules: list[dict]) -> dict[str, set[str]]:
    """`resource.group` -> verbs, from emitted PolicyRules."""
    out: dict[str, set[str]] = {}
    for r in rules:
        for g in r["apiGroups"]:
            for res in r["resources"]:
                base, slash, sub = res.partition("/")
                key = (f"{base}.{g}" if g else base) + slash + sub
                out.setdefault(key, set()).update(r["verbs"])
    return out


@pytest.mark.parametrize(
    ("release", "present", "absent"),
    [
        ("1.24", "podsecuritypolicies.policy", "validatingadmissionpolicies.admissionregistration.k8s.io"),
        ("1.30", "validatingadmissionpolicies.admissionregistration.k8s.io", "podsecuritypolicies.policy"),
    ],
)
def test_read_everything_except_secrets_differs_by_release(release: str, present: str, absent: str) -> None:
    result = compile_text(AUDITOR.format(release=release))
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    granted = _granted(_rules(result, "ClusterRole", "policyc:group:auditors"))
    assert "secrets" not in granted
    assert granted["pods"] == {"get", "list", "watch"}
    assert granted["pods/log"] == {"get"}
    assert granted[present] == {"get", "list", "watch"}
    assert absent not in granted
    # Reading is not executing: connect subresources stay out of a named-verb wildcard.
    assert not {"pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy"} & set(granted)
    # Only verbs a resource supports: tokenreviews take only `create`.
    assert "tokenreviews.authentication.k8s.io" not in granted
    # No wildcard is emitted: the list is explicit and sorted.
    assert all("*" not in r["verbs"] and "*" not in r["resources"] for r in _rules(result, "ClusterRole",
                                                                                      "policyc:group:auditors"))


def test_excepting_a_resource_removes_its_subresources() -> None:
    result = compile_text("kubernetes 1.30\ngrant read * except pods to group g in cluster\n")
    granted = _granted(_rules(result, "ClusterRole", "policyc:group:g"))
    assert not [r for r in granted if r == "pods" or r.startswith("pods/")]
    assert "services" in granted


@pytest.mark.parametrize("release", ["1.24", "1.30"])
def test_all_verbs_except_delete_on_a_group(release: str) -> None:
    result = compile_text(f"kubernetes {release}\nrole ops {{\n  * except delete, deletecollection *.apps\n}}\n"
                          "grant role ops to group ops in cluster\n")
    granted = _granted(_rules(result, "ClusterRole", "ops"))
    assert granted["deployments.apps"] == {"get", "list", "watch", "create", "update", "patch"}
    assert granted["deployments.apps/scale"] == {"get", "update", "patch"}
    assert all(k.endswith(".apps") or ".apps/" in k for k in granted)


def test_a_namespaced_grant_expands_to_namespaced_resources_only() -> None:
    result = compile_text("kubernetes 1.30\nnamespace app { }\ngrant read * except secrets to group g in app\n")
    granted = _granted(_rules(result, "Role", "policyc:group:g"))
    assert "pods" in granted and "nodes" not in granted and "namespaces" not in granted


def test_custom_resources_named_elsewhere_join_the_wildcard() -> None:
    text = ("kubernetes 1.30\nrole certs { read certificates.cert-manager.io }\n"
            "grant * except delete *.cert-manager.io to group g in cluster\n")
    granted = _granted(_rules(compile_text(text), "ClusterRole", "policyc:group:g"))
    assert granted["certificates.cert-manager.io"] == {
        "get", "list", "watch", "create", "update", "patch", "deletecollection"}


def test_pc143_an_exclusion_that_excludes_nothing() -> None:
    # A grant in a namespace expands to namespaced resources: `nodes` is not among them.
    result = compile_text("kubernetes 1.30\nnamespace a { }\ngrant read * except nodes to group g in a\n")
    [d] = [d for d in result.diagnostics if d.code == "PC143"]
    assert d.is_error and underlined(result, d) == "nodes"
    assert "excludes nothing" in d.message


def test_pc143_an_excepted_verb_no_resource_has() -> None:
    result = compile_text("kubernetes 1.30\ngrant read except bind pods to group g in cluster\n")
    [d] = [d for d in result.diagnostics if d.code == "PC143"]
    assert underlined(result, d) == "bind" and d.is_error


def test_an_unknown_excepted_resource_is_pc151_not_pc143() -> None:
    result = compile_text("kubernetes 1.30\ngrant read * except secretz to group g in cluster\n")
    assert "PC151" in codes(result) and "PC143" not in codes(result)


def test_pc144_warns_that_later_resources_are_not_covered() -> None:
    result = compile_text(AUDITOR.format(release="1.30"))
    [d] = [d for d in result.diagnostics if d.code == "PC144"]
    assert not d.is_error and "not covered" in d.message and "policyc diff" in d.help
    assert underlined(result, d) == "read * except secrets"
    assert "PC503" not in codes(result)  # nothing wildcard is emitted


def test_no_pc144_without_a_wildcard() -> None:
    result = compile_text("kubernetes 1.30\ngrant read except watch pods to group g in cluster\n")
    assert "PC144" not in codes(result)
    assert _granted(_rules(result, "ClusterRole", "policyc:group:g")) == {"pods": {"get", "list"}}


def _expanded(text: str):
    """The policy `expand_all` returns for `text` (lowered, intent applied), and the one it was given."""
    from policyc.check import exclusions, intent
    from policyc.check.context import Context
    from policyc.k8s.releases import load_release
    from policyc.source import SourceFile
    from policyc.syntax.lower import lower

    policy, diags = lower([SourceFile("test.policy", text)])
    assert not diags
    ctx = Context(policy, load_release((1, 30)), [])
    given = ctx.policy = intent.apply_intent(ctx)
    return exclusions.expand_all(ctx, given), given


def test_a_policy_without_exclusions_is_returned_as_it_is() -> None:
    """No rule says `except`: nothing is rebuilt (issue 19: no set of every resource, no second
    pass over every grant and role); one `except` anywhere still expands it."""
    plain = "role r { read pods }\ngrant role r to group a in app\ngrant read secrets to group b in app\n"
    out, given = _expanded(plain)
    assert out is given
    for extra in ("grant read * except secrets to group c in cluster\n",
                  "role x { read * except secrets }\n",
                  "expect group a cannot read * except pods in app\n"):
        out, given = _expanded(plain + extra)
        assert out is not given and any(r.expansion for r in _all_rules(out)), extra


def _all_rules(policy):
    return ([r for role in policy.roles for r in role.rules] + [g.rule for g in policy.grants if g.rule]
            + [e.rule for e in policy.expectations])

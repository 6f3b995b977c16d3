"""Namespace classes, selectors and typos in places: what they emit on two releases, and their diagnostics."""

from __future__ import annotations

import pytest

from helpers import codes, compile_text, underlined

CLASSES = """\
kubernetes {release}
namespace-class team {{
  labels owner=web
  pod-security restricted
  limits {{
    container max memory 1Gi
    container default memory 256Mi
  }}
  quota pods 10
  grant role edit to group web-devs
}}
namespace web-prod, web-dev class team {{
  labels tier=prod
}}
namespace web-dev {{
  quota pods 30
}}
namespace web-qa class team {{
  labels owner=qa
  pod-security baseline
  limits {{
    container max memory 2Gi
  }}
}}
"""

# Without a cluster block the release's default admission plugins apply: Pod Security Admission
# is on by default from 1.23 (beta) on, so both releases label the namespaces.


def _objects(result, kind: str) -> dict[tuple[str | None, str], dict]:
    return {(m.namespace, m.name): m.body for m in result.manifests if m.kind == kind}


@pytest.mark.parametrize("release", ["1.24", "1.30"])
def test_class_settings_and_namespace_overrides(release: str) -> None:
    result = compile_text(CLASSES.format(release=release))
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    ns = _objects(result, "Namespace")
    prod = ns[(None, "web-prod")]["metadata"]["labels"]
    qa = ns[(None, "web-qa")]["metadata"]["labels"]
    assert prod["owner"] == "web" and prod["tier"] == "prod"
    assert qa["owner"] == "qa"  # the namespace's own label wins over the class
    assert prod["pod-security.kubernetes.io/enforce"] == "restricted"
    assert qa["pod-security.kubernetes.io/enforce"] == "baseline"
    assert prod["pod-security.kubernetes.io/enforce-version"] == f"v{release}"
    quotas = _objects(result, "ResourceQuota")
    assert quotas[("web-prod", "quota")]["spec"]["hard"] == {"pods": "10"}
    assert quotas[("web-dev", "quota")]["spec"]["hard"] == {"pods": "30"}  # a later block of the namespace
    limits = _objects(result, "LimitRange")
    [qa_limit] = limits[("web-qa", "limits")]["spec"]["limits"]
    assert qa_limit["max"] == {"memory": "2Gi"} and qa_limit["default"] == {"memory": "256Mi"}
    bindings = _objects(result, "RoleBinding")
    for name in ("web-prod", "web-dev", "web-qa"):
        assert bindings[(name, "policyc:group:web-devs:edit")]["roleRef"]["name"] == "edit"


def test_pc105_undefined_class_with_did_you_mean() -> None:
    result = compile_text("namespace-class team { }\nnamespace a class taem\n")
    [d] = [d for d in result.diagnostics if d.code == "PC105"]
    assert d.is_error and underlined(result, d) == "taem" and "did you mean `team`?" in d.help


def test_pc109_a_class_nobody_uses() -> None:
    result = compile_text("namespace-class batch {\n  labels kind=batch\n}\n")
    [d] = [d for d in result.diagnostics if d.code == "PC109"]
    assert not d.is_error and underlined(result, d) == "batch"
    assert "PC109" not in codes(compile_text("namespace-class batch { }\nnamespace jobs class batch\n"))


def test_pc240_two_classes_for_one_namespace() -> None:
    result = compile_text("namespace-class a { }\nnamespace-class b { }\nnamespace x class a\nnamespace x class b\n")
    [d] = [d for d in result.diagnostics if d.code == "PC240"]
    assert d.is_error and underlined(result, d) == "b" and d.span.line == 4


def test_pc110_a_class_declared_twice() -> None:
    result = compile_text("namespace-class a { }\nnamespace-class a { }\nnamespace x class a\n")
    assert "PC110" in codes(result)


SELECT = """\
kubernetes {release}
namespace web-prod {{
  labels team=web, tier=prod
}}
namespace web-dev {{
  labels team=web, tier=dev
}}
namespace api-prod {{
  labels team=api, tier=prod, legacy=yes
}}
grant read pods to group sre in namespaces matching tier=prod
grant read configmaps to group web in namespaces matching team=web, tier!=prod
grant read services to group all in namespaces matching team, !legacy
"""


@pytest.mark.parametrize("release", ["1.24", "1.30"])
def test_selectors_resolve_with_label_selector_semantics(release: str) -> None:
    result = compile_text(SELECT.format(release=release))
    assert result.ok
    places = {}
    for m in result.manifests:
        if m.kind == "RoleBinding":
            places.setdefault(m.name, set()).add(m.namespace)
    assert places["policyc:group:sre"] == {"web-prod", "api-prod"}
    assert places["policyc:group:web"] == {"web-dev"}
    assert places["policyc:group:all"] == {"web-prod", "web-dev"}


def test_pc107_a_selector_on_an_unknown_label_key() -> None:
    result = compile_text(SELECT.format(release="1.30") + "grant get pods to group x in namespaces matching tir=prod\n")
    [d] = [d for d in result.diagnostics if d.code == "PC107"]
    assert underlined(result, d) == "tir" and "did you mean `tier`?" in d.help
    assert "PC108" not in codes(result)
    assert not [m for m in result.manifests if m.name == "policyc:group:x"]


def test_pc108_a_selector_that_matches_nothing() -> None:
    result = compile_text(SELECT.format(release="1.30") + "forbid read secrets for group sre in namespaces matching "
                          "tier=qa\n")
    [d] = [d for d in result.diagnostics if d.code == "PC108"]
    assert not d.is_error and underlined(result, d) == "namespaces matching tier=qa"
    assert result.program is not None and len(result.program.policy.guards) == 0  # never "every namespace"


def test_a_guard_with_a_selector_covers_the_matched_namespaces() -> None:
    text = SELECT.format(release="1.30") + "grant role edit to group web in web-dev\n" + \
        "forbid read secrets for group web in namespaces matching team=web\n"
    result = compile_text(text)
    [d] = [d for d in result.diagnostics if d.code == "PC301"]
    assert "web-dev" in d.message


def test_pc106_did_you_mean_for_a_place_typo() -> None:
    result = compile_text("namespace web-prod { }\ngrant read pods to group g in web-prd\n")
    [d] = [d for d in result.diagnostics if d.code == "PC106"]
    assert not d.is_error and underlined(result, d) == "web-prd" and "did you mean `web-prod`?" in d.message


@pytest.mark.parametrize("place", ["kube-system", "flux-system", "web-production-eu"])
def test_no_pc106_for_built_in_or_distant_namespaces(place: str) -> None:
    result = compile_text(f"namespace web-prod {{ }}\nnamespace kube-systen {{ }}\n"
                          f"grant read pods to group g in {place}\n")
    assert "PC106" not in codes(result)

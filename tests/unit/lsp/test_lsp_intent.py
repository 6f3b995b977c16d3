"""The language server on namespace classes, exclusions, selectors, expectations and `allow`:
occurrences, go to definition, hover, completion and renaming a class."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.k8s.releases import load_release
from policyc.lsp.complete import candidates, context
from policyc.lsp.hover import hover_text
from policyc.lsp.rename import RenameRefused, apply, edits
from policyc.lsp.workspace import Analysis, PolicyFolder, lowered

CLASSES = """\
kubernetes 1.30

namespace-class prod {
  labels tier=prod
  pod-security restricted
  quota pods 50
  grant role view to group oncall
}
"""

USES = """\
namespace web-prod, api-prod class prod
namespace data-prod class prod {
  quota pods 80
}
grant read * except secrets to group auditors in cluster
expect group oncall can list pods in namespaces matching tier=prod
"""


@pytest.fixture
def analysis(tmp_path: Path) -> Analysis:
    program = PolicyFolder(tmp_path)
    program.open("classes.policy", CLASSES, 1)
    program.open("uses.policy", USES, 1)
    return program.analyse()


def _at(analysis: Analysis, file: str, needle: str, nth: int = 0):
    text, offset = analysis.sources[file].text, -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    return analysis.index.at(file, offset + 1)


def test_class_occurrences_and_definition(analysis: Analysis) -> None:
    ref = _at(analysis, "uses.policy", "prod\n")  # `class prod` of the first line
    assert (ref.kind, ref.name, ref.decl) == ("class", "prod", False)
    [decl] = analysis.index.definitions(ref)
    assert decl.span.file == "classes.policy" and decl.span.line == 3
    refs = analysis.index.references(ref)
    assert [(o.span.file, o.span.line) for o in refs] == [("classes.policy", 3), ("uses.policy", 1), ("uses.policy", 2)]


def test_exclusions_and_expectations_have_occurrences(analysis: Analysis) -> None:
    assert (_at(analysis, "uses.policy", "secrets").kind, _at(analysis, "uses.policy", "secrets").name) == (
        "resource", "secrets")
    assert _at(analysis, "uses.policy", "oncall", 0).kind == "group"
    assert _at(analysis, "uses.policy", "list").kind == "verb"


def test_hover_on_a_class_lists_its_namespaces_and_settings(analysis: Analysis) -> None:
    text = hover_text(analysis.index, _at(analysis, "uses.policy", "prod\n"))
    assert "**namespace class** `prod`" in text
    assert "used by `api-prod`, `data-prod`, `web-prod`" in text
    assert "`tier=prod`" in text and "`pods 50`" in text and "1 grant in every namespace" in text
    assert "- class: `prod`" in hover_text(analysis.index, _at(analysis, "uses.policy", "data-prod"))


@pytest.mark.parametrize(
    ("before", "want"),
    [
        ("namespace-class prod { }\nnamespace a class ", "class"),
        ("namespace a {\n  labels tier=prod\n}\ngrant read pods to group g in namespaces matching ", "label"),
        ("expect group g can ", "verb"),
        ("expect group g cannot get ", "resource"),
        ("allow ", "code"),
    ],
)
def test_completion_context(before: str, want: str) -> None:
    assert context(before).want == want


def test_completion_candidates(analysis: Analysis) -> None:
    release = load_release((1, 30))
    names = [c.label for c in candidates(context("namespace x class "), analysis.index, release)]
    assert "prod" in names
    labels = [c.label for c in candidates(context("grant get pods to group g in namespaces matching "),
                                          analysis.index, release)]
    assert "tier=prod" in labels
    codes = [c.label for c in candidates(context("allow "), analysis.index, release)]
    assert "PC144" in codes and "PC301" not in codes  # errors cannot be allowed


def _reread(name: str, text: str):
    result = lowered(name, text)
    return result.occurrences if result.parsed else None


def test_rename_a_class_everywhere(analysis: Analysis) -> None:
    found = edits(analysis.index, _at(analysis, "uses.policy", "prod\n"), "production", [], _reread)
    new = {f: apply(analysis.sources[f].text, [e for e in found if e.file == f]) for f in ("classes.policy",
                                                                                       "uses.policy")}
    assert new["classes.policy"] == CLASSES.replace("namespace-class prod", "namespace-class production")
    assert new["uses.policy"] == USES.replace("class prod", "class production")


def test_rename_a_class_to_a_taken_name_is_refused(tmp_path: Path) -> None:
    program = PolicyFolder(tmp_path)
    program.open("a.policy", CLASSES + "namespace-class dev { }\nnamespace d class dev\nnamespace p class prod\n", 1)
    analysis = program.analyse()
    with pytest.raises(RenameRefused, match="already declared"):
        edits(analysis.index, _at(analysis, "a.policy", "prod {"), "dev", [], _reread)

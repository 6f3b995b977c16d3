"""The formatter on the intent-and-reuse constructs (the full messy -> canonical pair is
tests/unit/fmt/fmt_cases/intent/)."""

from __future__ import annotations

import pytest

from policyc.fmt import format_text


@pytest.mark.parametrize(
    ("messy", "canonical"),
    [
        ("grant read pods to group g in namespaces  matching a=b,c != d, e,! f\n",
         "grant read pods to group g in namespaces matching a=b, c!=d, e, !f\n"),
        ("grant read  *  except secrets ,pods/log to group g in cluster\n",
         "grant read * except secrets, pods/log to group g in cluster\n"),
        ("role r {  * except delete,deletecollection *.apps }\n",
         "role r {\n  * except delete, deletecollection *.apps\n}\n"),
        ("namespace a,b   class web\n", "namespace a, b class web\n"),
        ("namespace-class web {  labels t=w }\n", "namespace-class web {\n  labels t=w\n}\n"),
        ("expect  team ci cannot read secrets  in cluster\n", "expect team ci cannot read secrets in cluster\n"),
        ('allow PC144,PC109  because   "reason"\n', 'allow PC144, PC109 because "reason"\n'),
    ],
)
def test_canonical_layout(messy: str, canonical: str) -> None:
    result = format_text(messy)
    assert result.diagnostics == [] and result.text == canonical
    assert format_text(canonical).text == canonical


def test_a_quoted_bang_is_a_name_not_a_selector_operator() -> None:
    text = 'grant read pods to group "!" in namespaces matching a!=b\n'
    assert format_text(text).text == text

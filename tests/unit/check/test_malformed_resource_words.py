"""A resource word the grammar accepts but `parse_resource` cannot read (`set.`, `pods/`) is PC151
on the word, not an exception out of the check stage (found by tests/test_fuzz.py)."""

from __future__ import annotations

import pytest

from policyc.pipeline import compile_sources
from policyc.source import SourceFile


@pytest.mark.parametrize(
    ("text", "word", "message"),
    [
        ("namespace app { }\ngrant get set. to user a in app\n", "set.", "malformed resource `set.`"),
        ("namespace app { }\ngrant get pods/ to user a in app\n", "pods/",
         "malformed resource `pods/`: empty subresource"),
        ("role r {\n  get set., pods\n}\nnamespace app { }\ngrant role r to user a in app\n", "set.",
         "malformed resource `set.`"),
        ("namespace app { }\ngrant get * except set. to user a in app\n", "set.", "malformed resource `set.`"),
    ],
)
def test_malformed_resource_is_pc151_on_the_word(text: str, word: str, message: str) -> None:
    result = compile_sources([SourceFile("a.policy", text)])
    found = [d for d in result.diagnostics if d.code == "PC151"]
    assert [d.message for d in found] == [message]
    span = found[0].span
    assert text[span.start:span.end] == word
    assert not result.manifests  # an error: nothing is emitted

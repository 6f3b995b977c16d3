"""The generated blocks of the docs: replaced between their markers, and a missing marker named."""

from __future__ import annotations

import pytest

from policyc.docblocks import replace_block

B, E = "<!-- t:begin -->", "<!-- t:end -->"


@pytest.mark.parametrize(("doc", "expected"), [
    (f"intro\n{B}\nold\n{E}\nafter\n", f"intro\n{B}\nnew\n{E}\nafter\n"),
    (f"{B}{E}", f"{B}\nnew\n{E}"),
    (f"a\n{B}\nx\n{E}\nb\n{B}\ny\n{E}\n", f"a\n{B}\nnew\n{E}\nb\n{B}\ny\n{E}\n"),  # the first block only
])
def test_block_is_replaced(doc: str, expected: str) -> None:
    assert replace_block(doc, B, E, "new", "test") == expected


@pytest.mark.parametrize("doc", ["no markers", f"{B} only the begin", f"only the end {E}"])
def test_missing_marker_is_named(doc: str) -> None:
    with pytest.raises(ValueError, match="lacks the test markers"):
        replace_block(doc, B, E, "new", "test")

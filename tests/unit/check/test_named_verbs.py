"""PC160 from the request's attributes (requestinfo.go): which verbs of a `named` rule never match."""

from __future__ import annotations

import pytest

from policyc.pipeline import compile_sources
from policyc.source import SourceFile

CASES = [
    # (rule, verbs PC160 names: those whose requests never carry a name)
    # list/watch with the field selector metadata.name=N get the name N (requestinfo.go).
    ("list, watch configmaps named a", []),
    ("read configmaps named a", []),
    # A subresource's URL names its object: POST .../pods/NAME/exec, .../eviction, .../serviceaccounts/NAME/token.
    ("create pods/exec named web", []),
    ("create pods/eviction, pods/attach named web", []),
    ("create serviceaccounts/token named builder", []),
    # `*` and `*.apps` cover subresources too.
    ("create * named x", []),
    ("create *.apps named x", []),
    ("* configmaps named a", []),
    # Creating an object posts to the collection: no name; a nameless delete is deletecollection.
    ("create configmaps named a", ["create"]),
    ("create configmaps, pods/exec named a", ["create"]),
    ("deletecollection pods named a", ["deletecollection"]),
    ("write configmaps named a", ["create", "deletecollection"]),
]


@pytest.mark.parametrize(("rule", "unnamed"), CASES, ids=[c[0] for c in CASES])
def test_named_rule(rule: str, unnamed: list[str]) -> None:
    text = f"kubernetes 1.33\nrole r {{\n  {rule}\n}}\ngrant role r to user a in default\n"
    found = [d for d in compile_sources([SourceFile("p.policy", text)]).diagnostics if d.code == "PC160"]
    if not unnamed:
        assert found == []
        return
    [d] = found
    assert d.message.startswith(", ".join(f"`{v}`" for v in unnamed) + " with `named` never allows anything")
    # The fix never widens the rule: it removes verbs, it never drops `named`.
    assert d.help.startswith("remove " + ", ".join(f"`{v}`" for v in unnamed))
    assert "without `named`" not in d.help

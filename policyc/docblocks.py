"""Generated blocks in the docs: the text between a begin and an end marker, rewritten from code.

docs/access.md (escalation rules, built-in roles per release) and docs/pod-security.md keep tables
that the code generates (scripts/gen_access_rules.py, scripts/gen_pod_security_doc.py); tests compare
the file with the block rewritten, so the docs cannot drift from the tables they describe.
"""

from __future__ import annotations


def replace_block(doc: str, begin: str, end: str, body: str, what: str) -> str:
    """`doc` with the text between `begin` and `end` replaced by `body` (ValueError naming `what`
    when a marker is missing)."""
    head, sep, rest = doc.partition(begin)
    _, sep2, tail = rest.partition(end)
    if not sep or not sep2:
        raise ValueError(f"the document lacks the {what} markers")
    return f"{head}{begin}\n{body}\n{end}{tail}"

"""Suppression comments are looked for only in files that have one (check/suppress.py `_NO_MARK`):
a comment suppresses the warning below it in its own file, and the files without one keep theirs."""

from __future__ import annotations

from policyc.pipeline import compile_sources
from policyc.source import SourceFile

GRANT = "grant role cluster-admin to group ops{n} in cluster\n"


def test_comments_suppress_in_their_own_file_only() -> None:
    sources = [
        SourceFile("a.policy", "# a plain comment\n" + GRANT.format(n=1)),
        SourceFile("b.policy", "# policyc: allow PC501 break-glass, audited\n" + GRANT.format(n=2)
                   + "# policyc: allow PC501\n" + GRANT.format(n=3)),
        SourceFile("c.policy", "\n" + GRANT.format(n=4)),
    ]
    result = compile_sources(sources, lints=True)
    kept = sorted((d.code, d.span.file, d.span.line) for d in result.diagnostics if d.code in ("PC501", "PC530"))
    assert kept == [("PC501", "a.policy", 2), ("PC501", "b.policy", 4), ("PC501", "c.policy", 2),
                    ("PC530", "b.policy", 3)]
    assert [(d.code, d.span.file, d.span.line) for d in result.suppressed] == [("PC501", "b.policy", 2)]


def test_a_policy_wide_allow_suppresses_without_any_comment() -> None:
    """No file has a suppression comment: a policy-wide `allow` still moves its warnings aside."""
    sources = [
        SourceFile("a.policy", GRANT.format(n=1) + 'allow PC501 because "break-glass groups, audited"\n'),
        SourceFile("b.policy", GRANT.format(n=2)),
    ]
    result = compile_sources(sources, lints=True)
    assert [d.code for d in result.diagnostics if d.code == "PC501"] == []
    assert sorted((d.code, d.span.file) for d in result.suppressed) == [("PC501", "a.policy"), ("PC501", "b.policy")]

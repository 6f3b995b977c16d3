"""Formatter layout rules, one table row each, and its refusals."""

from __future__ import annotations

import pytest
from fmt_oracle import comments, meaning

import policyc.fmt as fmt_module
from policyc.fmt import format_text
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

LAYOUT = [
    # (what, input, canonical)
    ("empty file", "", ""),
    ("only blank lines", "\n\n  \n", ""),
    ("only a comment", "# nothing yet", "# nothing yet\n"),
    ("single spaces between tokens", "user  bob\tauth   oidc\n", "user bob auth oidc\n"),
    ("no space before a comma, one after", "forbid get ,list,  watch secrets for everyone\n",
     "forbid get, list, watch secrets for everyone\n"),
    ("two-space indentation", "role r {\n\t\t\tget pods\n}\n", "role r {\n  get pods\n}\n"),
    ("nested blocks indent twice", "namespace n {\nlimits {\ncontainer max cpu 2\n}\n}\n",
     "namespace n {\n  limits {\n    container max cpu 2\n  }\n}\n"),
    ("one-line block is opened", "role r { get pods }\n", "role r {\n  get pods\n}\n"),
    ("closing braces on their own lines", "namespace n { limits { container max cpu 2 } }\n",
     "namespace n {\n  limits {\n    container max cpu 2\n  }\n}\n"),
    ("empty block stays on one line", "role r {\n\n}\n", "role r {}\n"),
    ("CRLF line ends become LF", "user a auth oidc\r\nuser b auth oidc\r\n", "user a auth oidc\nuser b auth oidc\n"),
    ("missing final newline is added", "user a auth oidc", "user a auth oidc\n"),
    ("trailing blank lines are dropped", "user a auth oidc\n\n\n\n", "user a auth oidc\n"),
    ("leading blank lines are dropped", "\n\n\nuser a auth oidc\n", "user a auth oidc\n"),
    ("blank runs collapse to one", "user a auth oidc\n\n\n\nuser b auth oidc\n",
     "user a auth oidc\n\nuser b auth oidc\n"),
    ("grouped one-line declarations stay grouped", "user a auth oidc\nuser b auth oidc\n",
     "user a auth oidc\nuser b auth oidc\n"),
    ("a block declaration gets blank lines around it",
     "user a auth oidc\nrole r {\nget pods\n}\ngrant role r to user a in default\n",
     "user a auth oidc\n\nrole r {\n  get pods\n}\n\ngrant role r to user a in default\n"),
    ("the blank line goes above a declaration's comments",
     "role r {\nget pods\n}\n# about s\nrole s {\nget pods\n}\n",
     "role r {\n  get pods\n}\n\n# about s\nrole s {\n  get pods\n}\n"),
    ("no blank line at the start or end of a block", "role r {\n\n  get pods\n\n}\n", "role r {\n  get pods\n}\n"),
    ("a blank line inside a block is kept once", "role r {\nget pods\n\n\nlist pods\n}\n",
     "role r {\n  get pods\n\n  list pods\n}\n"),
    ("a trailing comment is one space after the code", "user a auth oidc      # ann\n", "user a auth oidc # ann\n"),
    ("a comment after { stays there", "role r {    # why\nget pods\n}\n", "role r { # why\n  get pods\n}\n"),
    ("a comment after } stays there", "role r {\nget pods\n}    # why\n", "role r {\n  get pods\n} # why\n"),
    ("a comment before } is indented as the block's content", "role r {\nget pods\n# last\n}\n",
     "role r {\n  get pods\n  # last\n}\n"),
    ("a comment keeps its own text", "#!  keep   this  ##\nuser a auth oidc\n",
     "#!  keep   this  ##\nuser a auth oidc\n"),
    ("a # inside a string is not a comment", 'user "a#b" auth oidc\n', 'user "a#b" auth oidc\n'),
    ("strings are kept as written", 'user "a  b" auth oidc groups "x\\"y"\n', 'user "a  b" auth oidc groups "x\\"y"\n'),
    ("no column alignment", "user testuser       auth certificate  groups app1\nuser bob            auth oidc\n",
     "user testuser auth certificate groups app1\nuser bob auth oidc\n"),
    ("a keyword used as a name stays a name", "role list {\nget list\n}\ngrant role list to user a in default\n",
     "role list {\n  get list\n}\n\ngrant role list to user a in default\n"),
    # A line ending in a comma continues on a line indented deeper (syntax/lexer.py).
    ("a list broken after a comma keeps its break, indented two levels deeper",
     "role r {\n  get pods,\n   services,\n        configmaps\n}\n",
     "role r {\n  get pods,\n      services,\n      configmaps\n}\n"),
    ("a broken top-level list", "forbid get,\n list secrets for everyone\n",
     "forbid get,\n    list secrets for everyone\n"),
    ("a broken list before a block", "namespace n {\n  labels a=b,\n     c=d\n}\n",
     "namespace n {\n  labels a=b,\n      c=d\n}\n"),
]


@pytest.mark.parametrize(("what", "before", "after"), LAYOUT, ids=[row[0] for row in LAYOUT])
def test_layout(what: str, before: str, after: str) -> None:
    result = format_text(before)
    assert result.diagnostics == []
    assert result.text == after
    assert format_text(after).text == after  # idempotent
    assert comments(before) == comments(after)
    assert meaning(before) == meaning(after)


SYNTAX_ERRORS = [
    # (input, code, line, col)
    ("role r {\n  get pods\n", "PC001", 2, 10),
    ("user bob auth oidc groups\n", "PC001", 1, 26),
    ('user "bob auth oidc\n', "PC003", 1, 6),
    ("role r { get pods } }\n", "PC001", 1, 21),
    ("user bob auth oidc\nteam t { members user a ; }\n", "PC002", 2, 25),
    # A comma at the end of a line continues only onto a deeper line with no comment in between.
    ("role r {\n  get pods,\n  list pods\n}\n", "PC001", 2, 12),
    ("role r {\n  get pods, # why\n    services\n}\n", "PC001", 2, 18),
    ("role r {\n  get pods,\n\n    services\n}\n", "PC001", 2, 12),
]


@pytest.mark.parametrize(("text", "code", "line", "col"), SYNTAX_ERRORS)
def test_refuses_syntax_errors_with_the_compilers_diagnostic(text: str, code: str, line: int, col: int) -> None:
    result = format_text(text, "bad.policy")
    assert result.text is None
    assert not result.changed
    [d] = result.diagnostics
    assert (d.code, d.span.file, d.span.line, d.span.col) == (code, "bad.policy", line, col)
    compiled = compile_sources([SourceFile("bad.policy", text)])
    assert [(x.code, x.message, x.span) for x in compiled.diagnostics] == [(d.code, d.message, d.span)]


def test_an_output_that_would_change_the_tokens_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The safety net: if the printer ever dropped or changed a token, PC020 and no output."""
    monkeypatch.setattr(fmt_module.layout, "render", lambda root: "user bob auth token\n")
    result = format_text("user bob auth oidc\n", "x.policy")
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["PC020"]


def test_an_output_that_no_longer_parses_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt_module.layout, "render", lambda root: "role r\n{\nget pods\n}\n")
    result = format_text("role r { get pods }\n", "x.policy")
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["PC020"]

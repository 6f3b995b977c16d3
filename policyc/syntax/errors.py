"""Syntax errors as diagnostics: what the parser met, what it expected, and how to fix it."""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from policyc.diagnostics import Diagnostic, error
from policyc.rules import ERROR, Rule, register
from policyc.source import SourceFile
from policyc.syntax.parser import parser

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule(
        "PC001", ERROR, "unexpected token, end of line or end of file; `help` lists what was expected",
        example="`grant role r to user a in default extra`",
    ),
    Rule(
        "PC002", ERROR, "a character that cannot start a name or string (control characters shown as `U+0000`)",
        example="`get pods$`",
    ),
    Rule("PC003", ERROR, "unterminated string", example="`user \"bob auth token`"),
)

# Terminal names as a person would call them.
_TERMINALS = {
    "_NL": "end of line",
    "$END": "end of file",
    "WORD": "a name",
    "STRING": 'a "quoted string"',
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "COMMA": "`,`",
}


def _describe(term: str) -> str:
    if term in _TERMINALS:
        return _TERMINALS[term]
    try:
        pattern = parser().get_terminal(term).pattern
    except KeyError:
        return f"`{term.lower()}`"
    return f"`{pattern.value}`" if pattern.type == "str" else f"`{term.lower()}`"


def _expected(names: set[str] | frozenset[str]) -> str:
    described = sorted({_describe(n) for n in names})
    if not described:
        return ""
    if len(described) == 1:
        return described[0]
    return ", ".join(described[:-1]) + " or " + described[-1]


def syntax_diagnostic(exc: UnexpectedInput, src: SourceFile) -> Diagnostic:
    """Turn a Lark exception into a PC0xx diagnostic at its position in `src`."""
    if isinstance(exc, UnexpectedCharacters):
        start = exc.pos_in_stream
        ch = src.text[start] if start < len(src.text) else ""
        if ch == '"':
            return error(
                "PC003",
                "unterminated string",
                src.span(start, start + 1),
                'close the string with `"` on the same line',
            )
        shown = repr(ch)[1:-1] if ch.isprintable() else f"U+{ord(ch):04X}"
        return error(
            "PC002",
            f"unexpected character `{shown}`",
            src.span(start, start + 1),
            "names are letters, digits and `._@:/=+*-`; write anything else as a \"quoted string\"",
        )
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = _expected(exc.accepts or exc.expected)
        if tok.type == "$END":
            # Point at the last character written: the caret then sits under real text.
            end = max(0, len(src.text.rstrip("\n")) - 1)
            return error(
                "PC001",
                "unexpected end of file",
                src.span(end, end + 1),
                f"expected {expected}" if expected else "a block is not closed: add `}`",
            )
        start = tok.start_pos if tok.start_pos is not None else 0
        end = tok.end_pos if tok.end_pos is not None else start + 1
        if tok.type == "_NL":
            what = "unexpected end of line"
            end = start + 1
        else:
            what = f"unexpected `{tok.value}`"
        return error("PC001", what, src.span(start, end), f"expected {expected}" if expected else "")
    if isinstance(exc, UnexpectedEOF):
        end = len(src.text)
        return error("PC001", "unexpected end of file", src.span(end, end), "a block is not closed: add `}`")
    return error("PC001", "syntax error", src.span(0, 1), "")

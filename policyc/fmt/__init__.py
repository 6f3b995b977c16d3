"""`policyc fmt`: the one canonical layout of policy files.

The formatter reads a file through the compiler's own parser (tokens.py), groups the tokens
into statements and blocks and prints them in the canonical layout (layout.py). It refuses a
file with a syntax error (the compiler's PC0xx diagnostic) rather than guessing, and checks
its own output: the output must parse to the same tokens as the input, so formatting can
never change what a policy compiles to (PC020 if it ever would).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.diagnostics import Diagnostic, error
from policyc.fmt import layout
from policyc.fmt.tokens import pieces, signature
from policyc.rules import ERROR, Rule, register
from policyc.source import SourceFile
from policyc.syntax.tokens import PolicySyntaxError

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "fmt",
    Rule(
        "PC020", ERROR,
        "formatting would change the file's tokens (an internal safety net: the output must parse to exactly the "
        "tokens of the input); the file is left unchanged",
        example="none known",
        help="please report it as a bug of policyc fmt, with the file",
    ),
    Rule(
        "PC021", ERROR,
        "`policyc fmt --check`: the file is not in the canonical layout; points at the first line that would change",
        example="`user bob    auth oidc`",
    ),
)

__all__ = ["Formatted", "format_source", "format_text"]


@dataclass(frozen=True)
class Formatted:
    """The outcome of formatting one file: the canonical text, or why there is none."""

    source: SourceFile
    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the canonical text differs from the file as it is."""
        return self.text is not None and self.text != self.source.text


def format_source(src: SourceFile) -> Formatted:
    """Format one source file; a syntax error gives diagnostics and no text."""
    try:
        stream = list(pieces(src.text))
    except PolicySyntaxError as exc:
        return Formatted(src, None, [exc.diagnostic(src)])
    text = layout.render(layout.build(stream))
    if text == src.text:
        # Already canonical: lexing the output again would replay the lexing above token for
        # token (`lex` depends on the text alone), so the safety net is skipped. The importer
        # renders every file in this layout already, and lexing is most of the cost (issue 19).
        return Formatted(src, text)
    before = [(p.kind, p.text) for p in stream if p.kind not in ("_NL", "COMMENT", "WRAP")]
    try:
        same = signature(text) == before
    except PolicySyntaxError:
        same = False
    if not same:
        return Formatted(
            src,
            None,
            [
                error(
                    "PC020",
                    "formatting would change what this file means, so it is left as it is",
                    src.span(0, 0),
                    "this is a bug in `policyc fmt`: please report it with the file",
                )
            ],
        )
    return Formatted(src, text)


def format_text(text: str, name: str = "<stdin>") -> Formatted:
    """Format policy text given in memory (`name` is used in diagnostics)."""
    return format_source(SourceFile(name, text))

"""CEL expressions of the structured API server configuration, parsed at build time.

kube-apiserver compiles every expression of an AuthenticationConfiguration (claim mappings,
claim validation rules) and an AuthorizationConfiguration (webhook matchConditions) when it
loads the file, and refuses to start on the first error
(staging/src/k8s.io/apiserver/pkg/apis/apiserver/validation/validation.go,
compileClaimsCELExpression, compileMatchConditionsExpression). policyc parses them with a real
CEL parser (cel-python) so the error points at the policy's line and column instead.

Each kind of expression sees one variable: `claims` (pkg/authentication/cel/compile.go:
claimsVarName), `request` (pkg/authorization/cel/compile.go: subjectAccessReviewRequestVarName).
A root identifier other than that variable (and the loop variables of the comprehension macros)
is an "undeclared reference" to the API server; policyc reports it too. Type checking (a
username expression must give a string) is left to the API server.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policyc import model as m
from policyc.diagnostics import Label
from policyc.source import Span
from policyc.syntax.escapes import source_offset

CLAIMS = "claims"
REQUEST = "request"
# cel-go's comprehension macros bind their first argument (`list.exists(x, ...)`).
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

if TYPE_CHECKING:
    import celpy


@functools.cache
def _env() -> celpy.Environment:
    """cel-python's parser, made on the first expression: importing cel-python and building its
    grammar cost about 0.25 s of CPU, which every compile paid though few policies hold CEL."""
    import celpy

    return celpy.Environment()


@dataclass(frozen=True)
class CelExpr:
    """A parsed expression: its text, the word it came from and its parse tree."""

    text: str
    word: m.Word
    tree: object

    def selects(self, variable: str, field: str) -> bool:
        """Whether the expression reads `variable.field` (validation.go hasSelectExp)."""
        for node in self.tree.iter_subtrees():  # type: ignore[attr-defined]
            if node.data != "member_dot" or len(node.children) != 2:
                continue
            operand, name = node.children
            if str(name) == field and _root_ident(operand) == variable:
                return True
        return False


def _root_ident(node) -> str | None:
    """`claims` for the member `claims` (a bare identifier), else None."""
    if getattr(node, "data", None) != "member" or len(node.children) != 1:
        return None
    primary = node.children[0]
    if getattr(primary, "data", None) != "primary" or len(primary.children) != 1:
        return None
    ident = primary.children[0]
    if getattr(ident, "data", None) != "ident":
        return None
    return str(ident.children[0])


def _span_in(word: m.Word, line: int, column: int, length: int = 1) -> Span:
    """The policy span of a (line, column) of the expression inside `word`.

    Line and column are CEL's, in the decoded value (an escaped `\\n` starts a new line there); the
    value's offset maps back to the source through its escapes (syntax/escapes.py source_offset), so
    the caret sits under the character CEL names whatever escapes come before it.
    """
    s = word.span
    if s.end_line != s.line:  # not one source line: keep the word's own span
        return s
    lines = word.text.split("\n")
    if not 1 <= line <= len(lines):
        return s
    offset = sum(len(t) + 1 for t in lines[:line - 1]) + column - 1
    start = source_offset(word, offset)
    return s.inner(start, source_offset(word, offset + length) - start)


def parse(word: m.Word, variable: str) -> tuple[CelExpr | None, list[Label]]:
    """Parse the expression of `word`; problems carry the span inside the word."""
    text = word.text
    if not text.strip():
        return None, [Label(word.span, "the expression is empty")]
    from celpy.celparser import CELParseError

    try:
        tree = _env().compile(text)
    except CELParseError as exc:
        line, column = getattr(exc, "line", None) or 1, getattr(exc, "column", None) or 1
        first = str(exc.args[0]).splitlines()[0] if exc.args and str(exc.args[0]).strip() else "syntax error"
        detail = "" if first.strip() == text.splitlines()[line - 1].strip() else f": {first}"
        where = f"line {line} (after an escaped `\\n`), " if line > 1 else ""  # CEL's line in the value
        return None, [Label(_span_in(word, line, column),
                               f"the CEL expression does not parse at {where}column {column}{detail}")]
    expr = CelExpr(text, word, tree)
    return expr, _unknown_variables(expr, variable)


def _unknown_variables(expr: CelExpr, variable: str) -> list[Label]:
    bound: set[str] = set()
    for node in expr.tree.iter_subtrees():  # type: ignore[attr-defined]
        if node.data == "member_dot_arg" and len(node.children) == 3 and str(node.children[1]) in _MACROS:
            args = node.children[2]
            first = args.children[0] if getattr(args, "children", None) else None
            leaves = [t for t in first.scan_values(lambda v: True)] if first is not None else []
            if len(leaves) == 1:
                bound.add(str(leaves[0]))
    problems: list[Label] = []
    seen: set[str] = set()
    for node in expr.tree.iter_subtrees_topdown():  # type: ignore[attr-defined]
        if node.data != "ident":
            continue
        token = node.children[0]
        name = str(token)
        if name == variable or name in bound or name in seen:
            continue
        seen.add(name)
        problems.append(Label(
            _span_in(expr.word, getattr(token, "line", 1), getattr(token, "column", 1), len(name)),
            f"`{name}` is not a variable of this expression: the API server gives it only `{variable}` "
            "(\"undeclared reference\")"))
    return problems

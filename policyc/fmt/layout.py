"""The canonical layout: the token stream grouped into statements and blocks, then printed.

Rules (docs/editors.md): two spaces of indentation per block; tokens separated by one space,
none before a comma; `{` ends its line and `}` stands on its own; comments stay where they
were (full-line comments on their own line at the indentation of what follows them,
end-of-line comments one space after the code); at most one blank line anywhere, none at the
start or end of a block; at top level, a declaration with a block is always separated from
its neighbours by a blank line, while one-line declarations keep the grouping the author gave
them. No column alignment: it turns a one-line change into a diff of the whole group.
A list the author broke after a comma (the next line indented deeper, syntax/lexer.py) keeps
its breaks; its continuation lines are indented two levels deeper than the statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from policyc.fmt.tokens import Piece

INDENT = "  "


@dataclass
class Blank:
    """A blank line the author left (runs collapse to one)."""


@dataclass
class Comment:
    """A comment on a line of its own."""

    text: str


@dataclass
class Block:
    """`{ ... }`: an optional comment after `{` and the items inside."""

    items: list[Statement | Comment | Blank] = field(default_factory=list)
    comment: str = ""


@dataclass
class Statement:
    """One statement: its tokens, the block it ends with, an end-of-line comment."""

    words: list[str] = field(default_factory=list)
    block: Block | None = None
    comment: str = ""
    breaks: set[int] = field(default_factory=set)  # a line break after words[i]


def build(stream: Iterable[Piece]) -> Block:
    """Group a token stream (see tokens.pieces) into nested blocks of statements and comments."""
    root = Block()
    blocks: list[Block] = [root]
    current: list[Statement | None] = [None]
    previous = ""
    glue = False  # the next word joins the last one: selector terms are written `k!=v` and `!k`
    for piece in stream:
        kind = piece.kind
        if kind == "COMMENT":
            if previous == "LBRACE":
                blocks[-1].comment = piece.text
            elif current[-1] is not None:
                current[-1].comment = piece.text
            else:  # a comment on the first line of the file
                root.items.append(Comment(piece.text))
            continue
        if kind == "WRAP":
            stmt = current[-1]
            if stmt is not None and stmt.words:
                stmt.breaks.add(len(stmt.words) - 1)
            continue
        previous = kind
        if kind == "_NL":
            current[-1] = None
            blocks[-1].items.extend(_line_items(piece.text))
        elif kind == "LBRACE":
            stmt = current[-1]
            assert stmt is not None, "the grammar never opens a block outside a statement"
            stmt.block = Block()
            blocks.append(stmt.block)
            current.append(None)
        elif kind == "RBRACE":
            blocks.pop()
            current.pop()
        else:
            stmt = current[-1]
            if stmt is None:
                stmt = current[-1] = Statement()
                blocks[-1].items.append(stmt)
            assert stmt.block is None, "the grammar never continues a statement after its block"
            if kind == "COMMA" and stmt.words:
                stmt.words[-1] += ","
            elif (glue or piece.text == "!=") and stmt.words:
                stmt.words[-1] += piece.text
            else:
                stmt.words.append(piece.text)
            glue = piece.text in ("!=", "!")
    return root


def _line_items(newlines: str) -> list[Comment | Blank]:
    """The blank and comment lines inside one `_NL` token (`\\n  # c\\n\\n  `)."""
    lines = newlines.split("\n")[1:]
    items: list[Comment | Blank] = []
    # Every line but the last is complete; the last one is the indentation of the next
    # statement, or a comment at the very end of the file.
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            items.append(Comment(stripped))
        elif i < len(lines) - 1:
            items.append(Blank())
    return items


def render(root: Block) -> str:
    """The canonical text of a file (empty, or ending with exactly one newline)."""
    out: list[str] = []
    _top_level(root.items, out)
    return "".join(line + "\n" for line in out)


def _tidy(items: list[Statement | Comment | Blank]) -> list[Statement | Comment | Blank]:
    """Blank runs collapsed to one; no blank line at the start or the end."""
    tidy: list[Statement | Comment | Blank] = []
    for item in items:
        if isinstance(item, Blank) and (not tidy or isinstance(tidy[-1], Blank)):
            continue
        tidy.append(item)
    while tidy and isinstance(tidy[-1], Blank):
        tidy.pop()
    return tidy


@dataclass
class _Unit:
    """A top-level statement with the comment lines directly above it (or comments alone)."""

    comments: list[Comment]
    stmt: Statement | None
    blank_before: bool


def _top_level(items: list[Statement | Comment | Blank], out: list[str]) -> None:
    units: list[_Unit] = []
    pending: list[Comment] = []
    blank = False
    for item in _tidy(items):
        if isinstance(item, Blank):
            if pending:
                units.append(_Unit(pending, None, blank))
                pending = []
            blank = True
        elif isinstance(item, Comment):
            pending.append(item)
        else:
            units.append(_Unit(pending, item, blank))
            pending, blank = [], False
    if pending:
        units.append(_Unit(pending, None, blank))
    previous: _Unit | None = None
    for unit in units:
        if previous is not None and (unit.blank_before or _needs_blank(previous, unit)):
            out.append("")
        out.extend(c.text for c in unit.comments)
        if unit.stmt is not None:
            _statement(unit.stmt, 0, out)
        previous = unit


def _needs_blank(previous: _Unit, unit: _Unit) -> bool:
    """A blank line always separates a top-level declaration with a block from its neighbours."""
    if previous.stmt is None or unit.stmt is None:
        return False
    return previous.stmt.block is not None or unit.stmt.block is not None


def _lines(stmt: Statement, indent: str) -> list[str]:
    """The statement's words on one line, or on several where the author broke them after a comma."""
    lines, current = [], indent
    for i, word in enumerate(stmt.words):
        current += word if current.strip() == "" else " " + word
        if i in stmt.breaks and i < len(stmt.words) - 1:
            lines.append(current)
            current = indent + INDENT * 2
    return [*lines, current]


def _statement(stmt: Statement, depth: int, out: list[str]) -> None:
    indent = INDENT * depth
    *first, last = _lines(stmt, indent)  # `last` carries the indentation of its own line
    out.extend(first)
    block = stmt.block
    if block is None:
        out.append(_with_comment(last, stmt.comment))
        return
    items = _tidy(block.items)
    if not items and not block.comment:
        out.append(_with_comment(f"{last} {{}}", stmt.comment))
        return
    out.append(_with_comment(f"{last} {{", block.comment))
    inner = INDENT * (depth + 1)
    for item in items:
        if isinstance(item, Blank):
            out.append("")
        elif isinstance(item, Comment):
            out.append(inner + item.text)
        else:
            _statement(item, depth + 1, out)
    out.append(_with_comment(indent + "}", stmt.comment))


def _with_comment(line: str, comment: str) -> str:
    return f"{line} {comment}" if comment else line

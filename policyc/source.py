"""Source files and spans: where every model node and diagnostic points back to."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field


@dataclass(frozen=True, init=False)
class Span:
    """A region of one source file. Lines and columns are 1-based; offsets are 0-based."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start: int = 0
    end: int = 0

    def __init__(self, file: str, line: int, col: int, end_line: int, end_col: int,
                 start: int = 0, end: int = 0) -> None:
        # The generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__ (730 ns a span); writing the instance dict directly costs 290 ns,
        # and parsing makes about 200,000 spans at 3,000 namespaces. Assignment after
        # construction still raises FrozenInstanceError (the class's __setattr__). The price:
        # CPython 3.11 then keeps a real dict instead of inline values, so each read costs about
        # 12 ns more; most spans are read only when a diagnostic shows, which nets 0.06 s at
        # `identity` 3,000 (Word, read far more often, lost more than it saved: not done there).
        d = self.__dict__
        d["file"] = file
        d["line"] = line
        d["col"] = col
        d["end_line"] = end_line
        d["end_col"] = end_col
        d["start"] = start
        d["end"] = end

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def sort_key(self) -> tuple[str, int, int]:
        """Key that orders spans by file, line and column."""
        return (self.file, self.line, self.col)

    def inner(self, offset: int, length: int = 1) -> Span:
        """The part of this (one-line) span `offset` characters in and `length` long (at least one
        character, so a caret shows), its end kept inside this span: a column inside a word."""
        length = max(length, 1)
        col, start = self.col + offset, self.start + offset
        return Span(self.file, self.line, col, self.line, max(min(col + length, self.end_col), col + 1),
                    start, start + length)


NO_SPAN = Span("<none>", 0, 0, 0, 0)
_NEWLINE = re.compile("\n")


@dataclass(frozen=True)
class SourceFile:
    """One policy file: the name shown to users (relative to the policy folder) and its text."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Offsets after each newline, found in C (a Python loop per character was 2 % of a build).
        object.__setattr__(self, "_line_starts", (0, *(m.end() for m in _NEWLINE.finditer(self.text))))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a 0-based character offset."""
        idx = bisect.bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1

    def span(self, start: int, end: int) -> Span:
        """A span from 0-based character offsets."""
        line, col = self.position(start)
        end_line, end_col = self.position(max(start, end))
        return Span(self.name, line, col, end_line, end_col, start, end)

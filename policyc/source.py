"""Source files and spans: where every model node and diagnostic points back to."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# A position as the scanner gives it, after the file name: (line, column, end line, end column,
# start offset, end offset); lines and columns 1-based, offsets 0-based (syntax/lexer.py `Place`).
Place = tuple[int, int, int, int, int, int]


class _Pending:
    """The position a `Span` holds until a field besides `file` is first read (`Span.__getattr__`)."""

    __slots__ = ("_place",)


@dataclass(frozen=True, slots=True, init=False)
class Span(_Pending):
    """A region of one source file. Lines and columns are 1-based; offsets are 0-based.

    The lowering makes its spans lazily (`span_at`): such a span holds its file and the scanner's
    position tuple (no copy), and fills its other fields from it when one is first read (by
    `__getattr__`, reached only while a slot is empty; about 0.65 us). Most of them are never
    read past `file` (at `grants` 3,000, 79,000 of 106,000 spans, besides 100,000 words that
    never make theirs, `model.nodes.placed_word`), and two slot stores cost 0.2 us against 0.43
    for the seven dict stores of before. The constructor fills every field at once (its spans are
    about to be read). Either way a field is a slot read, and equality, hash, repr, `replace`,
    pickling and copies are the dataclass's, over all seven fields (they read them).
    """

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start: int = 0
    end: int = 0

    def __init__(self, file: str, line: int, col: int, end_line: int, end_col: int,
                 start: int = 0, end: int = 0) -> None:
        # Every field at once: a span made by its constructor is about to be read (a diagnostic's,
        # a grant's). The generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__; slot descriptors bypass the frozen __setattr__ (assignment still
        # raises FrozenInstanceError).
        _set_file(self, file)
        _fill(self, line, col, end_line, end_col, start, end)

    def __getattr__(self, name: str) -> int:
        if name not in _LAZY_FIELDS:
            raise AttributeError(f"'Span' object has no attribute '{name}'")
        _fill(self, *self._place)
        return _LAZY_FIELDS[name](self)

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


# Slot descriptors' setters and getters (they bypass the frozen __setattr__).
_set_file = Span.file.__set__  # type: ignore[attr-defined]
_set_place = _Pending._place.__set__  # type: ignore[attr-defined]
_set_line = Span.line.__set__  # type: ignore[attr-defined]
_set_col = Span.col.__set__  # type: ignore[attr-defined]
_set_end_line = Span.end_line.__set__  # type: ignore[attr-defined]
_set_end_col = Span.end_col.__set__  # type: ignore[attr-defined]
_set_start = Span.start.__set__  # type: ignore[attr-defined]
_set_end = Span.end.__set__  # type: ignore[attr-defined]


def _fill(span: Span, line: int, col: int, end_line: int, end_col: int, start: int, end: int) -> None:
    """Set a span's fields after its file (its constructor, or its first read of a lazy field)."""
    _set_line(span, line)
    _set_col(span, col)
    _set_end_line(span, end_line)
    _set_end_col(span, end_col)
    _set_start(span, start)
    _set_end(span, end)


# The fields filled from the position when one is first read, each with its slot's getter.
_LAZY_FIELDS = {name: getattr(Span, name).__get__ for name in ("line", "col", "end_line", "end_col", "start", "end")}
_new = object.__new__


def span_at(file: str, place: Place) -> Span:
    """The span at `place` (the scanner's position tuple, kept as it is) in `file`."""
    span = _new(Span)
    _set_file(span, file)
    _set_place(span, place)
    return span


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

"""Between the compiler's spans (1-based lines, columns in code points, 0-based offsets) and
LSP positions (0-based lines, columns in the negotiated unit: UTF-16 unless the client chose
UTF-8 or UTF-32). Lines end at `\\n`, as the policy lexer counts them."""

from __future__ import annotations

import bisect
from functools import cached_property

from lsprotocol import types

from policyc.source import Span


def _units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


class LineMap:
    """Offsets, spans and LSP positions of one text."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = encoding

    @cached_property
    def starts(self) -> list[int]:
        """The offset where each line starts."""
        return [0] + [i + 1 for i, ch in enumerate(self.text) if ch == "\n"]

    def _line(self, index: int) -> str:
        start = self.starts[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        return self.text[start:end]

    def position(self, offset: int) -> types.Position:
        """The LSP position of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return types.Position(line, _units(self.text[self.starts[line] : offset], self.encoding))

    def offset(self, position: types.Position) -> int:
        """The character offset of an LSP position (clamped to the text)."""
        if position.line >= len(self.starts):
            return len(self.text)
        line = self._line(position.line)
        if self.encoding == types.PositionEncodingKind.Utf32:
            col = min(position.character, len(line))
        else:
            col, used = 0, 0
            while col < len(line) and used < position.character:
                used += _units(line[col], self.encoding)
                col += 1
        return self.starts[position.line] + col

    def range(self, start: int, end: int) -> types.Range:
        """The LSP range of offsets [start, end)."""
        return types.Range(self.position(start), self.position(end))

    def _at(self, line: int, col: int) -> int:
        if line < 1:
            return 0
        if line > len(self.starts):
            return len(self.text)
        return min(self.starts[line - 1] + max(col, 1) - 1, len(self.text))

    def span_range(self, span: Span) -> types.Range:
        """The LSP range of a compiler span, from its lines and columns (every span has those;
        some spans made by checks carry no offsets)."""
        start = self._at(span.line, span.col)
        return self.range(start, max(start, self._at(span.end_line, span.end_col)))

    def whole(self) -> types.Range:
        """The range of the whole text."""
        return self.range(0, len(self.text))

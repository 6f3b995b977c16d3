"""The keyword test's memo (`parser._keyword_shifts`, issue 19 eleventh pass): an answer is kept by
the keyword and the top states it read, never when it read deeper than the key holds."""

from __future__ import annotations

import pytest

from policyc.syntax import parser
from policyc.syntax.lexer import can_shift, shift_reach

# A compact table (lexer.Action: target, size, origin, build): in state 10 the keyword `k`
# reduces three symbols to `A`; the state exposed then decides: 20 shifts `k`, 30 has no `k`.
TABLE = {
    1: {"A": (20, 0, "", None)},
    2: {"A": (30, 0, "", None)},
    5: {}, 6: {},
    10: {"k": (None, 3, "A", None)},
    20: {"k": (99, 0, "", None)},
    30: {},
    40: {"k": (99, 0, "", None)},
}
SHIFTS, FAILS = [7, 1, 5, 6, 10], [7, 2, 5, 6, 10]


def test_the_answer_and_how_deep_it_read() -> None:
    assert shift_reach(TABLE, SHIFTS, "k") == (True, 4)
    assert shift_reach(TABLE, FAILS, "k") == (False, 4)
    assert shift_reach(TABLE, [7, 40], "k") == (True, 1)
    assert can_shift(TABLE, SHIFTS, "k") and not can_shift(TABLE, FAILS, "k")


def test_answers_that_read_deeper_than_the_key_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "_REACH", 3)  # keys hold the top three states: (5, 6, 10) for both stacks
    memo: dict = {}
    assert parser._keyword_shifts(memo, TABLE, SHIFTS, "k") is True
    assert parser._keyword_shifts(memo, TABLE, FAILS, "k") is False
    assert memo == {}
    monkeypatch.setattr(parser, "_REACH", 4)
    assert [parser._keyword_shifts(memo, TABLE, s, "k") for s in (SHIFTS, FAILS, SHIFTS, FAILS)] == [
        True, False, True, False]
    assert memo == {("k", 1, 5, 6, 10): True, ("k", 2, 5, 6, 10): False}


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "_MEMO_SIZE", 1)
    memo: dict = {}
    assert parser._keyword_shifts(memo, TABLE, SHIFTS, "k") and not parser._keyword_shifts(memo, TABLE, FAILS, "k")
    assert len(memo) == 1

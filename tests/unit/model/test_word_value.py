"""A Word (policyc/model/nodes.py) writes its fields itself (a fast constructor): it must stay the
value the generated one made: text and span set, NO_SPAN by default, equal and hashed by its text
alone (spans never take part in equality), immutable, copied by `replace`, pickled whole."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from policyc.model.nodes import Word
from policyc.source import NO_SPAN, Span


def test_a_word_is_a_frozen_value_of_its_text() -> None:
    here = Span("a.policy", 3, 5, 3, 9, 40, 44)
    word = Word("pods", here)
    assert (word.text, word.span) == ("pods", here)
    assert Word("pods").span is NO_SPAN and Word(text="pods", span=here).span == here
    assert word == Word("pods") and hash(word) == hash(Word("pods")) and word != Word("pod")
    assert repr(word) == "Word(text='pods')" and str(word) == "pods"
    with pytest.raises(dataclasses.FrozenInstanceError):
        word.text = "secrets"  # type: ignore[misc]
    assert dataclasses.replace(word, text="secrets") == Word("secrets")
    assert dataclasses.replace(word, text="secrets").span == here
    for twin in (pickle.loads(pickle.dumps(word)), copy.deepcopy(word)):
        assert twin == word and twin.span == here
    with pytest.raises(TypeError):
        Word()  # type: ignore[call-arg]

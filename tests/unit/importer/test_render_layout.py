"""importer/render.py `in_layout`: the importer keeps a rendered file as it is, without the formatter's
parser-driven lex, exactly when the formatter would give it back (or refuse it, and the importer keep it
then too). The layout never reads whether a word is a keyword (issue 19)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_cases import docs_of, run

from conftest import REPO, SHARED, case_folders
from policyc.fmt import format_text
from policyc.importer.render import in_layout
from policyc.syntax.tokens import PolicySyntaxError, lex, split

FOLDERS = [REPO / "policies", *sorted((REPO / "tests" / "golden").glob("*/policy")),
           *sorted(p for p in (REPO / "tests" / "unit" / "fmt" / "fmt_cases").iterdir() if p.is_dir()),
           *case_folders(SHARED / "spec")]

# Words that are keywords in one place and names in another (syntax/lexer.py: the parser decides).
KEYWORDS_AS_NAMES = [
    "role groups {\n  get groups, users\n}\n",
    "role role {\n  get pods\n}\n\ngrant role to user role in namespace role\n",
    "namespace namespace {\n  labels team=team\n}\n",
    "user groups auth certificate groups groups\n",
    "role   groups {\n\n  get groups\n}\n",
    "grant view to user a, user b,\n    user c in cluster\n",
]


def _texts() -> list[str]:
    texts = list(KEYWORDS_AS_NAMES)
    for folder in FOLDERS:
        for path in sorted(folder.rglob("*.policy")):
            texts.append(path.read_text(encoding="utf-8"))
    return texts


TEXTS = _texts()


def _rendered(text: str) -> str:
    """What `render` keeps for a text, through the formatter alone (the way it always did)."""
    formatted = format_text(text)
    return formatted.text if formatted.text is not None else text


def test_split_cuts_as_lex_does_but_for_keywords() -> None:
    for text in TEXTS:
        try:
            by_parser = lex(text)
        except PolicySyntaxError:  # a messy case that does not parse: nothing to compare
            continue
        cut = split(text)
        assert [(t.value, t.start, t.end) for t in cut] == [(t.value, t.start, t.end) for t in by_parser]
        assert all(a.type == b.type or a.type == "WORD" for a, b in zip(cut, by_parser, strict=True))


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_in_layout_exactly_when_the_formatter_gives_the_text_back(text: str) -> None:
    assert len(TEXTS) > 30
    canonical = format_text(text).text
    for t in (text, canonical) if canonical is not None else (text,):
        assert in_layout(t) == (_rendered(t) == t), t


_EDITS = [" ", "  ", "\n", "\n\n", "{", "}", ",", ", ", "!", "!=", " # note", '"', "role ", "groups", "\t", "é"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_edited_text_is_kept_only_where_the_formatter_keeps_it(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(TEXTS))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + data.draw(st.sampled_from(_EDITS)) + text[at:]
        else:
            text = text[:at] + text[at + data.draw(st.integers(1, 3)):]
    if in_layout(text):
        assert _rendered(text) == text


def test_the_importers_files_take_the_short_way() -> None:
    result, _compiled, verification = run(docs_of("cluster-1.30.yaml"))
    assert result.files and all(in_layout(text) for text in result.files.values())
    assert not verification.added and not verification.removed

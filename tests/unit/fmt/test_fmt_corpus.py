"""The formatter over real policies: the spec folders, the bundled policies, the docs examples
and the golden inputs. Idempotent, comment-preserving, meaning-preserving; the repository's own
policies are already canonical (`policyc fmt --check` passes on them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fmt_oracle import comments
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, SHARED, case_folders
from policyc.fmt import format_text
from policyc.loader import read_sources
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

OWN = [REPO / "policies", *sorted(p for p in (REPO / "docs").rglob("*") if p.is_dir() and any(p.glob("*.policy")))]
GOLDEN_INPUTS = sorted((REPO / "tests" / "golden").glob("*/policy"))
SPEC = case_folders(SHARED / "spec")


def _folders() -> list[Path]:
    return OWN + GOLDEN_INPUTS + SPEC


def _compiled(sources: list[SourceFile]) -> tuple:
    r = compile_sources(sources)
    return (
        [(m.kind, m.namespace, m.name, m.body) for m in r.manifests],
        sorted(r.files.items()),
        [(d.code, d.message) for d in r.diagnostics],
    )


def test_own_folders_are_found() -> None:
    assert REPO / "policies" in OWN
    assert REPO / "docs" / "examples" / "org" in OWN


def test_a_dot_folder_beside_the_spec_folders_is_no_case(tmp_path: Path) -> None:
    for name in ("org", ".policyc", "article", ".git"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.md").write_text("")
    assert [p.name for p in case_folders(tmp_path)] == ["article", "org"]


def test_spec_folders_present_or_skip() -> None:
    if not SPEC:
        pytest.skip(f"{SHARED / 'spec'} is absent")
    assert {p.name for p in SPEC} >= {"article", "org"}


@pytest.mark.parametrize("folder", _folders(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_folder_is_idempotent_and_compiles_the_same(folder: Path) -> None:
    sources, diags = read_sources(folder)
    assert diags == []
    formatted = []
    for src in sources:
        once = format_text(src.text, src.name)
        assert once.text is not None, once.diagnostics
        twice = format_text(once.text, src.name)
        assert twice.text == once.text, f"{src.name} is not idempotent"
        assert comments(once.text) == comments(src.text)
        formatted.append(SourceFile(src.name, once.text))
    assert _compiled(formatted) == _compiled(sources)


@pytest.mark.parametrize("folder", OWN, ids=lambda p: str(p.relative_to(REPO)))
def test_repository_policies_are_canonical(folder: Path) -> None:
    sources, _ = read_sources(folder)
    for src in sources:
        assert not format_text(src.text).changed, f"run `policyc fmt {folder.relative_to(REPO)}`"


def _canonical_corpus() -> list[str]:
    texts = []
    for folder in OWN + GOLDEN_INPUTS:
        sources, _ = read_sources(folder)
        texts += [s.text for s in sources]
    return texts


@st.composite
def _respaced(draw: st.DrawFn, canonical: str) -> str:
    """`canonical` with whitespace changed where the canonical layout fixes it: indentation,
    spaces between tokens, trailing blanks, and blank lines next to blank lines or braces."""
    space = st.text(alphabet=" \t", min_size=1, max_size=4)
    out = []
    lines = canonical.split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        if '"' in line or "#" in line or not stripped:
            out.append(line)
            continue
        words = stripped.split(" ")
        glue = [draw(space) for _ in words[1:]]
        body = words[0] + "".join(g + w for g, w in zip(glue, words[1:], strict=True))
        body = body.replace(", ", draw(st.sampled_from([",", ", ", " , ", ",\t"])))
        out.append(draw(st.text(alphabet=" \t", max_size=6)) + body + draw(st.text(alphabet=" \t", max_size=3)))
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if stripped.endswith("{") or nxt == "}" or nxt == "":
            out.extend([""] * draw(st.integers(0, 2)))
    return "\n".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_respacing_of_a_canonical_file_formats_back_to_it(data: st.DataObject) -> None:
    corpus = _canonical_corpus()
    canonical = format_text(data.draw(st.sampled_from(corpus))).text
    assert canonical is not None
    messy = data.draw(_respaced(canonical))
    assert format_text(messy).text == canonical

"""The server's incremental analysis gives exactly what the compiler gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_fixture import write_program

from conftest import REPO, SHARED, case_folders
from policyc.loader import read_sources
from policyc.lsp.workspace import PolicyFolder
from policyc.pipeline import compile_sources
from policyc.syntax.lower import lower
from policyc.syntax.lower import merge as merge_policies

FOLDERS = [REPO / "policies", REPO / "docs" / "examples" / "org", *sorted((REPO / "tests" / "golden").glob("*/policy"))]
FOLDERS += case_folders(SHARED / "spec")


def _summary(result) -> tuple:
    return (
        [(d.code, d.message, d.span) for d in result.diagnostics],
        [(m.kind, m.namespace, m.name, m.body) for m in result.manifests],
        sorted(result.files.items()),
    )


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name if p.name != "policy" else p.parent.name)
def test_per_file_lowering_merges_into_what_lower_makes(folder: Path) -> None:
    sources, _ = read_sources(folder)
    whole, _ = lower(sources)
    parts = [lower([s])[0] for s in sorted(sources, key=lambda s: s.name)]
    assert merge_policies(parts) == whole
    assert merge_policies(parts).kubernetes == whole.kubernetes


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name if p.name != "policy" else p.parent.name)
def test_analysis_equals_compile_sources(folder: Path) -> None:
    """The server reports what `policyc check` reports: access lints (PC5xx, CIS) included."""
    sources, _ = read_sources(folder)
    program = PolicyFolder(folder)
    program.scan()
    analysis = program.analyse()
    assert _summary(analysis.result) == _summary(compile_sources(sources, lints=True))


def test_a_change_relowers_only_the_changed_file(tmp_path: Path) -> None:
    program = PolicyFolder(write_program(tmp_path))
    program.scan()
    first = program.analyse()
    program.open("teams.policy", program.disk["teams.policy"].replace("pod-reader in apps", "nope in apps"), 2)
    second = program.analyse()
    assert second.files["roles.policy"] is first.files["roles.policy"]
    assert second.files["teams.policy"] is not first.files["teams.policy"]
    assert [d.code for d in second.result.diagnostics] == ["PC101"]
    assert second.versions == {"teams.policy": 2}
    sources = [second.sources[n] for n in sorted(second.sources)]
    assert _summary(second.result) == _summary(compile_sources(sources))


def test_editor_text_wins_until_closed(tmp_path: Path) -> None:
    program = PolicyFolder(write_program(tmp_path))
    program.scan()
    program.open("teams.policy", "user x auth oidc\n", 3)
    assert program.snapshot().texts["teams.policy"] == "user x auth oidc\n"
    assert not program.is_current(program.analysis)
    program.analyse()
    assert program.is_current(program.analysis)
    (tmp_path / "teams.policy").write_text("user y auth oidc\n")
    program.close("teams.policy")
    assert program.snapshot().texts["teams.policy"] == "user y auth oidc\n"
    assert program.snapshot().versions == {}


def test_an_unsaved_new_file_joins_the_program(tmp_path: Path) -> None:
    program = PolicyFolder(write_program(tmp_path))
    program.scan()
    program.open("more.policy", "grant role ops to user bob in cluster\n", 1)
    analysis = program.analyse()
    assert analysis.result.ok
    assert "more.policy" in analysis.sources
    program.close("more.policy")  # never saved: gone again
    assert "more.policy" not in program.snapshot().texts


def test_an_empty_folder_is_an_empty_program(tmp_path: Path) -> None:
    program = PolicyFolder(tmp_path)
    program.scan()
    analysis = program.analyse()
    assert analysis.sources == {}
    assert analysis.result.diagnostics == []


def test_a_file_that_does_not_parse_keeps_its_last_good_names(tmp_path: Path) -> None:
    write_program(tmp_path)
    program = PolicyFolder(tmp_path)
    program.scan()
    first = program.analyse()
    assert first.symbols.moved == {} and first.symbols.index is first.index
    text = program.disk["roles.policy"]
    program.open("roles.policy", text + "grant role \n", 2)
    broken = program.analyse()
    assert [d.code for d in broken.result.diagnostics] == ["PC001"]
    assert broken.symbols.stale == ["roles.policy"]
    assert {o.name for o in broken.symbols.index.decls_of("role")} == {"pod-reader", "deployer", "ops"}
    program.open("roles.policy", text + "grant role {\n", 3)
    typing = program.analyse()
    assert typing.symbols.index is broken.symbols.index  # the same last good parses: not checked again
    assert typing.symbols.to_read("roles.policy", len(text) + 5) is None  # inside the edit
    assert typing.symbols.to_read("roles.policy", 3) == 3


@pytest.mark.parametrize(("old", "new", "prefix", "suffix"), [
    ("role a {\n}\n", "role a {\n}\n", 11, 0),
    ("team t {\n}\n", "grant role \nteam t {\n}\n", 0, 11),
    ("abc\nxyz\n", "abc\nX\nxyz\n", 4, 4),
    ("aaaa", "aa", 2, 0),
])
def test_offsets_follow_the_edit(old: str, new: str, prefix: str, suffix: int) -> None:
    from policyc.lsp.workspace import Moved

    moved = Moved.between(old, new)
    assert (moved.prefix, moved.suffix) == (prefix, suffix)
    for offset in range(len(new) + 1):
        back = moved.to_old(offset)
        if prefix < offset < len(new) - suffix:
            assert back is None  # inside the edit: no counterpart
            continue
        assert back is not None and offset in (moved.to_new(back), moved.to_new(back, end=True))
        if offset != prefix:  # a character outside the edit is the same on both sides
            assert old[back : back + 1] == new[offset : offset + 1]


def test_a_name_right_after_an_insertion_moves_with_it() -> None:
    from policyc.lsp.workspace import Moved

    moved = Moved.between("team t {\n}\n", "grant role \nteam t {\n}\n")
    assert moved.to_new(0) == 12  # `team` starts after the inserted line now
    assert moved.to_new(0, end=True) == 0  # a span ending at the insertion ends before it

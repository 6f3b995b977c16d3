"""The guard of ../shared (tests/conftest.py `shared_untouched`): what it sees change, and the copy
tests build instead of the spec itself."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SHARED, listing_changes, spec_copy, tree_listing


def _tree(root: Path) -> Path:
    (root / "spec" / "article").mkdir(parents=True)
    (root / "spec" / "article" / "access.policy").write_text("role r {\n  get pods\n}\n")
    (root / "schemas").mkdir()
    (root / "schemas" / "a.json").write_text("{}")
    return root


def test_an_untouched_tree_has_no_change(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert listing_changes(tree_listing(root), tree_listing(root)) == []


def test_a_secrets_folder_beside_the_spec_is_named_with_its_files(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = tree_listing(root)
    keys = root / "spec" / ".policyc" / "secrets" / "users" / "bob"
    keys.mkdir(parents=True)
    (keys / "key.pem").write_text("k")
    changes = listing_changes(before, tree_listing(root))
    assert "appeared spec/.policyc/secrets/users/bob/key.pem" in changes
    assert "appeared spec/.policyc" in changes


def test_an_edited_and_a_removed_file_are_named(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    policy = root / "spec" / "article" / "access.policy"
    before = tree_listing(root)
    policy.write_text("role r {\n  get pods, services\n}\n")  # another size
    os.utime(root / "schemas" / "a.json", ns=(0, 0))  # the same size, another mtime
    (root / "schemas" / "a.json").unlink()
    after = tree_listing(root)
    assert "changed  spec/article/access.policy" in listing_changes(before, after)
    assert "removed  schemas/a.json" in listing_changes(before, after)
    assert "changed  schemas" in listing_changes(before, after)  # the folder's mtime moved


def test_a_touched_file_of_the_same_size_is_named(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = tree_listing(root)
    os.utime(root / "schemas" / "a.json", ns=(0, 0))
    assert listing_changes(before, tree_listing(root)) == ["changed  schemas/a.json"]


def test_the_spec_copy_is_under_tmp_path_and_holds_the_spec(tmp_path: Path) -> None:
    copy = spec_copy(tmp_path, "article")  # skips without ../shared
    assert copy.is_relative_to(tmp_path) and not copy.resolve().is_relative_to(SHARED.resolve())
    names = sorted(p.name for p in (SHARED / "spec" / "article").glob("*.policy"))
    assert names and sorted(p.name for p in copy.glob("*.policy")) == names

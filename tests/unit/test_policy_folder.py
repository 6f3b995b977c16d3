"""Reading a policy folder a pull request can change (issue 11, "Reading policy folders").

Each case is what an attacker would try: a `.policy` link to a CI secret (its first line would
be echoed by a syntax error, and `--format github` would publish it as an annotation), a linked
folder, `..` in a link, links that dangle or loop, a FIFO that would block the read, a file the
user cannot read, a folder that is itself a link. The secret's text must never appear in any
output, and every refused or unreadable entry must be an error that names it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from policyc.loader import UsageError, read_sources

SECRET = "ghp_SECRETTOKENVALUE0123456789"
GOOD = "role reader {\n  get pods\n}\n"


def _secret_file(where: Path, name: str = "credentials") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    path = where / name
    # A first line that is a syntax error: read as a policy, it would be echoed with a caret.
    path.write_text(f"{SECRET} = yes\n")
    return path


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "main.policy").write_text(GOOD)
    return folder


def _codes(diags) -> list[tuple[str, str]]:
    return [(d.code, d.span.file) for d in diags]


def test_a_policy_link_leading_outside_is_refused_and_not_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "leak.policy").symlink_to(_secret_file(tmp_path / "runner"))
    sources, diags = read_sources(folder)
    assert [s.name for s in sources] == ["main.policy"]
    assert _codes(diags) == [("PC005", "leak.policy")]
    assert diags[0].message == ("`leak.policy` is a symbolic link to a file outside the policy folder; "
                                "policyc does not read it")
    assert SECRET not in repr(diags)


@pytest.mark.parametrize("target", ["../runner/credentials", "sub/../../runner/credentials",
                                    "./../policies/../runner/credentials"])
def test_dot_dot_in_a_relative_link_is_resolved_before_the_boundary_check(tmp_path: Path, target: str) -> None:
    folder = _folder(tmp_path)
    (folder / "sub").mkdir()
    _secret_file(tmp_path / "runner")
    (folder / "leak.policy").symlink_to(target)
    sources, diags = read_sources(folder)
    assert _codes(diags) == [("PC005", "leak.policy")]


def test_a_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "lib").mkdir()
    (folder / "lib" / "shared.txt").write_text("role writer {\n  create pods\n}\n")
    (folder / "shared.policy").symlink_to("lib/../lib/shared.txt")
    sources, diags = read_sources(folder)
    assert diags == []
    assert {s.name: s.text for s in sources}["shared.policy"].startswith("role writer")


def test_a_linked_subfolder_leading_outside_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    outside = tmp_path / "elsewhere"
    _secret_file(outside, "x.policy")
    (folder / "team").symlink_to(outside, target_is_directory=True)
    sources, diags = read_sources(folder)
    assert [s.name for s in sources] == ["main.policy"]
    assert _codes(diags) == [("PC005", "team")]
    assert "a folder outside the policy folder" in diags[0].message


def test_a_linked_subfolder_inside_is_read_once_at_its_real_path(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "teams").mkdir()
    (folder / "teams" / "ops.policy").write_text("team ops {\n  members user ann\n}\n")
    (folder / "alias").symlink_to("teams", target_is_directory=True)
    sources, diags = read_sources(folder)
    assert diags == []
    assert [s.name for s in sources] == ["main.policy", "teams/ops.policy"]


@pytest.mark.parametrize("target", [".", "..", "../.."])
def test_a_folder_link_that_loops_is_an_error(tmp_path: Path, target: str) -> None:
    folder = _folder(tmp_path)
    (folder / "a" / "b").mkdir(parents=True)
    (folder / "a" / "b" / "loop").symlink_to(target, target_is_directory=True)
    sources, diags = read_sources(folder)
    assert _codes(diags) == [("PC006", "a/b/loop")]
    assert "loops" in diags[0].message


def test_a_file_link_that_loops_is_an_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "a.policy").symlink_to("b.policy")
    (folder / "b.policy").symlink_to("a.policy")
    _, diags = read_sources(folder)
    assert _codes(diags) == [("PC006", "a.policy"), ("PC006", "b.policy")]
    assert diags[0].message == "cannot read `a.policy`: it is a symbolic link that loops"


@pytest.mark.parametrize("name", ["guard.policy", "team"])
def test_a_dangling_link_is_an_error_naming_it(tmp_path: Path, name: str) -> None:
    folder = _folder(tmp_path)
    (folder / name).symlink_to(tmp_path / "deleted")
    sources, diags = read_sources(folder)
    assert [s.name for s in sources] == ["main.policy"]
    assert _codes(diags) == [("PC006", name)]
    assert diags[0].message == f"cannot read `{name}`: it is a symbolic link whose target does not exist"


def test_an_editor_lock_link_is_not_a_policy_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / ".#main.policy").symlink_to("root@host.1234:1700000000")  # what Emacs writes
    assert read_sources(folder)[1] == []


def test_a_fifo_is_refused_without_blocking(tmp_path: Path, policyc: list[str]) -> None:
    folder = _folder(tmp_path)
    os.mkfifo(folder / "pipe.policy")
    (folder / "link.policy").symlink_to("pipe.policy")
    # In a subprocess with a timeout: opening a FIFO for reading would block forever.
    r = subprocess.run([*policyc, "check", str(folder), "--format", "json"], capture_output=True, text=True,
                       timeout=60)
    found = [(d["code"], d["file"], d["message"]) for d in json.loads(r.stdout)["diagnostics"]]
    assert r.returncode == 1
    assert found == [("PC006", "link.policy", "cannot read `link.policy`: it is not a regular file"),
                     ("PC006", "pipe.policy", "cannot read `pipe.policy`: it is not a regular file")]


def test_a_policy_folder_that_is_a_link_is_the_boundary(tmp_path: Path) -> None:
    real = _folder(tmp_path)
    link = tmp_path / "current"
    link.symlink_to(real, target_is_directory=True)
    _secret_file(tmp_path)
    (real / "leak.policy").symlink_to("../credentials")  # inside the link's folder, outside the policy folder
    sources, diags = read_sources(link)
    assert [s.name for s in sources] == ["main.policy"]
    assert _codes(diags) == [("PC005", "leak.policy")]


def test_one_file_named_on_the_command_line_may_not_lead_out_of_its_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "leak.policy").symlink_to(_secret_file(tmp_path / "runner"))
    sources, diags = read_sources(folder / "leak.policy")
    assert sources == [] and _codes(diags) == [("PC005", "leak.policy")]
    sources, diags = read_sources(folder / "main.policy")
    assert [s.name for s in sources] == ["main.policy"] and diags == []


@pytest.mark.parametrize(("target", "reason"), [("gone", "No such file or directory"),
                                              ("policies", "Too many levels of symbolic links")])
def test_a_dangling_or_looping_policy_folder_is_a_usage_error(tmp_path: Path, target: str, reason: str) -> None:
    (tmp_path / "policies").symlink_to(tmp_path / target, target_is_directory=True)
    with pytest.raises(UsageError, match=f"cannot read .*policies: {reason}"):
        read_sources(tmp_path / "policies")


def test_a_fifo_named_on_the_command_line_is_refused_unopened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.policy")
    sources, diags = read_sources(tmp_path / "x.policy")
    assert sources == [] and _codes(diags) == [("PC006", "x.policy")]


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is 0700 and owned by the runner)."""
    path = Path(tempfile.mkdtemp(prefix="policyc-harden-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_an_unreadable_file_and_folder_are_errors_not_skips(world_readable_dir: Path) -> None:
    folder = _folder(world_readable_dir)
    os.chmod(folder, 0o755)
    os.chmod(folder / "main.policy", 0o644)
    guard = folder / "guard.policy"
    guard.write_text(GOOD)
    os.chmod(guard, 0)
    (folder / "locked").mkdir(mode=0o700)
    # root reads anything: read as an unprivileged user (the effective uid decides access), as CI would.
    as_root = os.geteuid() == 0
    if as_root:
        os.setegid(65534)
        os.seteuid(65534)
    try:
        sources, diags = read_sources(folder)
    finally:
        if as_root:
            os.seteuid(0)
            os.setegid(0)
    assert [s.name for s in sources] == ["main.policy"]
    assert [(d.code, d.span.file, d.message) for d in diags] == [
        ("PC006", "guard.policy", "cannot read `guard.policy`: Permission denied"),
        ("PC006", "locked", "cannot read `locked`: the folder cannot be listed (Permission denied)"),
    ]


# -- what the CLI prints: the secret never, names escaped -------------------------------------


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_no_format_echoes_the_target_of_a_refused_link(tmp_path: Path, policyc: list[str], fmt: str) -> None:
    folder = _folder(tmp_path)
    (folder / "leak.policy").symlink_to(_secret_file(tmp_path / "runner"))
    r = subprocess.run([*policyc, "check", str(folder), "--format", fmt], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    assert SECRET not in r.stdout + r.stderr
    assert "leak.policy" in r.stdout + r.stderr and "PC005" in r.stdout + r.stderr
    if fmt == "github":
        assert r.stdout.startswith("::error file=")


@pytest.mark.parametrize("flags", [[], ["--check"], ["--diff"]])
def test_fmt_reports_refused_and_unreadable_entries(tmp_path: Path, policyc: list[str], flags: list[str]) -> None:
    """`fmt` reads folders with the same rules as `check`: a refused link or a dangling one is an error it
    names (exit 1), never skipped, and the link's target is never echoed."""
    folder = _folder(tmp_path)
    (folder / "leak.policy").symlink_to(_secret_file(tmp_path / "runner"))
    (folder / "gone.policy").symlink_to(folder / "deleted.policy")
    r = subprocess.run([*policyc, "fmt", str(folder), *flags], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    out = r.stdout + r.stderr
    assert SECRET not in out
    assert "error[PC005]" in out and "leak.policy" in out
    assert "error[PC006]" in out and "gone.policy" in out


BIDI = "\u202e"
ESC = "\x1b"


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_control_and_bidi_characters_in_names_are_escaped(tmp_path: Path, policyc: list[str], fmt: str) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    # A team name with a bidi override and an ESC sequence, in a file whose name holds them too.
    (folder / f"ev{BIDI}il{ESC}[2J.policy").write_text(f'grant role view to team "ops{BIDI}x{ESC}[31m" in default\n')
    r = subprocess.run([*policyc, "check", str(folder), "--format", fmt], capture_output=True, text=True,
                       timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "PC102" in out
    assert BIDI not in out and ESC not in out
    if fmt in ("json", "sarif"):
        doc = json.loads(r.stdout)
        text = json.dumps(doc, ensure_ascii=False)
        assert BIDI not in text and ESC not in text
        assert "ops\\\\u202ex\\\\x1b[31m" in text  # escaped once in the message, once more by JSON
    else:
        assert "ops\\u202ex\\x1b[31m" in out
        assert "ev\\u202eil\\x1b[2J.policy" in out


def test_file_names_that_are_not_utf8_do_not_crash_the_renderer(tmp_path: Path, policyc: list[str]) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff\x07.policy"), "w") as fh:
        fh.write("role r {\n  get pods$\n}\n")
    r = subprocess.run([*policyc, "check", str(folder)], capture_output=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert b"bad\\xff\\x07.policy:2:11: error[PC002]" in r.stderr
    assert b"Traceback" not in r.stderr


def test_the_caret_stays_under_the_text_when_the_line_holds_escapes() -> None:
    from policyc.diagnostics import render_text
    from policyc.pipeline import compile_sources
    from policyc.source import SourceFile

    src = SourceFile("a.policy", f'grant role view to team "{BIDI}{ESC}" in nowhere_\n')
    result = compile_sources([src])
    text = render_text(result.diagnostics, result.sources)
    lines = text.splitlines()
    source_line = next(line for line in lines if line.startswith("1 | "))
    caret_line = lines[lines.index(source_line) + 1]
    assert ESC not in text and BIDI not in text
    start = caret_line.index("^") - len("  | ") + len("1 | ")
    underlined = source_line[start : start + caret_line.count("^")]
    assert underlined in ('"\\u202e\\x1b"', "nowhere_", 'team "\\u202e\\x1b"'), underlined


# -- the same rules for a folder as committed at a revision (`policyc diff BASE`) ------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e", "GIT_CONFIG_GLOBAL": "/dev/null"})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_links_in_a_revision_follow_the_work_tree_rules(tmp_path: Path) -> None:
    from policyc.review.sources import read_revision

    repo = tmp_path / "repo"
    repo.mkdir()
    folder = _folder(repo)
    _secret_file(repo, "secret.txt")
    (folder / "lib").mkdir()
    (folder / "lib" / "shared.txt").write_text("role writer {\n  create pods\n}\n")
    (folder / "inside.policy").symlink_to("lib/shared.txt")
    (folder / "chain.policy").symlink_to("inside.policy")
    (folder / "leak.policy").symlink_to("../secret.txt")
    (folder / "abs.policy").symlink_to("/etc/passwd")
    (folder / "gone.policy").symlink_to("nothere.policy")
    (folder / "a.policy").symlink_to("b.policy")
    (folder / "b.policy").symlink_to("a.policy")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "x")
    side = read_revision("HEAD", Path("policies"), repo)
    assert sorted(s.name for s in side.sources) == ["chain.policy", "inside.policy", "main.policy"]
    assert {s.name: s.text for s in side.sources}["chain.policy"].startswith("role writer")
    assert sorted((d.code, d.span.file) for d in side.diagnostics) == [
        ("PC005", "abs.policy"), ("PC005", "leak.policy"), ("PC006", "a.policy"), ("PC006", "b.policy"),
        ("PC006", "gone.policy")]
    assert SECRET not in repr(side)


def test_a_very_deep_folder_is_read_without_recursion_limits(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(1200):  # deeper than Python's recursion limit (pathlib's mkdir recurses too)
        os.mkdir("d", dir_fd=fd)
        sub = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = sub
    out = os.open("x.policy", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(out, GOOD.replace("reader", "deep").encode())
    os.close(out)
    os.close(fd)
    try:
        sources, diags = read_sources(folder)
        assert diags == [] and len(sources) == 2
    finally:
        # pytest's later clean-up of old temporary folders (shutil.rmtree) recurses once per level and
        # would fail with RecursionError on this tree; GNU rm walks it without recursing.
        subprocess.run(["rm", "-rf", str(folder)], check=True)


def test_usage_errors_escape_the_path_too(tmp_path: Path, policyc: list[str]) -> None:
    r = subprocess.run([*policyc, "check", str(tmp_path / f"no{ESC}[2Jwhere{BIDI}")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2
    assert ESC not in r.stderr and BIDI not in r.stderr
    assert "no\\x1b[2Jwhere\\u202e" in r.stderr


# -- folders that are never policy ------------------------------------------------------------


def test_policyc_state_and_version_control_folders_are_not_walked(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    # `policyc build` keeps its secrets in `.policyc/secrets` at the git top, which may be the policy folder.
    _secret_file(folder / ".policyc" / "secrets", "ca.policy")
    (folder / ".policyc" / "secrets").chmod(0o700)
    # A branch named `x.policy` is a file holding a commit id.
    _secret_file(folder / ".git" / "refs" / "heads", "x.policy")
    # Any other folder, hidden or not, is read: a guard there still counts.
    (folder / ".guards").mkdir()
    (folder / ".guards" / "g.policy").write_text("forbid delete nodes\n")
    sources, diags = read_sources(folder)
    assert sorted(s.name for s in sources) == [".guards/g.policy", "main.policy"] and diags == []


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_revision_skips_the_same_folders(tmp_path: Path) -> None:
    from policyc.review.sources import read_revision

    repo = tmp_path / "repo"
    repo.mkdir()
    folder = _folder(repo)
    _secret_file(folder / ".policyc" / "secrets", "ca.policy")
    (folder / ".guards").mkdir()
    (folder / ".guards" / "g.policy").write_text("forbid delete nodes\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "x")
    side = read_revision("HEAD", Path("policies"), repo)
    assert sorted(s.name for s in side.sources) == [".guards/g.policy", "main.policy"]
    assert SECRET not in repr(side)

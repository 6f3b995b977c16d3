"""Where the two sides of `policyc diff` come from: a policy folder on disk, or a git revision.

A revision means the policy folder as committed there. It is read through git (`git ls-tree`
for the file list, `git cat-file --batch` for their contents, the plumbing behind
`git show REV:path`), so the work tree, the index and HEAD are never touched.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path

from policyc.diagnostics import Diagnostic
from policyc.loader import UsageError, _decode, _outside, _unreadable, in_skipped_folder, read_sources
from policyc.source import SourceFile

WORK_TREE = ""  # the HEAD side's default: the policy folder as it is on disk


@dataclass(frozen=True)
class Side:
    """One side of a diff: its sources, and how to name it to a reviewer.

    `empty` is true when the policy folder does not exist at a revision (a pull request that
    introduces policyc): the side then has no sources and grants nothing.
    """

    label: str
    kind: str  # folder | revision
    sources: tuple[SourceFile, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    empty: bool = False
    commit: str = ""


def _git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    """Run git; a failure is a usage error carrying git's own message."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # a read must not take the index lock
        )
    except FileNotFoundError:
        raise UsageError("git is not installed; give BASE and HEAD as policy folders") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(message[-1] if message else f"git {' '.join(args)} failed")
    return proc.stdout


def _repo_prefix(policy_dir: Path, cwd: Path) -> tuple[Path, str]:
    """The repository root and the policy folder's path inside it (posix, no trailing slash)."""
    try:
        root = Path(_git(["rev-parse", "--show-toplevel"], cwd).decode().strip())
    except UsageError as exc:
        raise UsageError(f"not a git repository ({exc}); give BASE as a policy folder") from None
    absolute = Path(os.path.abspath(cwd / policy_dir))
    try:
        rel = absolute.relative_to(root.resolve())
    except ValueError:
        try:
            rel = absolute.relative_to(root)
        except ValueError:
            raise UsageError(f"{policy_dir} is outside the git repository at {root}") from None
    return root, rel.as_posix().strip("/")


def _follow_links(
    root: Path, prefix: str, files: dict[str, str], links: dict[str, str]
) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """(name, blob) of every `.policy` file at the revision, links resolved as the work tree would.

    A `.policy` link is read through its target when that is a file inside the policy folder
    (loader.py's rule); one leading outside is PC005 and one that dangles or loops PC006, never
    skipped. Links to folders are not followed: in a commit a folder's files are listed at their
    real path.
    """
    base = f"{prefix}/" if prefix else ""

    def name(path: str) -> str:
        return path[len(base):]

    # The folders the work tree's walk skips (`.policyc`, `.git`, ...) are skipped here too.
    blobs = [(name(p), sha) for p, sha in files.items() if p.endswith(".policy") and not in_skipped_folder(name(p))]
    wanted = sorted(p for p in links if p.endswith(".policy") and not in_skipped_folder(name(p)))
    if not wanted:
        return blobs, []
    shas = sorted(set(links.values()))
    out = _git(["cat-file", "--batch"], root, "".join(f"{sha}\n" for sha in shas).encode())
    targets: dict[str, str] = {}
    pos = 0
    for sha in shas:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        targets[sha] = out[header_end + 1 : header_end + 1 + size].decode("utf-8", "surrogateescape")
        pos = header_end + 1 + size + 1
    diags: list[Diagnostic] = []
    for path in wanted:
        current, seen = path, set()
        while current in links and current not in seen:
            seen.add(current)
            target = targets[links[current]]
            current = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
            escapes = current == ".." or current.startswith("../") or not (current + "/").startswith(base)
            if target.startswith("/") or escapes:
                diags.append(_outside(name(path), "a file"))
                break
        else:
            if current in links:
                diags.append(_unreadable(name(path), "it is a symbolic link that loops", "remove the link"))
            elif current in files:
                blobs.append((name(path), files[current]))
            elif not any(p.startswith(current + "/") for p in files):  # a folder: not a policy file
                diags.append(_unreadable(name(path), "it is a symbolic link whose target does not exist",
                                         "restore the file it points to, or remove the link"))
    return blobs, diags


def read_revision(rev: str, policy_dir: Path, cwd: Path) -> Side:
    """The `*.policy` files below `policy_dir` as committed at `rev`, named relative to that folder."""
    root, prefix = _repo_prefix(policy_dir, cwd)
    try:
        found = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root)
    except UsageError:
        raise UsageError(f"`{rev}` is neither a policy folder nor a git revision") from None
    commit = found.decode().strip()
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix or "."], root)
    files: dict[str, str] = {}
    links: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.decode("utf-8", "surrogateescape").partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob":  # submodules (commits) are not policy files
            (links if mode == "120000" else files)[path] = sha
    blobs, link_diags = _follow_links(root, prefix, files, links)
    label = f"{rev} ({commit[:12]})"
    if not blobs and not link_diags:
        return Side(label, "revision", (), empty=True, commit=commit)
    blobs.sort()
    data = _git(["cat-file", "--batch"], root, "".join(f"{sha}\n" for _, sha in blobs).encode())
    sources: list[SourceFile] = []
    diags: list[Diagnostic] = list(link_diags)
    pos = 0
    for name, _sha in blobs:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        content = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1  # the blob is followed by a newline
        src, ds = _decode(name, content)
        sources.append(src)
        diags += ds
    return Side(label, "revision", tuple(sources), tuple(diags), commit=commit)


def read_folder(path: Path) -> Side:
    """A policy folder (or one file) on disk, read as `policyc build` reads it."""
    sources, diags = read_sources(path)
    return Side(str(path), "folder", tuple(sources), tuple(diags))


def resolve(spec: str | None, policy_dir: Path, cwd: Path) -> Side:
    """A side from a command-line argument.

    None or `WORK_TREE` is the policy folder in the work tree; an existing path is a policy
    folder (or file); anything else is a git revision (prefix a path with `./` to force a folder).
    """
    if spec is None or spec == WORK_TREE:
        side = read_folder(cwd / policy_dir if not policy_dir.is_absolute() else policy_dir)
        return Side(f"work tree ({policy_dir})", side.kind, side.sources, side.diagnostics)
    candidate = Path(spec) if Path(spec).is_absolute() else cwd / spec
    if candidate.exists():
        side = read_folder(candidate)
        return Side(spec, side.kind, side.sources, side.diagnostics)  # named as the user wrote it
    return read_revision(spec, policy_dir, cwd)

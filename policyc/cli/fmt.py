"""`policyc fmt`: rewrite policy files in the canonical layout, or check and show what would change."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import typer

from policyc.cli.common import EXIT_ERRORS, EXIT_OK, fail_usage
from policyc.cli.paths import shown_path
from policyc.diagnostics import Diagnostic, error, render_text
from policyc.fmt import Formatted, format_source
from policyc.loader import UsageError, _decode, read_sources
from policyc.source import SourceFile

STDIN = "-"


@dataclass
class _Target:
    """A file to format: where it lives (None for stdin) and its source, named as the user sees it."""

    path: Path | None
    source: SourceFile
    read_diagnostics: list[Diagnostic]


def _targets(paths: list[str]) -> tuple[list[_Target], list[Diagnostic]]:
    """Every file named on the command line, folders expanded to their `.policy` files.

    Also returns the entries the reader refused (PC005 links leading outside, PC006 unreadable
    entries): they have no source to format, but `fmt` reports them as `check` does.
    """
    out: list[_Target] = []
    refused: list[Diagnostic] = []
    for arg in paths:
        if arg == STDIN:
            src, diags = _decode("<stdin>", sys.stdin.buffer.read())
            out.append(_Target(None, src, diags))
            continue
        path = Path(arg)
        sources, diags = read_sources(path)
        for src in sources:
            file = path if path.is_file() else path / src.name
            shown = SourceFile(shown_path(file), src.text)  # named as `check` names it
            out.append(_Target(file, shown, [d for d in diags if d.span.file == src.name]))
        read = {src.name for src in sources}
        refused += [d for d in diags if d.span.file not in read]
    return out, refused


def _first_difference(formatted: Formatted) -> Diagnostic:
    """PC021: the file is not in the canonical layout; points at the first line that changes."""
    src = formatted.source
    old = src.text.splitlines()
    new = (formatted.text or "").splitlines()
    line = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    line = min(line, max(len(old) - 1, 0))
    start = sum(len(text) + 1 for text in old[:line])
    end = start + (len(old[line]) if old else 0)
    return error(
        "PC021",
        "file is not formatted",
        src.span(start, min(end, len(src.text))),
        f"run `policyc fmt {src.name}`",
    )


def _diff(formatted: Formatted) -> str:
    name = formatted.source.name
    lines = difflib.unified_diff(
        formatted.source.text.splitlines(keepends=True),
        (formatted.text or "").splitlines(keepends=True),
        name,
        name,
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _write(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fmt", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fmt(
    paths: list[str] = typer.Argument(
        None, help="Policy files or folders (default: policies); `-` reads stdin and writes stdout."
    ),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if any file is not formatted."),
    diff: bool = typer.Option(
        False, "--diff", help="Write nothing; print a unified diff of the changes; exit 1 if there are any."
    ),
) -> None:
    """Rewrite policy files in the one canonical layout (comments kept, meaning unchanged)."""
    try:
        targets, refused = _targets(paths or ["policies"])
    except UsageError as exc:
        raise fail_usage(str(exc)) from None
    failed = would_change = changed = 0
    if refused:
        sys.stderr.write(render_text(refused, {}) + "\n")
        failed += len(refused)
    for target in targets:
        src = target.source
        result = format_source(src) if not target.read_diagnostics else Formatted(src, None, target.read_diagnostics)
        if result.text is None:
            sys.stderr.write(render_text(result.diagnostics, {src.name: src}) + "\n")
            failed += 1
            continue
        if diff and result.changed:
            sys.stdout.write(_diff(result))
        if check and result.changed:
            sys.stderr.write(render_text([_first_difference(result)], {src.name: src}) + "\n")
        if target.path is None:
            if not check and not diff:
                sys.stdout.write(result.text)
            would_change += result.changed
            continue
        if not result.changed:
            continue
        would_change += 1
        if check or diff:
            continue
        try:
            _write(target.path, result.text)
        except OSError as exc:
            raise fail_usage(f"cannot write {target.path}: {exc.strerror or exc}") from None
        changed += 1
        typer.echo(f"reformatted {src.name}", err=True)
    if refused or any(t.path is not None for t in targets):
        _summary(len(targets) + len(refused), failed, would_change if (check or diff) else changed, check or diff)
    # As ruff: `--check` and `--diff` exit 1 when anything would change, so CI fails on either.
    if failed or ((check or diff) and would_change):
        raise typer.Exit(EXIT_ERRORS)
    raise typer.Exit(EXIT_OK)


def _summary(total: int, failed: int, changed: int, dry_run: bool) -> None:
    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    verb = "would be reformatted" if dry_run else "reformatted"
    parts = [f"{files(changed)} {verb}", f"{files(total - changed - failed)} already formatted"]
    if failed:
        parts.append(f"{files(failed)} with errors left unchanged")
    typer.echo(", ".join(parts), err=True)

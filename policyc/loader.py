"""Reading a policy folder from disk: every `*.policy` file below it, in sorted path order."""

from __future__ import annotations

from pathlib import Path

from policyc.diagnostics import Diagnostic, error
from policyc.rules import ERROR, Rule, register
from policyc.source import SourceFile, Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC004", ERROR, "the file is not valid UTF-8 (the offset of the bad byte is given)", example="a Latin-1 `é`"),
)


class UsageError(Exception):
    """A problem with the command itself (missing path, no policy files): exit code 2."""


def _decode(name: str, data: bytes) -> tuple[SourceFile, list[Diagnostic]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        text = data.decode("utf-8", errors="replace")
        src = SourceFile(name, text)
        line, col = src.position(len(good))
        span = Span(name, line, col, line, col + 1, len(good), len(good) + 1)
        return src, [
            error(
                "PC004",
                f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                span,
                "save the file as UTF-8",
            )
        ]
    return SourceFile(name, text.removeprefix("\ufeff")), []


def read_sources(path: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every policy file of `path` (a folder, or one file), named relative to the folder.

    Raises UsageError when the path does not exist, cannot be read, or holds no policy files.
    """
    if not path.exists():
        raise UsageError(f"no such file or folder: {path}")
    if path.is_file():
        files = [(path.name, path)]
    else:
        files = sorted((p.relative_to(path).as_posix(), p) for p in path.rglob("*.policy") if p.is_file())
        if not files:
            raise UsageError(f"no .policy files in {path}")
    sources: list[SourceFile] = []
    diags: list[Diagnostic] = []
    for name, p in files:
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {p}: {exc.strerror or exc}") from exc
        src, ds = _decode(name, data)
        sources.append(src)
        diags += ds
    return sources, diags

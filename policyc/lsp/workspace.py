"""Programs the server keeps: their files (the editor's text over the disk's) and last analysis.

A program is a folder whose `.policy` files form one policy, as `policyc build FOLDER` reads
it. Analysis is incremental: each file is lowered on its own and the result cached by its
text, so a change re-lowers one file; checking and emitting (`compile_lowered`) run on the
merged model each time, because names are global and an edit anywhere can change a
diagnostic anywhere. Diagnostics are those of the current text; the names the editor
features use (`Symbols`) keep, for a file that does not parse (which is most of the time
while typing), its last good parse.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from policyc.diagnostics import Diagnostic
from policyc.loader import UsageError, read_sources
from policyc.lsp.index import Index, Occurrence, file_occurrences
from policyc.model import Policy
from policyc.pipeline import Result, compile_lowered
from policyc.source import SourceFile
from policyc.syntax.lower import lower, merge


def keep_between_analyses(on: bool = True) -> None:
    """Keep, from one analysis to the next, what an edit elsewhere leaves valid (the server turns it
    on; one-shot commands leave it off): the escalation searches and guard verdicts of emitted
    objects seen in the last two analyses (access/policy.py `reuse_searches`), the verdicts of the
    subjects a change of other objects cannot reach (access/reuse.py), the parsed roles and
    bindings, and the grant lints of each class of grants sharing subjects
    (check/access_lints.py `keep_lint_results`). Diagnostics are the same either way."""
    from policyc.access.policy import reuse_searches
    from policyc.check.access_lints import keep_lint_results

    reuse_searches(on)
    keep_lint_results(on)


# How many analyses' results are kept for the same texts to come back: an edit, its undo, and the
# two states between a line broken and fixed again (each holds the program and emitted objects).
_KEEP_RESULTS = 4


@dataclass(frozen=True)
class Lowered:
    """One file's lowering: its model and diagnostics, and where its names occur."""

    text: str
    source: SourceFile
    policy: Policy
    diagnostics: tuple[Diagnostic, ...]
    occurrences: tuple[Occurrence, ...]

    @property
    def parsed(self) -> bool:
        """Whether the file parsed and lowered without an error."""
        return not any(d.is_error for d in self.diagnostics)


def lowered(name: str, text: str) -> Lowered:
    """One file's text lowered on its own."""
    src = SourceFile(name, text)
    policy, diags = lower([src])
    return Lowered(src.text, src, policy, tuple(diags), file_occurrences(policy, src))


def _longest(same: Callable[[int], bool], limit: int) -> int:
    """The largest k <= limit with same(k), for a `same` true up to some k and false after it
    (by bisection: each test is one slice comparison in C, not a character loop in Python)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if same(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


@dataclass(frozen=True)
class Moved:
    """Where the text of a file moved between the version its names were read from (`old`) and
    the current one: both share `prefix` characters at the start and `suffix` at the end, and
    the edit lies between (typing edits one place at a time). Offsets inside the edit have no
    counterpart."""

    prefix: int
    suffix: int
    old_len: int
    new_len: int

    @classmethod
    def between(cls, old: str, new: str) -> Moved:
        """The shared start and end of two texts."""
        limit = min(len(old), len(new))
        prefix = _longest(lambda k: old[:k] == new[:k], limit)
        suffix = _longest(lambda k: old[len(old) - k :] == new[len(new) - k :], limit - prefix)
        return cls(prefix, suffix, len(old), len(new))

    def to_old(self, offset: int) -> int | None:
        """The offset in the old text of a current offset, or None inside the edit."""
        if offset <= self.prefix:
            return offset
        if offset >= self.new_len - self.suffix:
            return offset - self.new_len + self.old_len
        return None

    def to_new(self, offset: int, end: bool = False) -> int | None:
        """The current offset of an offset in the old text, or None inside the edit. Where text
        was only inserted, the old offset of the insertion is two places now: a start maps to
        after the insertion (the text there moved), an `end` to before it."""
        after = offset >= self.old_len - self.suffix
        if offset <= self.prefix and (end or not after):
            return offset
        if after:
            return offset - self.old_len + self.new_len
        return None


@dataclass(frozen=True)
class Symbols:
    """The names completion, hover, definition, references and rename see: the last good parse
    of each file (a file being typed rarely parses) with the current text of the others, checked
    by the compiler. `moved` maps offsets for the files whose current text is not the one read."""

    files: dict[str, Lowered]
    result: Result
    index: Index
    moved: dict[str, Moved]

    def to_read(self, name: str, offset: int) -> int | None:
        """A current offset of file `name` in the text its names were read from (None: edited)."""
        moved = self.moved.get(name)
        return offset if moved is None else moved.to_old(offset)

    def to_current(self, name: str, start: int, end: int) -> tuple[int, int] | None:
        """Offsets of the text names were read from, in the current text (None: edited since)."""
        moved = self.moved.get(name)
        if moved is None:
            return start, end
        a, b = moved.to_new(start), moved.to_new(end, end=True)
        return (a, b) if a is not None and b is not None else None

    @property
    def stale(self) -> list[str]:
        """The files whose names come from an older text (they do not parse now)."""
        return sorted(self.moved)


@dataclass(frozen=True)
class Analysis:
    """Everything known about a program at one moment."""

    texts: dict[str, str]
    versions: dict[str, int]
    sources: dict[str, SourceFile]
    result: Result
    files: dict[str, Lowered]
    index: Index
    symbols: Symbols


@dataclass(frozen=True)
class Snapshot:
    """The text of every file of a program (and the editor's version of the open ones)."""

    texts: dict[str, str]
    versions: dict[str, int]


@dataclass
class PolicyFolder:
    """One policy folder: `root`, its files by name (relative POSIX path), the open editors' text."""

    root: Path
    kubernetes: str | None = None
    disk: dict[str, str] = field(default_factory=dict)
    overlays: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    analysis: Analysis | None = None
    _cache: dict[str, Lowered] = field(default_factory=dict)
    _good: dict[str, Lowered] = field(default_factory=dict)  # the last lowering of each file that parsed
    _last_symbols: Symbols | None = None  # reused while typing changes only a file that does not parse
    # The last analyses' results by (release, texts), newest first (`_compiled`).
    _results: list[tuple[tuple[str | None, dict[str, str]], Result, Index]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def name_of(self, path: Path) -> str:
        """The name of a file of this program, as diagnostics and the compiler show it."""
        return path.relative_to(self.root).as_posix()

    def path_of(self, name: str) -> Path:
        """The file a name stands for."""
        return self.root / name

    def scan(self) -> None:
        """Read the program's files from disk (open editors keep their own text)."""
        try:
            sources, _ = read_sources(self.root)
        except UsageError:
            sources = []
        self.disk = {s.name: s.text for s in sources}

    def reread(self, name: str) -> None:
        """Read one file from disk again (after its editor closed), or forget it if it is gone."""
        path = self.path_of(name)
        try:
            sources, _ = read_sources(path) if path.suffix == ".policy" else ([], [])
        except UsageError:
            sources = []
        if sources:
            self.disk[name] = sources[0].text
        else:
            self.disk.pop(name, None)

    def open(self, name: str, text: str, version: int | None) -> None:
        """An editor holds this file: its text wins over the disk's."""
        self.overlays[name] = text
        if version is not None:
            self.versions[name] = version

    def close(self, name: str) -> None:
        """The editor closed this file: the disk's text counts again."""
        self.overlays.pop(name, None)
        self.versions.pop(name, None)
        self.reread(name)

    def snapshot(self) -> Snapshot:
        """The current text of every file: the editor's where a file is open, else the disk's."""
        return Snapshot({**self.disk, **self.overlays}, dict(self.versions))

    def is_current(self, analysis: Analysis | None) -> bool:
        """Whether an analysis was made from the files as they are now."""
        return analysis is not None and analysis.texts == {**self.disk, **self.overlays}

    def analyse(self, snap: Snapshot | None = None) -> Analysis:
        """Lower what changed, then check and emit the whole program.

        Runs in a worker thread: it reads only the snapshot and the lowering cache, and two
        analyses of one program never run at once.
        """
        snap = snap or self.snapshot()
        with self._lock:
            texts = snap.texts
            files: dict[str, Lowered] = {}
            for name in sorted(texts):
                cached = self._cache.get(name)
                if cached is None or cached.text != texts[name]:
                    cached = lowered(name, texts[name])
                files[name] = cached
            self._cache = files
            result, index = self._compiled(texts, files)
            symbols = self._symbols(files, result, index)
            analysis = Analysis(texts, snap.versions, dict(index.sources), result, files, index, symbols)
            self.analysis = analysis
            return analysis

    def _compiled(self, texts: dict[str, str], files: dict[str, Lowered]) -> tuple[Result, Index]:
        """`_compile(files, lints=True)`, or the result of one of the last analyses of the same
        texts: after lowering, a compilation reads nothing but the texts and the release (no
        file, no clock), so the same texts give the same result (an edit undone, a line broken
        and fixed again). Neither the result nor the index is changed after it is made."""
        key = (self.kubernetes, texts)
        for i, (known, *done) in enumerate(self._results):
            if known == key:
                del self._results[i]
                result, index = done
                break
        else:
            result, index = self._compile(files, lints=True)
        self._results.insert(0, (key, result, index))
        del self._results[_KEEP_RESULTS:]
        return result, index

    def _compile(self, files: dict[str, Lowered], *, lints: bool) -> tuple[Result, Index]:
        """Check and emit the merged files, as `policyc check` does (access lints included)."""
        sources = [f.source for f in files.values()]
        policy = merge(f.policy for f in files.values())
        diags = [d for f in files.values() for d in f.diagnostics]
        result = compile_lowered(sources, policy, diags, self.kubernetes, lints=lints)
        by_name = {s.name: s for s in sources}
        return result, Index(policy, result.program, by_name, {name: f.occurrences for name, f in files.items()})

    def _symbols(self, files: dict[str, Lowered], result: Result, index: Index) -> Symbols:
        """The files as last parsed: the current ones where they parse, else the last good lowering
        (or the disk's text, if that parses), each file's names kept while it is being typed."""
        good: dict[str, Lowered] = {}
        for name, now in files.items():
            if now.parsed:
                self._good[name] = now
            elif name not in self._good and self.disk.get(name, now.text) != now.text:
                on_disk = lowered(name, self.disk[name])
                if on_disk.parsed:
                    self._good[name] = on_disk
            good[name] = self._good.get(name, now)
        for gone in set(self._good) - set(files):
            del self._good[gone]
        if all(good[name] is files[name] for name in files):
            return Symbols(files, result, index, {})
        moved = {name: Moved.between(g.text, files[name].text) for name, g in good.items() if g is not files[name]}
        last = self._last_symbols
        if last is not None and last.files.keys() == good.keys() and all(last.files[n] is good[n] for n in good):
            sym_result, sym_index = last.result, last.index  # the same parses: the same names
        else:
            sym_result, sym_index = self._compile(good, lints=False)
        self._last_symbols = Symbols(good, sym_result, sym_index, moved)
        return self._last_symbols

"""Programs the server keeps: their files (the editor's text over the disk's) and last analysis.

A program is a folder whose `.policy` files form one policy, as `policyc build FOLDER` reads
it. Analysis is incremental: each file is lowered on its own and the result cached by its
text, so a change re-lowers one file; checking and emitting (`compile_lowered`) run on the
merged model each time, because names are global and an edit anywhere can change a
diagnostic anywhere.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path

from policyc.diagnostics import Diagnostic
from policyc.loader import UsageError, read_sources
from policyc.lsp.index import Index, Occurrence, file_occurrences
from policyc.model import Policy
from policyc.pipeline import Result, compile_lowered
from policyc.source import SourceFile
from policyc.syntax.lower import lower


def merge_policies(parts: list[Policy]) -> Policy:
    """The Policy `lower()` makes of several files, from the Policies of each file (sorted by name).

    `lower()` appends each file's declarations in sorted file order and takes the first
    `kubernetes` declaration as the target; every other field is a tuple to concatenate.
    """
    values: dict[str, tuple] = {}
    for f in dataclasses.fields(Policy):
        if f.name != "kubernetes":
            values[f.name] = tuple(item for p in parts for item in getattr(p, f.name))
    decls = values["kubernetes_decls"]
    return Policy(kubernetes=decls[0] if decls else None, **values)


@dataclass(frozen=True)
class Lowered:
    """One file's lowering: its model and diagnostics, and where its names occur."""

    text: str
    source: SourceFile
    policy: Policy
    diagnostics: tuple[Diagnostic, ...]
    occurrences: tuple[Occurrence, ...]


@dataclass(frozen=True)
class Analysis:
    """Everything known about a program at one moment."""

    texts: dict[str, str]
    versions: dict[str, int]
    sources: dict[str, SourceFile]
    result: Result
    files: dict[str, Lowered]
    index: Index


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
                    src = SourceFile(name, texts[name])
                    policy, diags = lower([src])
                    cached = Lowered(src.text, src, policy, tuple(diags), file_occurrences(policy, src))
                files[name] = cached
            self._cache = files
            sources = [f.source for f in files.values()]
            policy = merge_policies([f.policy for f in files.values()])
            diags = [d for f in files.values() for d in f.diagnostics]
            result = compile_lowered(sources, policy, diags, self.kubernetes)
            by_name = {s.name: s for s in sources}
            index = Index(policy, result.program, by_name, {name: f.occurrences for name, f in files.items()})
            analysis = Analysis(texts, snap.versions, by_name, result, files, index)
            self.analysis = analysis
            return analysis

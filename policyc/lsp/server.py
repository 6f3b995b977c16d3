"""The pygls server: documents in, diagnostics and answers out.

Every open or changed document schedules an analysis of its program (see `schedule`: an
isolated edit is analysed at once, a burst of edits waits for `debounceMs` of quiet, and never
more than one analysis of a program runs at a time), in a worker thread; then the diagnostics
of the program's files are published (an error in one file may be reported in another, and
fixing it must clear the other file too). Requests (hover, definition, ...) use the latest
analysis, made fresh first if the files changed since.

Initialization options (all optional): `kubernetes` ("1.30", like `--kubernetes`),
`debounceMs` (int), `programRoots` (folders, relative to the first workspace folder, that are
separate programs; by default each workspace folder is one program).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from policyc import __version__
from policyc.diagnostics import Diagnostic, Severity
from policyc.fmt import format_source
from policyc.gcpause import paused_gc
from policyc.k8s.releases import NEWEST, load_release
from policyc.lsp.builtin import description_file
from policyc.lsp.complete import candidates, context, needs_quotes
from policyc.lsp.hover import hover_text, target_release
from policyc.lsp.index import Builtin, Occurrence
from policyc.lsp.outline import document_symbols
from policyc.lsp.positions import LineMap
from policyc.lsp.rename import RenameRefused, target
from policyc.lsp.rename import edits as rename_edits
from policyc.lsp.workspace import Analysis, PolicyFolder, Snapshot, lowered
from policyc.source import SourceFile
from policyc.syntax.lexer import WORD_RE

log = logging.getLogger("policyc.lsp")

DEFAULT_DEBOUNCE_MS = 75
_WORD = re.compile(WORD_RE)

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}


@dataclass
class _Schedule:
    """When a program was last changed and whether an analysis of it waits or runs."""

    last_change: float = float("-inf")
    waiting: asyncio.Future | None = None
    running: bool = False
    again: bool = False


def _analyse(program: PolicyFolder, snap: Snapshot) -> Analysis:
    """Analyse with Python's cyclic garbage collector paused (policyc/gcpause.py says why)."""
    with paused_gc():
        return program.analyse(snap)


class PolicyServer(LanguageServer):
    """The policyc language server: programs by root folder, analyses, published diagnostics."""

    def __init__(self) -> None:
        super().__init__("policyc", __version__)
        self.programs: dict[Path, PolicyFolder] = {}
        self.kubernetes: str | None = None
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.program_roots: list[Path] = []
        self.open_uris: dict[Path, str] = {}  # file -> the URI the editor opened it under
        self._schedules: dict[Path, _Schedule] = defaultdict(_Schedule)
        self._published: dict[Path, dict[str, list[types.Diagnostic]]] = defaultdict(dict)
        # Each file's line starts, kept while its text is the same (compared, so never stale): an
        # analysis publishes every file's diagnostics, and finding the lines of a 5,000-line
        # workspace again was half of publishing (issue 19).
        self._line_maps: dict[tuple[str, str], LineMap] = {}
        self._fs_uris: dict[Path, str] = {}  # a file's own URI (a function of its path)
        # Per program, each file's LSP diagnostics and what they were made from (see `publish`).
        self._converted: dict[Path, dict[str, tuple[tuple, list[types.Diagnostic]]]] = defaultdict(dict)

    # -- programs ---------------------------------------------------------------
    def folders(self) -> list[Path]:
        """The workspace folders, as paths."""
        out = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                out.append(Path(path).resolve())
        if not out and self.workspace.root_path:
            out.append(Path(self.workspace.root_path).resolve())
        return out

    def root_of(self, path: Path) -> Path:
        """The program folder of a file: the deepest configured program root or workspace
        folder holding it, else the file's own folder."""
        holders = [r for r in self.program_roots + self.folders() if path.is_relative_to(r)]
        return max(holders, key=lambda r: len(r.parts)) if holders else path.parent

    def program_of(self, uri: str) -> tuple[PolicyFolder, str] | None:
        """The program of a document and the document's name in it (None for non-file URIs)."""
        fs = to_fs_path(uri)
        if not fs or not uri.startswith("file:"):
            return None
        path = Path(fs).resolve()
        root = self.root_of(path)
        program = self.programs.get(root)
        if program is None:
            program = PolicyFolder(root, kubernetes=self.kubernetes)
            program.scan()
            self.programs[root] = program
        return program, program.name_of(path)

    def uri_of(self, program: PolicyFolder, name: str) -> str:
        """The URI to publish a file's diagnostics under (the editor's own for open files)."""
        path = program.path_of(name)
        opened = self.open_uris.get(path)
        if opened:
            return opened
        uri = self._fs_uris.get(path)
        if uri is None:
            uri = self._fs_uris[path] = from_fs_path(str(path)) or path.as_uri()
        return uri

    # -- analysis ---------------------------------------------------------------
    def schedule(self, program: PolicyFolder, changed: bool = True) -> None:
        """Analyse `program` soon, then publish its diagnostics.

        One analysis per program at a time. A change after a quiet spell (at least the debounce
        time since the previous change) is analysed at once; a change inside a burst waits for
        the debounce time of quiet; a change that arrives while an analysis runs is picked up
        by one more analysis when it ends. So an isolated edit costs one analysis of latency,
        and fast typing costs at most one analysis in flight plus one more.
        """
        state = self._schedules[program.root]
        now = asyncio.get_running_loop().time()
        quiet = now - state.last_change >= self.debounce
        if changed:
            state.last_change = now
        if state.running:
            state.again = True
            return
        if state.waiting is not None:
            state.waiting.cancel()
        state.waiting = asyncio.ensure_future(self._analyse_later(program, 0 if quiet else self.debounce))

    async def _analyse_later(self, program: PolicyFolder, delay: float) -> None:
        state = self._schedules[program.root]
        if delay > 0:
            await asyncio.sleep(delay)  # a later change cancels this wait
        state.waiting, state.running = None, True
        try:
            snap = program.snapshot()
            analysis = await asyncio.get_running_loop().run_in_executor(None, _analyse, program, snap)
            self.publish(program, analysis)
        finally:
            state.running = False
        if state.again:
            state.again = False
            self.schedule(program, changed=False)

    async def fresh(self, program: PolicyFolder) -> Analysis:
        """The program's analysis, redone first if a file changed since the last one."""
        if program.is_current(program.analysis):
            assert program.analysis is not None
            return program.analysis
        return await asyncio.get_running_loop().run_in_executor(None, _analyse, program, program.snapshot())

    def publish(self, program: PolicyFolder, analysis: Analysis) -> None:
        """Publish the diagnostics of the program's files: always for open documents (with their
        version), for the others when they differ from what the editor was last told (an empty
        list clears an error fixed from another file)."""
        by_file: dict[str, list[Diagnostic]] = defaultdict(list)
        names = sorted(analysis.sources)
        for d in analysis.result.diagnostics:
            # A diagnostic without a file of its own (the command line) goes on the first file.
            by_file[d.span.file if d.span.file in analysis.sources else (names[0] if names else "")].append(d)
        sources = analysis.sources

        def lines(name: str) -> LineMap | None:  # only of the files a diagnostic or label names
            src = sources.get(name)
            return self.lines(src) if src is not None else None

        published = self._published[program.root]
        now: dict[str, list[types.Diagnostic]] = {}
        converted, kept = self._converted[program.root], {}
        encoding = self.workspace.position_encoding
        for name in names:
            uri = self.uri_of(program, name)
            mine = tuple(by_file.get(name, ()))
            # A file's LSP diagnostics are a function of its compiler diagnostics, the position
            # encoding, and the text and URI of each file they name (positions are counted in
            # the text, labels link to the URI): converted again only when one of those differs.
            named = dict.fromkeys(f for d in mine for f in (d.span.file, *(lb.span.file for lb in d.labels)))
            key = (mine, encoding, tuple((f, sources[f].text, self.uri_of(program, f)) if f in sources else (f,)
                                         for f in named))
            before = converted.get(uri)
            diags = before[1] if before is not None and before[0] == key else [
                self.to_lsp(d, lines, program) for d in mine]
            kept[uri] = (key, diags)
            is_open = program.path_of(name) in self.open_uris
            if is_open or diags != published.get(uri, []):
                self.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=analysis.versions.get(name))
                )
            if diags:
                now[uri] = diags
        for gone in set(published) - {self.uri_of(program, n) for n in names}:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=gone, diagnostics=[]))
        self._published[program.root] = now
        self._converted[program.root] = kept

    def to_lsp(self, d: Diagnostic, lines: Callable[[str], LineMap | None], program: PolicyFolder,
               ) -> types.Diagnostic:
        """A compiler diagnostic as an LSP diagnostic (help and CIS id in the message); `lines`
        gives a file's positions (None: not a file of the program)."""
        own = lines(d.span.file)
        rng = own.span_range(d.span) if own else types.Range(types.Position(0, 0), types.Position(0, 0))
        message = d.message + (f" [{d.cis_citation}]" if d.cis else "") + (f"\nhelp: {d.help}" if d.help else "")
        related = [
            types.DiagnosticRelatedInformation(
                types.Location(self.uri_of(program, label.span.file), where.span_range(label.span)),
                label.message,
            )
            for label in d.labels
            if (where := lines(label.span.file)) is not None
        ]
        return types.Diagnostic(
            range=rng,
            message=message,
            severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
            code=d.code,
            source="policyc",
            related_information=related or None,
        )

    # -- queries ----------------------------------------------------------------
    async def occurrence_at(
        self, uri: str, position: types.Position
    ) -> tuple[PolicyFolder, Analysis, Occurrence, LineMap] | None:
        """The name under the cursor, with the program it belongs to (from the file's last good
        parse while it does not parse)."""
        found = self.program_of(uri)
        if found is None:
            return None
        program, name = found
        analysis = await self.fresh(program)
        src = analysis.sources.get(name)
        if src is None:
            return None
        lines = self.lines(src)
        offset = analysis.symbols.to_read(name, lines.offset(position))
        occ = analysis.symbols.index.at(name, offset) if offset is not None else None
        return (program, analysis, occ, lines) if occ else None

    def lines(self, src: SourceFile) -> LineMap:
        """Position conversions for a file, in the negotiated encoding."""
        encoding = self.workspace.position_encoding or "utf-16"
        key = (src.name, encoding)
        kept = self._line_maps.get(key)
        if kept is None or (kept.text is not src.text and kept.text != src.text):
            kept = self._line_maps[key] = LineMap(src.text, encoding)
        return kept

    def range_of(self, analysis: Analysis, occ: Occurrence) -> types.Range | None:
        """Where an occurrence is in the current text (None: the text there was edited since)."""
        name = occ.span.file
        src = analysis.sources.get(name)
        at = analysis.symbols.to_current(name, occ.span.start, occ.span.end) if src is not None else None
        return self.lines(src).range(*at) if src is not None and at is not None else None

    def location(self, program: PolicyFolder, analysis: Analysis, occ: Occurrence) -> types.Location | None:
        """Where an occurrence is, as an LSP location (None: edited since it was read)."""
        rng = self.range_of(analysis, occ)
        return types.Location(self.uri_of(program, occ.span.file), rng) if rng is not None else None


server = PolicyServer()


def _options(params: types.InitializeParams) -> dict[str, Any]:
    opts = params.initialization_options
    return opts if isinstance(opts, dict) else {}


@server.feature(types.INITIALIZE)
def initialize(ls: PolicyServer, params: types.InitializeParams) -> None:
    """Read the initialization options."""
    opts = _options(params)
    if isinstance(opts.get("kubernetes"), str):
        ls.kubernetes = opts["kubernetes"]
    if isinstance(opts.get("debounceMs"), int | float) and opts["debounceMs"] >= 0:
        ls.debounce = opts["debounceMs"] / 1000
    base = ls.folders()[0] if ls.folders() else Path.cwd()
    roots = opts.get("programRoots")
    if isinstance(roots, list):
        ls.program_roots = [(base / str(r)).resolve() for r in roots if isinstance(r, str)]


@server.feature(types.INITIALIZED)
async def initialized(ls: PolicyServer, params: types.InitializedParams) -> None:
    """Ask the editor to tell us about `.policy` files changed outside it, if it can."""
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched is not None and watched.dynamic_registration:
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/*.policy")]
        )
        registration = types.Registration(
            id="policyc-watch-policy-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # an editor that refuses: we still see its own documents
            log.warning("file watcher registration refused: %s", exc)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PolicyServer, params: types.DidOpenTextDocumentParams) -> None:
    """A document opened: it joins its program, which is analysed at once."""
    doc = params.text_document
    found = ls.program_of(doc.uri)
    if found is None:
        return
    program, name = found
    ls.open_uris[program.path_of(name)] = doc.uri
    program.open(name, doc.text, doc.version)
    ls.schedule(program)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PolicyServer, params: types.DidChangeTextDocumentParams) -> None:
    """A document changed: analyse its program once typing pauses."""
    found = ls.program_of(params.text_document.uri)
    if found is None:
        return
    program, name = found
    doc = ls.workspace.get_text_document(params.text_document.uri)
    program.open(name, doc.source, params.text_document.version)
    ls.schedule(program)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PolicyServer, params: types.DidCloseTextDocumentParams) -> None:
    """A document closed: the file on disk counts again."""
    found = ls.program_of(params.text_document.uri)
    if found is None:
        return
    program, name = found
    ls.open_uris.pop(program.path_of(name), None)
    program.close(name)
    ls.schedule(program)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: PolicyServer, params: types.DidChangeWatchedFilesParams) -> None:
    """Files changed on disk (a checkout, another tool): re-read the programs they belong to."""
    touched: dict[Path, PolicyFolder] = {}
    for change in params.changes:
        fs = to_fs_path(change.uri)
        if not fs:
            continue
        root = ls.root_of(Path(fs).resolve())
        if root in ls.programs:
            touched[root] = ls.programs[root]
    for program in touched.values():
        program.scan()
        ls.schedule(program)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: PolicyServer, params: types.HoverParams) -> types.Hover | None:
    """What the name under the cursor is: rules of a role, members of a team, ..."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    program, analysis, occ, lines = found
    text = hover_text(analysis.symbols.index, occ)
    if text is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=ls.range_of(analysis, occ)
    )


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: PolicyServer, params: types.DefinitionParams) -> list[types.Location] | None:
    """Where the role, team, namespace, user, service account or pod-security policy is declared."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    program, analysis, occ, _ = found
    target = analysis.symbols.index.definitions(occ)
    if isinstance(target, Builtin):
        path = description_file(target.name)
        uri = from_fs_path(str(path)) or path.as_uri()
        return [types.Location(uri, types.Range(types.Position(0, 0), types.Position(0, 0)))]
    locations = [loc for d in target or () if (loc := ls.location(program, analysis, d)) is not None]
    return locations or None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
async def references(ls: PolicyServer, params: types.ReferenceParams) -> list[types.Location] | None:
    """Every place the name under the cursor is used, across the program."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    program, analysis, occ, _ = found
    refs = analysis.symbols.index.references(occ, params.context.include_declaration)
    return [loc for o in refs if (loc := ls.location(program, analysis, o)) is not None]


def _refused(exc: RenameRefused) -> JsonRpcException:
    # LSP ResponseError RequestFailed (-32803): "the request failed but it was syntactically
    # correct"; editors show the message to the user.
    return JsonRpcException(str(exc), code=types.LSPErrorCodes.RequestFailed)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
async def prepare_rename(ls: PolicyServer, params: types.PrepareRenameParams) -> types.PrepareRenamePlaceholder | None:
    """Whether the name under the cursor can be renamed: its range and text, or why not."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    program, analysis, occ, _ = found
    try:
        target(analysis.symbols.index, occ)
    except RenameRefused as exc:
        raise _refused(exc) from None
    rng = ls.range_of(analysis, occ)
    return types.PrepareRenamePlaceholder(range=rng, placeholder=occ.name) if rng is not None else None


@server.feature(types.TEXT_DOCUMENT_RENAME)
async def rename(ls: PolicyServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    """Rename a role, team, namespace or service account in every file of the program."""
    found = await ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    program, analysis, occ, _ = found

    def reread(name: str, text: str) -> tuple[Occurrence, ...] | None:
        result = lowered(name, text)
        return result.occurrences if result.parsed else None

    try:
        edits = rename_edits(analysis.symbols.index, occ, params.new_name, analysis.symbols.stale, reread)
    except RenameRefused as exc:
        raise _refused(exc) from None
    changes: dict[str, list[types.TextEdit]] = defaultdict(list)
    for e in edits:
        changes[ls.uri_of(program, e.file)].append(
            types.TextEdit(ls.lines(analysis.sources[e.file]).range(e.start, e.end), e.text)
        )
    return types.WorkspaceEdit(changes=dict(changes))


@server.feature(types.TEXT_DOCUMENT_COMPLETION)
async def completion(ls: PolicyServer, params: types.CompletionParams) -> types.CompletionList:
    """Keywords the grammar accepts here, and the names that fit."""
    doc = ls.workspace.get_text_document(params.text_document.uri)
    text = doc.source
    lines = LineMap(text, ls.workspace.position_encoding or "utf-16")
    offset = lines.offset(params.position)
    start = offset
    # The word being typed: the longest run of word characters before the cursor ("a" + run
    # is a whole word exactly when every character of the run may continue one).
    while start > 0 and _WORD.fullmatch("a" + text[start - 1 : offset]):
        start -= 1
    found = ls.program_of(params.text_document.uri)
    analysis = None
    if found is not None:
        program, _ = found
        analysis = program.analysis or await ls.fresh(program)
    index = analysis.symbols.index if analysis else None
    release = target_release(index) if index else load_release(NEWEST)
    replace = lines.range(start, offset)
    items = []
    for c in candidates(context(text[:start]), index, release):
        new_text = c.label if not needs_quotes(c.label) else '"' + c.label.replace('"', '\\"') + '"'
        items.append(
            types.CompletionItem(
                label=c.label,
                kind=types.CompletionItemKind[c.kind],
                detail=c.detail or None,
                text_edit=types.TextEdit(replace, new_text),
                filter_text=new_text,
            )
        )
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: PolicyServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    """`policyc fmt` on the document; nothing when it has a syntax error (the diagnostic says why)."""
    doc = ls.workspace.get_text_document(params.text_document.uri)
    result = format_source(SourceFile(doc.filename or "document.policy", doc.source))
    if result.text is None:
        return None
    if not result.changed:
        return []
    lines = LineMap(doc.source, ls.workspace.position_encoding or "utf-16")
    return [types.TextEdit(lines.whole(), result.text)]


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def symbols(ls: PolicyServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    """The declarations of the document, nested (from its last good parse while it does not parse)."""
    found = ls.program_of(params.text_document.uri)
    if found is None:
        return []
    program, name = found
    analysis = await ls.fresh(program)
    lowered = analysis.symbols.files.get(name)
    if lowered is None or not lowered.parsed:
        return []
    read = ls.lines(lowered.source)
    outline = document_symbols(lowered.policy, lowered.text, read)
    if name not in analysis.symbols.moved:
        return outline
    now = ls.lines(analysis.sources[name])

    def moved(sym: types.DocumentSymbol) -> types.DocumentSymbol | None:
        """The symbol in the current text; None if the text it stood on was edited since."""
        spans = [analysis.symbols.to_current(name, read.offset(r.start), read.offset(r.end))
                 for r in (sym.range, sym.selection_range)]
        if spans[0] is None or spans[1] is None:
            return None
        children = [c for c in (moved(c) for c in sym.children or ()) if c is not None]
        return types.DocumentSymbol(name=sym.name, kind=sym.kind, range=now.range(*spans[0]),
                                    selection_range=now.range(*spans[1]), detail=sym.detail,
                                    children=children or None)

    return [m for m in (moved(s) for s in outline) if m is not None]


def serve() -> None:
    """Run the server over stdin and stdout until the editor says exit."""
    # Each analysis keeps what the next one may reuse: escalation searches, the grant lints per
    # class of grants (policyc/lsp/workspace.py `keep_between_analyses`, issue 19).
    from policyc.lsp.workspace import keep_between_analyses

    keep_between_analyses()
    server.start_io()

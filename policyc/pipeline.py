"""The one-way pipeline, as data: the only place a build is put together.

    read -> lower -> check -> issue credentials -> emit -> check emitted -> write

`STAGES` lists them; `run` executes all of them or a slice (`until=`, `start=`) on one
`Result`. The public API (`policyc.load`, `policyc.build`), the CLI, the language server,
review and import call `run` or one of the `compile_*` helpers below (a prefix of it); none
assembles the stages itself. A stage that finds an error stops the ones after it, except
that suppressions (`# policyc: allow`) are always applied once checking has run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policyc import backends
from policyc.backends import NO_CREDENTIALS, Credentials
from policyc.check import check, check_emitted, suppress
from policyc.diagnostics import Diagnostic, Severity, sort_diagnostics
from policyc.gcpause import paused_gc
from policyc.loader import read_sources
from policyc.model import Policy
from policyc.model.manifest import Manifest
from policyc.model.program import Program
from policyc.source import SourceFile
from policyc.syntax.lower import lower

if TYPE_CHECKING:
    from policyc.output.credentials import IssueReport
    from policyc.output.secrets import SecretsError
    from policyc.output.tree import WriteResult


@dataclass(frozen=True)
class Options:
    """What a run is asked to do; each stage reads the fields it needs."""

    path: Path | None = None  # read: a policy folder or one file
    kubernetes: str | None = None  # check: the target release (overrides the policy)
    lints: bool = False  # check emitted: the access lints (PC5xx), as the CLI runs them
    deny_warnings: bool = False  # check emitted: warnings count as errors
    secrets: Path | None = None  # issue credentials: the secrets folder (None: issue nothing)
    write_secrets: bool = True  # issue credentials: False reads what exists, makes nothing
    out: Path | None = None  # write: the output tree (None: keep it in memory); with
    # write_secrets False, CSRs committed there stand in for a missing secrets folder


@dataclass
class Result:
    """Everything one compilation produced."""

    sources: dict[str, SourceFile] = field(default_factory=dict)
    policy: Policy | None = None
    program: Program | None = None
    manifests: list[Manifest] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # rendered files beside the objects
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressed: list[Diagnostic] = field(default_factory=list)  # warnings silenced by `# policyc: allow`
    credentials: Credentials = NO_CREDENTIALS  # what the backends put into objects (CSR PEMs)
    issued: IssueReport | None = None  # the secrets folder: what was (or will be) written and kept
    issue_error: SecretsError | None = None  # issuing failed; the write stage raises it
    written: WriteResult | None = None  # write: the tree written to Options.out (what the CLI reports)
    emitted: bool = False  # the emit stage ran (the program had no error)
    stopped: bool = False  # a stage found what stops the ones after it

    @property
    def ok(self) -> bool:
        """Whether no error was found (warnings allowed)."""
        return not any(d.is_error for d in self.diagnostics)


Step = Callable[[Result, Options], None]


@dataclass(frozen=True)
class Stage:
    """One named step of the pipeline."""

    name: str
    step: Step
    gc_paused: bool = False  # builds long-lived data: run with the cyclic collector paused


def _read(result: Result, options: Options) -> None:
    """Read the policy folder (raises loader.UsageError for bad paths)."""
    assert options.path is not None, "the read stage needs Options.path"
    sources, diags = read_sources(options.path)
    result.sources = {s.name: s for s in sources}
    if diags:
        result.diagnostics = sort_diagnostics(diags)
        result.stopped = True


def _lower(result: Result, options: Options) -> None:
    """Parse and lower every source; semantic checks run only when every file parsed."""
    policy, diags = lower(list(result.sources.values()))
    result.policy = policy
    result.diagnostics = list(diags)
    if any(d.is_error for d in diags):
        result.diagnostics = sort_diagnostics(diags)
        result.stopped = True


def _errors(result: Result) -> bool:
    return any(d.is_error for d in result.diagnostics)


def _check(result: Result, options: Options) -> None:
    assert result.policy is not None
    program, diags = check(result.policy, options.kubernetes)
    result.program = program
    result.diagnostics += diags


def _emits(result: Result) -> bool:
    """Whether the program goes on to be emitted: it exists and has no error."""
    return result.program is not None and not _errors(result)


def _issue_credentials(result: Result, options: Options) -> None:
    """Users' credentials, before emit: the CSR objects carry the requests (never the keys)."""
    if options.secrets is None or not _emits(result):
        return
    from policyc.output.credentials import plan_credentials, requests_in_tree
    from policyc.output.secrets import SecretsError, SecretStore, check_apart

    assert result.program is not None
    try:
        if options.out is not None:
            check_apart(options.secrets, options.out)  # secrets in out/ would be committed and applied
        report = plan_credentials(result.program, SecretStore(options.secrets), options.write_secrets)
    except SecretsError as exc:
        result.issue_error = exc
        return
    requests = dict(report.requests)
    if not options.write_secrets and options.out is not None:
        for user, pem in requests_in_tree(options.out, result.program).items():
            requests.setdefault(user, pem)
    result.issued = report
    result.credentials = Credentials(requests)


def _emit(result: Result, options: Options) -> None:
    if not _emits(result):
        return
    from policyc.output.yaml import render_file

    assert result.program is not None
    emitted = backends.emit(result.program, result.credentials)
    result.manifests = list(emitted.manifests)
    result.files = {f.path: render_file(f) for f in emitted.files}
    result.diagnostics += emitted.diagnostics
    result.emitted = True


def _check_emitted(result: Result, options: Options) -> None:
    """Guards (and the access lints) on the emitted RBAC; then suppressions, --deny-warnings."""
    if result.emitted:
        assert result.program is not None
        result.diagnostics += check_emitted(result.program, result.manifests, lints=options.lints)
    diags = result.diagnostics + suppress.malformed(result.sources)
    result.diagnostics, result.suppressed = suppress.apply_suppressions(
        sort_diagnostics(diags), result.sources, result.policy)
    if options.deny_warnings:
        result.diagnostics = promote_warnings(result.diagnostics)


def _write(result: Result, options: Options) -> None:
    """Secrets first, then the manifest tree (atomically), only when there is no error."""
    if not result.ok:
        return
    if result.issue_error is not None:
        raise result.issue_error
    if result.issued is not None and options.secrets is not None and options.write_secrets:
        from policyc.output.credentials import commit_credentials
        from policyc.output.secrets import SecretStore

        commit_credentials(result.issued, SecretStore(options.secrets))
    if options.out is not None:
        from policyc.output.tree import layout, write_tree

        result.written = write_tree(options.out, layout(result.manifests, result.files))


STAGES: tuple[Stage, ...] = (
    Stage("read", _read),
    Stage("lower", _lower),
    Stage("check", _check, gc_paused=True),
    Stage("issue credentials", _issue_credentials, gc_paused=True),
    Stage("emit", _emit, gc_paused=True),
    Stage("check emitted", _check_emitted, gc_paused=True),
    Stage("write", _write),
)
STAGE_NAMES = tuple(s.name for s in STAGES)


def stages(start: str | None = None, until: str | None = None) -> tuple[Stage, ...]:
    """The stages from `start` (included) up to `until` (excluded), by name."""
    first = STAGE_NAMES.index(start) if start else 0
    last = STAGE_NAMES.index(until) if until else len(STAGES)
    return STAGES[first:last]


def run(options: Options, result: Result | None = None, *, start: str | None = None,
        until: str | None = None) -> Result:
    """Run the stages from `start` up to `until` on `result` (a new one by default)."""
    result = result if result is not None else Result()
    paused = False
    with ExitStack() as pause:
        for stage in stages(start, until):
            if result.stopped:
                break
            if stage.gc_paused != paused:
                # What check and emit build lives until the run returns: see policyc/gcpause.py.
                if stage.gc_paused:
                    pause.enter_context(paused_gc())
                else:
                    pause.close()
                paused = stage.gc_paused
            stage.step(result, options)
    return result


def promote_warnings(diags: list[Diagnostic]) -> list[Diagnostic]:
    """With --deny-warnings, warnings count as errors."""
    from dataclasses import replace

    return [replace(d, severity=Severity.ERROR) if d.severity is Severity.WARNING else d for d in diags]


# ---------------------------------------------------------------------------------------------
# Prefixes of the pipeline that tools use
# ---------------------------------------------------------------------------------------------


def compile_sources(sources: list[SourceFile], kubernetes: str | None = None, *, lints: bool = False) -> Result:
    """Compile in-memory sources (lower to check emitted); `lints` adds PC5xx."""
    result = Result(sources={s.name: s for s in sources})
    return run(Options(kubernetes=kubernetes, lints=lints), result, start="lower", until="write")


def compile_lowered(
    sources: list[SourceFile], policy: Policy, diags: list[Diagnostic], kubernetes: str | None = None,
    *, lints: bool = False,
) -> Result:
    """Check and emit a policy already lowered from `sources` (with the lowering's diagnostics).

    The language server lowers file by file and caches the results; everything after lowering
    is this prefix of the pipeline, shared with `compile_sources`.
    """
    result = Result(sources={s.name: s for s in sources}, policy=policy, diagnostics=list(diags))
    if any(d.is_error for d in diags):
        result.diagnostics = sort_diagnostics(diags)
        return result
    return run(Options(kubernetes=kubernetes, lints=lints), result, start="check", until="write")


def compile_path(path: Path, kubernetes: str | None = None, *, lints: bool = False) -> Result:
    """Read a policy folder (or file) and compile it. Raises loader.UsageError for bad paths."""
    return run(Options(path=path, kubernetes=kubernetes, lints=lints), until="write")

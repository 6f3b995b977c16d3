"""The one-way pipeline: read -> parse/lower -> check -> emit -> (write)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from policyc import backends
from policyc.backends.manifest import Manifest
from policyc.check import check, check_emitted, suppress
from policyc.diagnostics import Diagnostic, sort_diagnostics
from policyc.gcpause import gc_paused
from policyc.loader import read_sources
from policyc.model import Policy
from policyc.model.program import Program
from policyc.source import SourceFile
from policyc.syntax.lower import lower


@dataclass
class Result:
    """Everything one compilation produced."""

    sources: dict[str, SourceFile] = field(default_factory=dict)
    policy: Policy | None = None
    program: Program | None = None
    manifests: list[Manifest] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressed: list[Diagnostic] = field(default_factory=list)  # warnings silenced by `# policyc: allow`

    @property
    def ok(self) -> bool:
        """Whether no error was found (warnings allowed)."""
        return not any(d.is_error for d in self.diagnostics)


def compile_sources(sources: list[SourceFile], kubernetes: str | None = None, *, lints: bool = False) -> Result:
    """Compile in-memory sources. Semantic checks run only when every file parsed; `lints` adds PC5xx."""
    policy, diags = lower(sources)
    return compile_lowered(sources, policy, diags, kubernetes, lints=lints)


@gc_paused  # what it builds lives until it returns: see policyc/gcpause.py
def compile_lowered(
    sources: list[SourceFile], policy: Policy, diags: list[Diagnostic], kubernetes: str | None = None,
    *, lints: bool = False,
) -> Result:
    """Check and emit a policy already lowered from `sources` (with the lowering's diagnostics).

    The language server lowers file by file and caches the results; everything after lowering
    is this function, shared with `compile_sources`.
    """
    result = Result(sources={s.name: s for s in sources})
    diags = list(diags)
    result.policy = policy
    if any(d.is_error for d in diags):
        result.diagnostics = sort_diagnostics(diags)
        return result
    program, check_diags = check(policy, kubernetes)
    diags += check_diags
    result.program = program
    if program is not None and not any(d.is_error for d in diags):
        manifests, emit_diags = backends.emit_all(program)
        files, file_diags = backends.emit_files(program)
        diags += emit_diags + file_diags
        diags += check_emitted(program, manifests, lints=lints)  # guards and lints need the emitted RBAC
        result.manifests = manifests
        result.files = files
    diags += suppress.malformed(result.sources)
    result.diagnostics, result.suppressed = suppress.apply_suppressions(sort_diagnostics(diags), result.sources)
    return result


def compile_path(path: Path, kubernetes: str | None = None, *, lints: bool = False) -> Result:
    """Read a policy folder (or file) and compile it. Raises loader.UsageError for bad paths."""
    sources, diags = read_sources(path)
    if diags:
        return Result(sources={s.name: s for s in sources}, diagnostics=sort_diagnostics(diags))
    return compile_sources(sources, kubernetes, lints=lints)

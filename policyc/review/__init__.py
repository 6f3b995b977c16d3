"""Review of a policy change (`policyc diff`): effective access, settings and generated YAML, BASE to HEAD.

`compare()` is pure: two sides' sources in, a `DiffReport` out. Reading the sides (folders or
git revisions) is in `sources.py`, access in `access.py`, settings in `settings.py`, the
renderings in `render.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.pipeline import Result, compile_sources
from policyc.review.access import access_changes
from policyc.review.manifests import tree_of, unified_tree_diff
from policyc.review.report import DiffReport, SideInfo
from policyc.review.settings import setting_changes
from policyc.review.sources import Side

__all__ = ["Compiled", "compare", "compile_side"]


@dataclass
class Compiled:
    """A side and what it compiled to (`result` is None for an empty side)."""

    side: Side
    result: Result | None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the side compiled without errors (an empty side does)."""
        return self.result is None or (self.result.ok and not self.side.diagnostics)


def compile_side(side: Side, kubernetes: str | None = None) -> Compiled:
    """Compile a side; an empty side (no policy folder at a revision) compiles to nothing."""
    if side.empty:
        return Compiled(side, None, [f"{side.label} has no policy files: it is taken as an empty policy"])
    if side.diagnostics:
        result = Result(sources={s.name: s for s in side.sources}, diagnostics=list(side.diagnostics))
        return Compiled(side, result)
    return Compiled(side, compile_sources(list(side.sources), kubernetes))


def _info(c: Compiled) -> SideInfo:
    return SideInfo(c.side.label, c.side.kind, c.side.commit, c.side.empty)


def compare(base: Compiled, head: Compiled, manifests: bool = False, verbose: bool = False) -> DiffReport:
    """The report for two sides that compiled (callers check `Compiled.ok` first); `verbose` lists every
    permission a superuser escalation implies instead of one line (review/access.py)."""
    added, removed = access_changes(base.result, head.result, verbose)
    settings = setting_changes(
        base.result.program if base.result else None, head.result.program if head.result else None
    )
    notes = [*base.notes, *head.notes]
    b_release = base.result.program.release if base.result and base.result.program else None
    h_release = head.result.program.release if head.result and head.result.program else None
    if b_release and h_release and b_release != h_release:
        notes.append(
            f"the target release changes from {b_release[0]}.{b_release[1]} to {h_release[0]}.{h_release[1]}"
        )
    patch = unified_tree_diff(tree_of(base.result), tree_of(head.result)) if manifests else None
    return DiffReport(
        base=_info(base),
        head=_info(head),
        added=tuple(added),
        removed=tuple(removed),
        settings=tuple(settings),
        manifests=patch,
        notes=tuple(notes),
    )

"""`policyc import`: an existing cluster's access objects as a policy folder, provably unchanged.

    docs, sources, diags = read_paths(["dump.yaml"])
    result = import_docs(docs, release=(1, 30))
    result.files        # relative path -> policy text
    verify(result)      # policyc.importer.verify: effective access before and after

docs/migrating.md walks through a migration; docs/diagnostics.md lists the PC6xx codes.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from policyc.diagnostics import Diagnostic, sort_diagnostics
from policyc.importer.plan import Outcome, Plan, PTeam
from policyc.importer.propose import Proposal, propose
from policyc.importer.render import render
from policyc.importer.teams import form_teams
from policyc.importer.translate import Translator
from policyc.k8s.releases import load_release
from policyc.k8s.yamlread import Doc

__all__ = ["ImportResult", "import_docs"]

HEADER = [
    "# Imported by `policyc import`: review it, then follow docs/migrating.md.",
    "# Objects that stayed in the cluster are listed in the import's output.",
    "",
]


@dataclass
class ImportResult:
    """The policy files, what became of each input object, and the diagnostics."""

    release: tuple[int, int]
    files: dict[str, str]
    plan: Plan
    teams: list[PTeam]
    outcomes: list[Outcome]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # namespaced objects without a namespace (PC625)
    proposals: list[Proposal] = field(default_factory=list)  # importer/propose.py: shorter with intent

    def docs(self, status: str) -> list[Doc]:
        """The input objects with one status: imported, skipped or kept."""
        return [o.doc for o in self.outcomes if o.status == status]

    @property
    def remaining(self) -> list[Doc]:
        """Objects that stay in the cluster after the migration (skipped and kept)."""
        return [o.doc for o in self.outcomes if o.status in ("skipped", "kept")
                and o.reason != "given twice; the later copy counts"]

    def summary(self) -> list[str]:
        """Human-readable lines: what was imported, skipped (and why) and kept."""
        imported = Counter(o.doc.kind for o in self.outcomes if o.status == "imported")
        kinds = f" ({', '.join(f'{n} {k}' for k, n in sorted(imported.items()))})" if imported else ""
        lines = [
            f"imported {sum(imported.values())} objects{kinds} into {len(self.files)} files"
            + (f"; {len(self.teams)} team{'s' if len(self.teams) != 1 else ''} formed" if self.teams else "")
        ]
        skipped = Counter(o.reason for o in self.outcomes if o.status == "skipped")
        if skipped:
            lines.append(f"skipped {sum(skipped.values())} objects that stay in the cluster as they are:")
            lines += [f"  {n:4d}  {reason}" for reason, n in sorted(skipped.items(), key=lambda x: (-x[1], x[0]))]
        if self.unplaced:
            lines.append(f"skipped {len(self.unplaced)} namespaced object{'s' if len(self.unplaced) != 1 else ''} "
                         "without `metadata.namespace` (meant for `kubectl apply -n`; pass `-n NAMESPACE`):")
            lines += [f"        {ref}" for ref in self.unplaced]
        kept = [o for o in self.outcomes if o.status == "kept"]
        if kept:
            lines.append(f"kept {len(kept)} objects that the policy language cannot express (see the warnings):")
            lines += [f"        {o.doc.ref}  ({o.doc.file}, {o.doc.where})" for o in kept]
        return lines


REPLACED_FILE = "replaced-objects.sh"


def replaced_objects(result: ImportResult, emitted: Iterable[tuple[str, str, str]]) -> str:
    """A script deleting the imported objects that the policy does not emit under the same identity.

    `emitted` holds (kind, namespace, name) of every object the imported policy compiles to.
    Objects emitted under the same identity are updated in place by `kubectl apply` instead.
    """
    same = set(emitted)
    lines = [
        "#!/bin/sh",
        "# Objects `policyc import` replaced with objects of other names (bindings, LimitRanges, quotas).",
        "# Run this only after the built policy is applied and verified (docs/migrating.md, step 6).",
        "set -eu",
    ]
    for doc in sorted(result.docs("imported"), key=lambda d: (d.kind, d.namespace, d.name)):
        if (doc.kind, doc.namespace, doc.name) in same or not doc.name:
            continue
        ns = f" -n {shlex.quote(doc.namespace)}" if doc.namespace else ""
        lines.append(f"kubectl delete {doc.kind.lower()}{ns} {shlex.quote(doc.name)}")
    return "\n".join(lines) + "\n"


def import_docs(docs: list[Doc], release: tuple[int, int], exclude_system: bool = True) -> ImportResult:
    """Translate Kubernetes objects into policy files for `release`."""
    translator = Translator(docs, load_release(release), exclude_system)
    plan, outcomes, diags = translator.run()
    teams, grants = form_teams(plan.grants)
    files = render(plan, teams, grants, HEADER)
    return ImportResult(release, files, plan, teams, outcomes, sort_diagnostics(diags),
                        proposals=propose(plan))

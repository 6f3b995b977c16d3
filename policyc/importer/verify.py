"""Proof that an import changes nothing: effective access and admission, before and after.

Before: every input object (plus the built-in roles and default bindings of the release, as
the access engine adds them). After: the objects the imported policy compiles to, plus the
input objects that stay in the cluster (system objects skipped with `--exclude-system`, and
objects the language cannot express). Names do not matter: a binding regenerated under
another name, or a quota merged from two, is compared by what it allows.

Access is compared subject by subject (every user, group and service account named by a
binding on either side) with the one access diff of `policyc diff` (policyc/access/diff.py),
on the subject's own grants: every verb on every resource it holds in each scope must be
covered by the other side (the API server's own coverage check, ruleCovers; cluster-wide
covers every namespace), which is exact: the effective access in every namespace and in the
cluster is then the same.
Permissions on resources that the release does not serve (importer/rules.py, `is_dead`) are
listed apart: they never allowed a request that could succeed.

Admission is compared namespace by namespace: labels (Pod Security ones included), every
LimitRange cell, the binding value of every quota key, and the PodSecurityPolicies by content;
so are the namespaces and service accounts that exist. With the same permissions per subject
and the same service accounts, what each subject can reach through escalation (creating pods
that run as a namespace's service accounts, docs/access.md) is the same too.
Differences are printed as `policyc diff` prints them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policyc.access.authorizer import AccessModel
from policyc.access.diff import AccessSide, gained
from policyc.access.escalation import EscalationGraph, Identity
from policyc.diagnostics import Diagnostic, error
from policyc.importer.psp import normal as psp_normal
from policyc.importer.rules import is_dead, target_text
from policyc.k8s.quantity import QuantityError, parse_quantity
from policyc.k8s.releases import load_release
from policyc.k8s.rules import Atom, PolicyRule
from policyc.model.rbac import RbacSubject
from policyc.pipeline import Result, compile_sources
from policyc.review.render import access_text
from policyc.review.report import AccessLine, SettingChange
from policyc.review.settings import compare_entries
from policyc.rules import ERROR, Rule, register
from policyc.source import SourceFile, Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "import",
    Rule(
        "PC617", ERROR, "the imported policy does not compile: a bug of the importer; nothing is written",
        example="none known",
    ),
)


def check_compiles(compiled: Result) -> list[Diagnostic]:
    """PC617 for every error the compiler finds in the imported policy (a bug of the importer)."""
    out = []
    for d in compiled.diagnostics:
        if d.is_error:
            out.append(error("PC617", f"the imported policy does not compile: {d.code} {d.message} at {d.span}",
                             Span("<import>", 0, 0, 0, 0),
                             "please report this with the input; the objects can stay unmanaged meanwhile"))
    return out


if TYPE_CHECKING:
    from policyc.importer import ImportResult
    from policyc.k8s.yamlread import Doc

Obj = Mapping[str, Any]
NOISE_LABELS = {("app.kubernetes.io/managed-by", "policyc")}
NOISE_LABEL_KEYS = {"kubernetes.io/metadata.name"}


@dataclass
class Verification:
    """Access added and removed, admission changes, and dead permissions left out."""

    added: list[AccessLine] = field(default_factory=list)
    removed: list[AccessLine] = field(default_factory=list)
    settings: list[SettingChange] = field(default_factory=list)
    dead: list[AccessLine] = field(default_factory=list)
    subjects: int = 0
    scopes: int = 0

    @property
    def unchanged(self) -> bool:
        """Whether nobody's access and no admission setting changed."""
        return not (self.added or self.removed or self.settings)

    def lines(self, release: tuple[int, int]) -> list[str]:
        """The report as `policyc diff` writes it."""
        out: list[str] = []
        compared = (f"{self.subjects} subject{'s' if self.subjects != 1 else ''} compared in "
                    f"{self.scopes} scope{'s' if self.scopes != 1 else ''}")
        if self.unchanged and self.dead:
            # Never "no access changes" when something was left out, even what allowed nothing.
            out.append(f"no access changes on what Kubernetes {release[0]}.{release[1]} serves ({compared}); "
                       f"{len(self.dead)} permission line{'s' if len(self.dead) != 1 else ''} left out (below)")
        elif self.unchanged:
            out.append(f"no access changes ({compared})")
        else:
            out.append(f"access changes: {len(self.added)} added, {len(self.removed)} removed, "
                       f"{len(self.settings)} other")
        if self.added:
            out += ["", "access added:", *(access_text(x, "+") for x in self.added)]
        if self.removed:
            out += ["", "access removed:", *(access_text(x, "-") for x in self.removed)]
        if self.settings:
            out += ["", "other changes:", *(f"{c.sign} {c.subject}: {c.text}" for c in self.settings)]
        if self.dead:
            out += ["", f"left out: permissions on what Kubernetes {release[0]}.{release[1]} does not serve "
                    "(they allowed nothing):", *(access_text(x, "-") for x in self.dead)]
        return out


def _identity(s: RbacSubject) -> Identity:
    """The identity the subject logs on as (its implied groups only: only its own grants count, access/diff.py)."""
    if s.kind == "User":
        return Identity.user(s.name)
    if s.kind == "Group":
        return Identity.group(s.name)
    return Identity.service_account(s.namespace, s.name)


def _subject_text(s: RbacSubject) -> str:
    if s.kind == "ServiceAccount":
        return f"serviceaccount {s.namespace}/{s.name}"
    return f"{s.kind.lower()} {s.name}"


def _atom(piece: PolicyRule) -> Atom:
    if piece.non_resource_urls:
        return Atom(piece.verbs[0], "", "", (), piece.non_resource_urls[0])
    return Atom(piece.verbs[0], piece.api_groups[0], piece.resources[0], piece.resource_names)


def _lines(subject: str, scope: str, pieces: Iterable[PolicyRule]) -> list[AccessLine]:
    """Pieces of one subject and scope merged into lines: one per target and names, verbs joined."""
    verbs: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for p in pieces:
        a = _atom(p)
        target = a.url or target_text(a.group, a.resource) or f"{a.resource} (group {a.group or 'core'})"
        verbs[(target, a.names)].append(a.verb)
    by_verbs: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = defaultdict(list)
    for (target, names), vs in verbs.items():
        by_verbs[(tuple(sorted(set(vs))), names)].append(target)
    return [AccessLine(False, subject, scope, vs, tuple(sorted(ts)), names) for (vs, names), ts in by_verbs.items()]


def compare_access(before: AccessModel, after: AccessModel, release: tuple[int, int]) -> Verification:
    """Subject by subject, scope by scope: what `after` allows that `before` did not, and back.

    The one access diff (policyc/access/diff.py) on the bindings' own permissions, without
    escalation: with the same permissions per subject and the same service accounts, what each
    subject reaches through escalation is the same too.
    """
    rel = load_release(release)
    out = Verification()
    subjects = sorted({s for m in (before, after) for b in m.bindings for s in b.subjects})
    sides = (AccessSide(EscalationGraph(before), _identity, escalation=False),
             AccessSide(EscalationGraph(after), _identity, escalation=False))
    scopes: set[str] = set()
    for s in subjects:
        text = _subject_text(s)
        for side in sides:
            scopes.update(side.own_scopes(s))
        for removed, (mine, other) in ((True, sides), (False, sides[::-1])):
            by_scope: dict[str, set[PolicyRule]] = defaultdict(set)
            for gain in gained(s, mine, other):
                by_scope[gain.scope].add(gain.piece)
            for scope, pieces in by_scope.items():
                dead = {p for p in pieces if removed and is_dead(_atom(p), rel)}
                out.dead += _lines(text, scope, dead)
                (out.removed if removed else out.added).extend(_lines(text, scope, pieces - dead))
    out.subjects, out.scopes = len(subjects), len(scopes) + 1
    for name in ("added", "removed", "dead"):
        setattr(out, name, sorted(set(getattr(out, name))))
    return out


# ------------------------------------------------------------------ admission


def _qty(value: Any) -> str:
    try:
        return parse_quantity(str(value)).canonical()
    except (QuantityError, ValueError):
        return str(value)


def admission_state(objs: Iterable[Obj]) -> dict[tuple[str, str, str], str]:
    """(area, scope, key) -> value for every admission setting the objects make."""
    state: dict[tuple[str, str, str], str] = {}
    quota_min: dict[tuple[str, str], Any] = {}
    latest: dict[tuple[str, str, str], Obj] = {}  # an object given twice: the later one counts
    for o in objs:
        meta = o.get("metadata") or {}
        latest[(str(o.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = o
    for o in latest.values():
        kind = o.get("kind")
        meta = o.get("metadata") or {}
        ns = str(meta.get("namespace") or "")
        if ns:  # a namespaced object lives in a namespace that exists, listed in the dump or not
            state[("namespaces", "", ns)] = "exists"
        if kind == "ServiceAccount":
            # Who can act as which service account (escalation through pods) depends on which exist.
            state[("serviceaccounts", ns, f"{ns}/{meta.get('name')}")] = "exists"
        if kind == "Namespace":
            state[("namespaces", "", str(meta.get("name")))] = "exists"
            for k, v in sorted((meta.get("labels") or {}).items()):
                if (str(k), str(v)) in NOISE_LABELS or k in NOISE_LABEL_KEYS:
                    continue
                area = "pod-security" if str(k).startswith("pod-security.kubernetes.io/") else "labels"
                state[(area, str(meta.get("name")), str(k))] = str(v)
        elif kind == "LimitRange":
            for item in (o.get("spec") or {}).get("limits") or []:
                for field_, values in item.items():
                    if field_ == "type" or not isinstance(values, dict):
                        continue
                    for res, q in values.items():
                        # Every LimitRange applies on its own: the cells are a set, values included.
                        state[("limits", ns, f"{item.get('type')} {field_} {res} {_qty(q)}")] = "set"
        elif kind == "ResourceQuota":
            spec = o.get("spec") or {}
            if any(k != "hard" for k in spec):
                state[("quota", ns, "scoped " + json.dumps(spec, sort_keys=True))] = "present"
                continue
            for key, q in (spec.get("hard") or {}).items():
                try:
                    value = parse_quantity(str(q))
                except (QuantityError, ValueError):
                    state[("quota", ns, str(key))] = str(q)
                    continue
                prev = quota_min.get((ns, str(key)))
                if prev is None or value < prev:
                    quota_min[(ns, str(key))] = value
                    state[("quota", ns, str(key))] = value.canonical()
        elif kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"):
            state[(kind, str(meta.get("name")), "spec")] = json.dumps(o.get("spec"), sort_keys=True)
        elif kind == "PodSecurityPolicy":
            annotations, spec = psp_normal(meta.get("annotations") or {}, o.get("spec") or {})
            state[("pod-security-policy", str(meta.get("name")), "spec")] = json.dumps(
                {"annotations": annotations, "spec": spec}, sort_keys=True)
    return state


def compare_admission(before: Iterable[Obj], after: Iterable[Obj]) -> list[SettingChange]:
    """Admission settings that differ, compared and listed as `policyc diff` does (review/settings.py)."""
    b, a = admission_state(before), admission_state(after)
    return compare_entries({k: (v, "") for k, v in b.items()}, {k: (v, "") for k, v in a.items()})


def compile_files(files: Mapping[str, str]) -> Result:
    """Compile imported policy files in memory, as `policyc build` reads them from the folder."""
    return compile_sources([SourceFile(name, text) for name, text in sorted(files.items())])


def verify_import(result: ImportResult, docs: Iterable[Doc], compiled: Result | None = None) -> Verification:
    """The input objects against what the imported policy compiles to plus the objects that stay."""
    compiled = compiled or compile_files(result.files)
    after = [m.body for m in compiled.manifests] + [d.obj for d in result.remaining]
    return verify_objects([d.obj for d in docs], after, result.release)


def verify_objects(before: list[Obj], after: list[Obj], release: tuple[int, int]) -> Verification:
    """Compare two sets of Kubernetes objects: effective access and admission."""
    result = compare_access(AccessModel.from_objects(before, release), AccessModel.from_objects(after, release),
                            release)
    result.settings = compare_admission(before, after)
    return result

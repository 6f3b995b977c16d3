"""Expectations (`expect SUBJECT can|cannot RULE [in ...]`) evaluated by the engine can-i and guards use.

- `can` asks what the API server would answer, exactly as `policyc can-i`: every request the rule
  stands for (each verb, resource and place) must be allowed by `AccessModel.authorize` for every
  identity of the subject. No `in` asks at cluster scope (as `can-i --all-namespaces`);
  cluster-scoped resources and URLs are always asked there.
- `cannot` holds only if no identity of the subject can do any of it, directly or through an
  escalation path: it is a guard for one subject, checked by `access.guards.first_violation`,
  the function guards use. No `in` means every namespace and the cluster scope, as for guards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from policyc import model as m
from policyc.access.authorizer import AccessModel, Decision
from policyc.access.escalation import EscalationGraph, Identity
from policyc.access.guards import GuardSpec, Violation, first_violation
from policyc.access.matching import Pattern
from policyc.access.policy import everyone, identity_of, rbac_subjects_of
from policyc.access.request import Request
from policyc.k8s import releases
from policyc.k8s.rules import expand_verbs
from policyc.model.program import Program


def identities(subject: m.Subject, program: Program) -> list[Identity]:
    """The identities a subject stands for (a team: its members; `everyone`: as in guards)."""
    if subject.kind == "everyone":
        return everyone(program)
    return list(dict.fromkeys(identity_of(r, program) for r in rbac_subjects_of(subject, program)))


def requests(e: m.Expectation, release: releases.Release) -> list[Request]:
    """Every request a `can` expectation asks: each atom of its rule in each of its places."""
    places = [""] if e.cluster or not e.namespaces else [w.text for w in e.namespaces]
    out: dict[Request, None] = {}
    for a in e.rule.atoms():
        if a.url:
            out[Request(a.verb, path=a.url)] = None
            continue
        resource, _, sub = a.resource.partition("/")
        info = release.lookup(a.group, resource)
        scoped = info is None or info.namespaced
        for name in a.names or ("",):
            for ns in places if scoped else [""]:
                out[Request(a.verb, a.group, resource, sub, name, ns)] = None
    return list(out)


def spec(e: m.Expectation) -> GuardSpec:
    """A `cannot` expectation as the guard it amounts to for its subject."""
    verbs_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for a in e.rule.atoms():
        verbs_of[(a.group, a.resource, a.url)].add(a.verb)
    patterns = tuple(
        Pattern(expand_verbs(vs), url=url) if url else Pattern(expand_verbs(vs), group, resource)
        for (group, resource, url), vs in sorted(verbs_of.items())
    )
    namespaces = tuple(w.text for w in e.namespaces) or None
    return GuardSpec(patterns, namespaces, e.cluster)


@dataclass(frozen=True)
class Outcome:
    """The answer to one expectation: passed, and for a failure who and why."""

    expectation: m.Expectation
    passed: bool
    subjects: int  # identities asked about
    denied: tuple[tuple[Identity, Decision], ...] = ()  # `can`: requests the API server would refuse
    violations: tuple[Violation, ...] = ()  # `cannot`: how the subject can do it after all


def evaluate(e: m.Expectation, program: Program, model: AccessModel, graph: EscalationGraph) -> Outcome:
    """Evaluate one expectation (see the module docstring)."""
    idents = identities(e.subject, program)
    if e.can:
        release = releases.load_release(program.release)
        denied = []
        for ident in idents:
            for req in requests(e, release):
                decision = model.authorize(ident.user_info, req)
                if not decision.allowed:
                    denied.append((ident, decision))
        return Outcome(e, not denied and bool(idents), len(idents), denied=tuple(denied))
    guard = spec(e)
    found = [v for ident in idents if (v := first_violation(graph, ident, guard)) is not None]
    return Outcome(e, not found, len(idents), violations=tuple(found))

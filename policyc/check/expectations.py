"""Expectations checked on every build (PC320-PC322), and the assertions `policyc test` reports.

The evaluation is the access engine's (access/expect.py): `can` is `AccessModel.authorize`, as
`policyc can-i`; `cannot` is `access.guards.first_violation`, as guards. This module turns the
answers into diagnostics and into one pass/fail line per guard and expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc import model as m
from policyc.access import expect
from policyc.access.authorizer import AccessModel
from policyc.access.describe import rule_text
from policyc.access.escalation import EscalationGraph
from policyc.access.guards import GuardSpec, check_guard
from policyc.access.matching import rule_overlaps
from policyc.access.request import Request
from policyc.check.access_guards import guard_range, guard_text, held_text, origin_text
from policyc.diagnostics import Diagnostic, Label, error
from policyc.k8s.rules import PolicyRule
from policyc.model.program import Program
from policyc.rules import ERROR, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "access",
    Rule(
        "PC320", ERROR, "an `expect ... can` the API server would refuse (the refused request is named)",
        example="`expect group web-devs can create pods/exec in web-prod` without such a grant",
    ),
    Rule(
        "PC321", ERROR, "an `expect ... cannot` the subject can do after all, directly or through escalation",
        example="`expect team ci cannot read secrets in web-prod` while `ci` has `edit` there",
    ),
    Rule(
        "PC322", ERROR, "an `expect ... can` that a guard forbids: one of the two must fail",
        example="`forbid create pods/exec for team ci` and `expect team ci can create pods/exec in web-prod`",
    ),
)


def expectation_text(e: m.Expectation) -> str:
    """The expectation as written, normalised: `expect team web can get pods in web-prod`."""
    r = e.rule
    verbs = ", ".join(v.text for v in r.verbs)
    if r.except_verbs:
        verbs += " except " + ", ".join(v.text for v in r.except_verbs)
    targets = ", ".join(t.text for t in r.resources)
    if r.except_resources:
        targets += " except " + ", ".join(t.text for t in r.except_resources)
    named = f" named {', '.join(n.text for n in r.names)}" if r.names else ""
    parts = ["expect", str(e.subject), "can" if e.can else "cannot", f"{verbs} {targets}{named}"]
    if e.cluster:
        parts.append("in cluster")
    elif e.selector is not None:
        parts.append(f"in {e.selector}")
    elif e.namespaces:
        parts.append("in " + ", ".join(w.text for w in e.namespaces))
    return " ".join(parts)


def _explain(outcome: expect.Outcome, model: AccessModel) -> str:
    """What went wrong, in one clause."""
    e = outcome.expectation
    if outcome.subjects == 0:
        return f"{e.subject} stands for no subject"
    if e.can:
        ident, decision = outcome.denied[0]
        more = f" (and {len(outcome.denied) - 1} more refused requests)" if len(outcome.denied) > 1 else ""
        return (f"the API server would answer no to {ident} for {decision.request}: no binding of it or its groups "
                f"has a rule that allows it{more}")
    v = outcome.violations[0]
    spec = expect.spec(e)
    held = held_text(v, spec, model)
    if not v.path:
        return f"{v.subject} can {held}"
    chain = "; then ".join(f"{s.action} ({origin_text(s.grants[0], model)}), so acts as {s.target}" for s in v.path)
    return f"{v.subject} {chain}; which can {held}"


def _forbidding(req: Request, spec: GuardSpec) -> bool:
    """Whether a guard forbids a request (the request as the one-verb rule that allows exactly it)."""
    if req.path:
        rule = PolicyRule(non_resource_urls=(req.path,), verbs=(req.verb,))
    else:
        rule = PolicyRule((req.group,), (req.combined_resource,), (req.name,) if req.name else (), (), (req.verb,))
    return spec.admits_scope(req.namespace or None) and any(rule_overlaps(rule, p) for p in spec.patterns)


def contradictions(program: Program) -> list[Diagnostic]:
    """PC322: an `expect ... can` asking for what a guard forbids for one of the subject's identities."""
    out: list[Diagnostic] = []
    if not any(e.can for e in program.policy.expectations):
        return out  # no `can` to contradict: the guards' ranges (every identity, per guard) are not needed
    from policyc.k8s.releases import load_release

    release = load_release(program.release)
    guards = [(g, GuardSpec.of(g), {i.key for i in guard_range(g, program)}) for g in program.policy.guards]
    for e in program.policy.expectations:
        if not e.can:
            continue
        keys = {i.key for i in expect.identities(e.subject, program)}
        reqs = expect.requests(e, release)
        for g, spec, in_range in guards:
            if not keys & in_range:
                continue
            hit = next((r for r in reqs if _forbidding(r, spec)), None)
            if hit is not None:
                out.append(error(
                    "PC322", f"`{expectation_text(e)}` contradicts the guard `{guard_text(g)}` ({hit})", e.span,
                    "decide which one states the intent: remove the expectation, or narrow the guard "
                    "(`except` the subject)", (Label(g.span, "the guard that forbids it"),),
                ))
                break
    return out


def check_expectations(program: Program, model: AccessModel, graph: EscalationGraph) -> list[Diagnostic]:
    """PC320/PC321 for every failed expectation, PC322 for every contradiction with a guard."""
    out = contradictions(program)
    for e in program.policy.expectations:
        outcome = expect.evaluate(e, program, model, graph)
        if outcome.passed:
            continue
        code = "PC320" if e.can else "PC321"
        hint = ("grant what it needs (`grant ... to ...`), or correct the expectation" if e.can else
                "remove or narrow the grant that allows it (for a path, the first step), or correct the expectation")
        labels = ()
        if not e.can and outcome.violations:
            prov = model.provenance
            p = outcome.violations[0].permission
            if prov is not None:
                labels = tuple(Label(s, f"{rule_text(p.rule)} is granted here") for s in prov.grant_spans(p.reason))
        out.append(error(code, f"expectation `{expectation_text(e)}` fails: {_explain(outcome, model)}", e.span,
                         hint, labels))
    return out


@dataclass(frozen=True)
class Assertion:
    """One line of `policyc test`: a guard or an expectation, whether it holds, and why not."""

    kind: str  # guard | expect
    text: str
    passed: bool
    where: str  # file:line:col
    detail: str = ""


def assertions(program: Program, model: AccessModel, graph: EscalationGraph) -> list[Assertion]:
    """Every guard and expectation of the program with its outcome, in source order."""
    out: list[tuple[tuple, Assertion]] = []
    for g in program.policy.guards:
        violations = check_guard(graph, GuardSpec.of(g), guard_range(g, program))
        detail = ""
        if violations:
            v = violations[0]
            detail = f"{v.subject} can {held_text(v, GuardSpec.of(g), model)}"
            if v.path:
                detail += " through escalation"
        s = g.span
        out.append(((s.file, s.line, s.col), Assertion("guard", guard_text(g), not violations, str(s), detail)))
    bad = {d.span for d in contradictions(program)}
    for e in program.policy.expectations:
        outcome = expect.evaluate(e, program, model, graph)
        detail = "" if outcome.passed else _explain(outcome, model)
        passed = outcome.passed and e.span not in bad
        if outcome.passed and not passed:
            detail = "contradicts a guard"
        s = e.span
        out.append(((s.file, s.line, s.col), Assertion("expect", expectation_text(e), passed, str(s), detail)))
    return [a for _, a in sorted(out, key=lambda x: x[0])]


def assertions_of(program: Program, manifests) -> list[Assertion]:  # noqa: ANN001  (Sequence[Manifest])
    """The assertions of a compiled program, on the access model of what it emits (`policyc test`)."""
    from policyc.access.policy import graph_for, model_from_program

    model = model_from_program(program, manifests)
    return assertions(program, model, graph_for(model, program))

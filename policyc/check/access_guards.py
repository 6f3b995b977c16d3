"""Guards checked against effective access (PC301, PC302), after the backends have run.

PC301: a subject in a guard's range holds, through its own grants, its groups or its teams, a
permission the guard forbids. PC302: the same, reached through an escalation path (the rows of
access/escalation_rules.py: creating pods as a service account, reading token secrets,
impersonation, bind/escalate, ...). The
diagnostic sits on the guard and names the subject, the path and every grant on it (as notes
with their source lines).
"""

from __future__ import annotations

from collections import defaultdict

from policyc import model as m
from policyc.access.authorizer import AccessModel, Permission
from policyc.access.describe import narrow, rule_text, scope_text
from policyc.access.escalation import EscalationGraph, Identity, Step
from policyc.access.guards import GuardSpec, Subjects, Violation, check_guard
from policyc.access.matching import rule_overlaps
from policyc.access.policy import everyone, identity_of, rbac_subjects_of
from policyc.diagnostics import Diagnostic, Label, error
from policyc.model.program import Program
from policyc.rules import ERROR, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "access",
    Rule(
        "PC301", ERROR, "a subject in a guard's range holds a forbidden permission through its grants, groups or teams",
        example=(
            "`grant role edit in app` in team dev, then `forbid create pods/exec for team dev`: ``guard `forbid "
            "create pods/exec for team dev` is broken: group `devs` can create pods/exec in namespace `app` "
            "through ClusterRole `edit` (grant of team `dev` at a.policy:3:3)``"
        ),
    ),
    Rule(
        "PC302", ERROR, "the same, through an escalation path; every step and its grant is named",
        example=(
            "``user `erin` can create deployments.apps in namespace `app` (...) (grant at a.policy:9:1), so acts "
            "as serviceaccount `app/builder`; which can get secrets in namespace `app` ...``"
        ),
    ),
)

_MAX_SUBJECTS = 4


def guard_text(g: m.Guard) -> str:
    """The guard as written, normalised: `forbid read secrets for team app1 in kube-system`."""
    parts = ["forbid", ", ".join(v.text for v in g.verbs)]
    if g.resources:
        parts.append(", ".join(r.text for r in g.resources))
    if g.subjects:
        parts += ["for", ", ".join(str(s) for s in g.subjects)]
    if g.excepts:
        parts += ["except", ", ".join(str(s) for s in g.excepts)]
    if g.cluster:
        parts.append("in cluster")
    elif g.selector is not None:
        parts += ["in", str(g.selector)]
    elif g.namespaces:
        parts += ["in", ", ".join(n.text for n in g.namespaces)]
    return " ".join(parts)


def _identities(subjects: tuple[m.Subject, ...], program: Program) -> list[Identity]:
    out: dict[Identity, None] = {}
    for s in subjects:
        if s.kind == "everyone":
            out.update(dict.fromkeys(everyone(program)))
        else:
            out.update(dict.fromkeys(identity_of(r, program) for r in rbac_subjects_of(s, program)))
    return list(out)


def guard_range(g: m.Guard, program: Program) -> list[Identity]:
    """The subjects a guard holds for, excepted ones removed (see docs/access.md).

    Kept per program by the kinds and names of the guard's subjects and excepts, all that the
    range reads of the guard (`rbac_subjects_of`): guards mostly share one range (`for everyone
    except team platform`), and the guards and the expectations each ask for every guard's."""
    return list(_kept_range(g, program))


def _kept_range(g: m.Guard, program: Program) -> Subjects:
    """`guard_range`'s subjects as kept: one tuple per range, hashed once (`Subjects`), which
    `check_guards` hands to every guard of the range."""
    key = (tuple((s.kind, s.name) for s in g.subjects), tuple((s.kind, s.name) for s in g.excepts))
    ranges = program.__dict__.setdefault("_guard_ranges", {})  # as `everyone` keeps its value
    cached = ranges.get(key)
    if cached is None:
        cached = ranges[key] = Subjects(_range(g, program))
    return cached  # type: ignore[no-any-return]


def _range(g: m.Guard, program: Program) -> list[Identity]:
    subjects = _identities(g.subjects, program) if g.subjects else everyone(program)
    excepted = _identities(g.excepts, program)
    keys = {i.key for i in excepted}
    names = {key[2] for key in keys}  # `s.key` (a new tuple) made only for these names
    groups = {i.groups[0] for i in excepted if i.kind == "group" and i.groups}
    # One pass over the subjects (everyone's, most often), with no set or tuple made per subject.
    return [
        s for s in subjects
        if not (s.name in names and s.key in keys)
        and not (groups and s.kind in ("user", "serviceaccount") and not groups.isdisjoint(s.groups))
    ]


def _where(p: Permission, model: AccessModel) -> list[Label]:
    prov = model.provenance
    if prov is None:
        return []
    spans = prov.grant_spans(p.reason) or prov.role_spans(p.reason)
    return [Label(span, f"{rule_text(p.rule)} {scope_text(p.scope)} is granted here") for span in spans]


def _origin(p: Permission, model: AccessModel) -> str:
    prov = model.provenance
    if prov is not None and prov.grant_spans(p.reason):
        return prov.describe(p.reason)
    if p.reason.binding is None:
        return p.reason.note
    origin = "built-in " if p.reason.binding.name in _bootstrap_names(model) else ""
    return f"{origin}{p.reason}"


def _bootstrap_names(model: AccessModel) -> set[str]:
    return {b.ref.name for b in model.bindings if b.origin == "bootstrap"}


def _step_origins(step: Step, model: AccessModel) -> str:
    """Every grant a step uses (a step may need several permissions: create and approve a CSR)."""
    return "; ".join(dict.fromkeys(_origin(p, model) for p in step.grants))


def held_text(v: Violation, spec: GuardSpec, model: AccessModel) -> str:
    """What a violation holds that the guard forbids, where, through which role, from which grant."""
    return _held(v, spec, model)


def origin_text(p: Permission, model: AccessModel) -> str:
    """Where a permission comes from: policy lines, or the built-in binding."""
    return _origin(p, model)


def _held(v: Violation, spec: GuardSpec, model: AccessModel) -> str:
    p = v.permission
    pattern = next(pat for pat in spec.patterns if rule_overlaps(p.rule, pat))
    role = p.reason.role
    # Roles policyc synthesizes for inline grants are named after their owner: not worth naming.
    through = f" through {role.kind} `{role.name}`" if role is not None and not role.name.startswith("policyc:") else ""
    return f"{rule_text(narrow(p.rule, pattern))} {scope_text(p.scope)}{through} ({_origin(p, model)})"


def _message(g: m.Guard, spec: GuardSpec, subjects: list[Identity], v: Violation, model: AccessModel) -> str:
    shown = ", ".join(str(s) for s in subjects[:_MAX_SUBJECTS])
    if len(subjects) > _MAX_SUBJECTS:
        shown += f" and {len(subjects) - _MAX_SUBJECTS} more"
    held = _held(v, spec, model)
    if not v.path:
        return f"guard `{guard_text(g)}` is broken: {shown} can {held}"
    chain = "; then ".join(
        f"{step.action} ({_step_origins(step, model)}), so acts as {step.target}" for step in v.path
    )
    return f"guard `{guard_text(g)}` is broken through escalation: {shown} {chain}; which can {held}"


def check_guards(program: Program, model: AccessModel, graph: EscalationGraph) -> list[Diagnostic]:
    """PC301/PC302 for every guard a subject in its range breaks (one diagnostic per way)."""
    out: list[Diagnostic] = []
    for g in program.policy.guards:
        spec = GuardSpec.of(g, program.release)
        violations = check_guard(graph, spec, _kept_range(g, program))
        grouped: dict[tuple, list[Violation]] = defaultdict(list)
        for v in violations:
            p = v.permission
            key = (tuple((s.kind, s.action, s.target) for s in v.path), p.scope, p.rule, p.reason.binding,
                   p.reason.role, p.reason.via_role)
            grouped[key].append(v)
        for vs in sorted(grouped.values(), key=lambda vs: (len(vs[0].path), vs[0].permission.sort_key)):
            v = vs[0]
            subjects = sorted({x.subject for x in vs})
            labels: list[Label] = []
            for i, step in enumerate(v.path, 1):
                seen: set = set()
                for p in step.grants:
                    for lb in _where(p, model):
                        if lb.span not in seen:
                            seen.add(lb.span)
                            labels.append(Label(lb.span, f"step {i}: {step.action}; granted here"))
            labels += _where(v.permission, model)
            code = "PC302" if v.path else "PC301"
            hint = ("remove or narrow the grant that allows it, or add the subject to `except`"
                    if not v.path else
                    "remove or narrow a grant on the path (the first step is usually the one to cut), "
                    "or add the subject to `except`")
            out.append(error(code, _message(g, spec, subjects, v, model), g.span, hint, labels))
    return out

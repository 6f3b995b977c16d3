"""Proposals `policyc import` prints after importing: where the intent constructs would say it shorter.

The imported files stay literal (their effective access is what `--verify` proves); these are
suggestions with the policy text to paste, for a reviewer to take or leave:
- namespaces whose pod security, limits and quota are identical: a `namespace-class` holding those
  settings (and the labels they all share), and `namespace A, B class NAME`;
- a role whose rule, for one set of verbs, lists every resource the release serves but a few:
  `VERBS * except R, ...` (proposed only when the exclusion expands to exactly what the role
  grants for those verbs, so taking it changes nothing on this release).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from policyc.importer.plan import Plan, PNamespace, PRole
from policyc.k8s.expand import expand
from policyc.k8s.releases import load_release
from policyc.k8s.rules import expand_verbs

# A role is worth an exclusion when it lists at least this many resources for one verb set and
# leaves out at most MAX_EXCEPT of those the release serves.
MIN_LISTED = 10
MAX_EXCEPT = 5


@dataclass(frozen=True)
class Proposal:
    """One suggestion: what it is about, and the policy text that would say it."""

    summary: str
    text: tuple[str, ...]


def _settings(ns: PNamespace) -> tuple:
    return (tuple(ns.pod_security), ns.profile, tuple(sorted(ns.limits)), tuple(sorted(ns.quota)))


def _class_name(members: list[PNamespace], taken: set[str], n: int) -> str:
    shared = set.intersection(*(set(m.labels) for m in members))
    for key in ("tier", "env", "environment", "stage"):
        for k, v in sorted(shared):
            if k == key and v not in taken:
                return v
    name = f"class-{n}"
    return name if name not in taken else f"class-{n}-{len(taken)}"


def propose_classes(plan: Plan) -> list[Proposal]:
    """A class for every group of two or more namespaces with the same settings."""
    groups: dict[tuple, list[PNamespace]] = defaultdict(list)
    for _name, ns in sorted(plan.namespaces.items()):
        settings = _settings(ns)
        if any(settings[i] for i in (0, 2, 3)) or settings[1]:
            groups[settings].append(ns)
    out: list[Proposal] = []
    taken: set[str] = set()
    for members in sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0].name):
        name = _class_name(members, taken, len(out) + 1)
        taken.add(name)
        first = members[0]
        shared = sorted(set.intersection(*(set(m.labels) for m in members)))
        body = []
        if shared:
            body.append("labels " + ", ".join(f"{k}={v}" for k, v in shared))
        if first.pod_security:
            body.append("pod-security " + ", ".join(" ".join(w for w in mode if w) for mode in first.pod_security))
        if first.profile:
            body.append(f"pod-security {first.profile}")
        if first.limits:
            body.append("limits {")
            body += [f"  {t} {k} {r} {q}" for t, k, r, q in sorted(first.limits)]
            body.append("}")
        if first.quota:
            body.append("quota " + ", ".join(f"{k} {v}" for k, v in sorted(first.quota)))
        names = ", ".join(m.name for m in members)
        text = (f"namespace-class {name} {{", *(f"  {line}" for line in body), "}",
                f"namespace {names} class {name}")
        out.append(Proposal(f"namespaces {names} have the same settings: a namespace class says them once",
                            text))
    return out


def propose_exclusions(plan: Plan) -> list[Proposal]:
    """`VERBS * except ...` for roles that list all but a few served resources for one verb set."""
    release = load_release(plan.release)
    out: list[Proposal] = []
    for (ns, name), role in sorted(plan.roles.items()):
        out += _role_exclusions(release, ns, name, role)
    return out


def _role_exclusions(release, ns: str, name: str, role: PRole) -> list[Proposal]:  # noqa: ANN001
    by_verbs: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for r in role.rules:
        if not r.names and not any(t.startswith("/") or "*" in t for t in r.targets):
            by_verbs[expand_verbs(r.verbs)].update(r.targets)
    out = []
    for verbs, targets in sorted(by_verbs.items()):
        if len(targets) < MIN_LISTED or "*" in verbs:
            continue
        granted = {(v, t) for v in verbs for t in targets}
        full = expand(release, verbs, [], ["*"], [], namespaced_only=bool(ns))
        missing = sorted({t for v, t in full.pairs if (v, t) not in granted and "/" not in t})
        if not missing or len(missing) > MAX_EXCEPT:
            continue
        proposed = set(expand(release, verbs, [], ["*"], missing, namespaced_only=bool(ns)).pairs)
        if proposed != granted & set(full.pairs):  # not the same permissions: no proposal
            continue
        rule = f"{', '.join(verbs)} * except {', '.join(missing)}"
        where = f"role `{name}`" + (f" in `{ns}`" if ns else "")
        out.append(Proposal(
            f"{where} grants {', '.join(verbs)} on every resource of Kubernetes {release.label} but "
            f"{len(missing)}: an exclusion says so (and warns, PC144, that later resources are not covered)",
            (rule,),
        ))
    return out


def propose(plan: Plan) -> list[Proposal]:
    """Every proposal for an imported plan, classes first."""
    return propose_classes(plan) + propose_exclusions(plan)

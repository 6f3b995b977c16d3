"""Namespaces, LimitRanges, ResourceQuotas and Pod Security labels to `namespace` blocks.

- Namespace labels become `labels k=v`; the Pod Security Admission labels
  (`pod-security.kubernetes.io/MODE`) become `pod-security` (one level for all three modes, or
  `enforce L1, warn L2, audit L3`). policyc pins `MODE-version` to the target release
  (docs/pod-security.md) or, written `LEVEL latest`, to `latest`: a `latest` label imports as
  written; a label pinned to another release, or no version label (which Pod Security
  Admission reads as `latest`), changes to the target release: PC612.
- LimitRanges become one `limits { }` block per namespace: their items merge when no two set
  the same type, kind and resource differently; a LimitRange that would conflict is kept (PC611).
- ResourceQuotas become one `quota` line: every quota of a namespace must hold, so several
  merge into one with the smaller value of each key (PC616 says so). `scopes` and
  `scopeSelector` cannot be written: such a quota is kept (PC605).
- PodSecurityPolicies: see psp.py (run before the RBAC objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policyc.importer.plan import Plan, PNamespace
from policyc.k8s import podsecurity as ps
from policyc.k8s.quantity import QuantityError, parse_quantity
from policyc.k8s.yamlread import Doc
from policyc.rules import WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "import",
    Rule(
        "PC605", WARNING,
        "a ResourceQuota with `scopes` or `scopeSelector`, without `spec.hard`, or whose values policyc's own checks "
        "refuse (kept)",
        example="`scopeSelector: {...}`; `pods: 500m`",
    ),
    Rule(
        "PC611", WARNING,
        "a LimitRange the language cannot write (type `Node`, an unknown field, a cell another LimitRange of the "
        "namespace sets differently, values policyc's own checks refuse): kept",
        example="`type: Node`",
    ),
    Rule(
        "PC612", WARNING,
        "Pod Security labels: a version pinned to another release, or none (policyc pins the target release or "
        "`latest` as written: a change `--verify` reports), or a level that does not exist (kept)",
        example="`pod-security.kubernetes.io/enforce-version: v1.25`",
    ),
    Rule(
        "PC616", WARNING,
        "several ResourceQuotas of a namespace merged into one `quota` line with the smaller value of each key "
        "(admits exactly the same)",
        example="quotas `compute` and `objects`",
    ),
)

if TYPE_CHECKING:
    from policyc.importer.translate import Translator

LIMIT_TYPES = {"Container": "container", "Pod": "pod", "PersistentVolumeClaim": "pvc"}
LIMIT_KINDS = {
    "max": "max", "min": "min", "default": "default", "defaultRequest": "default-request",
    "maxLimitRequestRatio": "max-ratio",
}  # fmt: skip
PSA_MODES_WRITTEN = ("enforce", "warn", "audit")


def translate(t: Translator, by_kind: dict[str, list[Doc]]) -> None:
    """Namespaces, LimitRanges, ResourceQuotas and PodSecurityPolicies into the plan."""
    for doc in by_kind["Namespace"]:
        _namespace(t, doc)
    for doc in sorted(by_kind["LimitRange"], key=lambda d: (d.namespace, d.name)):
        _limit_range(t, doc)
    quotas: dict[str, list[Doc]] = {}
    for doc in sorted(by_kind["ResourceQuota"], key=lambda d: (d.namespace, d.name)):
        quotas.setdefault(doc.namespace, []).append(doc)
    for ns, docs in sorted(quotas.items()):
        _quotas(t, ns, docs)
    if _all_compile(t):
        return
    for ns in sorted(t.plan.namespaces):
        _trial(t, ns)


def _trial_text(t: Translator, name: str, part: str, version: bool = True) -> str:
    """The namespace's limits or its quota alone, as `_trial` compiles them."""
    from policyc.importer.render import namespace_block

    ns = t.plan.namespaces[name]
    alone = PNamespace(name, limits=ns.limits if part == "limits" else [],
                       quota=ns.quota if part == "quota" else [])
    plan = Plan(t.release.version, namespaces={name: alone})
    head = f"kubernetes {t.release.version[0]}.{t.release.version[1]}\n\n" if version else ""
    return head + "\n".join(namespace_block(plan, name, [])) + "\n"


def _all_compile(t: Translator) -> bool:
    """Whether every namespace's limits, and every namespace's quota, compile without an error,
    tested in two compiles (one file per namespace) instead of one per namespace and part (the
    checks of a namespace's limits and quota look at that namespace only). False: `_trial`
    compiles each on its own, as it always did, for the exact message (issue 19: 477 compiles
    of 0.1 s each made a third of `import` at 10,000 objects)."""
    from policyc.importer.verify import compile_files

    version = f"kubernetes {t.release.version[0]}.{t.release.version[1]}\n"
    for part in ("limits", "quota"):
        names = [n for n in sorted(t.plan.namespaces) if getattr(t.plan.namespaces[n], part)]
        if not names:
            continue
        files = {"trial.policy": version}
        files.update({f"trial-{i}.policy": _trial_text(t, n, part, version=False) for i, n in enumerate(names)})
        if any(d.is_error for d in compile_files(files).diagnostics):
            return False
    return True


def _trial(t: Translator, name: str) -> None:
    """Compile the namespace's limits and its quota alone; what policyc's checks refuse is kept.

    The API server has already accepted these objects, so a refusal means policyc is stricter
    than Kubernetes (or the input never came from a cluster): keep the objects, say why.
    """
    from policyc.importer.verify import compile_files

    ns = t.plan.namespaces[name]
    for part, code in (("limits", "PC611"), ("quota", "PC605")):
        if not getattr(ns, part):
            continue
        text = _trial_text(t, name, part)
        errors = [d for d in compile_files({"trial.policy": text}).diagnostics if d.is_error]
        if not errors:
            continue
        setattr(ns, part, [])
        for doc in getattr(ns, f"{'limit' if part == 'limits' else 'quota'}_docs"):
            t.keep(doc, code, f"policyc's checks refuse the namespace's {part}: {errors[0].message} "
                   f"({errors[0].code})", "manage it outside policyc, or report the check if Kubernetes "
                   "accepts it", "spec")


def _namespace(t: Translator, doc: Doc) -> None:
    labels = {str(k): str(v) for k, v in (doc.meta.get("labels") or {}).items()}
    spec = doc.obj.get("spec") or {}
    if isinstance(spec, dict) and any(k != "finalizers" for k in spec) or (
        isinstance(spec, dict) and spec.get("finalizers") not in (None, ["kubernetes"])
    ):
        t.warn("PC603", doc, "`spec` other than the `kubernetes` finalizer cannot be expressed and is not carried "
               "over", "set it again by other means after the migration", "spec")
    modes: dict[str, str] = {}
    latest: set[str] = set()
    for mode in ps.MODES:
        key = f"{ps.PSA_LABEL_PREFIX}{mode}"
        if key not in labels:
            continue
        level = labels[key]
        if level not in ps.LEVELS:
            t.keep(doc, "PC612", f"label `{key}={level}` is not a Pod Security level",
                   "use privileged, baseline or restricted", "metadata", "labels", key)
            return
        modes[mode] = level
        version = labels.get(f"{key}-version")
        pinned = f"v{t.release.version[0]}.{t.release.version[1]}"
        if version == "latest":
            latest.add(mode)  # `pod-security LEVEL latest` writes the label back as it is
        elif version != pinned:
            shown = f"pinned to `{version}`" if version is not None else "not pinned (`latest`)"
            t.warn("PC612", doc, f"pod security `{mode}` is {shown}; the policy pins it to the target "
                   f"release, `{pinned}`", f"import with `--kubernetes {version.removeprefix('v')}` to keep the pin"
                   if version is not None else "the checks of the target release apply until you change the "
                   f"target; add the label `{key}-version: latest` before importing to keep following the "
                   "cluster's release", "metadata", "labels", key)
    t.check_fields(doc, labels)
    ns = t.plan.namespace(doc.name)
    ns.declared = True
    ns.labels = sorted(
        (k, v) for k, v in labels.items()
        if not k.startswith(ps.PSA_LABEL_PREFIX) and k != "kubernetes.io/metadata.name"
        and not (k == "app.kubernetes.io/managed-by" and v == "policyc")
    )
    version = {m: "latest" if m in latest else "" for m in modes}
    if modes and len(modes) == len(ps.MODES) and len(set(modes.values())) == 1 and len(set(version.values())) == 1:
        ns.pod_security = [("", next(iter(modes.values())), next(iter(version.values())))]
    else:
        ns.pod_security = [(m, modes[m], version[m]) for m in PSA_MODES_WRITTEN if m in modes]
    t._set(doc, "imported")


def _quantity(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _limit_range(t: Translator, doc: Doc) -> None:
    spec = doc.obj.get("spec") or {}
    items = spec.get("limits") if isinstance(spec, dict) else None
    if not isinstance(items, list):
        t.keep(doc, "PC611", "it has no `spec.limits` list", "fix the LimitRange", "spec")
        return
    cells: list[tuple[str, str, str, str]] = []
    for i, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        kind = str(item.get("type") or "")
        if kind not in LIMIT_TYPES:
            t.keep(doc, "PC611", f"limit type `{kind}` cannot be expressed (the language has "
                   "container, pod and pvc)", "manage this LimitRange outside policyc", "spec", "limits", i, "type")
            return
        for key, value in item.items():
            if key == "type":
                continue
            if key not in LIMIT_KINDS or not isinstance(value, dict):
                t.keep(doc, "PC611", f"field `{key}` of a limit cannot be expressed",
                       "manage this LimitRange outside policyc", "spec", "limits", i, key)
                return
            for resource, qty in value.items():
                cells.append((LIMIT_TYPES[kind], LIMIT_KINDS[key], str(resource), _quantity(qty)))
    ns = t.plan.namespace(doc.namespace)
    have = {(a, b, c): q for a, b, c, q in ns.limits}
    for a, b, c, q in cells:
        if (a, b, c) in have and have[(a, b, c)] != q:
            t.keep(doc, "PC611", f"it sets `{a} {b} {c}` to `{q}` where another LimitRange of the namespace sets "
                   f"`{have[(a, b, c)]}`, and the language has one LimitRange per namespace",
                   "merge the LimitRanges by hand", "spec")
            return
    for cell in cells:
        if cell[:3] not in have:
            ns.limits.append(cell)
            have[cell[:3]] = cell[3]
    ns.limit_docs.append(doc)
    t.check_fields(doc)
    t._set(doc, "imported")


def _quotas(t: Translator, namespace: str, docs: list[Doc]) -> None:
    merged: dict[str, str] = {}
    taken: list[Doc] = []
    for doc in docs:
        spec = doc.obj.get("spec") or {}
        spec = spec if isinstance(spec, dict) else {}
        extra = [k for k in spec if k != "hard"]
        if extra:
            t.keep(doc, "PC605", f"quota `{extra[0]}` cannot be expressed (the language has `quota KEY QTY` only)",
                   "manage this quota outside policyc", "spec", extra[0])
            continue
        hard = spec.get("hard") or {}
        if not isinstance(hard, dict) or not hard:
            t.keep(doc, "PC605", "quota has no `spec.hard`", "fix the ResourceQuota", "spec")
            continue
        try:
            values = {str(k): (_quantity(v), parse_quantity(_quantity(v))) for k, v in hard.items()}
            for key, (text, q) in values.items():
                if key not in merged or q < parse_quantity(merged[key]):
                    merged[key] = text
        except QuantityError as exc:
            t.keep(doc, "PC605", f"quota value cannot be read: {exc}", "fix the ResourceQuota", "spec", "hard")
            continue
        t.check_fields(doc)
        t._set(doc, "imported")
        taken.append(doc)
    if len(taken) > 1:
        names = ", ".join(f"`{d.name}`" for d in taken)
        t.warn("PC616", taken[-1], f"the quotas {names} of namespace `{namespace}` become one `quota` line with the "
               "smaller value of each key", "every quota must hold, so this admits exactly the same pods", "spec")
    if taken:
        t.plan.namespace(namespace).quota = sorted(merged.items())
        t.plan.namespace(namespace).quota_docs.extend(taken)

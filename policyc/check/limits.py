"""`limits { }` and `quota` of a namespace: keys, quantities, the API server's LimitRange rules.

Codes: PC180-PC186 (keys and values), PC221-PC222 (two blocks disagree), PC250-PC255 (the
rules of ValidateLimitRange, see policyc/k8s/limitrange.py), PC560/PC561/PC570 (limits that
the namespace's quota can never admit).
"""

from __future__ import annotations

import difflib
import functools

from policyc import model as m
from policyc.check.context import Context
from policyc.diagnostics import Label
from policyc.k8s import limitrange as lr
from policyc.k8s.quantity import Quantity, QuantityError, parse_quantity
from policyc.model.admission import LimitCell, NamespaceLimits
from policyc.rules import ERROR, WARNING, Rule, register
from policyc.source import Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "admission",
    Rule("PC180", ERROR, "unknown limit type (`container`, `pod`, `pvc`)", example="`volume max storage 1Gi`"),
    Rule(
        "PC181", ERROR, "unknown limit kind (`max`, `min`, `default`, `default-request`, `max-ratio`)",
        example="`container maximum memory 1Gi`",
    ),
    Rule(
        "PC182", ERROR, "not a Kubernetes quantity; the API server's reason is given",
        example="`container max memory 1K`",
    ),
    Rule("PC183", ERROR, "a resource the limit type does not take", example="`container max storage 1Gi`"),
    Rule("PC184", ERROR, "a quota key the API server refuses (with \"did you mean\")", example="`quota storage 10Gi`"),
    Rule("PC185", WARNING, "a quota key the API server stores but no quota counts", example="`quota nvidia.com/gpu 2`"),
    Rule("PC186", ERROR, "a negative limit, a negative quota, a fractional count", example="`quota pods 1.5`"),
    Rule(
        "PC221", ERROR, "two blocks set one limit to different values",
        example="`container max memory 1Gi` and `... 2Gi`",
    ),
    Rule(
        "PC222", ERROR, "two blocks set one quota key to different values",
        example="`quota pods 10` and `quota pods 20`",
    ),
    Rule(
        "PC250", ERROR, "min <= default-request <= default <= max broken (both values, both lines)",
        example="`container max cpu 1`, `container default cpu 2000m`",
    ),
    Rule("PC251", ERROR, "max-ratio below 1", example="`pod max-ratio cpu 800m`"),
    Rule("PC252", ERROR, "max-ratio above max/min", example="max 2Gi, min 512Mi, `max-ratio memory 10`"),
    Rule(
        "PC253", ERROR,
        "a field the type does not take: `default`/`default-request` for `pod`; anything but `min`/`max` of `storage`"
        " for `pvc`",
        example="`pod default cpu 10m`",
    ),
    Rule("PC254", ERROR, "`pvc` limits without a `min` or `max` of `storage`", example="`pvc max-ratio storage 2`"),
    Rule(
        "PC255", ERROR, "hugepages or an extended resource whose default differs from its default-request",
        example="`container default hugepages-2Mi 4Mi` with `default-request ... 2Mi`",
    ),
    Rule(
        "PC560", WARNING, "a `max` above the namespace quota for that resource",
        example="`container max memory 2Gi` with `quota limits.memory 1Gi`",
    ),
    Rule(
        "PC561", WARNING, "a `default` or `default-request` above the namespace quota",
        example="`container default memory 2Gi` with `quota requests.memory 1Gi`",
    ),
    Rule(
        "PC570", WARNING, "`pods N` x the default per container exceeds the quota",
        example="`container default memory 512Mi`, `quota limits.memory 8Gi, pods 20`",
    ),
)


def _hint(word: str, choices: list[str], fallback: str) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else fallback


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Quantity:
    """`parse_quantity`, once per text: the same quota and limits are written in thousands of
    namespaces (a Quantity is a frozen value; an invalid text raises each time, uncached)."""
    return parse_quantity(text)


def parse_quantity_word(ctx: Context, word: m.Word, what: str) -> Quantity | None:
    """PC182: a quantity in Kubernetes notation, or None after reporting why it is not one."""
    try:
        return _parsed(word.text)
    except QuantityError as exc:
        ctx.error(
            "PC182",
            f"invalid quantity `{word.text}` for {what}: {exc}",
            word.span,
            "write a Kubernetes quantity such as `500m`, `2`, `1.5`, `256Mi` or `1Gi` (suffixes n u m k M G T P E, "
            "Ki Mi Gi Ti Pi Ei, or an exponent e3)",
        )
        return None


def _limit_cell(ctx: Context, item: m.LimitItem) -> LimitCell | None:
    """PC180 type, PC181 kind, PC183 resource, PC182/PC186 quantity of one `TYPE KIND RESOURCE QTY`."""
    type_word, kind_word = item.type.text, item.kind.text
    limit_type = lr.LIMIT_TYPES.get(type_word)
    kind = lr.LIMIT_KINDS.get(kind_word)
    if limit_type is None:
        ctx.error("PC180", f"unknown limit type `{type_word}`", item.type.span,
                  _hint(type_word, list(lr.LIMIT_TYPES), "limit types are `container`, `pod` and `pvc`"))
    if kind is None:
        ctx.error("PC181", f"unknown limit kind `{kind_word}`", item.kind.span,
                  _hint(kind_word, list(lr.LIMIT_KINDS),
                        "limit kinds are `max`, `min`, `default`, `default-request` and `max-ratio`"))
    resource = item.amount.resource.text
    if limit_type is not None and (reason := lr.limit_resource_problem(limit_type, resource)):
        choices = ["storage"] if limit_type == "PersistentVolumeClaim" else ["cpu", "memory", "ephemeral-storage"]
        ctx.error("PC183", f"resource `{resource}` in `{type_word}` limits {reason}", item.amount.resource.span,
                  _hint(resource, choices, "use `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>` or an "
                        "extended resource such as `example.com/gpu`"))
        limit_type = None
    quantity = parse_quantity_word(ctx, item.amount.quantity, f"`{type_word} {kind_word} {resource}`")
    if quantity is not None and quantity.is_negative:
        ctx.error("PC186", f"`{type_word} {kind_word} {resource}` {quantity.text} is negative",
                  item.amount.quantity.span, "limits are zero or more")
        quantity = None
    if limit_type is None or kind is None or quantity is None:
        return None
    return LimitCell(limit_type, kind, resource, quantity, item)


def check_namespace_limits(ctx: Context, name: str, blocks: tuple[m.Namespace, ...]) -> NamespaceLimits:
    """Merge the `limits` and `quota` of every block of namespace `name`; report every problem."""
    out = NamespaceLimits()
    for block in blocks:
        for item in block.limits:
            cell = _limit_cell(ctx, item)
            if cell is None:
                continue
            key = (cell.limit_type, cell.kind, cell.resource)
            first = out.cells.get(key)
            if first is None:
                out.cells[key] = cell
            elif first.quantity != cell.quantity:
                what = f"{item.type.text} {item.kind.text} {cell.resource}"
                ctx.error(
                    "PC221",
                    f"namespace `{name}` sets `{what}` to {first.quantity.text} and to {cell.quantity.text}",
                    item.span,
                    "keep one value: every block of a namespace adds to the same LimitRange",
                    (Label(first.item.span, "the other value is set here"),),
                )
        for amount in block.quota:
            _quota_entry(ctx, name, amount, out)
    by_type = out.limit_values_by_type()
    for api_type, word in ((v, k) for k, v in lr.LIMIT_TYPES.items()):
        values = by_type.get(api_type)
        if not values:
            continue
        for problem in lr.validate_limit_item(api_type, values, word):
            _report_limit_problem(ctx, out, api_type, problem)
    _check_against_quota(ctx, name, out)
    return out


def _quota_entry(ctx: Context, name: str, amount: m.Amount, out: NamespaceLimits) -> None:
    key = amount.resource.text
    problem = lr.quota_key_problem(key, ctx.release)
    if problem is not None:
        hint = f"did you mean `{problem.suggestion}`?" if problem.suggestion else (
            "quota keys are `requests.cpu`, `limits.memory`, `pods`, `count/deployments.apps`, "
            "`requests.storage`, ... (kubernetes.io/docs/concepts/policy/resource-quotas/)"
        )
        if problem.error:
            ctx.error("PC184", problem.message, amount.resource.span, hint)
            return
        ctx.warn("PC185", problem.message, amount.resource.span, hint)
    quantity = parse_quantity_word(ctx, amount.quantity, f"quota `{key}`")
    if quantity is None:
        return
    if reason := lr.quota_value_problem(key, quantity):
        ctx.error("PC186", reason, amount.quantity.span, "write a whole number of objects, zero or more")
        return
    first = out.quota.get(key)
    if first is None:
        out.quota[key] = (quantity, amount)
    elif first[0] != quantity:
        ctx.error(
            "PC222",
            f"namespace `{name}` sets quota `{key}` to {first[0].text} and to {quantity.text}",
            amount.span,
            "keep one value: every block of a namespace adds to the same ResourceQuota",
            (Label(first[1].span, "the other value is set here"),),
        )


def _span_of(out: NamespaceLimits, api_type: str, kind: str, resource: str) -> Span | None:
    cell = out.cells.get((api_type, kind, resource))
    return cell.item.span if cell else None


def _report_limit_problem(ctx: Context, out: NamespaceLimits, api_type: str, p: lr.LimitProblem) -> None:
    span = _span_of(out, api_type, p.kind, p.resource)
    if span is None:  # PC254 names no cell: point at the first pvc line
        span = next(c.item.span for (t, _, _), c in sorted(out.cells.items()) if t == api_type)
    labels = ()
    other = _span_of(out, api_type, p.other, p.resource) if p.other else None
    if other is not None:
        labels = (Label(other, f"the `{lr.FIELD_WORDS[p.other]}` value is here"),)
    helps = {
        "PC250": "limits must satisfy min <= default-request <= default <= max for each resource",
        "PC251": "max-ratio is limit / request, so it is 1 or more",
        "PC252": "a container at the ratio cannot fit between min and max: lower max-ratio or widen min and max",
        "PC253": "remove it: `pod` limits take max, min and max-ratio; `pvc` limits take min and max of storage",
        "PC254": "add `pvc max storage SIZE` or `pvc min storage SIZE`",
        "PC255": "hugepages and extended resources cannot be overcommitted: make default equal default-request",
    }
    ctx.error(p.code, p.message, span, helps[p.code], labels)


def _quota_for(out: NamespaceLimits, *keys: str) -> tuple[str, Quantity, m.Amount] | None:
    for key in keys:
        if key in out.quota:
            q, amount = out.quota[key]
            return key, q, amount
    return None


def _check_against_quota(ctx: Context, name: str, out: NamespaceLimits) -> None:
    """PC560 a max the quota can never admit; PC561 a default the quota refuses; PC570 pods x default > quota."""
    if not out.quota:
        return
    for (api_type, kind, res), cell in sorted(out.cells.items()):
        if kind != "max":
            continue
        keys = (f"requests.{res}",) if api_type == "PersistentVolumeClaim" else (f"limits.{res}",)
        found = _quota_for(out, *keys)
        if found and cell.quantity > found[1]:
            key, q, amount = found
            what = f"{cell.item.type.text} max {res} {cell.quantity.text}"
            ctx.warn(
                "PC560",
                f"`{what}` is above the quota `{key}` {q.text} of namespace `{name}`: "
                "an object that large can never be admitted",
                cell.item.span,
                f"lower the max to {q.text} or raise the quota",
            )
    pods = out.quota.get("pods")
    for res in sorted({r for (t, _, r) in out.cells if t == "Container"}):
        limit = out.cells.get(("Container", "default", res))
        request = out.cells.get(("Container", "defaultRequest", res)) or limit
        for cell, keys, word in ((limit, (f"limits.{res}",), "limit"),
                                 (request, (f"requests.{res}", res), "request")):
            if cell is None:
                continue
            found = _quota_for(out, *keys)
            if found is None:
                continue
            key, q, _ = found
            default_word = "default" if cell.kind == "default" else "default-request"
            if cell.quantity > q:
                ctx.warn(
                    "PC561",
                    f"`container {default_word} {res} {cell.quantity.text}` is above the quota `{key}` {q.text} "
                    f"of namespace `{name}`: every pod that relies on the default {word} is refused",
                    cell.item.span,
                    f"lower the default to at most {q.text} or raise the quota",
                )
            elif pods is not None and cell.quantity.value * pods[0].value > q.value:
                count = pods[0].int_value()
                fits = int(q.value // cell.quantity.value) if cell.quantity.value else count
                ctx.warn(
                    "PC570",
                    f"quota `pods` {pods[0].text} cannot be reached with default-sized pods in namespace `{name}`: "
                    f"{count} x `container {default_word} {res} {cell.quantity.text}` is more than the quota "
                    f"`{key}` {q.text}, so only {fits} such pods fit",
                    cell.item.span,
                    f"raise `{key}`, lower the default, or lower `pods` to {fits}",
                )

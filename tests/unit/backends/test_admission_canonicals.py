"""The admission backend writes LimitRanges and ResourceQuotas with one pass over a namespace's cells and
a table of canonical quantities kept across namespaces (backends/admission.py, issue 19): the bodies
are the ones of the plain computation (a scan of the cells per type, `Quantity.canonical` per
value), on hand-made limits and on a generated organisation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from policyc.backends import admission
from policyc.k8s.limitrange import LIMIT_TYPES
from policyc.k8s.quantity import parse_quantity
from policyc.model.admission import LimitCell, NamespaceAdmission, NamespaceLimits
from policyc.pipeline import compile_sources
from policyc.source import SourceFile

# Equal values in other formats or spellings, exponents, fractions: the table must not mix them up.
TEXTS = ["1", "1.0", "1000m", "1k", "1Ki", "1024", "1Gi", "1024Mi", "0.5", "500m", "1e3", "1E3", "1.5Gi", "0",
         "100M", "0.1", "12345678901234567890", "2e-3", "1.10"]


def _scan(limits: NamespaceLimits, limit_type: str) -> dict[str, dict[str, Any]]:
    """field -> resource -> quantity of one type, by a scan of every cell (independent of the model's
    `limit_values_by_type`, which the backend reads)."""
    out: dict[str, dict[str, Any]] = {}
    for (t, kind, res), cell in limits.cells.items():
        if t == limit_type:
            out.setdefault(kind, {})[res] = cell.quantity
    return out


def _plain_limit_range(ns: NamespaceAdmission) -> list[dict[str, Any]]:
    items = []
    for api_type in sorted(LIMIT_TYPES.values()):
        values = _scan(ns.limits, api_type)
        assert ns.limits.limit_values_by_type().get(api_type, {}) == values  # the model's reading
        if not values:
            continue
        item: dict[str, Any] = {"type": api_type}
        for kind in admission._ITEM_FIELDS:
            if kind in values:
                item[kind] = {res: q.canonical() for res, q in sorted(values[kind].items())}
        items.append(item)
    return items


def _plain_quota(ns: NamespaceAdmission) -> dict[str, str]:
    return {key: q.canonical() for key, (q, _) in sorted(ns.limits.quota.items())}


def _check_same(namespaces: list[NamespaceAdmission], canonicals: admission.Canonicals) -> None:
    for ns in namespaces:
        limits = admission.limit_range_manifest(ns, canonicals)
        items = _plain_limit_range(ns)
        assert (limits.body["spec"]["limits"] if limits else []) == items
        quota = admission.resource_quota_manifest(ns, canonicals)
        assert (quota.body["spec"]["hard"] if quota else {}) == _plain_quota(ns)
        alone = admission.limit_range_manifest(ns)  # without a table: the same body
        assert (alone.body if alone else None) == (limits.body if limits else None)


def test_canonical_through_the_table_is_the_quantitys() -> None:
    canonicals: admission.Canonicals = {}
    for _ in range(2):  # filled, then read
        for text in TEXTS:
            q = parse_quantity(text)
            assert admission._canonical(q, canonicals) == q.canonical(), text
    assert admission._canonical(parse_quantity("1Ki"), canonicals) == "1Ki"
    assert admission._canonical(parse_quantity("1024"), canonicals) == "1024"


def _namespace(name: str, cells: list[tuple[str, str, str, str]], quota: dict[str, str]) -> NamespaceAdmission:
    made = {(t, k, r): LimitCell(t, k, r, parse_quantity(q), None) for t, k, r, q in cells}  # type: ignore[arg-type]
    limits = NamespaceLimits(made, {k: (parse_quantity(v), None) for k, v in quota.items()})  # type: ignore[misc]
    return NamespaceAdmission(name, ("a.policy",), {}, limits)


def test_hand_made_limits_and_quotas() -> None:
    namespaces = [
        _namespace("a", [("Pod", "max", "cpu", "2"), ("Container", "min", "memory", "1Gi"),
                         ("Container", "max", "memory", "1024Mi"), ("Container", "default", "cpu", "500m"),
                         ("PersistentVolumeClaim", "max", "storage", "10Gi"), ("Container", "max", "cpu", "1.0"),
                         ("Container", "maxLimitRequestRatio", "cpu", "4"),
                         ("Container", "defaultRequest", "cpu", "0.1")],
                   {"pods": "10", "requests.memory": "1024Mi", "limits.cpu": "1000m"}),
        _namespace("b", [("Container", "max", "cpu", "1"), ("Pod", "min", "memory", "1k")], {}),
        _namespace("c", [], {"requests.cpu": "1.0", "pods": "1e3"}),
        _namespace("d", [], {}),
    ]
    _check_same(namespaces, {})


@pytest.mark.parametrize("n", [12])
def test_generated_organisation(n: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    import gen_org

    files = gen_org.generate(n, 1, "members")
    sources = [SourceFile(name, text) for name, text in sorted(files.items())]
    result = compile_sources(sources)
    assert result.program is not None and result.program.admission is not None
    namespaces = list(result.program.admission.namespaces.values())
    assert any(ns.limits.cells for ns in namespaces) and any(ns.limits.quota for ns in namespaces)
    _check_same(namespaces, {})

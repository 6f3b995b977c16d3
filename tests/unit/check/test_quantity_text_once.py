"""A quantity's text is parsed once (check/limits.py `_parsed`): the same quota in every namespace is
one value; an invalid one is reported wherever it is written."""

from __future__ import annotations

from helpers import codes, compile_text

POLICY = """
namespace a {
  quota pods 50, requests.memory 16Gi, limits.cpu 5x
}
namespace b {
  quota pods 50, requests.memory 16Gi, limits.cpu 5x
}
"""


def test_equal_texts_share_one_quantity_and_faults_are_reported_each_time() -> None:
    result = compile_text(POLICY)
    assert codes(result).count("PC182") == 2
    lines = sorted(d.span.line for d in result.diagnostics if d.code == "PC182")
    assert lines == [3, 6]
    plan = result.program.admission if result.program is not None else None
    assert plan is not None
    a, b = plan.namespaces["a"].limits.quota, plan.namespaces["b"].limits.quota
    assert set(a) == set(b) == {"pods", "requests.memory"}
    for key in a:
        assert a[key][0] is b[key][0]
        assert a[key][0].text == b[key][0].text

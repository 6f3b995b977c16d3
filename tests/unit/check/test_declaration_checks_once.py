"""`check_declarations` checks a subject or namespace clean by its text once (check/resolve.py): a
faulty one is still reported at every place it is written."""

from __future__ import annotations

from helpers import codes, compile_text

POLICY = """
team web {
  members user ann
}
grant role view to team web, team nope in a, Bad_NS
grant role edit to team web, team nope in a, Bad_NS
grant role edit to serviceaccount Bad_NS/ci, user system:x in a
grant role view to serviceaccount Bad_NS/ci, user system:x in a
forbid delete pods for team nope in Bad_NS
namespace a {}
"""


def test_each_fault_is_reported_where_it_is_written() -> None:
    result = compile_text(POLICY)
    found = codes(result)
    assert found.count("PC102") == 3  # the undefined team, in two grants and the guard
    # The namespace: in both grants and the guard, and as the service account's namespace in two.
    assert found.count("PC120") == 5
    assert found.count("PC130") == 2
    lines = sorted(d.span.line for d in result.diagnostics if d.code == "PC102")
    assert lines == [5, 6, 9]

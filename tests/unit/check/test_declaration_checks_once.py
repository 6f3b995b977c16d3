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


LABELS = """
namespace a {
  labels team=web, Bad_P/key=x, env=dev_
}
namespace b {
  labels team=web, Bad_P/key=x, env=dev_
}
"""


def test_each_faulty_label_is_reported_on_every_namespace() -> None:
    """A label key's or value's verdict is kept by its text; the error is still reported at each place."""
    result = compile_text(LABELS)
    found = sorted((d.span.line, d.message) for d in result.diagnostics if d.code == "PC123")
    assert [line for line, _ in found] == [3, 3, 6, 6]
    assert sum("label key `Bad_P/key`" in message for _, message in found) == 2
    assert sum("label value `dev_`" in message for _, message in found) == 2


DECLARED = """
user system:x auth certificate
user ann auth certificate groups system:masters
serviceaccount Bad_NS/ci
serviceaccount a/ok
grant role view to user system:x, serviceaccount Bad_NS/ci, serviceaccount a/ok in a
grant role edit to user system:x, group system:masters, serviceaccount Bad_NS/ci in a
namespace a {}
"""


def test_a_faulty_declaration_is_reported_again_where_it_is_a_subject() -> None:
    """A declared user, group or service account found clean is not checked again as a subject; a
    faulty one is reported at its declaration and at every grant naming it."""
    result = compile_text(DECLARED)

    def lines(code: str) -> list[int]:
        return sorted(d.span.line for d in result.diagnostics if d.code == code)

    assert lines("PC130") == [2, 6, 7]
    assert lines("PC131") == [3, 7]
    assert lines("PC120") == [4, 6, 7]  # the service account's namespace

"""`check_all_rules` checks a rule clean by its texts and place once (check/rules.py): a faulty rule is
still reported at every place it is written, and the same words are checked again where their place
(namespaced or not, role or grant) changes what is allowed."""

from __future__ import annotations

from helpers import compile_text

POLICY = """
namespace a {}
role urls {
  get /healthz
}
role urls-here in a {
  get /healthz
}
grant get /healthz to user x in cluster
grant get /healthz to user x in a
grant gett pods to user x in a
grant gett pods to user y in a
grant create, get configmaps named c to user x in a
grant create, get configmaps named c to user y in a
grant get pods to user x in a
"""


def _lines(result, code: str) -> list[int]:
    return sorted(d.span.line for d in result.diagnostics if d.code == code)


def test_each_fault_is_reported_where_it_is_written() -> None:
    result = compile_text(POLICY)
    assert _lines(result, "PC140") == [7]  # the URL in the namespaced role, clean in the cluster role
    assert _lines(result, "PC141") == [10]  # the URL granted in a namespace, clean in the cluster
    assert _lines(result, "PC150") == [11, 12]
    assert _lines(result, "PC160") == [13, 14]

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


GRANTED = """
namespace a {}
namespace b {}
role plain {
  get pods
}
role health {
  get /healthz
}
grant role plain to user x in a, b
grant role health to user x in a, b
grant role plain to user y in a
grant role health to user y in cluster
"""


def test_a_role_with_urls_is_reported_at_every_namespaced_grant() -> None:
    """`_has_urls` keeps its answer per role; PC141 is still reported for each namespace of each grant."""
    result = compile_text(GRANTED)
    assert [(d.span.line, d.message) for d in result.diagnostics if d.code == "PC141"] == [
        (11, "role `health` holds non-resource URLs but is granted in namespace `a`"),
        (11, "role `health` holds non-resource URLs but is granted in namespace `b`"),
    ]
    assert [d.code for d in result.diagnostics if d.is_error] == ["PC141", "PC141"]

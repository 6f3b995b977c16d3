"""The bindings' order (check/grants.py `compile_grants`, `_in_binding_order`): by scope (the
cluster as ""), then kind of role (or `inline`), role and owner, whatever order the grants are
written in; the cluster and a namespace written `""` (an error, PC120, yet the program is built)
tie and keep the grants' order."""

from __future__ import annotations

from helpers import compile_text
from policyc.model.rbac import Binding

SCRAMBLED = """
role r in b {
  get pods
}
role c {
  get nodes
}
grant role view to user zed in b
grant get pods to user amy in a
grant role r to user amy in b
grant role c to user bob in a
grant role c to user bob in cluster
grant list pods to user amy in b
grant list pods to user amy in cluster
grant role view to user amy in a, b
grant role edit to group g in cluster
grant get secrets to user bob in a
"""


def _key(b: Binding) -> tuple:
    """The binding's sort key as `compile_grants` orders by it (`_in_binding_order`)."""
    scope = b.namespace or ""
    if b.grants[0].rule is not None:
        return (scope, "inline", b.owner)
    return (scope, b.role_kind, b.role_name, b.owner)


def _bindings(text: str) -> list[Binding]:
    result = compile_text(text)
    assert result.program is not None
    return list(result.program.bindings)


def test_bindings_are_sorted_by_scope_then_role_and_owner() -> None:
    keys = [_key(b) for b in _bindings(SCRAMBLED)]
    assert len(keys) == 11
    assert keys == sorted(keys)
    assert [k[0] for k in keys] == ["", "", "", "a", "a", "a", "a", "b", "b", "b", "b"]


def test_bindings_of_the_cluster_and_an_empty_namespace_keep_the_grants_order() -> None:
    cluster_first = "grant role view to user a in cluster\ngrant role view to user a in \"\"\n"
    empty_first = "grant role view to user a in \"\"\ngrant role view to user a in cluster\n"
    assert [b.namespace for b in _bindings(cluster_first)] == [None, ""]
    assert [b.namespace for b in _bindings(empty_first)] == ["", None]

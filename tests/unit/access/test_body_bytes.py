"""The editor's key of an emitted body (`access/policy.py` `_body_bytes`): bodies that differ in
any value or type get different bytes (so a kept model or parsed object is never reused for
another body), equal bodies built alike get the same bytes, and a body marshal cannot write
falls back to its repr."""

from __future__ import annotations

import pytest

from policyc.access.policy import _body_bytes

BINDING = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": {"name": "a", "namespace": "ns"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
           "subjects": [{"kind": "User", "name": "u", "apiGroup": "rbac.authorization.k8s.io"}]}


def _copy(body: object) -> object:
    """The same value built anew (other dict and list objects, strings made at run time)."""
    if isinstance(body, dict):
        return {"".join(list(k)): _copy(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_copy(v) for v in body]
    return "".join(list(body)) if isinstance(body, str) else body


@pytest.mark.parametrize("other", [
    {**BINDING, "metadata": {"name": "a", "namespace": "ns2"}},
    {**BINDING, "subjects": [{"kind": "User", "name": "v", "apiGroup": "rbac.authorization.k8s.io"}]},
    {**BINDING, "subjects": []},
    {**BINDING, "subjects": None},
    {**BINDING, "metadata": {"namespace": "ns", "name": "a"}},  # another order: another repr too
    {**BINDING, "extra": 1},
    {**BINDING, "extra": True},
    {**BINDING, "extra": "1"},
    {**BINDING, "extra": 1.0},
])
def test_different_bodies_give_different_bytes(other: dict) -> None:
    assert _body_bytes(other) != _body_bytes(BINDING)
    assert _body_bytes({**BINDING, "extra": 1}) != _body_bytes({**BINDING, "extra": True})


def test_equal_bodies_give_equal_bytes() -> None:
    assert _body_bytes(_copy(BINDING)) == _body_bytes(BINDING)
    assert _body_bytes(BINDING).startswith(b"m")


def test_a_body_marshal_cannot_write_falls_back_to_repr() -> None:
    class Odd(str):
        pass

    body = {**BINDING, "extra": Odd("x")}
    assert _body_bytes(body) == b"r" + repr(body).encode()
    assert _body_bytes(body) != _body_bytes({**BINDING, "extra": "x"})

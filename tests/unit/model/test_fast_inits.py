"""The written-out `__init__`s (policyc/model/fastinit.py, `Span.__init__`) make the objects the
dataclass's own `__init__` makes: every field set, defaults applied, nothing else in the instance."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from policyc import model as m
from policyc.access.objects import BindingObj, ObjRef, RoleObj
from policyc.model.fastinit import quick_init
from policyc.model.manifest import Manifest
from policyc.model.rbac import Binding, RbacSubject
from policyc.source import NO_SPAN, Span

SPAN = Span("a.policy", 1, 2, 1, 5, 1, 4)
WORD = m.Word("x", SPAN)

# Each class with a fast `__init__`, and the positional arguments of one instance (every field).
SAMPLES: list[tuple[type, tuple[Any, ...]]] = [
    (Span, ("f.policy", 3, 4, 5, 6, 7, 8)),
    (m.Word, ("name", SPAN)),
    (m.Rule, ((WORD,), (WORD,), (WORD,), SPAN, (WORD,), (WORD,), (("get", "pods"),))),
    (m.Subject, ("user", "alice", SPAN)),
    (m.Grant, (WORD, None, (m.Subject("team", "t"),), (WORD,), False, "t", "ns", SPAN, None, "cls")),
    (RbacSubject, ("ServiceAccount", "app", "ns")),
    (Binding, ("RoleBinding", "b", "ns", "Role", "r", (RbacSubject("User", "u"),), "team:t", (), ("a",))),
    (Manifest, ("v1", "ServiceAccount", "app", "ns", {"kind": "ServiceAccount"}, ("a.policy",))),
    (ObjRef, ("Role", "ns", "r")),
    (RoleObj, (ObjRef("Role", "ns", "r"), (), (("k", "v"),), None, "policy", ("",))),
    (BindingObj, (ObjRef("RoleBinding", "ns", "b"), ObjRef("Role", "ns", "r"), (RbacSubject("User", "u"),), "x")),
]


def _plain(cls: type, values: dict[str, Any]) -> Any:
    """What a frozen dataclass's generated `__init__` does: each field through object.__setattr__."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


@pytest.mark.parametrize(("cls", "args"), SAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_argument_lands_in_its_field(cls: type, args: tuple[Any, ...]) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    assert len(args) == len(names), "the sample gives every field"
    made = cls(*args)
    plain = _plain(cls, dict(zip(names, args, strict=True)))
    assert made.__dict__ == plain.__dict__
    assert list(made.__dict__) == names  # nothing else stored, in field order
    assert made == plain and repr(made) == repr(plain)
    assert cls(**dict(zip(names, args, strict=True))).__dict__ == plain.__dict__  # by keyword too


@pytest.mark.parametrize(("cls", "args"), SAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_defaults_are_the_fields_defaults(cls: type, args: tuple[Any, ...]) -> None:
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        expected = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == expected, f.name
    required = [a for a, f in zip(args, fields, strict=True) if f.default is dataclasses.MISSING]
    made = cls(*required)
    for f in fields:
        if f.default is not dataclasses.MISSING:
            assert getattr(made, f.name) == f.default


def test_replace_and_frozen_still_hold() -> None:
    s = RbacSubject("User", "alice")
    assert dataclasses.replace(s, name="bob") == RbacSubject("User", "bob", "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "eve"  # type: ignore[misc]
    assert Span("f", 1, 1, 1, 2) == Span("f", 1, 1, 1, 2, 0, 0) and NO_SPAN.start == 0


def test_classes_it_cannot_serve_are_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Later:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class Factory:
        a: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    for cls in (Later, Factory, Slotted):
        with pytest.raises(TypeError):
            quick_init(cls)

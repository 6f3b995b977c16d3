"""The objects a build makes by the ten thousand besides the model nodes (compiled roles and
bindings, manifests, diagnostics and their labels) are frozen slotted dataclasses with the fast
constructor (`model.slotted.frozen_slots`): no instance dict to build, fill and read. They must stay
the values the dataclass constructor made: the same fields and defaults, the same equality and hash
(fields marked `compare=False` left out), frozen, and equal after pickling and copying."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from policyc.diagnostics import Diagnostic, Label, Severity
from policyc.k8s.rules import PolicyRule
from policyc.model.manifest import Manifest
from policyc.model.rbac import Binding, CompiledRole, RbacSubject
from policyc.source import Span

SPAN = Span("a.policy", 1, 2, 1, 9, 1, 8)
RULE = PolicyRule(("",), ("pods",), (), (), ("get",))
SUBJECTS = (RbacSubject("User", "alice"),)


def _made() -> list[tuple[object, dict[str, object]]]:
    """One object of each class, and a field to change that takes part in equality."""
    return [
        (CompiledRole("Role", "r", "ns", (RULE,), sources=("a.policy",)), {"name": "s"}),
        (Binding("RoleBinding", "b", "ns", "Role", "r", SUBJECTS, "team"), {"role_name": "s"}),
        (Manifest("v1", "Namespace", "ns", None, {"kind": "Namespace"}, ("a.policy",)), {"name": "other"}),
        (Diagnostic("PC101", Severity.ERROR, "m", SPAN, "h", (Label(SPAN, "here"),), cis="5.1.1"), {"code": "PC102"}),
        (Label(SPAN, "here"), {"message": "there"}),
    ]


@pytest.mark.parametrize("obj,change", _made(), ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "")
def test_a_build_object_is_the_dataclass_value(obj: object, change: dict[str, object]) -> None:
    cls = type(obj)
    assert "__slots__" in cls.__dict__ and not hasattr(obj, "__dict__")
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    values = [getattr(obj, f.name) for f in dataclasses.fields(cls)]
    # The fields in their order, by position and by keyword (tests/conftest.py wraps Diagnostic's
    # constructor, so its signature is not read here).
    assert cls(*values) == obj and cls(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)}) == obj
    assert [getattr(cls(*values), f.name) for f in dataclasses.fields(cls)] == values
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, next(iter(change)), "x")
    other = dataclasses.replace(obj, **change)  # type: ignore[type-var]
    assert other != obj and dataclasses.replace(obj) == obj  # type: ignore[type-var]
    assert hash(dataclasses.replace(obj)) == hash(obj)  # type: ignore[type-var]
    for made in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj)):
        assert made == obj and type(made) is cls
        assert all(getattr(made, f.name) == getattr(obj, f.name) for f in dataclasses.fields(cls))


def test_fields_left_out_of_equality_stay_left_out() -> None:
    """A binding's grants, a role's declaration and a manifest's body and binding do not take part
    in equality or hash, as their `field(compare=False)` says."""
    binding = Binding("RoleBinding", "b", "ns", "Role", "r", SUBJECTS, "team")
    assert binding == dataclasses.replace(binding, grants=(object(),))
    role = CompiledRole("Role", "r", "ns", (RULE,))
    assert role == dataclasses.replace(role, declared=object())  # type: ignore[arg-type]
    manifest = Manifest("v1", "Namespace", "ns", None, {"kind": "Namespace"})
    twin = Manifest("v1", "Namespace", "ns", None, {"kind": "Other"}, binding=binding)
    assert manifest == twin and hash(manifest) == hash(twin)


def test_defaults_are_the_declared_ones() -> None:
    d = Diagnostic("PC101", Severity.ERROR, "m", SPAN)
    assert (d.help, d.labels, d.cis, d.benchmark) == ("", (), "", "")
    b = Binding("ClusterRoleBinding", "b", None, "ClusterRole", "r", (), "")
    assert (b.grants, b.sources) == ((), ())
    r = CompiledRole("ClusterRole", "r", None, ())
    assert (r.labels, r.selectors, r.declared, r.sources) == ((), (), None, ())
    assert Manifest("v1", "Namespace", "ns", None, {}).binding is None

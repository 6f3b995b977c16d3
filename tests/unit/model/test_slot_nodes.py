"""Model nodes are frozen dataclasses with slots and a constructor of their own (`model.nodes.node`,
issue 19 eleventh pass): they must stay the values the generated constructor made."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from policyc import model as m
from policyc.model import nodes
from policyc.source import NO_SPAN, Span

SPAN = Span("a.policy", 1, 2, 1, 9, 1, 8)


def test_a_node_is_built_as_the_dataclass_would() -> None:
    grant = m.Grant(m.Word("r"), None, (m.Subject("user", "u", SPAN),), (m.Word("ns"),), False, span=SPAN)
    assert (grant.team, grant.namespace_block, grant.selector, grant.namespace_class, grant.span) == (
        "", "", None, "", SPAN)
    assert list(inspect.signature(m.Grant).parameters) == [f.name for f in dataclasses.fields(m.Grant)]
    assert m.Grant(role=m.Word("r"), rule=None, subjects=(), namespaces=(), cluster=True).cluster
    assert m.Subject("user").span is NO_SPAN and m.Subject("user").name == ""
    with pytest.raises(TypeError):
        m.Grant(m.Word("r"), None)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        m.Subject("user", "u", SPAN, "extra")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        grant.team = "t"  # type: ignore[misc]
    assert not hasattr(grant, "__dict__")


def test_equality_hash_repr_replace_and_copies_are_the_dataclass_s() -> None:
    grant = m.Grant(m.Word("r"), None, (), (), False, "t", span=SPAN)
    twin = m.Grant(m.Word("r", Span("b.policy", 3, 1, 3, 2)), None, (), (), False, "t")
    assert grant == twin and hash(grant) == hash(twin)  # spans never take part
    assert grant != dataclasses.replace(grant, team="u")
    assert dataclasses.replace(grant, team="u").team == "u" and dataclasses.replace(grant).span == SPAN
    assert repr(m.Subject("user", "u", SPAN)) == "Subject(kind='user', name='u')"
    for made in (pickle.loads(pickle.dumps(grant)), copy.deepcopy(grant), copy.copy(grant)):
        assert made == grant and made.span == SPAN


def test_every_node_class_is_slotted_with_the_fast_constructor() -> None:
    classes = [c for c in vars(nodes).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
               and c.__module__ == nodes.__name__]
    assert len(classes) > 20
    for cls in classes:
        assert "__slots__" in cls.__dict__ and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        if cls is not m.Word:
            assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__", cls


def test_only_plain_fields_are_accepted() -> None:
    with pytest.raises(TypeError):
        @nodes.node
        class Bad:
            items: tuple = dataclasses.field(default_factory=tuple)

    with pytest.raises(TypeError):
        @nodes.node
        class Checked:
            name: str

            def __post_init__(self) -> None:  # the fast constructor would skip it
                pass

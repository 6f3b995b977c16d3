"""model/rbac.py RbacSubject is a hand-written slotted class (issue 19, fourteenth pass) that must
stay the value `@dataclass(frozen=True, order=True)` made: `_Dataclass` below is that class as it
was, and each behaviour a build or a caller can see is compared with it on a table of subjects."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import operator
import pickle
import random

import pytest

from policyc.model.rbac import SUBJECT_ORDER, RbacSubject


@dataclasses.dataclass(frozen=True, order=True)
class _Dataclass:
    """RbacSubject before the fourteenth pass (its to_dict and str are tabled below instead)."""

    kind: str
    name: str
    namespace: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.kind, self.name, self.namespace)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined,no-any-return]

    def __reduce__(self) -> tuple:
        return (_Dataclass, (self.kind, self.name, self.namespace))


FIELDS = [
    ("User", "ann", ""), ("User", "ann", "x"), ("User", "Ann", ""), ("User", "oidc:ann", ""), ("User", "", ""),
    ("Group", "ann", ""), ("Group", "system:authenticated", ""), ("Group", "devs", ""),
    ("ServiceAccount", "app", "ns"), ("ServiceAccount", "app", ""), ("ServiceAccount", "default", "ns"),
    ("ServiceAccount", "app", "ns2"), ("", "", ""), ("User", "zoë", ""), ("user", "ann", ""),
]
COMPARISONS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge)
# to_dict and str as a binding and a diagnostic print them.
AS_DICT_AND_STR = [
    (("User", "ann", ""), {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ann"}, "user ann"),
    (("Group", "devs", ""), {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"}, "group devs"),
    (("ServiceAccount", "app", "ns"), {"kind": "ServiceAccount", "name": "app", "namespace": "ns"},
     "serviceaccount ns/app"),
    (("ServiceAccount", "app", ""), {"kind": "ServiceAccount", "name": "app", "namespace": ""}, "serviceaccount /app"),
    (("User", "ann", "x"), {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ann"}, "user ann"),
]


def _pairs() -> list[tuple[RbacSubject, _Dataclass]]:
    return [(RbacSubject(*f), _Dataclass(*f)) for f in FIELDS]


def test_made_by_position_or_keyword_with_the_same_fields_and_default() -> None:
    for f in FIELDS:
        kind, name, namespace = f
        for new in (RbacSubject(*f), RbacSubject(kind=kind, name=name, namespace=namespace)):
            assert (new.kind, new.name, new.namespace) == f == SUBJECT_ORDER(new)
    assert RbacSubject("User", "ann").namespace == "" and RbacSubject("User", "ann") == RbacSubject("User", "ann", "")
    with pytest.raises(TypeError):
        RbacSubject("User")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        RbacSubject("User", "ann", "", "extra")  # type: ignore[call-arg]


def test_comparisons_are_the_dataclass_ones() -> None:
    for (a, old_a), (b, old_b) in itertools.product(_pairs(), repeat=2):
        for op in COMPARISONS:
            assert op(a, b) is op(old_a, old_b), (op.__name__, a, b)


def test_hash_is_the_dataclass_hash_and_equal_subjects_share_it() -> None:
    for new, old in _pairs():
        fields = (new.kind, new.name, new.namespace)
        assert hash(new) == hash(old) == hash(fields) == hash(RbacSubject(*fields))


def test_sorted_in_the_dataclass_order() -> None:
    pairs = _pairs()
    for seed in range(5):
        shuffled = pairs[:]
        random.Random(seed).shuffle(shuffled)
        by_new = [SUBJECT_ORDER(new) for new in sorted(new for new, _ in shuffled)]
        by_old = [SUBJECT_ORDER(old) for old in sorted(old for _, old in shuffled)]
        by_key = [SUBJECT_ORDER(new) for new in sorted((new for new, _ in shuffled), key=SUBJECT_ORDER)]
        assert by_new == by_old == by_key


def test_other_types_are_never_equal_nor_ordered() -> None:
    for new, old in _pairs():
        fields = (new.kind, new.name, new.namespace)
        for other in (fields, list(fields), None, str(new)):
            assert (new == other) is (old == other) is False and (new != other) is True
        assert (new == old) is (old == new) is False and (new != old) is True
        for op in COMPARISONS[2:]:
            with pytest.raises(TypeError):
                op(new, fields)
            with pytest.raises(TypeError):
                op(new, old)


def test_repr_is_the_dataclass_repr() -> None:
    for new, old in _pairs():
        assert repr(new) == repr(old).replace("_Dataclass(", "RbacSubject(", 1)
    assert repr(RbacSubject("User", "x")) == "RbacSubject(kind='User', name='x', namespace='')"


def test_frozen_as_the_dataclass_is() -> None:
    for new, old in _pairs():
        before = SUBJECT_ORDER(new), hash(new)
        for attr in ("kind", "name", "namespace", "_hash", "other"):
            for change in (lambda o, a=attr: setattr(o, a, "x"), lambda o, a=attr: delattr(o, a)):
                with pytest.raises(dataclasses.FrozenInstanceError) as got:
                    change(new)
                with pytest.raises(dataclasses.FrozenInstanceError) as expected:
                    change(old)
                assert str(got.value) == str(expected.value)
        assert (SUBJECT_ORDER(new), hash(new)) == before


def test_carried_by_pickle_and_copy_as_an_equal_subject() -> None:
    for new, _ in _pairs():
        carried = [pickle.loads(pickle.dumps(new, protocol)) for protocol in range(pickle.HIGHEST_PROTOCOL + 1)]
        for made in (*carried, copy.copy(new), copy.deepcopy(new), copy.deepcopy([new, new])[0]):
            assert type(made) is RbacSubject and made == new and hash(made) == hash(new)
            assert SUBJECT_ORDER(made) == SUBJECT_ORDER(new) and repr(made) == repr(new)
        twice = copy.deepcopy([new, new])
        assert twice[0] is twice[1]  # deepcopy's memo keeps shared subjects shared


def test_keys_dicts_and_sets_as_the_dataclass_does() -> None:
    pairs = _pairs()
    by_new = {new: i for i, (new, _) in enumerate(pairs)}
    by_old = {old: i for i, (_, old) in enumerate(pairs)}
    for i, f in enumerate(FIELDS):
        assert by_new[RbacSubject(*f)] == by_old[_Dataclass(*f)] == i
        assert f not in by_new and _Dataclass(*f) not in by_new
    doubled = [RbacSubject(*f) for f in FIELDS + FIELDS]
    assert len(set(doubled)) == len({_Dataclass(*f) for f in FIELDS + FIELDS}) == len(FIELDS)
    assert set(doubled) == {new for new, _ in pairs}


def test_to_dict_and_str() -> None:
    for fields, as_dict, text in AS_DICT_AND_STR:
        new = RbacSubject(*fields)
        assert new.to_dict() == as_dict and list(new.to_dict()) == list(as_dict)
        assert str(new) == text and f"{new}" == text


def test_matched_by_position_on_its_fields() -> None:
    match RbacSubject("ServiceAccount", "app", "ns"):
        case RbacSubject(kind, name, namespace):
            assert (kind, name, namespace) == ("ServiceAccount", "app", "ns")
        case _:
            pytest.fail("not matched")
    assert RbacSubject.__match_args__ == _Dataclass.__match_args__


def test_slotted_without_an_instance_dict() -> None:
    new = RbacSubject("User", "ann")
    assert not hasattr(new, "__dict__") and set(RbacSubject.__slots__) == {"kind", "name", "namespace", "_hash"}

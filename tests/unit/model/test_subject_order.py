"""model/rbac.py SUBJECT_ORDER: the sort key the hot paths use gives RbacSubject's own dataclass order."""

from __future__ import annotations

import itertools

from policyc.model.rbac import SUBJECT_ORDER, RbacSubject


def test_subject_order_is_the_dataclass_order() -> None:
    subjects = [RbacSubject(k, n, ns) for k, n, ns in itertools.product(
        ("User", "Group", "ServiceAccount"), ("a", "B", "a:b", ""), ("", "dev", "Dev"))]
    for shuffled in (subjects, subjects[::-1], subjects[1::2] + subjects[::2]):
        assert sorted(shuffled, key=SUBJECT_ORDER) == sorted(shuffled)

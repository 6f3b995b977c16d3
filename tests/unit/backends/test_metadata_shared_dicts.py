"""`metadata` (backends/meta.py) shares the managed-by labels of objects without labels of their own and
one annotations dict per source text between bodies (issue 19: fewer objects to make and to read);
the dicts are equal to the ones made anew, and an object's own labels are never shared."""

from __future__ import annotations

from policyc.backends.meta import MANAGED_BY, SOURCE_ANNOTATION, metadata


def test_common_labels_shared_and_equal() -> None:
    a, b = metadata("a", None, ("x.policy",)), metadata("b", "ns", ("y.policy",))
    assert a["labels"] is b["labels"] and a["labels"] == MANAGED_BY
    assert a["labels"] is not MANAGED_BY  # the module's constant is never a body's dict


def test_annotations_shared_per_source_text() -> None:
    a, b = metadata("a", None, ("x.policy",)), metadata("b", "ns", ["x.policy"])
    c = metadata("c", "ns", ("y.policy",))
    d, e = metadata("d", None, ("y.policy", "x.policy")), metadata("e", None, ["x.policy", "y.policy", "x.policy"])
    assert a["annotations"] is b["annotations"] == {SOURCE_ANNOTATION: "x.policy"}
    assert c["annotations"] == {SOURCE_ANNOTATION: "y.policy"} and c["annotations"] is not a["annotations"]
    assert d["annotations"] is e["annotations"] == {SOURCE_ANNOTATION: "x.policy, y.policy"}


def test_own_labels_are_a_new_dict_each_time() -> None:
    labels = {"team": "x"}
    a, b = metadata("a", None, ("x",), labels), metadata("b", None, ("x",), labels)
    assert a["labels"] == b["labels"] == {"app.kubernetes.io/managed-by": "policyc", "team": "x"}
    assert a["labels"] is not b["labels"] and a["labels"] is not labels

"""`dump_all`'s memo (output/yaml.py): a list a document's key holds is written once per list object
and its text reused wherever the same object recurs (the emitted bindings of a team share their
subjects); the text is the one written without the memo."""

from __future__ import annotations

import yaml

from policyc.model.manifest import Manifest
from policyc.output.tree import layout
from policyc.output.yaml import dump_all

SUBJECTS = [
    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ann"},
    {"kind": "ServiceAccount", "name": "ci", "namespace": "apps"},
    {"kind": "Group", "name": "multi\nline\n", "extra": ["yes", "", {"nested": []}]},
]


def _binding(name: str, namespace: str, subjects: list) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": subjects}


def test_shared_lists_are_written_as_without_the_memo() -> None:
    docs = [_binding("a", "x", SUBJECTS), _binding("b", "x", SUBJECTS), _binding("c", "y", list(SUBJECTS)),
            _binding("d", "y", [])]
    memo: dict = {}
    text = dump_all(docs, memo)
    assert text == dump_all(docs)
    assert list(yaml.safe_load_all(text)) == docs
    # One entry per top-level list object (the empty one is written in line); none for nested lists.
    assert sorted(len(e[0]) for e in memo.values()) == [3, 3]
    assert all(e[0] is SUBJECTS or e[0] is docs[2]["subjects"] for e in memo.values())
    # Reused by a later call with the same memo, while the objects are the same.
    assert dump_all([docs[1]], memo) == dump_all([docs[1]])
    assert len(memo) == 2


def test_layout_writes_shared_lists_across_files() -> None:
    docs = [_binding("a", "x", SUBJECTS), _binding("b", "y", SUBJECTS)]
    manifests = [Manifest("rbac.authorization.k8s.io/v1", "RoleBinding", d["metadata"]["name"],
                          d["metadata"]["namespace"], d) for d in docs]
    files = layout(manifests)
    for d in docs:
        text = files[f"namespaces/{d['metadata']['namespace']}/rolebindings.yaml"]
        assert text.endswith(dump_all([d]))

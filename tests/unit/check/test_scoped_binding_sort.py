"""The bindings gathered scope by scope (check/grants.py `compile_grants`, `_in_binding_order`) come out
in the order of the one stable sort of every binding key `(scope, *key)` they replace, the cluster
(None) as "": on random insertions of keys with unusual names, the cluster and a namespace written
`""` tying, and on generated organisations compiled end to end. The role kind known once per name
(`_everywhere_cluster_role`) still reports each faulty grant in each of its scopes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import generated_org
from helpers import compile_text
from policyc.check import grants
from policyc.model.rbac import Binding
from policyc.pipeline import compile_path

# Namespaces and owners that sort unusually: upper case before lower, digits and punctuation
# between, a prefix before its extensions, non-ASCII last, and the empty namespace (PC120).
SCOPES = [None, "", "a", "A", "a-b", "a.b", "a0", "ab", "b", "Z", "zz", "é", "a-", "-a", "0"]
OWNERS = ["team:t", "team:T", "user:a", "user:a:b", "group:a", "serviceaccount:ns:x", "serviceaccount::x",
          "everyone", "subjects:0f0f0f0f", "user:é"]
ROLES = ["view", "View", "edit", "r-1", "r.1", "r", "system:x", "é"]


def _global_order(key: tuple) -> tuple:
    """The sort the bucketed one replaces (`_binding_order` before): the cluster (None) as ""."""
    return (key[0] or "", *key[1:])


def _gathered(inserted: list[tuple]) -> dict:
    """`scoped` as `compile_grants` fills it from global keys `(scope, *key)` in grant order: one
    bucket per scope, the cluster's (None) also holding a namespace `""`, their keys ending in the scope."""
    scoped: dict = {}
    for scope, *rest in inserted:
        bucket = grants._scope_bucket(scoped, scope)
        key = tuple(rest) if scope else (*rest, scope)
        bucket.setdefault(key, object())
    return scoped


def _random_keys(rng: random.Random, n: int) -> list[tuple]:
    out = []
    for _ in range(n):
        scope, owner = rng.choice(SCOPES), rng.choice(OWNERS)
        if rng.random() < 0.3:
            out.append((scope, "inline", owner))
        else:
            out.append((scope, rng.choice(["Role", "ClusterRole"]), rng.choice(ROLES), owner))
    return list(dict.fromkeys(out))  # a key is gathered once, at its first grant


@pytest.mark.parametrize("seed", range(40))
def test_bucketed_order_is_the_global_stable_sort(seed: int) -> None:
    rng = random.Random(seed)
    inserted = _random_keys(rng, rng.randint(1, 120))
    got = [(scope, *key) for scope, key, _ in grants._in_binding_order(_gathered(inserted))]
    assert got == sorted(inserted, key=_global_order)


def test_cluster_and_empty_namespace_tie_in_grant_order() -> None:
    for first, second in ((None, ""), ("", None)):
        inserted = [("b", "Role", "r", "user:a"), (first, "ClusterRole", "view", "user:a"),
                    ("a", "inline", "user:a"), (second, "ClusterRole", "view", "user:a"),
                    (second, "ClusterRole", "edit", "user:a"), (first, "inline", "user:a")]
        got = [(scope, *key) for scope, key, _ in grants._in_binding_order(_gathered(inserted))]
        assert got == sorted(inserted, key=_global_order)
        assert [k[0] for k in got[:4]] == [second, first, second, first]  # edit; view (a tie); inline


def _key(b: Binding) -> tuple:
    scope = b.namespace
    if b.grants[0].rule is not None:
        return (scope, "inline", b.owner)
    return (scope, b.role_kind, b.role_name, b.owner)


@pytest.mark.parametrize("shape", ["teams", "identity", "all"])
def test_generated_bindings_in_global_order(tmp_path: Path, shape: str) -> None:
    result = compile_path(generated_org(tmp_path, 40, shape=shape))
    assert result.program is not None
    keys = [_key(b) for b in result.program.bindings]
    assert len(set(keys)) == len(keys) > 100
    assert keys == sorted(keys, key=_global_order)


UNUSUAL = """
role r in B {
  get pods
}
role c {
  get nodes
}
role urls {
  get /healthz
}
grant role c to user Zed in b, B, a-b, a.b, a0
grant role r to user amy in B
grant role r to user amy in b
grant role urls to group g in cluster
grant role urls to group g in a, b
grant role no-such-role to user amy in a, b
grant role system:not-in-the-bootstrap-data to user amy in a, b
grant role view to user Amy, user amy in a0, a
grant list pods to user amy in Z
grant list pods to user amy in cluster
grant list pods to serviceaccount a/x in a, B
"""


def test_unusual_names_and_faulty_roles() -> None:
    result = compile_text(UNUSUAL)
    assert result.program is not None
    keys = [_key(b) for b in result.program.bindings]
    assert keys == sorted(keys, key=_global_order)
    # c is the ClusterRole everywhere; r is B's Role, and in b (no Role r there) PC172.
    kinds = {(k[0], k[2]): k[1] for k in keys if k[1] != "inline"}
    assert {kinds[(ns, "c")] for ns in ("b", "B", "a-b", "a.b", "a0")} == {"ClusterRole"}
    assert kinds[("B", "r")] == "Role" and ("b", "r") not in kinds
    assert kinds[(None, "urls")] == "ClusterRole" and ("a", "urls") not in kinds
    # Each faulty grant is reported in each of its scopes (the role kind is not known once for them;
    # PC101 and PC104 say the same at the same place in both, and are shown once).
    codes = [d.code for d in result.diagnostics]
    assert codes.count("PC101") == 1 and codes.count("PC104") == 1
    assert codes.count("PC141") == 2 and codes.count("PC172") == 1


def test_owners_of_one_subject() -> None:
    """The owner made once per subject (`SubjectSets.owned`, `subject_owner`) is the one `owner_of`
    documents: the team of a team's own grant, `everyone`, `serviceaccount:NS:NAME`, `KIND:NAME`."""
    text = ("team t {\n  members user a\n  grant role view in a\n}\n"
            "grant role view to team t in b\n"
            "grant role view to everyone in a\n"
            "grant role view to serviceaccount noslash in a\n"
            "grant role view to serviceaccount a/x in a\n"
            "grant role view to group g:1 in a\n")
    result = compile_text(text)
    assert result.program is not None
    owners = {(b.namespace, b.owner) for b in result.program.bindings}
    assert owners == {("a", "team:t"), ("b", "team:t"), ("a", "everyone"), ("a", "serviceaccount::noslash"),
                      ("a", "serviceaccount:a:x"), ("a", "group:g:1")}

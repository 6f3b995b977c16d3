"""Guards' sixteenth pass (issue 19): one record per identity (`escalation._Facts`).

`EscalationGraph.blocks`, `_present_of`, `relevant_blocks` and `inert` keep their answers in one
`_Facts` per identity (they were four dicts). Checked: after the guards' walk (every identity of
`everyone`, the superuser and a node, in the walk's order) each answer is the one a fresh graph
gives when asked in other orders (`inert` first, `relevant_blocks` first, `blocks` first), with
the blocks themselves the same objects from one ask to the next; one record per identity asked;
and the superuser's (no blocks: listed whole) record.

`_Condensation.component`, which now reads `_targets` once per identity and asks `targets` of
an identity found not inert, is checked against the plain walk in test_walk_ninth_pass.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import folder_with_breaks, graph_maker
from policyc.access.escalation import EscalationGraph, Identity, _Facts
from policyc.access.guards import _Condensation
from policyc.access.policy import everyone

# Identities that acquire roles and reach others (as in test_walk_ninth_pass.py).
BREAKS = """
grant impersonate users to user lead.t000-logistics@example.com in cluster
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t000-logistics-devs in t000-logistics-api-dev
grant bind roles.rbac.authorization.k8s.io to serviceaccount t001-finance-web-dev/default in t001-finance-web-dev
"""


def _answers(graph: EscalationGraph, ident: Identity) -> tuple:
    blocks = graph.blocks(ident)
    relevant = graph.relevant_blocks(ident)
    return (None if blocks is None else [id(b) for b in blocks], graph._present_of(ident),
            None if relevant is None else [id(b) for b in relevant], graph.inert(ident))


ORDERS: dict[str, Callable[[EscalationGraph, Identity], object]] = {
    "inert first": lambda g, i: g.inert(i),
    "relevant first": lambda g, i: g.relevant_blocks(i),
    "present first": lambda g, i: g._present_of(i),
    "blocks first": lambda g, i: g.blocks(i),
}


@pytest.mark.parametrize("where", ["identity", "all", "golden", "article"])
def test_facts_after_the_walk_are_a_fresh_graphs_in_any_order(tmp_path: Path, where: str) -> None:
    program, make = graph_maker(folder_with_breaks(tmp_path, where, BREAKS))
    walked = make()
    cond = _Condensation.of(walked)
    starts = everyone(program) + [Identity.superuser(), Identity.node("n1")]
    for s in starts:
        cond.component(s)
    idents = list(cond.comp_of)
    assert set(walked._facts) >= set(starts)
    assert all(type(f) is _Facts for f in walked._facts.values())
    for name, first in ORDERS.items():
        fresh = make()
        # Blocks are shared between graphs of one model only through `sets`: compare within
        # `fresh`, whose answers are asked in another order, against its own plain computation.
        for ident in reversed(idents):
            first(fresh, ident)
        for ident in idents:
            got = _answers(fresh, ident)
            assert got == _answers(fresh, ident), (name, ident)  # kept, not made again
            facts = fresh._facts[ident]
            assert facts.blocks is fresh.blocks(ident)
            assert got[0] == (None if fresh._blocks_of(ident) is None else [id(b) for b in fresh._blocks_of(ident)])
            # The walked graph's answers, block by block, as its own blocks' segments.
            mine, theirs = walked.blocks(ident), fresh.blocks(ident)
            assert (mine is None) == (theirs is None), ident
            if mine is not None and theirs is not None:
                assert ([[seg[:2] for seg in b.segments] for b in mine]
                        == [[seg[:2] for seg in b.segments] for b in theirs]), ident
            assert walked.inert(ident) == fresh.inert(ident), ident
            assert (walked._present_of(ident) is None) == (fresh._present_of(ident) is None), ident
        assert set(fresh._facts) == set(idents)  # one record per identity asked


def test_the_superusers_record(tmp_path: Path) -> None:
    _program, make = graph_maker(folder_with_breaks(tmp_path, "golden", BREAKS))
    graph = make()
    root = Identity.superuser()
    assert graph.inert(root) is False
    assert graph.blocks(root) is None and graph._present_of(root) is None and graph.relevant_blocks(root) is None
    facts = graph._facts[root]
    assert (facts.blocks, facts.present, facts.relevant, facts.inert) == (None, None, None, False)
    assert graph.permissions(root)  # listed whole

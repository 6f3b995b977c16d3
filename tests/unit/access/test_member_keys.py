"""Guards' seventh pass (issue 19): cheaper keys for identities and their bindings.

Each shortcut against the plain computation it replaces:
- identities are interned (`Identity.__new__`): equal fields give the same object, whatever made
  it (the constructors, `base`, `dataclasses.replace`, copies, pickles), so `object`'s equality
  and hash are the dataclass's; the order is still by the fields;
- `AccessModel.granted` found by the objects' ids, and by value (equal references and subjects
  given by other objects) as before;
- `AccessModel._rank_of` (ranks by the binding's id) against `_rank` (by its reference), with
  two bindings of the same reference;
- `PermissionSets.user_blocks` (kept per name and groups, blocks keyed by the subject's fields)
  against a cut of the whole list and the model's permissions, on a generated organisation
  whose guards are broken, the spec folders and `tests/golden/rbac/policy`.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
from pathlib import Path

from conftest import equivalence_folders
from policyc.access import escalation
from policyc.access.authorizer import AccessModel
from policyc.access.escalation import Acquired, Identity
from policyc.access.objects import BindingObj, ObjRef
from policyc.access.permsets import PermissionSets
from policyc.access.policy import everyone, graph_for, model_from_program
from policyc.access.request import UserInfo
from policyc.model.rbac import RbacSubject
from policyc.pipeline import compile_path

BREAKS = """
forbid read secrets for everyone except team platform
grant impersonate users to team t001-finance in cluster
grant escalate, bind roles.rbac.authorization.k8s.io to group oidc:t002-data-devs in t002-data-api-dev
"""


def test_identities_with_equal_fields_are_one_object() -> None:
    acq = Acquired("ns1", ObjRef("ClusterRole", "", "edit"))
    made = [
        (Identity.service_account("ns1", "app"), Identity("serviceaccount", "app", "ns1",
                                                          UserInfo.service_account("ns1", "app").groups)),
        (Identity.user("alice", ("devs",)), Identity.from_user_info(Identity.user("alice", ("devs",)).user_info)),
        (Identity.group("devs"), Identity.group("devs")),
        (Identity.node("n1"), Identity.node("n1")),
        (Identity.superuser(), Identity.group("system:masters")),
        (Identity("user", "bob", "", ("system:authenticated",), (acq,)),
         Identity("user", "bob", "", ("system:authenticated",), (Acquired("ns1", ObjRef("ClusterRole", "", "edit")),))),
    ]
    for a, b in made:
        assert a is b and a == b and hash(a) == hash(b), (a, b)
        assert copy.copy(a) is a and copy.deepcopy(a) is a and pickle.loads(pickle.dumps(a)) is a
        assert dataclasses.replace(a) is a
        assert dataclasses.replace(a, acquired=(acq,)).base is a.base
    held = made[5][0]
    assert held.base is Identity.user("bob") and held != held.base
    assert Identity.user("alice") != Identity.user("alice", ("devs",))
    assert Identity.service_account("ns1", "app") != Identity.service_account("ns2", "app")
    # The order is the fields' (sorted output does not depend on the objects).
    idents = [Identity.user("b"), Identity.group("a"), Identity.service_account("x", "y"), Identity.user("a")]
    assert sorted(idents) == sorted(idents, key=lambda i: (i.kind, i.name, i.namespace, i.groups, i.acquired))


def test_an_identity_made_again_after_it_is_gone_is_a_new_one() -> None:
    ident = Identity.user("gone-soon")
    key = ident.key
    del ident
    gc.collect()
    again = Identity.user("gone-soon")
    assert again.key == key and again is Identity.user("gone-soon")
    # Dead entries are swept: the table does not keep every identity ever made.
    for i in range(3 * (1 << 16)):
        Identity.user(f"passing-{i}")
    assert len(escalation._IDENTITIES) < 3 * (1 << 16)
    assert again is Identity.user("gone-soon")


def _binding(name: str, role: str, subjects: tuple[RbacSubject, ...], ns: str = "ns1") -> BindingObj:
    return BindingObj(ObjRef("RoleBinding", ns, name), ObjRef("ClusterRole", "", role), subjects)


def test_granted_by_ids_and_by_value() -> None:
    alice, alice_too = RbacSubject("User", "alice"), RbacSubject("User", "alice")
    first = _binding("b", "edit", (alice, RbacSubject("User", "bob")))
    same_ref = _binding("b", "edit", (alice_too,))  # another object with the same reference
    model = AccessModel.from_objects([first, same_ref, _binding("c", "no-such-role", (alice,))])
    granted = model.granted(first, alice)
    assert granted is not None and len(granted) > 0
    assert model.granted(first, alice) is granted
    assert model.granted(same_ref, alice_too) is granted  # equal by value: the same permissions
    assert model.granted(first, RbacSubject("User", "bob")) is not granted
    assert model.granted(_binding("b", "edit", (alice,), "ns2"), alice) is not granted
    assert model.granted(_binding("c", "no-such-role", (alice,)), alice) is None
    for b in model.bindings:
        for s in b.subjects:
            g = model.granted(b, s)
            assert g is None or (g.binding == b.ref and g.subject == s)


def test_ranks_by_binding_id_are_ranks_by_reference() -> None:
    a = _binding("a", "edit", (RbacSubject("User", "alice"),))
    a_again = _binding("a", "view", (RbacSubject("User", "bob"),))  # the same reference
    z = _binding("z", "view", (RbacSubject("Group", "devs"),))
    model = AccessModel({}, [z, a, a_again])
    by_ref = model._rank()
    assert len(by_ref) == 2
    for b in model.bindings:
        assert model._rank_of()[id(b)] == by_ref[b.ref]


def test_user_blocks_are_the_cut_of_the_whole_list(tmp_path: Path) -> None:
    checked = 0
    for folder in equivalence_folders(tmp_path, BREAKS):
        result = compile_path(folder)
        assert result.program is not None and result.manifests
        graph = graph_for(model_from_program(result.program, result.manifests), result.program)
        model = graph.model
        idents = list(dict.fromkeys(j for i in everyone(result.program) for j in graph.reach(i)))
        plain = PermissionSets(model, graph.sets.needs)
        for ident in idents:
            if graph.blocks(ident) is None:
                continue
            user = ident.user_info
            blocks = graph.sets.user_blocks(user)
            assert graph.sets.user_blocks(UserInfo(user.name, user.groups)) is blocks
            whole = [blk for _r, blk in plain._cut(model.bindings_ranked(user)[0])]
            assert [(b.subject, b.refs, b.ranks) for b in blocks] == [(b.subject, b.refs, b.ranks) for b in whole]
            assert [p for b in blocks for p in b.permissions] == [p for b in whole for p in b.permissions]
            assert sorted(id(p) for b in blocks for p in b.permissions) == sorted(map(id, model.permissions(user)))
            checked += 1
    assert checked > 100

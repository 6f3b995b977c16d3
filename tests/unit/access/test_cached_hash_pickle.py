"""Objects that keep their hash (RbacSubject, Acquired, Identity) are pickled by their fields, so
another interpreter, whose str hashes are salted differently, finds them in its own sets.

The stale-hash failure is silent (a subject not found, an identity "not reached"), so each is
carried between two interpreters with different PYTHONHASHSEED, as a process pool would.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

from policyc.access.escalation import Acquired, Identity
from policyc.model.rbac import RbacSubject

MAKE = """
from policyc.access.escalation import Acquired, Identity
from policyc.access.objects import ObjRef
from policyc.k8s.rules import PolicyRule
from policyc.model.rbac import RbacSubject

def objects():
    acquired = Acquired("team-a", ObjRef("ClusterRole", "", "admin"), (PolicyRule(verbs=("get",), api_groups=("",),
                        resources=("secrets",)),), "bind")
    return [
        RbacSubject("User", "alice@example.com"),
        RbacSubject("ServiceAccount", "deployer", "team-a"),
        acquired,
        Identity.user("alice@example.com", ("dev",)),
        Identity("serviceaccount", "deployer", "team-a", ("system:serviceaccounts",), (acquired,)),
    ]
"""

PRODUCE = MAKE + """
import pickle, sys
sys.stdout.buffer.write(pickle.dumps(objects()))
"""

CONSUME = MAKE + """
import pickle, sys
carried = pickle.loads(sys.stdin.buffer.read())
made = objects()
print(all(c == m and hash(c) == hash(m) and c in set(made) for c, m in zip(carried, made, strict=True)))
"""


def _run(code: str, seed: str, data: bytes = b"") -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True, env=env).stdout


def test_carried_to_another_interpreter_they_are_found_in_its_sets() -> None:
    data = _run(PRODUCE, "1")
    assert _run(CONSUME, "2", data).strip() == b"True"


def test_a_round_trip_keeps_fields_and_hash() -> None:
    acquired = Acquired(None, None, (), "escalate")
    for obj in (RbacSubject("Group", "dev"), acquired, Identity("group", "dev", "", ("dev",), (acquired,))):
        back = pickle.loads(pickle.dumps(obj))
        assert back == obj and hash(back) == hash(obj) and back is not obj

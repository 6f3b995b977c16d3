"""Teams: subjects that always appear together across several bindings.

The grouping is deterministic and documented in docs/migrating.md:
1. For every subject (`everyone` excepted), the set of imported bindings that name it is its
   signature.
2. Subjects with the same signature form a class. A class of at least two subjects whose
   signature holds at least two bindings becomes a team: they always appear together, in
   several places, so naming them once says something true about the cluster.
3. The team's name is the longest run of leading words (split at `-`, `:` and `.`) shared by
   the names of its bindings (without policyc's own `policyc:team:` prefix); failing that,
   the namespace all of them are in; failing that, `team`. A name already taken gets `-2`,
   `-3`, ... in the order of the sorted member lists.
A subject belongs to at most one team, so every binding names each team either with all of
its members or with none.
"""

from __future__ import annotations

import re
from collections import defaultdict

from policyc.importer.plan import PGrant, PSubject, PTeam

_SPLIT = re.compile(r"[-:.]")
_NAME_OK = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def _common_words(names: list[str]) -> str:
    split = [[w for w in _SPLIT.split(n.lower())] for n in names]
    common: list[str] = []
    for words in zip(*split, strict=False):
        if len(set(words)) != 1:
            break
        common.append(words[0])
    text = "-".join(w for w in common if w)
    # Bindings policyc itself generated are named `policyc:team:T:ROLE`: the team is T.
    text = text.removeprefix("policyc-team-").removeprefix("policyc-")
    return text if text and _NAME_OK.match(text) and text not in ("policyc", "system", "team") else ""


def form_teams(grants: list[PGrant]) -> tuple[list[PTeam], list[PGrant]]:
    """Teams found in the grants, and the grants with each team's members replaced by `team NAME`."""
    signature: dict[PSubject, set[int]] = defaultdict(set)
    for i, g in enumerate(grants):
        for s in g.subjects:
            if s.kind != "everyone":
                signature[s].add(i)
    classes: dict[frozenset[int], list[PSubject]] = defaultdict(list)
    for s, sig in signature.items():
        classes[frozenset(sig)].append(s)
    found = sorted(
        (tuple(sorted(members)), sig) for sig, members in classes.items() if len(members) >= 2 and len(sig) >= 2
    )
    teams: list[PTeam] = []
    taken: set[str] = set()
    team_of: dict[PSubject, str] = {}
    for members, sig in found:
        gs = [grants[i] for i in sorted(sig)]
        names = [d.name for g in gs for d in g.docs]
        scopes = {g.scope for g in gs}
        base = _common_words(names)
        if not base and len(scopes) == 1 and None not in scopes:
            base = str(next(iter(scopes)))
        base = base or "team"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        teams.append(PTeam(name, members))
        for s in members:
            team_of[s] = name
    out: list[PGrant] = []
    for g in grants:
        subjects = {PSubject("team", team_of[s]) if s in team_of else s for s in g.subjects}
        out.append(PGrant(g.role, g.scope, tuple(sorted(subjects)), g.docs, g.rules, g.role_ns))
    return teams, out

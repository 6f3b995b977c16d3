"""The seventh pass's shortcuts, each compared with the plain computation it replaces:

- `_redundant` (PC520) keeps which other grants cover a grant by the identity of the rule tuples
  involved (`_covered`'s `solved`): equal to the search over every subject and scope without it;
- `everyone` makes a user, group or service account straight into its fields
  (`Program.subject_fields`): equal to expanding every named subject with `rbac_subjects_of`;
- `_what` keeps a lint's phrase by the grant's rules, scope kind and needs: equal to the phrase
  made for each grant (`_phrase`), and one index of grants by subject serves both lints;
- `RbacSubject` keeps its hash: the dataclass's own, so sets and dicts of subjects behave (and
  iterate) as before.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from conftest import equivalence_folders
from policyc.access import matching
from policyc.access.policy import _everyone, _identity_by, _named_subjects, model_from_program, rbac_subjects_of
from policyc.access.request import ALL_SERVICE_ACCOUNTS, AUTHENTICATED, UNAUTHENTICATED, sa_groups
from policyc.check.access_lints import (
    _LINTS,
    _by_subject,
    _Flagger,
    _granted,
    _GrantUse,
    _phrase,
    _redundant,
    _what,
    grant_uses,
)
from policyc.diagnostics import Label, warning
from policyc.model.nodes import Subject
from policyc.model.rbac import SUBJECT_ORDER, RbacSubject, rbac_subjects, subject_fields
from policyc.pipeline import compile_path

# Grants that repeat or narrow others (PC520), for a team, its member and a group; two that meet
# PC512's need with other verbs (its phrase names the grant's own).
EXTRA = """
grant role view to team t000-logistics in t000-logistics-api-prod
grant get pods to team t000-logistics in t000-logistics-api-prod
grant role view to user u0.t002-data@example.com in t000-logistics-api-prod
grant list pods to user u0.t002-data@example.com in t000-logistics-api-prod
grant get secrets to group oidc:t001-finance-devs in t001-finance-api-dev
grant get secrets to group oidc:t001-finance-devs in t001-finance-api-dev
grant update pods/ephemeralcontainers to user debugger in t001-finance-api-dev
grant patch pods/ephemeralcontainers to user patcher in t001-finance-api-dev
"""


def _plain_covered(use: _GrantUse, scope: str | None, others: list[_GrantUse], pieces: list) -> list[_GrantUse]:
    owners = [o for o in others if None in o.places or (scope is not None and scope in o.places)]
    rules = [(r, o) for o in owners for r in o.rules]
    used: dict[int, _GrantUse] = {}
    for piece in pieces:
        hit = next((o for r, o in rules if matching.rule_covers(r, piece)), None)
        if hit is None:
            return []
        used[id(hit)] = hit
    return sorted(used.values(), key=lambda o: o.grant.span.sort_key)


def _plain_redundant(uses: list[_GrantUse]) -> dict[int, object]:
    """PC520 as before the shortcut: every subject, every scope, every rule against every piece."""
    out: dict[int, object] = {}
    flagged: set[int] = set()
    by_subject: dict[RbacSubject, list[_GrantUse]] = defaultdict(list)
    for o in uses:
        for subject in o.subjects:
            by_subject[subject].append(o)
    for use in reversed(uses):
        if not use.rules or not use.subjects:
            continue
        pieces = [p for rule in use.rules for p in matching.breakdown(rule)]
        covering: dict[int, _GrantUse] = {}
        ok = True
        for subject in sorted(use.subjects, key=SUBJECT_ORDER):
            others = [o for o in by_subject[subject] if o is not use and id(o) not in flagged]
            for scope in use.scopes:
                found = _plain_covered(use, scope, others, pieces)
                if not found:
                    ok = False
                    break
                covering.update((id(o), o) for o in found)
            if not ok:
                break
        if not ok:
            continue
        flagged.add(id(use))
        labels = tuple(Label(o.grant.span, "already granted here") for o in
                       sorted(covering.values(), key=lambda o: o.grant.span.sort_key))
        out[id(use)] = warning(
            "PC520", f"{_granted(use.grant)} is redundant: its subjects already have everything it allows through "
            "other grants", use.grant.span, "remove it, or narrow the broader grant if this one states the intended "
            "access", labels)
    return out


def _plain_everyone(program) -> tuple:
    subjects: set[RbacSubject] = set()
    declared = program.user_groups
    subjects.update(RbacSubject("User", name) for name in declared)
    for ref in program.serviceaccounts:
        ns, _, name = ref.partition("/")
        subjects.add(RbacSubject("ServiceAccount", name, ns))
    for s in _named_subjects(program):
        subjects.update(rbac_subjects_of(s, program))
    for b in program.bindings:
        subjects.update(b.subjects)
    groups = {AUTHENTICATED, UNAUTHENTICATED, ALL_SERVICE_ACCOUNTS}
    for s in subjects:
        if s.kind == "User":
            groups.update(declared.get(s.name, ()))
        elif s.kind == "ServiceAccount":
            groups.update(sa_groups(s.namespace))
    subjects.update(RbacSubject("Group", g) for g in groups)
    return tuple(_identity_by(s.kind, s.name, s.namespace, program) for s in sorted(subjects))


def test_redundancy_and_everyone_equal_the_plain_computations(tmp_path: Path) -> None:
    flagged = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        result = compile_path(folder)
        assert result.program is not None, folder
        program = result.program
        uses = grant_uses(program, model_from_program(program, result.manifests))
        found, plain = _redundant(uses, _by_subject(uses)), _plain_redundant(uses)
        assert found == plain == _redundant(uses), folder
        flagged += len(found)
        assert _everyone(program) == _plain_everyone(program), folder
    assert flagged >= 3  # the repeated grants above at least


def test_subject_fields_are_the_subjects_rbac_names() -> None:
    oidc, prefix = frozenset({"ann"}), "oidc:"
    for kind, name in [("user", "ann"), ("user", "bob"), ("group", "devs"), ("serviceaccount", "ns/app"),
                       ("serviceaccount", "app"), ("everyone", "")]:
        s = Subject(kind, name)
        [made] = rbac_subjects(s, {}, oidc, prefix)
        assert subject_fields(kind, name, oidc, prefix) == SUBJECT_ORDER(made)
        if kind == "serviceaccount":
            assert (made.name, made.namespace) == (s.sa_name, s.namespace)
    assert subject_fields("team", "dev", oidc, prefix) is None


def test_rbac_subject_hash_is_the_dataclass_hash() -> None:
    a, b = RbacSubject("User", "ann"), RbacSubject("User", "ann")
    assert hash(a) == hash(("User", "ann", "")) == hash(b)
    assert hash(RbacSubject("ServiceAccount", "app", "ns")) == hash(("ServiceAccount", "app", "ns"))
    assert len({a, b, RbacSubject("User", "ann", "x")}) == 2
    assert RbacSubject.__match_args__ == ("kind", "name", "namespace")  # `_hash` is not a field


def test_kept_phrases_equal_each_grants_own(tmp_path: Path) -> None:
    asked = 0
    for folder in equivalence_folders(tmp_path, EXTRA):
        result = compile_path(folder)
        assert result.program is not None, folder
        uses = grant_uses(result.program, model_from_program(result.program, result.manifests))
        flag = _Flagger(uses, result.program.release)
        for use in uses:
            for lint in _LINTS:
                fired = flag.fire(lint, use)
                if fired is not None:
                    assert _what(lint, fired[0], use, flag) == _phrase(lint, fired[0], use, flag), (folder, lint.code)
                    asked += 1
    assert asked > 100

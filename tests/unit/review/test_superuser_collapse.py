"""A subject that reaches the superuser through escalation: one `full control` line, not the flood.

The superuser is an identity holding every permission cluster-wide (`*` on `*` and every URL):
the group `system:masters`, which bypasses authorization
(kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/authorization/authorizerfactory/builtin.go,
privilegedGroupAuthorizer), or one holding what `cluster-admin` holds
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go). The controller roles
(`system:controller:*`, bound to kube-system's service accounts, same file's controller_policy.go)
are strong, but most do not reach it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from review_cases import added, diff, removed

from policyc.review.render import render_json, render_markdown

NAMESPACES = "".join(f"namespace ns{i:02} {{\n  labels x=y\n}}\n" for i in range(14))
BASE = "kubernetes 1.30\n" + NAMESPACES
BINDER = (
    "role binder {\n  bind clusterroles.rbac.authorization.k8s.io\n"
    "  create rolebindings.rbac.authorization.k8s.io\n}\n"
    "grant role binder to user binder in cluster\n"
)
FULL = "full control of the cluster (superuser: every verb on every resource and URL) in cluster"


def token(controller: str) -> str:
    return f"grant create serviceaccounts/token named {controller} to user u in kube-system\n"


# (case, HEAD's extra lines, subject, the first and last steps of the path, its length, the direct lines)
COLLAPSED = [
    ("cluster-wide bind", BINDER, "user binder",
     "can bind clusterroles and write rolebindings in namespaces `kube-system`, `ns00`",
     "so acts as group `system:masters` (superuser)", 3,
     ["user binder: bind clusterroles.rbac.authorization.k8s.io in cluster  (a.policy:45, a.policy:48)",
      "user binder: create rolebindings.rbac.authorization.k8s.io in cluster  (a.policy:46, a.policy:48)"]),
    ("cluster-wide secret reader", "grant get secrets to user reader in cluster\n", "user reader",
     "can read secrets in namespace `kube-system` (service account tokens), so acts as serviceaccount "
     "`kube-system/clusterrole-aggregation-controller`",
     "so acts as group `system:masters` (superuser)", 2,
     ["user reader: get secrets in cluster  (a.policy:44)"]),
    # The deployment controller creates replicasets in kube-system: their pods run as any service account there.
    ("token of a pod-creating controller", token("deployment-controller"), "user u",
     "can create serviceaccounts/token in namespace `kube-system`, so acts as serviceaccount "
     "`kube-system/deployment-controller`",
     "so acts as group `system:masters` (superuser)", 3,
     ["user u: create serviceaccounts/token named deployment-controller in kube-system  (a.policy:44)"]),
    # Impersonating the group system:masters is the superuser in one step (escalation_rules impersonate-group).
    ("impersonate system:masters", "grant impersonate users, groups to user imp in cluster\n", "user imp",
     "can impersonate every group, so acts as group `system:masters` (superuser)",
     "so acts as group `system:masters` (superuser)", 1,
     ["user imp: impersonate groups, users in cluster  (a.policy:44)"]),
]


@pytest.mark.parametrize(("case", "extra", "subject", "first", "last", "steps", "direct"), COLLAPSED,
                         ids=[c[0] for c in COLLAPSED])
def test_a_superuser_escalation_is_one_line_and_the_direct_lines_stay(
    case: str, extra: str, subject: str, first: str, last: str, steps: int, direct: list[str]
) -> None:
    head = BASE + extra
    for report, lines, sign in ((diff(BASE, head), "added", "+"), (diff(head, BASE), "removed", "-")):
        got = getattr(report, lines)
        full, *rest = got
        assert full.superuser and full.escalation and full.subject == subject
        assert (full.scope, full.verbs, full.targets, full.names) == ("", ("*",), ("*", "/*"), ())
        (origin,) = full.origins
        assert origin.via == "escalation" and len(origin.path) == steps
        assert origin.path[0].startswith(first) and origin.path[-1].endswith(last)
        # Every other line is the subject's own grant: nothing else through escalation is listed.
        assert [line.escalation for line in rest] == [False] * len(direct)
        text = (added if sign == "+" else removed)(report)
        assert text[0].startswith(f"{sign} {subject}: {FULL}  [escalation: {first}")
        assert text[1:] == [f"{sign} {line}" for line in direct]
        # --verbose: every permission it implies, one line per scope and origin, and no `full control` line.
        verbose = getattr(diff(BASE, head, verbose=True) if sign == "+" else diff(head, BASE, verbose=True), lines)
        assert not any(line.superuser for line in verbose)
        assert any(line.escalation and line.what == "* *, /*" and line.scope == "" for line in verbose)
        assert len(verbose) > len(got)


def test_the_cluster_wide_bind_case_collapses_from_the_flood() -> None:
    head = BASE + BINDER
    report = diff(BASE, head)
    assert report.summary == ("access changes for 1 subject: 3 added (1 through escalation, 1 to full control), "
                              "0 removed; no setting changes")
    assert len(diff(BASE, head, verbose=True).added) > 40  # every namespace's `* *`, the controllers' lines


# Controllers whose roles are strong but reach no one holding every permission (controller_policy.go):
# each of their lines stays listed, through the token of the controller's service account.
NOT_COLLAPSED = [
    ("node-controller", "get, list, watch, delete pods"),
    ("node-controller", "get, list, watch, update, patch, delete nodes"),
    ("horizontal-pod-autoscaler", "get, update */scale (every group)"),
]


@pytest.mark.parametrize(("controller", "what"), NOT_COLLAPSED)
def test_a_strong_controller_role_short_of_the_superuser_is_listed_in_full(controller: str, what: str) -> None:
    head = BASE + token(controller)
    via = (f"[escalation: can create serviceaccounts/token in namespace `kube-system`, so acts as serviceaccount "
           f"`kube-system/{controller}`]")
    for report, text, sign in ((diff(BASE, head), added, "+"), (diff(head, BASE), removed, "-")):
        lines = report.added or report.removed
        assert not any(line.superuser for line in lines)
        assert f"{sign} user u: {what} in cluster  {via}  (a.policy:44)" in text(report)
        assert sum(line.escalation for line in lines) > 3


def test_the_json_and_markdown_mark_the_line() -> None:
    report = diff(BASE, BASE + BINDER)
    doc = json.loads(render_json(report))
    full, *rest = doc["access"]["added"]
    assert full["superuser"] is True and full["escalation"] is True
    assert (full["verbs"], full["targets"], full["scope"]) == (["*"], ["*", "/*"], None)
    assert full["origins"][0]["path"][-1].endswith("so acts as group `system:masters` (superuser)")
    assert [line["superuser"] for line in rest] == [False, False]
    rows = [row for row in render_markdown(report).splitlines() if row.startswith("| ")]
    assert rows[1].startswith("| ⛔ superuser | user binder | full control of the cluster")
    assert rows[2].startswith("| + | user binder | bind")


def test_already_the_superuser_on_both_sides_is_no_line() -> None:
    """The superuser already holds what a new grant gives: no change, and no `full control` line again."""
    base = BASE + BINDER
    report = diff(base, base + "grant get secrets to user binder in cluster\n")
    assert added(report) == [] and removed(report) == []


@pytest.mark.parametrize(("flags", "full", "everything"), [((), 1, 0), (("--verbose",), 0, 1), (("-v",), 0, 1)])
def test_the_console_script_collapses_unless_verbose(
    policyc: list[str], tmp_path: Path, flags: tuple[str, ...], full: int, everything: int
) -> None:
    for name, text in (("base", BASE), ("head", BASE + BINDER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.policy").write_text(text, encoding="utf-8")
    r = subprocess.run([*policyc, "diff", "base", "head", *flags], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sum(line.startswith(f"+ user binder: {FULL}") for line in lines) == full
    assert sum(line.startswith("+ user binder: * *, /* in cluster  [escalation:") for line in lines) == everything
    assert "+ user binder: bind clusterroles.rbac.authorization.k8s.io in cluster  (head/a.policy:45, " \
           "head/a.policy:48)" in lines


# Holding every permission in one's own right (a `cluster-admin` binding; bootstrappolicy/policy.go gives it
# `*` on `*.*` and every URL) is full control too: one line, marked like the escalation's, without a path.
DIRECT = [
    ("cluster-admin", "grant role cluster-admin to user root in cluster\n", ["built-in role `cluster-admin`"]),
    ("both halves in two grants", "role all-api {\n  * *\n}\nrole all-urls {\n  * /*\n}\n"
     "grant role all-api to user root in cluster\ngrant role all-urls to user root in cluster\n", []),
]


@pytest.mark.parametrize(("case", "extra", "via"), DIRECT, ids=[c[0] for c in DIRECT])
def test_full_control_held_directly_is_one_line(case: str, extra: str, via: list[str]) -> None:
    head = BASE + extra + "grant read pods to user root in ns01\n"
    for report, lines, sign in ((diff(BASE, head), "added", "+"), (diff(head, BASE), "removed", "-")):
        got = getattr(report, lines)
        assert [line.subject for line in got] == ["user root"]  # `read pods in ns01` is implied
        (full,) = got
        assert full.superuser and not full.escalation
        assert (full.scope, full.verbs, full.targets, full.names) == ("", ("*",), ("*", "/*"), ())
        assert all(o.via != "escalation" and not o.path for o in full.origins)
        assert [o.via for o in full.origins if o.via == "builtin"] == ["builtin"] * len(via)
        text = (added if sign == "+" else removed)(report)
        assert text[0].startswith(f"{sign} user root: {FULL}")
        assert all(v in text[0] for v in via)
        verbose = getattr(diff(BASE, head, verbose=True) if sign == "+" else diff(head, BASE, verbose=True), lines)
        assert not any(line.superuser for line in verbose) and len(verbose) > 1
    summary = diff(BASE, head).summary
    assert summary == "access changes for 1 subject: 1 added (1 to full control), 0 removed; no setting changes"
    rows = [row for row in render_markdown(diff(BASE, head)).splitlines() if row.startswith("| ⛔ superuser")]
    assert len(rows) == 1 and "| user root |" in rows[0]
    doc = json.loads(render_json(diff(BASE, head)))
    assert [(x["superuser"], x["escalation"]) for x in doc["access"]["added"]] == [(True, False)]


def test_every_resource_without_the_urls_is_not_full_control() -> None:
    """`*` on `*` without the URLs is short of cluster-admin: listed as it is; it reaches full control only
    through escalation (impersonating `system:masters`), and that line says so."""
    report = diff(BASE, BASE + "role all-api {\n  * *\n}\ngrant role all-api to user root in cluster\n")
    assert [(line.escalation, line.what) for line in report.added] == [(True, FULL.removesuffix(" in cluster")),
                                                                       (False, "* *")]
    assert report.added[0].origins[0].path

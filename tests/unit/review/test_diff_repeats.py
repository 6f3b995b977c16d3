"""A diff line never repeats what another line of the same subject says, reached the same way.

A piece of access covered by a broader piece of the subject (ruleCovers, cluster-wide covering
every namespace: pkg/apis/rbac/v1/evaluation_helpers.go, the diff's own coverage) whose origins
include all of its own (same path, grant, role, no other policy line) says nothing new and is left
out, with and without `--verbose`; a covered piece reached another way stays (docs/diff.md).
"""

from __future__ import annotations

from review_cases import added, diff

BASE = "kubernetes 1.30\nserviceaccount app/bot\n"
TOKEN = ("[escalation: can read secrets in namespace `app` (service account tokens), "
         "so acts as serviceaccount `app/bot`]")


def head(*rules: str) -> str:
    body = "".join(f"  {r}\n" for r in rules)
    return (BASE + f"role r {{\n{body}}}\n"
            "grant role r to serviceaccount app/bot in cluster\ngrant get secrets to user alice in app\n")


def test_a_narrower_piece_through_the_same_path_is_not_repeated() -> None:
    # `deployments.apps/scale` is one of `*/scale` (every group): through bot's token they are one news.
    text = head("patch */scale", "patch deployments.apps/scale")
    for verbose in (False, True):
        alice = [line for line in added(diff(BASE, text, verbose=verbose)) if "patch" in line and "alice" in line]
        assert alice == [f"+ user alice: patch */scale (every group) in cluster  {TOKEN}  (a.policy:7, a.policy:8)"]


def test_a_grant_the_broader_line_does_not_name_stays() -> None:
    # The namespace's grant is covered by the cluster-wide one, but it is another grant line: news.
    text = BASE + ("grant get configmaps to serviceaccount app/bot in app\n"
                   "grant get configmaps to serviceaccount app/bot in cluster\n")
    assert added(diff(BASE, text)) == [
        "+ serviceaccount app/bot: get configmaps in cluster  (a.policy:4)",
        "+ serviceaccount app/bot: get configmaps in app  (a.policy:3)",
    ]


def test_verbose_lists_get_star_once_not_again_for_pods_log() -> None:
    text = head("get *", "get pods/log")
    verbose = [line for line in added(diff(BASE, text, verbose=True)) if line.startswith("+ user alice: ")]
    assert f"+ user alice: get pods/log in cluster  {TOKEN}  (a.policy:7, a.policy:8)" not in verbose
    assert any(line.startswith("+ user alice: get * in cluster  [escalation: can read secrets in namespace `app`")
               for line in verbose)
    # Reached through other identities (the controllers behind bot's `get *`), covered pieces stay listed.
    assert any("so acts as serviceaccount `kube-system/" in line and "* in cluster" not in line for line in verbose)

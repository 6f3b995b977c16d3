"""Effective-access changes between two policies: added, removed, and through every indirection."""

from __future__ import annotations

from review_cases import added, diff, lines_for, removed

from policyc.review.render import access_text

BASE = """
kubernetes 1.30
serviceaccount ci/runner
serviceaccount checkout/deployer
role secret-reader {
  get secrets
}
grant role secret-reader to serviceaccount checkout/deployer in checkout
team ci {
  members serviceaccount ci/runner
  grant read, write services, configmaps in checkout
}
"""


# A service account's default binding (system:service-account-issuer-discovery, group
# system:serviceaccounts, from 1.20): whoever becomes one gains the issuer's discovery URLs.
JWKS = "get /.well-known/openid-configuration, /openid/v1/jwks in cluster"
TOKENS = ("[escalation: can read secrets in namespace `checkout` (service account tokens), "
          "so acts as serviceaccount `checkout/default`]")


def with_lines(text: str, *more: str) -> str:
    """BASE with lines appended (line numbers continue from 12)."""
    return text + "".join(line + "\n" for line in more)


def test_access_added_names_the_grant_line_and_team() -> None:
    head = BASE.replace("  grant read, write", "  grant get secrets in checkout\n  grant read, write")
    report = diff(BASE, head)
    assert added(report) == ["+ serviceaccount ci/runner: get secrets in checkout  (a.policy:10, team ci)"]
    assert removed(report) == []
    assert report.access_changed
    assert report.summary == "access changes for 1 subject: 1 added, 0 removed; no setting changes"


def test_access_removed_is_the_mirror_image() -> None:
    head = BASE.replace("  grant read, write", "  grant get secrets in checkout\n  grant read, write")
    report = diff(head, BASE)
    assert added(report) == []
    assert removed(report) == ["- serviceaccount ci/runner: get secrets in checkout  (a.policy:10, team ci)"]


def test_verbs_and_targets_merge_into_one_line_per_scope() -> None:
    head = with_lines(BASE, "grant get, list configmaps, secrets to user bob in checkout, payments")
    assert added(diff(BASE, head)) == [
        f"+ user bob: {JWKS}  {TOKENS}  (a.policy:12)",
        "+ user bob: get, list configmaps, secrets in checkout  (a.policy:12)",
        "+ user bob: get, list configmaps, secrets in payments  (a.policy:12)",
    ]


def test_change_through_an_aggregated_role_declared_in_another_file() -> None:
    base = with_lines(BASE, "role monitoring aggregates metrics", "role metrics {", "  get nodes", "}",
                      "grant role monitoring to user alice in cluster")
    extra = "role metrics-extra aggregate-to monitoring {\n  list nodes, pods\n}\n"
    report = diff(base, {"a.policy": base, "z/extra.policy": extra})
    assert added(report) == [
        "+ user alice: list nodes, pods in cluster  [aggregated into `monitoring` from `metrics-extra`]"
        "  (a.policy:16, z/extra.policy:2)"
    ]
    (line,) = report.added
    assert [(o.via, o.role, o.from_role) for o in line.origins] == [("aggregated", "monitoring", "metrics-extra")]


def test_change_through_aggregation_into_a_builtin_role() -> None:
    base = with_lines(BASE, "grant role view to group dev in checkout")
    head = with_lines(base, "role metrics-viewer aggregate-to view {", "  read pods.metrics.k8s.io", "}")
    assert added(diff(base, head)) == [
        "+ group dev: get, list, watch pods.metrics.k8s.io in checkout"
        "  [aggregated into `view` from `metrics-viewer`]  (a.policy:12, a.policy:14)"
    ]


def test_change_through_a_builtin_role_shows_what_it_really_holds() -> None:
    head = with_lines(BASE, "grant role edit to group dev in checkout")
    report = diff(BASE, head)
    dev = lines_for(report.added, "group dev")
    assert dev and all(line.scope == "checkout" for line in dev if line.what != JWKS.removesuffix(" in cluster"))
    direct = [line for line in dev if not line.escalation]
    assert {line.via for line in direct} == {"built-in role `edit`"}
    # The bootstrap `edit` role (aggregated from system:aggregate-to-edit) grants both of these.
    assert any("impersonate" in line.verbs and "serviceaccounts" in line.targets for line in direct)
    assert any("create" in line.verbs and "pods/exec" in line.targets for line in direct)
    assert all(line.sources == "a.policy:12" for line in direct)


def test_change_through_team_membership() -> None:
    head = BASE.replace("members serviceaccount ci/runner", "members serviceaccount ci/runner, serviceaccount ci/b")
    report = diff(BASE, head)
    assert added(report) == [
        "+ serviceaccount ci/b: get, list, watch, create, update, patch, delete, deletecollection"
        " configmaps, services in checkout  (a.policy:10, team ci)"
    ]
    assert removed(report) == []


def test_escalation_path_is_reported_first_and_marked() -> None:
    head = with_lines(BASE, "grant create pods to group dev in checkout")
    report = diff(BASE, head)
    # A pod mounts any secret and configmap of its namespace, and runs as any service account there.
    mount = ("[escalation: can create pods in namespace `checkout` (its pods mount any secret and configmap there), "
             "so acts as group `dev` holding get configmaps, secrets in namespace `checkout` (mounted by a pod it "
             "creates)")
    assert added(report) == [
        f"+ group dev: {JWKS}  [escalation: can create pods in namespace `checkout` (pods run as any service "
        "account there), so acts as serviceaccount `checkout/default`]  (a.policy:12)",
        f"+ group dev: get configmaps in checkout  {mount}]  (a.policy:12)",
        f"+ group dev: get secrets in checkout  {mount}; escalation: can create pods in namespace `checkout` (pods "
        "run as any service account there), so acts as serviceaccount `checkout/deployer`]  (a.policy:7, a.policy:12)",
        "+ group dev: create pods in checkout  (a.policy:12)",
    ]
    first = report.added[0]
    assert first.escalation and first.origins[0].via == "escalation"
    assert report.summary.startswith("access changes for 1 subject: 4 added (3 through escalation)")


def test_change_at_the_end_of_an_escalation_path() -> None:
    """The subject's own grants stay; what the service account it can become holds changes."""
    # `list` secrets: a pod's mounts give `get` (escalation_rules workload-create), not `list`.
    base = with_lines(BASE.replace("  get secrets\n", "  get, list secrets\n"),
                      "grant create pods to group dev in checkout")
    head = base.replace("grant role secret-reader to serviceaccount checkout/deployer in checkout\n", "")
    report = diff(base, head)
    assert [(line.subject, line.escalation, line.what) for line in report.removed] == [
        ("group dev", True, "list secrets"),
        ("serviceaccount checkout/deployer", False, "get, list secrets"),
    ]
    assert report.added == ()


def test_pure_refactor_reports_no_access_change() -> None:
    """Rename a role and its grants, turn inline rules into a named role in another file."""
    head = {
        "a.policy": BASE.replace("secret-reader", "secrets-get").replace(
            "grant read, write services, configmaps in checkout", "grant role rollout in checkout"
        ),
        "roles/rollout.policy": "role rollout {\n  write configmaps, services\n  read services, configmaps\n}\n",
    }
    report = diff(BASE, head, manifests=True)
    assert report.added == () and report.removed == ()
    assert report.summary == "no access changes; no setting changes"
    # The generated YAML did change: the diff is about effective access, not object names.
    assert "+  name: secrets-get" in report.manifests
    assert "-  name: secret-reader" in report.manifests


def test_access_already_held_is_no_change() -> None:
    head = with_lines(BASE, "grant get secrets to serviceaccount checkout/deployer in checkout")
    assert diff(BASE, head).access_changed is False


def test_cluster_wide_grant_covers_namespaces_but_not_the_reverse() -> None:
    wide = with_lines(BASE, "grant role secret-reader to serviceaccount checkout/deployer in cluster")
    # Reading every secret means reading the tokens of kube-system's controllers (controller roles,
    # k8s/bootstrap.py): the aggregation controller may rewrite its own ClusterRole, so the deployer
    # becomes the superuser. One line says so, its own grant stays.
    tokens = ("can read secrets in namespace `kube-system` (service account tokens), "
              "so acts as serviceaccount `kube-system/clusterrole-aggregation-controller`")
    superuser, direct = diff(BASE, wide).added
    assert superuser.superuser and superuser.origins[0].path[0] == tokens
    assert access_text(direct, "+") == "+ serviceaccount checkout/deployer: get secrets in cluster  (a.policy:12)"
    report = diff(BASE, wide, verbose=True)
    deployer = lines_for(report.added, "serviceaccount checkout/deployer")
    assert [line for line in deployer if not line.escalation] == [direct]
    # Reading every secret means reading ci/runner's token: its access is reachable too.
    # (kube-system's controllers below cover some of its verbs, so the lines through ci/runner are split.)
    runner = ("can read secrets in namespace `ci` (service account tokens), so acts as serviceaccount `ci/runner`",)
    via_runner = [line for line in deployer if line.escalation and line.origins[0].path == runner]
    assert {line.scope for line in via_runner} == {"checkout"}
    assert {t for line in via_runner for t in line.targets} == {"configmaps", "services"}
    (everything,) = [line for line in deployer if line.escalation and line.what == "* *, /*"]
    assert everything.origins[0].path[0] == tokens and not everything.superuser
    narrowed = with_lines(wide, "grant get secrets to serviceaccount checkout/deployer in payments")
    assert diff(wide, narrowed).access_changed is False


def test_everyone_is_reported_once_under_system_authenticated() -> None:
    base = with_lines(BASE, "grant get pods to user alice in checkout")
    head = with_lines(base, "grant get pods/log to everyone in checkout")
    report = diff(base, head)
    assert added(report) == ["+ group system:authenticated (everyone): get pods/log in checkout  (a.policy:13)"]


def test_identical_policies_report_nothing() -> None:
    report = diff(BASE, BASE)
    assert report.summary == "no access changes; no setting changes"


def test_cluster_wide_bind_escalates_into_every_namespace_in_one_step() -> None:
    """Cluster-wide `bind` + `create rolebindings`: the engine's fixpoint takes every namespace at once."""
    namespaces = "".join(f"namespace ns{i:02} {{\n  labels x=y\n}}\n" for i in range(14))
    base = "kubernetes 1.30\n" + namespaces
    head = base + (
        "role binder {\n  bind clusterroles.rbac.authorization.k8s.io\n"
        "  create rolebindings.rbac.authorization.k8s.io\n}\n"
        "grant role binder to user binder in cluster\n"
    )
    step = ("can bind clusterroles and write rolebindings in namespaces `kube-system`, `ns00`, `ns01`, `ns02`, `ns03`, "
            "`ns04`, `ns05`, `ns06`, `ns07`, `ns08`, `ns09`, `ns10`, `ns11`, `ns12`, `ns13`, so acts as user `binder` "
            "holding every permission in namespace `kube-system`, ")
    # Everything in kube-system includes acting as its controllers: the aggregation controller
    # makes the binder the superuser (controller roles, k8s/bootstrap.py). The report says that in
    # one line, with the shortest path, and the binder's own grants (it was 134 lines).
    report = diff(base, head)
    assert [(line.superuser, line.escalation) for line in report.added] == [(True, True), (False, False),
                                                                            (False, False)]
    path = report.added[0].origins[0].path
    assert path[0].startswith(step)
    assert path[1] == ("can impersonate serviceaccounts in namespace `kube-system`, so acts as "
                       "serviceaccount `kube-system/clusterrole-aggregation-controller`")
    assert path[-1].endswith("so acts as group `system:masters` (superuser)")
    # --verbose: every namespace's `* *` and every permission, as the engine reaches them.
    report = diff(base, head, verbose=True)
    escalations = [line for line in report.added if line.escalation]
    everything = [line for line in escalations if line.what == "* *" and line.scope.startswith("ns")]
    assert [line.scope for line in everything] == [f"ns{i:02}" for i in range(14)]
    (path,) = everything[0].origins[0].path
    assert path.startswith(step)
    (superuser,) = [line for line in escalations if line.what == "* *, /*"]
    assert superuser.origins[0].path[1] == ("can impersonate serviceaccounts in namespace `kube-system`, so acts as "
                                            "serviceaccount `kube-system/clusterrole-aggregation-controller`")
    assert list(report.notes) == []


def test_a_role_edit_names_the_role_line_it_came_from() -> None:
    # Issue 20: a change made in a `role` (line 5) was reported with the grant line (7) only.
    head = BASE.replace("  get secrets\n", "  get, list secrets\n")
    report = diff(BASE, head)
    assert added(report) == ["+ serviceaccount checkout/deployer: list secrets in checkout  (a.policy:5, a.policy:7)"]
    assert removed(diff(head, BASE)) == [
        "- serviceaccount checkout/deployer: list secrets in checkout  (a.policy:5, a.policy:7)"]


def test_a_new_rule_line_in_a_role_is_named_and_unchanged_lines_are_not() -> None:
    head = BASE.replace("  get secrets\n", "  get secrets\n  watch   configmaps\n")
    assert added(diff(BASE, head)) == [
        "+ serviceaccount checkout/deployer: watch configmaps in checkout  (a.policy:6, a.policy:8)"]
    reindented = BASE.replace("  get secrets\n", "    get    secrets\n")  # blanks do not make a line new
    assert added(diff(BASE, reindented)) == []


def test_a_new_grant_of_an_unchanged_role_names_the_grant_only() -> None:
    head = with_lines(BASE, "grant role secret-reader to user bob in checkout")
    assert added(diff(BASE, head)) == [f"+ user bob: {JWKS}  {TOKENS}  (a.policy:12)",
                                       "+ user bob: get secrets in checkout  (a.policy:12)"]

"""Guards against effective access: violations through a group, a team, a built-in role and a service account."""

from __future__ import annotations

import pytest

import policyc
from conftest import REPO, shared_path
from helpers import compile_text

BASE = """
kubernetes 1.30
serviceaccount app/deployer
serviceaccount app/builder
team dev {
  members group devs, user carol
  grant role edit in app
}
"""


def errors(result):
    return [d for d in result.diagnostics if d.is_error]


@pytest.mark.parametrize("case", ["article", "org"])
def test_spec_folders_build_without_errors(case: str) -> None:
    result = policyc.load(shared_path("spec", case))
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    assert result.manifests


@pytest.mark.parametrize("folder", [REPO / "policies", REPO / "docs" / "examples" / "org"])
def test_bundled_policies_build_without_errors(folder) -> None:
    result = policyc.load(folder)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]


def test_builtin_edit_grants_exec_through_a_group() -> None:
    r = compile_text(BASE + "forbid create pods/exec for group devs\n")
    (d,) = errors(r)
    assert d.code == "PC301"
    assert d.message.startswith("guard `forbid create pods/exec for group devs` is broken: group `devs` can "
                                "create pods/exec in namespace `app` through ClusterRole `edit`")
    assert "test.policy:7:3" in d.message  # the grant line
    assert d.span.line == 9 and [lb.span.line for lb in d.labels] == [7]


def test_builtin_edit_impersonates_serviceaccounts_through_a_team() -> None:
    r = compile_text(BASE + "forbid impersonate for team dev\n")
    (d,) = errors(r)
    assert d.code == "PC301"
    assert "group `devs`, user `carol` can impersonate serviceaccounts in namespace `app`" in d.message
    # the org spec's guard names users and groups only, so it holds
    assert compile_text(BASE + "forbid impersonate users, groups for team dev\n").ok


def test_escalation_through_a_service_account() -> None:
    text = BASE + (
        "grant create deployments.apps to user erin in app\n"
        "grant get secrets to serviceaccount app/builder in app\n"
        "forbid read secrets for user erin\n"
    )
    (d,) = errors(compile_text(text))
    assert d.code == "PC302"
    assert ("user `erin` can create deployments.apps in namespace `app` (pods run as any service account there) "
            "(grant at test.policy:9:1), so acts as serviceaccount `app/builder`; which can get secrets in "
            "namespace `app`") in d.message
    assert [lb.span.line for lb in d.labels] == [9, 10]
    assert d.labels[0].message.startswith("step 1: can create deployments.apps")


def test_service_account_subject_of_a_guard() -> None:
    text = BASE + ("grant get secrets to serviceaccount app/builder in app\n"
                   "forbid get secrets for serviceaccount app/builder\n")
    (d,) = errors(compile_text(text))
    assert d.code == "PC301" and "serviceaccount `app/builder` can get secrets" in d.message


def test_everyone_ranges_over_authenticated_and_except_removes_subjects() -> None:
    text = BASE + "grant role view to everyone in app\nforbid list pods for everyone except team dev in app\n"
    (d,) = errors(compile_text(text))
    assert "group `system:authenticated`" in d.message
    assert "user `carol`" not in d.message.split("can")[0]


def test_guard_scope() -> None:
    text = BASE + "forbid create pods/exec for team dev in other\n"
    assert compile_text(text).ok
    assert not compile_text(BASE + "forbid create pods/exec for team dev in app\n").ok
    assert compile_text(BASE + "forbid create pods/exec for team dev in cluster\n").ok


def test_cluster_admin_member_breaks_everything_but_except_holds() -> None:
    admin = "grant role cluster-admin to group ops in cluster\n"
    assert compile_text(BASE + admin + "forbid escalate, bind for everyone except group ops\n").ok
    text = BASE + admin + "forbid escalate, bind for everyone\n"
    (d,) = errors(compile_text(text))
    assert "group `ops`" in d.message and "ClusterRole `cluster-admin`" in d.message


def test_path_into_a_privileged_service_account_is_a_violation() -> None:
    text = BASE + (
        "serviceaccount flux/controller\n"
        "grant role cluster-admin to serviceaccount flux/controller in cluster\n"
        "grant create pods to group devs in flux\n"
        "forbid impersonate users for everyone except serviceaccount flux/controller\n"
    )
    ds = errors(compile_text(text))
    assert ds and all(d.code == "PC302" for d in ds)
    assert any("group `devs` can create pods in namespace `flux`" in d.message
               and "acts as serviceaccount `flux/controller`" in d.message for d in ds)

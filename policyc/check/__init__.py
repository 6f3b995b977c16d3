"""The check stage: from the lowered model to a checked Program, collecting every diagnostic.

Stages run in order; each is a function of the model that appends diagnostics:
versions (PC2xx/PC4xx), intent and exclusions (PC105-PC109, PC143-PC144, PC240),
resolve (PC10x-PC13x), rules (PC14x-PC16x), grants (PC17x), allowances (PC531-PC532).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from policyc import model as m
from policyc.check import exclusions, grants, intent, resolve, rules, suppress
from policyc.check.admission import check_admission
from policyc.check.authn import apiserver_settings, check_authn, merge_clusters
from policyc.check.context import Context
from policyc.check.emitted import check_emitted  # noqa: F401  (post-emit stages: guards PC30x, lints PC5xx)
from policyc.check.versions import resolve_release
from policyc.diagnostics import Diagnostic, sort_diagnostics
from policyc.k8s.releases import load_release
from policyc.model.program import Program
from policyc.rules import cite


def check(policy: m.Policy, kubernetes: str | None = None) -> tuple[Program | None, list[Diagnostic]]:
    """Check a policy; returns the Program (None when the release is unusable) and diagnostics."""
    version, diags = resolve_release(policy, kubernetes)
    if version is None:
        return None, sort_diagnostics(diags)
    ctx = Context(policy, load_release(version), diags)
    # Classes, selectors and exclusions become plain declarations first (check/intent.py,
    # check/exclusions.py): every later check and stage sees the policy they stand for.
    policy = ctx.policy = exclusions.expand_all(ctx, intent.apply_intent(ctx))
    ctx.diags.extend(suppress.check_allowances(policy))
    tables = resolve.symbol_tables(ctx)
    resolve.check_role_names(ctx)
    resolve.check_declarations(ctx, tables)
    resolve.check_psp_refs(ctx, tables["psps"])
    rules.check_all_rules(ctx)
    members = resolve.expand_members(ctx, tables["teams"])
    cluster = merge_clusters(ctx)
    settings = apiserver_settings(cluster)
    prefix = settings.oidc.effective_username_prefix() if settings is not None and settings.oidc is not None else ""
    oidc_users = {u.name.text for u in policy.users if u.auth.text == "oidc"}
    compiled = grants.compile_roles(ctx, tables["roles"])
    # One expansion of each subject, and one sorted tuple of each set, for the bindings and the teams'
    # member lists: a team's bindings and its member list are the same tuple.
    subject_sets = grants.SubjectSets(members, oidc_users, prefix)
    synthesized, bindings = grants.compile_grants(ctx, tables["roles"], subject_sets)
    namespaces: dict[str, list[m.Namespace]] = defaultdict(list)
    for ns in policy.namespaces:
        namespaces[ns.name.text].append(ns)
    team_members = {name: subject_sets.sorted(subject_sets.of("team", name)) for name in members}
    program = Program(
        policy=policy,
        release=version,
        roles=tables["roles"],
        teams=tables["teams"],
        team_members=team_members,
        psps=tables["psps"],
        namespaces={k: tuple(v) for k, v in namespaces.items()},
        users=tables["users"],
        serviceaccounts=tables["serviceaccounts"],
        compiled_roles=tuple(compiled + synthesized),
        bindings=tuple(bindings),
        oidc_username_prefix=prefix,
    )
    authn = check_authn(ctx, program, cluster, settings)
    program = replace(program, authn=authn, admission=check_admission(ctx, program))
    return program, sort_diagnostics(cite(ctx.diags, version))  # CIS ids of the target's benchmark

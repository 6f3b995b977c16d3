"""`policyc can-i VERB RESOURCE [NAME] --as USER`: `kubectl auth can-i`, answered offline."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from policyc.access.describe import rule_text
from policyc.access.request import UserInfo
from policyc.cli.access_common import (
    ALL_NS_OPT,
    FROM_OPT,
    KUBERNETES_OPT,
    NAMESPACE_OPT,
    OUTPUT_OPT,
    POLICY_OPT,
    Output,
    build_request,
    load_model,
    reason_json,
)
from policyc.cli.common import EXIT_ERRORS, EXIT_OK


def can_i(
    verb: str = typer.Argument(..., help="A verb: get, list, create, impersonate, ..."),
    resource: str = typer.Argument(..., help="pods, pods/log, deployments.apps, deployments.apps/scale, or /healthz."),
    name: str | None = typer.Argument(None, help="Object name (resourceNames)."),
    as_user: str = typer.Option(..., "--as", help="User to ask for; system:serviceaccount:NS:NAME for a "
                                "service account (its groups are implied)."),
    as_group: list[str] = typer.Option([], "--as-group", help="Group of the user, repeatable (as kubectl "
                                       "--as-group: replaces the implied groups)."),
    namespace: str | None = NAMESPACE_OPT,
    all_namespaces: bool = ALL_NS_OPT,
    explain: bool = typer.Option(False, "--explain", help="Name the binding, role and rule that allow it."),
    policy: Path | None = POLICY_OPT,
    sources: list[Path] | None = FROM_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
    output: Output = OUTPUT_OPT,
) -> None:
    """Print `yes` (exit 0) or `no` (exit 1) as the API server would answer; exit 2 on errors."""
    session = load_model(policy, sources, kubernetes)
    request = build_request(session, verb, resource, name, namespace, all_namespaces)
    user = UserInfo.impersonated(as_user, as_group)
    decision = session.model.authorize(user, request)
    if output is Output.json:
        doc = {
            "allowed": decision.allowed,
            "user": {"name": user.name, "groups": list(user.groups)},
            "request": {"verb": request.verb, "group": request.group, "resource": request.resource,
                        "subresource": request.subresource, "name": request.name,
                        "namespace": request.namespace, "path": request.path},
            "reasons": [reason_json(session, r) for r in decision.reasons],
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo("yes" if decision.allowed else "no")
        if explain:
            typer.echo(f"  as {user}, to {request}")
            if not decision.reasons:
                typer.echo("  no binding of this user or its groups has a rule that allows it")
            for r in decision.reasons:
                typer.echo(f"  allowed by {r}")
                typer.echo(f"    rule: {rule_text(r.rule)}")
                if origin := session.origin(r):
                    typer.echo(f"    from: {origin}")
    raise typer.Exit(EXIT_OK if decision.allowed else EXIT_ERRORS)

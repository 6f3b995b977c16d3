"""`policyc who-can VERB RESOURCE [NAME] [-n NS]`: every subject allowed a request, and why."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from policyc.access.authorizer import Reason
from policyc.access.describe import narrow_to, rule_text
from policyc.access.request import Request
from policyc.access.session import Session
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


def who_can(
    verb: str = typer.Argument(..., help="A verb: get, list, create, impersonate, ..."),
    resource: str = typer.Argument(..., help="pods, pods/log, deployments.apps, deployments.apps/scale, or /healthz."),
    name: str | None = typer.Argument(None, help="Object name (resourceNames)."),
    namespace: str | None = NAMESPACE_OPT,
    all_namespaces: bool = ALL_NS_OPT,
    policy: Path | None = POLICY_OPT,
    sources: list[Path] | None = FROM_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
    output: Output = OUTPUT_OPT,
) -> None:
    """List every subject whose bindings allow the request, once, with every binding, role and rule
    that allows it."""
    session = load_model(policy, sources, kubernetes)
    request = build_request(session, verb, resource, name, namespace, all_namespaces)
    found = session.who_can(request)
    if output is Output.json:
        doc = {
            "request": {"verb": request.verb, "group": request.group, "resource": request.resource,
                        "subresource": request.subresource, "name": request.name,
                        "namespace": request.namespace, "path": request.path},
            "subjects": [
                {"subject": {"kind": subject.kind, "name": subject.name,
                             **({"namespace": subject.namespace} if subject.namespace else {})},
                 "reasons": [reason_json(session, r) for r in reasons]}
                for subject, reasons in found
            ],
        }
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(f"who can {request}:")
    for subject, reasons in found:
        ways = [_way(session, r, request) for r in reasons]
        typer.echo(f"  {subject}: {ways[0]}")
        for way in ways[1:]:
            typer.echo(f"    and {way}")


def _way(session: Session, reason: Reason, request: Request) -> str:
    """One way a subject is allowed: the binding, its role, the part of the rule that allows the
    request, and where it comes from."""
    if reason.binding is None:
        return reason.note
    line = f"{reason.binding} of {reason.role}"
    if reason.via_role:
        line += f" (rule from ClusterRole `{reason.via_role}`)"
    line += f", rule `{rule_text(narrow_to(reason.rule, request))}`"
    origin = session.origin(reason)
    return line + (f"  [{origin}]" if origin else "")

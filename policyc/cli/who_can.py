"""`policyc who-can VERB RESOURCE [NAME] [-n NS]`: every subject allowed a request, and why."""

from __future__ import annotations

import json
from pathlib import Path

import typer

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
    """List every subject whose bindings allow the request, with the binding and role."""
    session = load_model(policy, sources, kubernetes)
    request = build_request(session, verb, resource, name, namespace, all_namespaces)
    found = session.model.who_can(request)
    if output is Output.json:
        doc = {
            "request": {"verb": request.verb, "group": request.group, "resource": request.resource,
                        "subresource": request.subresource, "name": request.name,
                        "namespace": request.namespace, "path": request.path},
            "subjects": [
                {"subject": {"kind": w.subject.kind, "name": w.subject.name,
                             **({"namespace": w.subject.namespace} if w.subject.namespace else {})},
                 "reason": reason_json(session, w.reason)}
                for w in found
            ],
        }
        typer.echo(json.dumps(doc, indent=2))
        return
    typer.echo(f"who can {request}:")
    for w in found:
        origin = session.origin(w.reason)
        if w.reason.binding is None:
            typer.echo(f"  {w.subject}: {w.reason.note}")
            continue
        line = f"  {w.subject}: {w.reason.binding} of {w.reason.role}"
        if w.reason.via_role:
            line += f" (rule from ClusterRole `{w.reason.via_role}`)"
        typer.echo(line + (f"  [{origin}]" if origin else ""))

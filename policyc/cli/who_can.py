"""`policyc who-can VERB RESOURCE [NAME] [-n NS]`: every subject allowed a request, and why.

Typer-free, as policyc/cli/can_i.py (its Typer declaration: policyc/cli/access_typer.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from policyc.access.authorizer import Reason
from policyc.access.describe import narrow_to, rule_text
from policyc.access.request import Request
from policyc.access.session import Session
from policyc.cli.access_common import Output, build_request, load_model, reason_json
from policyc.cli.console import echo


def who_can(
    verb: str,
    resource: str,
    name: str | None = None,
    namespace: str | None = None,
    all_namespaces: bool = False,
    policy: Path | None = None,
    sources: list[Path] | None = None,
    kubernetes: str | None = None,
    output: Output = Output.text,
) -> None:
    """List every subject whose bindings allow the request, once, with every binding, role and rule
    that allows it."""
    session = load_model(policy, sources, kubernetes, namespace)
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
        echo(json.dumps(doc, indent=2))
        return
    echo(f"who can {request}:")
    for subject, reasons in found:
        ways = [_way(session, r, request) for r in reasons]
        echo(f"  {subject}: {ways[0]}")
        for way in ways[1:]:
            echo(f"    and {way}")


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

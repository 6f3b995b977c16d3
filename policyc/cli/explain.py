"""`policyc explain SUBJECT`: everything a subject may do, by namespace, with where it comes from.

Typer-free, as policyc/cli/can_i.py (its Typer declaration: policyc/cli/access_typer.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from policyc.access.describe import rule_text
from policyc.access.escalation import EffectiveGrant, Identity
from policyc.access.session import AccessError, Session
from policyc.cli.access_common import Output, load_model, reason_json
from policyc.cli.console import echo, fail_usage


def subject_identities(session: Session, text: str) -> list[Identity]:
    """The identities a `user:`, `group:`, `serviceaccount:` or `team:` subject stands for (exits 2 if malformed)."""
    try:
        return session.identities(text)
    except AccessError as exc:
        raise fail_usage(str(exc)) from None


def _path_text(session: Session, g: EffectiveGrant) -> str:
    steps = []
    for step in g.path:
        origin = session.origin(step.grants[0].reason) if step.grants else ""
        steps.append(f"{step.action}{f' [{origin}]' if origin else ''}, so acts as {step.target}")
    return "; ".join(steps)


def explain(
    subject: str,
    policy: Path | None = None,
    sources: list[Path] | None = None,
    kubernetes: str | None = None,
    output: Output = Output.text,
    namespace: str | None = None,
) -> None:
    """Everything the subject may do, directly and through escalation, grouped by namespace."""
    if namespace is not None and not sources:
        raise fail_usage("-n/--namespace places the --from objects that name no namespace; a policy's objects "
                         "have theirs (explain answers for every namespace)")
    session = load_model(policy, sources, kubernetes, namespace)
    idents = subject_identities(session, subject)
    entries = session.effective_access(idents)
    paths = session.escalation_paths(idents)
    if output is Output.json:
        echo(json.dumps(_json(session, subject, idents, entries, paths), indent=2))
        return
    echo(f"{subject}:")
    for ident in idents:
        echo(f"  {ident} (groups: {', '.join(ident.groups) or 'none'})")
    if not idents:
        echo("  no members")
    by_scope: dict[str, list[tuple[EffectiveGrant, list[Identity]]]] = defaultdict(list)
    for g, who in entries:
        by_scope[g.permission.scope or ""].append((g, who))
    for scope in sorted(by_scope):
        echo("")
        echo(f"namespace {scope}:" if scope else "cluster-wide (every namespace):")
        for g, who in by_scope[scope]:
            r = g.permission.reason
            role = f" ({r.role.kind} {r.role.name})" if r.role is not None else ""
            origin = session.origin(r) or r.note
            line = f"  {rule_text(g.permission.rule)}{role}"
            if origin:
                line += f"  [{origin}]"
            if len(idents) > 1 and len(who) < len(idents):
                line += f"  (for {', '.join(str(i) for i in who)})"
            echo(line)
            if g.path:
                echo(f"    through: {_path_text(session, g)}")
    if paths:
        echo("")
        echo("escalation paths:")
        for target, path in paths.items():
            echo(f"  to {target}: " + "; ".join(s.action for s in path))


def _json(session: Session, subject: str, idents: list[Identity], entries: list, paths: dict) -> dict[str, Any]:
    def ident_json(i: Identity) -> dict[str, Any]:
        info = i.user_info
        return {"kind": i.kind, "name": i.name, "namespace": i.namespace, "user": info.name,
                "groups": list(info.groups)}

    def step_json(step: Any) -> dict[str, Any]:
        return {"kind": step.kind, "action": step.action, "becomes": ident_json(step.target),
                "grants": [reason_json(session, p.reason) for p in step.grants]}

    return {
        "subject": subject,
        "identities": [ident_json(i) for i in idents],
        "access": [
            {"scope": g.permission.scope, "rule": g.permission.rule.to_dict(), "holder": ident_json(g.holder),
             "for": [ident_json(i) for i in who], "reason": reason_json(session, g.permission.reason),
             "path": [step_json(s) for s in g.path]}
            for g, who in entries
        ],
        "escalations": [{"to": ident_json(t), "path": [step_json(s) for s in p]} for t, p in paths.items()],
    }


__all__ = ["explain", "subject_identities"]

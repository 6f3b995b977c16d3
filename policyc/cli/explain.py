"""`policyc explain SUBJECT`: everything a subject may do, by namespace, with where it comes from."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import typer

from policyc.access.describe import rule_text
from policyc.access.escalation import EffectiveGrant, Identity
from policyc.access.policy import identity_of, user_groups
from policyc.cli.access_common import (
    FROM_OPT,
    KUBERNETES_OPT,
    OUTPUT_OPT,
    POLICY_OPT,
    Loaded,
    Output,
    load_model,
    origin_of,
    reason_json,
)
from policyc.cli.common import fail_usage

_KINDS = ("user", "group", "serviceaccount", "team")


def subject_identities(loaded: Loaded, text: str) -> list[Identity]:
    """The identities `user:alice`, `group:dev`, `serviceaccount:ns/name` or `team:payments` stands for."""
    kind, sep, name = text.partition(":")
    if not sep or not name or kind not in _KINDS:
        raise fail_usage(f"subject `{text}` must be user:NAME, group:NAME, serviceaccount:NS/NAME or team:NAME")
    program = loaded.program
    if kind == "user":
        if program is not None:
            name = program.user_name(name)
        groups = user_groups(program).get(name, ()) if program is not None else ()
        return [Identity.user(name, groups)]
    if kind == "group":
        return [Identity.group(name)]
    if kind == "serviceaccount":
        ns, slash, sa = name.replace(":", "/", 1).partition("/")
        if not slash or not ns or not sa:
            raise fail_usage(f"service account `{name}` must be written NS/NAME")
        return [Identity.service_account(ns, sa)]
    if program is None:
        raise fail_usage("teams exist only in a policy: use --policy, not --from")
    if name not in program.teams:
        raise fail_usage(f"no team `{name}` in the policy")
    return [identity_of(s, program) for s in program.team_members.get(name, ())]


def _path_text(loaded: Loaded, g: EffectiveGrant) -> str:
    steps = []
    for step in g.path:
        origin = origin_of(loaded, step.grants[0].reason) if step.grants else ""
        steps.append(f"{step.action}{f' [{origin}]' if origin else ''}, so acts as {step.target}")
    return "; ".join(steps)


def _collect(loaded: Loaded, idents: list[Identity]) -> list[tuple[EffectiveGrant, list[Identity]]]:
    """Effective grants of every identity, merged when several members share one."""
    merged: dict[tuple, tuple[EffectiveGrant, list[Identity]]] = {}
    for ident in idents:
        for g in loaded.graph.effective_access(ident):
            key = (g.permission, tuple(s.action for s in g.path))
            if key in merged:
                merged[key][1].append(ident)
            else:
                merged[key] = (g, [ident])
    return sorted(merged.values(), key=lambda e: (len(e[0].path), e[0].permission.sort_key))


def explain(
    subject: str = typer.Argument(..., help="user:NAME, group:NAME, serviceaccount:NS/NAME or team:NAME."),
    policy: Path | None = POLICY_OPT,
    sources: list[Path] | None = FROM_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
    output: Output = OUTPUT_OPT,
) -> None:
    """Everything the subject may do, directly and through escalation, grouped by namespace."""
    loaded = load_model(policy, sources, kubernetes)
    idents = subject_identities(loaded, subject)
    entries = _collect(loaded, idents)
    paths = {}
    for ident in idents:
        for target, path in loaded.graph.escalation_paths(ident):
            paths.setdefault(target, path)
    if output is Output.json:
        typer.echo(json.dumps(_json(loaded, subject, idents, entries, paths), indent=2))
        return
    typer.echo(f"{subject}:")
    for ident in idents:
        typer.echo(f"  {ident} (groups: {', '.join(ident.groups) or 'none'})")
    if not idents:
        typer.echo("  no members")
    by_scope: dict[str, list[tuple[EffectiveGrant, list[Identity]]]] = defaultdict(list)
    for g, who in entries:
        by_scope[g.permission.scope or ""].append((g, who))
    for scope in sorted(by_scope):
        typer.echo("")
        typer.echo(f"namespace {scope}:" if scope else "cluster-wide (every namespace):")
        for g, who in by_scope[scope]:
            r = g.permission.reason
            role = f" ({r.role.kind} {r.role.name})" if r.role is not None else ""
            origin = origin_of(loaded, r) or r.note
            line = f"  {rule_text(g.permission.rule)}{role}"
            if origin:
                line += f"  [{origin}]"
            if len(idents) > 1 and len(who) < len(idents):
                line += f"  (for {', '.join(str(i) for i in who)})"
            typer.echo(line)
            if g.path:
                typer.echo(f"    through: {_path_text(loaded, g)}")
    if paths:
        typer.echo("")
        typer.echo("escalation paths:")
        for target, path in paths.items():
            typer.echo(f"  to {target}: " + "; ".join(s.action for s in path))


def _json(loaded: Loaded, subject: str, idents: list[Identity], entries: list, paths: dict) -> dict[str, Any]:
    def ident_json(i: Identity) -> dict[str, Any]:
        info = i.user_info
        return {"kind": i.kind, "name": i.name, "namespace": i.namespace, "user": info.name,
                "groups": list(info.groups)}

    def step_json(step: Any) -> dict[str, Any]:
        return {"kind": step.kind, "action": step.action, "becomes": ident_json(step.target),
                "grants": [reason_json(loaded, p.reason) for p in step.grants]}

    return {
        "subject": subject,
        "identities": [ident_json(i) for i in idents],
        "access": [
            {"scope": g.permission.scope, "rule": g.permission.rule.to_dict(), "holder": ident_json(g.holder),
             "for": [ident_json(i) for i in who], "reason": reason_json(loaded, g.permission.reason),
             "path": [step_json(s) for s in g.path]}
            for g, who in entries
        ],
        "escalations": [{"to": ident_json(t), "path": [step_json(s) for s in p]} for t, p in paths.items()],
    }


__all__ = ["explain", "subject_identities"]

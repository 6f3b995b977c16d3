"""What `can-i`, `who-can` and `explain` share: loading the access session (policyc/access/session.py
holds the engine side) and reasons as JSON. Typer-free: the hot path (policyc/cli/fastargs.py) runs
the commands without importing Typer; their Typer declarations are in policyc/cli/access_typer.py."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from policyc.access.authorizer import ACCESS_KINDS, Reason
from policyc.access.request import Request
from policyc.access.session import AccessError, Session, release_of
from policyc.cli.console import EXIT_USAGE, fail_usage
from policyc.diagnostics import render_text
from policyc.k8s.yamlread import ReadError, read_paths


class Output(StrEnum):
    """Output formats of the access commands."""

    text = "text"
    json = "json"


def load_model(policy: Path | None, sources: list[Path] | None, kubernetes: str | None) -> Session:
    """The access session of a compiled policy (`--policy`, default `policies/`) or of YAML (`--from`);
    exits 2 on errors."""
    if policy is not None and sources:
        raise fail_usage("--policy and --from exclude each other")
    if sources:
        try:
            version = release_of(kubernetes)
            # The importer's reader: an object the engine reads but cannot read as Kubernetes would
            # is an error here, since the answer would silently leave it out.
            docs, files, diags = read_paths([str(s) for s in sources], strict="PC310", kinds=ACCESS_KINDS,
                                             positions=False)
        except (AccessError, ReadError) as exc:
            raise fail_usage(str(exc)) from None
        if diags:
            sys.stderr.write(render_text(diags, files))
            raise SystemExit(EXIT_USAGE)
        return Session.of_objects([(d.obj, f"{d.file}#{d.index}") for d in docs], version)
    # A policy is compiled: the compiler, not start-up, is then what costs (imported when used).
    from policyc.cli.common import compile_or_exit, report
    from policyc.cli.paths import Relocator

    folder = policy or Path("policies")
    result = compile_or_exit(folder, kubernetes, lints=False)
    if result.program is None or not result.manifests:
        report(result, base=folder)
        raise SystemExit(EXIT_USAGE)
    if not result.ok:
        report(result, base=folder)
        sys.stderr.write("note: the policy has errors; answering from what it compiles to\n")
    session = Session.of_program(result.program, result.manifests)
    session.where = Relocator(folder, result.sources).where  # files named from the working directory
    session.notes.extend(undecided_notes(result.program))
    return session


def undecided_notes(program: Any) -> list[str]:
    """What the engine cannot decide: the answers of the policy's webhook authorizers.

    The API server asks the authorizers in order and the first that allows or denies decides
    (AuthorizationConfiguration authorizers); a webhook answers at run time, so the engine
    answers for the RBAC it emits (and Node) only and says so rather than guessing.
    """
    settings = program.authn.apiserver
    hooks = settings.webhook_authorizers() if settings is not None else ()
    if not hooks:
        return []
    names = ", ".join(f"`{h.name}`" for h in hooks)
    many = len(hooks) > 1
    return [f"note: these answers cover the policy's RBAC only; the webhook authorizer{'s' if many else ''} "
            f"{names} (authorization) may allow more, or deny first, and policyc cannot know what "
            f"{'they answer' if many else 'it answers'}"]


def build_request(session: Session, verb: str, resource: str, name: str | None, namespace: str | None,
                  all_namespaces: bool) -> Request:
    """The session's request for command-line words, its notes on stderr (exits 2 when malformed)."""
    try:
        request = session.request(verb, resource, name, namespace, all_namespaces)
    except AccessError as exc:
        raise fail_usage(str(exc)) from None
    for note in session.notes:
        sys.stderr.write(note + "\n")
    session.notes.clear()
    return request


def reason_json(session: Session, reason: Reason) -> dict[str, Any]:
    """A reason as JSON."""
    out: dict[str, Any] = {
        "binding": None if reason.binding is None else _ref(reason.binding),
        "role": None if reason.role is None else _ref(reason.role),
        "subject": None if reason.subject is None else {"kind": reason.subject.kind, "name": reason.subject.name,
                                                         **({"namespace": reason.subject.namespace}
                                                            if reason.subject.namespace else {})},
        "rule": reason.rule.to_dict(),
        "sources": session.sources(reason),
        "origin": session.origin(reason),
    }
    if reason.via_role:
        out["aggregated_from"] = reason.via_role
    if reason.note:
        out["note"] = reason.note
    return out


def _ref(ref: Any) -> dict[str, str]:
    out = {"kind": ref.kind, "name": ref.name}
    if ref.namespace:
        out["namespace"] = ref.namespace
    return out

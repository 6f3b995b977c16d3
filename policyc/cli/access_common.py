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
from policyc.diagnostics import Diagnostic, render_text
from policyc.k8s.yamlread import Doc, ReadError, namespace_conflict, read_paths
from policyc.source import SourceFile


class Output(StrEnum):
    """Output formats of the access commands."""

    text = "text"
    json = "json"


def load_model(policy: Path | None, sources: list[Path] | None, kubernetes: str | None,
               namespace: str | None = None) -> Session:
    """The access session of a compiled policy (`--policy`, default `policies/`) or of YAML (`--from`);
    exits 2 on errors. `namespace` (`-n`) places the `--from` objects that name none (`placed_objects`)."""
    if policy is not None and sources:
        raise fail_usage("--policy and --from exclude each other")
    if sources:
        try:
            version = release_of(kubernetes)
            docs, files, diags = placed_objects(sources, namespace)
        except (AccessError, ReadError) as exc:
            raise fail_usage(str(exc)) from None
        if diags:
            sys.stderr.write(render_text(diags, files))
            raise SystemExit(EXIT_USAGE)
        placed = sum(d.placed for d in docs)
        if placed:
            sys.stderr.write(f"note: {placed} namespaced object{'s' if placed != 1 else ''} without "
                             f"`metadata.namespace` placed in `{namespace}` (`-n`), as `kubectl apply -n {namespace}` "
                             "places them\n")
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


def placed_objects(sources: list[Path], namespace: str | None) -> tuple[list[Doc], dict[str, SourceFile],
                                                                       list[Diagnostic]]:
    """The `--from` objects, with kubectl's `--namespace` rules when `-n` is given (`kubectl apply -n NS -f
    FILES` followed by `kubectl auth can-i -n NS`: one namespace for both).

    The importer's reader: an object the engine reads but cannot read as Kubernetes would is an error
    (PC310), since the answer would silently leave it out. With `namespace`, a namespaced object without
    one is placed there (k8s/yamlread.py `place_missing`, as `import -n`); once one is, an object naming
    another namespace is refused as kubectl refuses it (PC626, `namespace_conflict`). When nothing needed
    placing, `-n` is only the request's namespace (can-i, who-can) and objects keep theirs, as before.
    """
    paths = [str(s) for s in sources]
    docs, files, diags = read_paths(paths, strict="PC310", kinds=ACCESS_KINDS,
                                    namespace=namespace if namespace is not None else False, positions=False)
    if diags or namespace is None or not any(d.placed for d in docs):
        return docs, files, diags
    wrong = [d for d in docs if namespace_conflict(d, namespace) is not None]
    unlocated = sorted({d.file for d in wrong if not d.marks})  # read without positions: none was at fault then
    if unlocated:
        again, more, _ = read_paths(unlocated, strict="PC310", kinds=ACCESS_KINDS)
        files.update(more)
        located = {(d.file, d.index, d.item): d for d in again}
        wrong = [d if d.marks else located.get((d.file, d.index, d.item), d) for d in wrong]
    hint = (f"kubectl refuses it too (\"You must pass '--namespace={{ns}}'\"): ask with `-n {{ns}}`, or give the "
            f"objects without a namespace `metadata.namespace: {namespace}` and drop `-n`")
    conflicts = [namespace_conflict(d, namespace, hint.format(ns=d.namespace)) for d in wrong]
    return docs, files, [c for c in conflicts if c is not None]


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

"""`policyc can-i VERB RESOURCE [NAME] --as USER`: `kubectl auth can-i`, answered offline.

Also `can-i --list --as USER [-n NS]` (kubectl's table of the user's rules) and
`can-i --batch FILE` (JSON lines in, JSON lines out; policyc/access/batch.py).
Typer-free (the command line is parsed by policyc/cli/fastargs.py or, for `--help` and anything
it leaves alone, by Typer through policyc/cli/access_typer.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from policyc.access import batch as batch_mode
from policyc.access.describe import rule_text
from policyc.access.request import UserInfo
from policyc.access.rulesreview import HEADERS, list_rows, tabwrite
from policyc.access.session import Session
from policyc.cli.access_common import Output, build_request, load_model, reason_json
from policyc.cli.console import EXIT_ERRORS, EXIT_OK, echo, fail_usage


def can_i(
    verb: str | None = None,
    resource: str | None = None,
    name: str | None = None,
    as_user: str | None = None,
    as_group: list[str] | None = None,
    namespace: str | None = None,
    all_namespaces: bool = False,
    explain: bool = False,
    list_: bool = False,
    no_headers: bool = False,
    batch: str | None = None,
    policy: Path | None = None,
    sources: list[Path] | None = None,
    kubernetes: str | None = None,
    output: Output = Output.text,
) -> None:
    """Print `yes` (exit 0) or `no` (exit 1) as the API server would answer; exit 2 on errors."""
    if batch is not None:
        if verb or resource or as_user or list_:
            raise fail_usage("--batch takes its questions from FILE: no VERB, RESOURCE, --as or --list")
        _batch(batch, _with_notes(load_model(policy, sources, kubernetes, namespace)))
        raise SystemExit(EXIT_OK)
    if as_user is None:
        raise fail_usage("Missing option '--as': the user to ask for")
    if list_:
        if verb or resource:
            raise fail_usage("--list must be specified with no arguments (kubectl auth can-i --list)")
        if all_namespaces:
            raise fail_usage("--list cannot be used with --all-namespaces (kubectl auth can-i --list)")
        session = _with_notes(load_model(policy, sources, kubernetes, namespace))
        _print_list(session, UserInfo.impersonated(as_user, as_group or []), namespace or "default", no_headers, output)
        raise SystemExit(EXIT_OK)
    if no_headers:
        raise fail_usage("--no-headers cannot be set without --list specified")
    if verb is None or resource is None:
        raise fail_usage("you must specify two arguments: VERB RESOURCE (or --list, or --batch FILE)")
    session = load_model(policy, sources, kubernetes, namespace)
    request = build_request(session, verb, resource, name, namespace, all_namespaces)
    user = UserInfo.impersonated(as_user, as_group or [])
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
        echo(json.dumps(doc, indent=2))
    else:
        echo("yes" if decision.allowed else "no")
        if explain:
            echo(f"  as {user}, to {request}")
            if not decision.reasons:
                echo("  no binding of this user or its groups has a rule that allows it")
            for r in decision.reasons:
                echo(f"  allowed by {r}")
                echo(f"    rule: {rule_text(r.rule)}")
                if origin := session.origin(r):
                    echo(f"    from: {origin}")
    raise SystemExit(EXIT_OK if decision.allowed else EXIT_ERRORS)


def _print_list(session: Session, user: UserInfo, namespace: str, no_headers: bool, output: Output) -> None:
    rows = list_rows(session.model, user, namespace)
    if output is Output.json:
        keys = ("resources", "non_resource_urls", "resource_names", "verbs")
        echo(json.dumps({"user": {"name": user.name, "groups": list(user.groups)}, "namespace": namespace,
                               "rules": [dict(zip(keys, row, strict=True)) for row in rows]}, indent=2))
        return
    table = rows if no_headers else [HEADERS, *rows]
    sys.stdout.write(tabwrite(table))


def _with_notes(session: Session) -> Session:
    """The session, its notes (what it could not read) written to stderr."""
    for note in session.notes:
        sys.stderr.write(note + "\n")
    session.notes.clear()
    return session


def _batch(path: str, session: Session) -> None:
    if path == "-":
        _answer(session, sys.stdin)
        return
    try:
        with open(path, encoding="utf-8") as stream:
            _answer(session, stream)
    except OSError as exc:
        raise fail_usage(f"cannot read `{path}`: {exc.strerror}") from None


def _answer(session: Session, lines: Iterable[str]) -> None:
    write = sys.stdout.write
    for line in batch_mode.run(session, lines):
        write(line + "\n")
    sys.stdout.flush()

"""What `can-i`, `who-can` and `explain` share: loading the access model, and printing reasons."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from policyc.access.authorizer import ACCESS_KINDS, AccessModel, Reason
from policyc.access.escalation import EscalationGraph
from policyc.access.policy import graph_for, model_from_program
from policyc.access.request import Request
from policyc.cli.common import EXIT_USAGE, compile_or_exit, fail_usage, report
from policyc.diagnostics import render_text
from policyc.k8s import releases
from policyc.k8s.yamlread import ReadError, read_paths
from policyc.model.program import Program
from policyc.pipeline import Result

POLICY_OPT = typer.Option(None, "--policy", help="Policy folder to compile (default: policies/).")
FROM_OPT = typer.Option(None, "--from", help="Kubernetes YAML or JSON: a file or folder, repeatable (instead of "
                        "a policy). Multi-document files and List kinds are read.")
KUBERNETES_OPT = typer.Option(None, "--kubernetes", help="Target release, e.g. 1.30 (default: the policy's, or the "
                              "newest).")
NAMESPACE_OPT = typer.Option(None, "-n", "--namespace", help="Namespace of the request (default: `default`, as "
                             "kubectl's context namespace).")
ALL_NS_OPT = typer.Option(False, "-A", "--all-namespaces", help="Ask at cluster scope (across all namespaces).")


class Output(StrEnum):
    """Output formats of the access commands."""

    text = "text"
    json = "json"


OUTPUT_OPT = typer.Option(Output.text, "-o", "--output", help="Output format.")


@dataclass
class Loaded:
    """An access model and where it came from."""

    model: AccessModel
    graph: EscalationGraph
    program: Program | None = None
    result: Result | None = None

    @property
    def release(self) -> releases.Release:
        """The release the model answers for."""
        return releases.load_release(self.model.release or releases.NEWEST)


def load_model(policy: Path | None, sources: list[Path] | None, kubernetes: str | None) -> Loaded:
    """The model of a compiled policy (`--policy`, default `policies/`) or of YAML (`--from`); exits 2 on errors."""
    if policy is not None and sources:
        raise fail_usage("--policy and --from exclude each other")
    if sources:
        version = releases.NEWEST
        if kubernetes is not None:
            parsed = releases.parse_version(kubernetes)
            if parsed is None or parsed not in releases.SUPPORTED:
                raise fail_usage(f"unsupported Kubernetes release `{kubernetes}`")
            version = parsed
        try:
            # The importer's reader: an object the engine reads but cannot read as Kubernetes would
            # is an error here, since the answer would silently leave it out.
            docs, files, diags = read_paths([str(s) for s in sources], strict="PC310", kinds=ACCESS_KINDS)
        except ReadError as exc:
            raise fail_usage(str(exc)) from None
        if diags:
            sys.stderr.write(render_text(diags, files))
            raise typer.Exit(EXIT_USAGE)
        model = AccessModel.from_objects([(d.obj, f"{d.file}#{d.index}") for d in docs], version)
        return Loaded(model, EscalationGraph(model))
    result = compile_or_exit(policy or Path("policies"), kubernetes, lints=False)
    if result.program is None or not result.manifests:
        report(result)
        raise typer.Exit(EXIT_USAGE)
    if not result.ok:
        report(result)
        sys.stderr.write("note: the policy has errors; answering from what it compiles to\n")
    model = model_from_program(result.program, result.manifests)
    return Loaded(model, graph_for(model, result.program), result.program, result)


def build_request(loaded: Loaded, verb: str, resource: str, name: str | None, namespace: str | None,
                  all_namespaces: bool) -> Request:
    """A request from command-line words, resolved as kubectl would (exits 2 on a malformed resource).

    A bare resource outside the core group resolves to its group (`deployments` ->
    `deployments.apps`), as kubectl's REST mapper does; cluster-scoped resources and URLs are
    asked at cluster scope.
    """
    try:
        req = Request.parse(verb, resource, name or "", "")
    except ValueError as exc:
        raise fail_usage(str(exc)) from None
    if not req.is_resource_request:
        if namespace:
            sys.stderr.write("warning: a non-resource URL has no namespace; -n is ignored\n")
        return req
    release = loaded.release
    if req.resource != "*" and "." not in resource.partition("/")[0] and release.lookup("", req.resource) is None:
        groups = release.groups_with(req.resource)
        if groups:
            problem = releases.check_resource(release, releases.ResourceRef("", req.resource, req.subresource or None))
            better = releases.parse_resource(problem.suggestion) if problem and problem.suggestion else None
            group = better.group if better is not None and better.resource == req.resource else groups[0]
            req = Request(verb, group, req.resource, req.subresource, req.name)
            sys.stderr.write(f"note: `{resource}` resolved to `{req.target}`\n")
    info = release.lookup(req.group, req.resource)
    if info is not None and not info.namespaced:
        if namespace:
            sys.stderr.write(f"warning: resource `{req.target}` is not namespace scoped; -n is ignored\n")
        return req
    ns = "" if all_namespaces else (namespace or "default")
    return Request(req.verb, req.group, req.resource, req.subresource, req.name, ns)


def reason_sources(loaded: Loaded, reason: Reason) -> list[str]:
    """`file:line:col` of the policy grants behind a reason (empty without a policy)."""
    prov = loaded.model.provenance
    if prov is None:
        return []
    return [str(s) for s in prov.grant_spans(reason)]


def origin_of(loaded: Loaded, reason: Reason) -> str:
    """Where a reason's binding comes from: policy lines, a YAML document, or the built-in defaults."""
    prov = loaded.model.provenance
    if prov is not None and prov.grant_spans(reason):
        return prov.describe(reason)
    if reason.binding is None:
        return ""
    for b in loaded.model.bindings:
        if b.ref == reason.binding:
            if b.origin == "bootstrap":
                return "built-in default binding"
            return b.origin if b.origin and b.origin != "policy" else ""
    return ""


def reason_json(loaded: Loaded, reason: Reason) -> dict[str, Any]:
    """A reason as JSON."""
    out: dict[str, Any] = {
        "binding": None if reason.binding is None else _ref(reason.binding),
        "role": None if reason.role is None else _ref(reason.role),
        "subject": None if reason.subject is None else {"kind": reason.subject.kind, "name": reason.subject.name,
                                                         **({"namespace": reason.subject.namespace}
                                                            if reason.subject.namespace else {})},
        "rule": reason.rule.to_dict(),
        "sources": reason_sources(loaded, reason),
        "origin": origin_of(loaded, reason),
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

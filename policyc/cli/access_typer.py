"""The Typer declarations of `can-i`, `who-can` and `explain`: their options, arguments and help.

Typer parses these commands' command lines only when policyc/cli/fastargs.py leaves one alone
(`--help`, a malformed command line, `--policy`): the commands themselves (policyc/cli/can_i.py,
who_can.py, explain.py) import neither Typer nor pydantic, so a script calling `can-i --from`
in a loop does not pay for them (issue 19). fastargs.py reads the same options; a test compares
the two (tests/unit/cli/test_fastargs.py).
"""

from __future__ import annotations

from pathlib import Path

import typer

from policyc.cli import can_i as can_i_command
from policyc.cli import explain as explain_command
from policyc.cli import who_can as who_can_command
from policyc.cli.access_common import Output

POLICY_OPT = typer.Option(None, "--policy", help="Policy folder to compile (default: policies/).")
FROM_OPT = typer.Option(None, "--from", help="Kubernetes YAML or JSON: a file or folder, repeatable (instead of "
                        "a policy). Multi-document files and List kinds are read.")
KUBERNETES_OPT = typer.Option(None, "--kubernetes", help="Target release, e.g. 1.30 (default: the policy's, or the "
                              "newest).")
NAMESPACE_OPT = typer.Option(None, "-n", "--namespace", help="Namespace of the request (default: `default`, as "
                             "kubectl's context namespace); with --from, also the namespace of the namespaced objects "
                             "that name none, as `kubectl apply -n` (then an object naming another one is an error).")
PLACE_OPT = typer.Option(None, "-n", "--namespace", help="With --from: the namespace of the namespaced objects that "
                         "name none, as `kubectl apply -n` places them (an object naming another one is an error).")
ALL_NS_OPT = typer.Option(False, "-A", "--all-namespaces", help="Ask at cluster scope (across all namespaces).")
OUTPUT_OPT = typer.Option(Output.text, "-o", "--output", help="Output format.")


def can_i(
    verb: str | None = typer.Argument(None, help="A verb: get, list, create, impersonate, ..."),
    resource: str | None = typer.Argument(None, help="pods, po, pod, Pod, pods/log, deploy, deployments.apps, "
                                          "deployments.v1.apps, deployments.apps/scale, or /healthz."),
    name: str | None = typer.Argument(None, help="Object name (resourceNames)."),
    as_user: str | None = typer.Option(None, "--as", help="User to ask for; system:serviceaccount:NS:NAME for a "
                                       "service account (its groups are implied)."),
    as_group: list[str] = typer.Option([], "--as-group", help="Group of the user, repeatable (as kubectl "
                                       "--as-group: replaces the implied groups)."),
    namespace: str | None = NAMESPACE_OPT,
    all_namespaces: bool = ALL_NS_OPT,
    explain: bool = typer.Option(False, "--explain", help="Name the binding, role and rule that allow it."),
    list_: bool = typer.Option(False, "--list", help="Print every rule the user holds in the namespace, as "
                               "`kubectl auth can-i --list`."),
    no_headers: bool = typer.Option(False, "--no-headers", help="With --list: no header line."),
    batch: str | None = typer.Option(None, "--batch", metavar="FILE", help="Answer one JSON question per line "
                                     "of FILE (`-`: standard input), one JSON answer per line (docs/access.md)."),
    policy: Path | None = POLICY_OPT,
    sources: list[Path] | None = FROM_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
    output: Output = OUTPUT_OPT,
) -> None:
    """Print `yes` (exit 0) or `no` (exit 1) as the API server would answer; exit 2 on errors."""
    can_i_command.can_i(verb, resource, name, as_user, list(as_group or ()), namespace, all_namespaces, explain,
                        list_, no_headers, batch, policy, sources, kubernetes, output)


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
    who_can_command.who_can(verb, resource, name, namespace, all_namespaces, policy, sources, kubernetes, output)


def explain(
    subject: str = typer.Argument(..., help="user:NAME, group:NAME, serviceaccount:NS/NAME or team:NAME."),
    policy: Path | None = POLICY_OPT,
    sources: list[Path] | None = FROM_OPT,
    kubernetes: str | None = KUBERNETES_OPT,
    output: Output = OUTPUT_OPT,
    namespace: str | None = PLACE_OPT,
) -> None:
    """Everything the subject may do, directly and through escalation, grouped by namespace."""
    explain_command.explain(subject, policy, sources, kubernetes, output, namespace)

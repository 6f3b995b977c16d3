"""Release rules: which Kubernetes release the policy targets."""

from __future__ import annotations

from policyc import model as m
from policyc.diagnostics import Diagnostic, Label, error
from policyc.k8s import releases
from policyc.rules import ERROR, Rule, register
from policyc.source import Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "core",
    Rule("PC201", ERROR, "two `kubernetes` declarations disagree", example="`kubernetes 1.24` and `kubernetes 1.30`"),
    Rule("PC401", ERROR, "a release outside 1.16 to 1.37", example="`kubernetes 1.12`"),
)


def _fmt(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


def resolve_release(policy: m.Policy, override: str | None) -> tuple[tuple[int, int] | None, list[Diagnostic]]:
    """The target release: `--kubernetes` if given, else the policy's `kubernetes`, else the newest.

    PC201: two `kubernetes` declarations disagree. PC401: a release outside the supported range.
    """
    diags: list[Diagnostic] = []
    decls = policy.kubernetes_decls
    for other in decls[1:]:
        if other.text != decls[0].text:
            diags.append(
                error(
                    "PC201",
                    f"conflicting target releases `{decls[0].text}` and `{other.text}`",
                    other.span,
                    "declare `kubernetes` once for the whole policy",
                    (Label(decls[0].span, "the first declaration is here"),),
                )
            )
    supported = f"{_fmt(releases.OLDEST)} to {_fmt(releases.NEWEST)}"
    if override is not None:
        version = releases.parse_version(override)
        if version is None or version not in releases.SUPPORTED:
            diags.append(
                error(
                    "PC401",
                    f"unsupported Kubernetes release `{override}` given with --kubernetes",
                    Span("<command line>", 0, 0, 0, 0),
                    f"policyc supports releases {supported}",
                )
            )
            return None, diags
        return version, diags
    if policy.kubernetes is None:
        return releases.NEWEST, diags
    version = releases.parse_version(policy.kubernetes.text)
    if version is None or version not in releases.SUPPORTED:
        diags.append(
            error(
                "PC401",
                f"unsupported Kubernetes release `{policy.kubernetes.text}`",
                policy.kubernetes.span,
                f"write a release from {supported}, such as `kubernetes {_fmt(releases.NEWEST)}`",
            )
        )
        return None, diags
    return version, diags

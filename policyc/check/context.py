"""What every check function receives: the policy, the release, and a diagnostic sink."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc import model as m
from policyc.diagnostics import Diagnostic, Label, error, warning
from policyc.k8s.releases import Release
from policyc.source import Span


@dataclass
class Context:
    """Shared state of one check run; checks append diagnostics, never raise."""

    policy: m.Policy
    release: Release
    diags: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span, help: str = "", labels: tuple[Label, ...] = ()) -> None:
        """Report an error."""
        self.diags.append(error(code, message, span, help, labels))

    def warn(self, code: str, message: str, span: Span, help: str = "", cis: str = "") -> None:
        """Report a warning."""
        self.diags.append(warning(code, message, span, help, (), cis))

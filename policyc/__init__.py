"""policyc: a policy-as-code compiler for Kubernetes access.

Public API: `load(path)` reads and compiles a policy folder without writing anything;
`build(path, out)` compiles it and writes the manifest tree atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policyc.pipeline import Result

__all__ = ["Result", "build", "load"]
__version__ = "0.1.0"


def load(path: str | Path, kubernetes: str | None = None) -> Result:
    """Parse, check and emit a policy folder in memory (what `policyc check` does)."""
    from policyc.pipeline import compile_path

    return compile_path(Path(path), kubernetes)


def build(
    path: str | Path, out: str | Path, kubernetes: str | None = None, secrets_dir: str | Path | None = None
) -> Result:
    """Compile a policy folder and, when it has no errors, replace `out` with the manifests.

    With `secrets_dir`, users' credentials are issued there (and the CSR objects emitted).
    Raises output.secrets.SecretsError when the secrets folder cannot be used.
    """
    from policyc.pipeline import Options, run

    return run(Options(path=Path(path), kubernetes=kubernetes, out=Path(out),
                       secrets=None if secrets_dir is None else Path(secrets_dir)))


def __getattr__(name: str) -> Any:
    # The compiler is imported when used, not with the package: `policyc can-i --from` and the
    # other commands that do not compile start faster (issue 19).
    if name == "Result":
        from policyc.pipeline import Result

        return Result
    raise AttributeError(f"module 'policyc' has no attribute {name!r}")

"""policyc: a policy-as-code compiler for Kubernetes access.

Public API: `load(path)` reads and compiles a policy folder without writing anything;
`build(path, out)` compiles it and writes the manifest tree atomically.
"""

from __future__ import annotations

from pathlib import Path

from policyc.pipeline import Result, compile_path

__all__ = ["Result", "build", "load"]
__version__ = "0.1.0"


def load(path: str | Path, kubernetes: str | None = None) -> Result:
    """Parse, check and emit a policy folder in memory (what `policyc check` does)."""
    return compile_path(Path(path), kubernetes)


def build(path: str | Path, out: str | Path, kubernetes: str | None = None) -> Result:
    """Compile a policy folder and, when it has no errors, replace `out` with the manifests."""
    from policyc.output.tree import layout, write_tree

    result = load(path, kubernetes)
    if result.ok:
        write_tree(Path(out), layout(result.manifests, result.files))
    return result

"""`policyc lsp`: the language server, for editors (docs/editors.md)."""

from __future__ import annotations

import typer


def lsp(
    stdio: bool = typer.Option(True, "--stdio", help="Talk LSP over stdin/stdout (the only transport).", hidden=True),
) -> None:
    """Run the Language Server Protocol server over stdin and stdout."""
    from policyc.lsp.server import serve  # pygls is imported only when the server runs

    serve()

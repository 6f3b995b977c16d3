"""policyc/check/cel.py: cel-python is imported and its grammar built on the first CEL expression of a
policy, not by every compile (about 0.25 s of CPU in each `policyc build` and LSP start)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PLAIN = "namespace dev {\n  pod-security baseline\n}\n"
WITH_CEL = ('kubernetes 1.34\ncluster {\n  authentication {\n    oidc issuer https://login.example.com '
            "audiences k8s username-expression \"'oidc:' + claims.sub\"\n  }\n}\n")
BROKEN_CEL = WITH_CEL.replace("claims.sub\"", "claims.\"")


@pytest.mark.parametrize(("text", "imports", "codes"), [
    (PLAIN, False, set()),
    (WITH_CEL, True, set()),
    (BROKEN_CEL, True, {"error"}),
], ids=["no-cel", "cel", "cel-syntax-error"])
def test_cel_python_is_imported_only_for_a_policy_with_cel(text: str, imports: bool, codes: set[str]) -> None:
    code = (
        "import sys\n"
        "from policyc.pipeline import compile_sources\n"
        "from policyc.source import SourceFile\n"
        f"r = compile_sources([SourceFile('p.policy', {text!r})], None)\n"
        "print(sorted({'error' for d in r.diagnostics if d.is_error}))\n"
        "print('celpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == repr(sorted(codes))
    assert out[1] == str(imports)

"""The caret of a CEL problem sits under the character CEL names, whatever string escapes come before it.

A policy string's value is decoded (`\\"`, `\\\\`, `\\n`, `\\t`: docs/language.md), and cel-python's
line and column are positions in that value; each escape before them is one more character in the
file (policyc/syntax/escapes.py). Checked through the console script's `policyc check` output.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

POLICY = """\
kubernetes 1.34

cluster {{
  authentication {{
    oidc issuer https://a.example.com client-id k {setting} "{expr}"
  }}
}}
"""

# (the expression as written in the policy file, between its quotes; the message's start; what is underlined)
CASES = [
    ("claims.sub +", "the CEL expression does not parse at column 12", "+"),
    (r"'a\"b' + claims.sub +", "the CEL expression does not parse", "+"),
    (r"'a\\b' + claims.sub +", "the CEL expression does not parse", "+"),
    (r"'a\tb' + claims.sub +", "the CEL expression does not parse", "+"),
    (r"'\\\\' + '\"\"' + claims.sub +", "the CEL expression does not parse", "+"),
    # `\n` between tokens is a new line for CEL: its line 2 is still on the policy's one line.
    (r"claims.sub +\n claims.name +", "the CEL expression does not parse at line 2 (after an escaped `\\n`), column",
     "+"),
    ("claim.sub", "`claim` is not a variable of this expression", "claim"),
    (r"'a\"b' + claim.sub", "`claim` is not a variable of this expression", "claim"),
    (r"'\\\\' + '\t' + request.sub", "`request` is not a variable of this expression", "request"),
    (r"claims.sub +\n  clams.name", "`clams` is not a variable of this expression", "clams"),
]


def _located(out: str, message: str) -> tuple[int, str, str]:
    """(column of the header, the source line shown, the underlined text) of the PC271 diagnostic."""
    rows = out.splitlines()
    at = next(i for i, r in enumerate(rows) if "error[PC271]" in r and message in r)
    col = int(re.match(r"[^:]+:\d+:(\d+):", rows[at])[1])
    source, carets = rows[at + 2], rows[at + 3]
    bar = source.index(" | ") + 3
    text = source[bar:]
    start = carets.index("^") - bar
    end = len(carets.rstrip()) - bar
    assert start == col - 1, (col, carets)  # header and caret agree
    return col, text, text[start:end]


@pytest.mark.parametrize(("expr", "message", "under"), CASES)
def test_the_caret_is_under_what_cel_names(tmp_path: Path, policyc: list[str], expr: str, message: str,
                                           under: str) -> None:
    setting = "username-expression" if "claim.sub" not in expr else "groups-expression"
    (tmp_path / "a.policy").write_text(POLICY.format(setting=setting, expr=expr))
    done = subprocess.run([*policyc, "check", str(tmp_path)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out
    col, text, underlined = _located(out, message)
    assert underlined == under, (expr, col, text)
    # The last character of the line's expression is its closing quote: the error sits inside it.
    assert col - 1 < text.rindex('"')

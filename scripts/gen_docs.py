#!/usr/bin/env python3
"""Write the generated parts of the docs: docs/diagnostics.md's code tables and docs/cis.md.

They come from the rule registry (policyc/rules.py), the CIS table (policyc/data/cis) and
policyc/check/cis_controls.py; see policyc/rules_docs.py.

Usage::

    python scripts/gen_docs.py           # rewrite the files
    python scripts/gen_docs.py --check   # exit 1 when a committed file differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from policyc.rules_docs import cis_md, diagnostics_md

ROOT = Path(__file__).resolve().parent.parent


def rendered() -> dict[Path, str]:
    """Each generated file and the text it should have."""
    diagnostics = ROOT / "docs" / "diagnostics.md"
    return {
        diagnostics: diagnostics_md(diagnostics.read_text(encoding="utf-8")),
        ROOT / "docs" / "cis.md": cis_md(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a committed file differs")
    args = parser.parse_args()
    stale = []
    for path, text in rendered().items():
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    if args.check and stale:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run scripts/gen_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

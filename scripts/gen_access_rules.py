#!/usr/bin/env python3
"""Write docs/access.md's tables: escalation rules (policyc/access/escalation_rules.py) and built-in roles
per release (policyc/k8s/bootstrap.py RELEASE_CHANGES).

Usage::

    python scripts/gen_access_rules.py           # rewrite the table
    python scripts/gen_access_rules.py --check   # exit 1 when the committed table differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from policyc.access.escalation_rules import with_table
from policyc.k8s.bootstrap import with_release_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "access.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed table differs")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    new = with_release_table(with_table(text))
    if args.check:
        if new != text:
            print(f"{DOC} is out of date: run scripts/gen_access_rules.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

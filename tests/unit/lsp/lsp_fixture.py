"""A small two-file program with known positions, shared by the language-server tests."""

from __future__ import annotations

from pathlib import Path

ROLES = """\
kubernetes 1.30

role pod-reader {
  get, watch, list pods
}

role deployer in apps {
  read, write deployments.apps
}

role ops aggregates pod-reader
"""

TEAMS = """\
team web {
  members user alice, group devs, serviceaccount apps/ci
  grant role pod-reader in apps
  grant role deployer in apps
  grant role edit in apps
}

namespace apps {
  labels tier=prod
  grant role pod-reader to team web
}

serviceaccount apps/ci
"""


def write_program(root: Path) -> Path:
    """Write the program into `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "roles.policy").write_text(ROLES, encoding="utf-8")
    (root / "teams.policy").write_text(TEAMS, encoding="utf-8")
    return root


def at(text: str, needle: str, nth: int = 0, delta: int = 0) -> tuple[int, int]:
    """(line, character) of the nth occurrence of `needle` in `text`, plus `delta` characters."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    offset += delta
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)

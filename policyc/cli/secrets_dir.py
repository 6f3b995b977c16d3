"""Where the commands keep credentials when `--secrets` is not given: anchored to the policy.

The secrets folder is an input of the build (the CSR objects carry requests made with its keys)
and the only copy of the keys. A default under the working directory made a build run from
another folder silently issue new keys, and `build --check` answer differently depending on
where it ran. So the default follows the policy, as git follows the repository:

1. `.policyc/secrets` at the top of the git work tree that holds the policy folder (the folder
   that has `.git`, a directory or, in a linked work tree or submodule, a file);
2. else `.policyc/secrets` beside the policy (beside the folder, or beside the file).

`--secrets DIR` overrides both. The commands print the folder when they create it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import typer

from policyc.cli.paths import shown_path

SECRETS_SUBDIR = Path(".policyc") / "secrets"


@dataclass(frozen=True)
class SecretsLocation:
    """The secrets folder a command uses, and why there (for the first-use note)."""

    path: Path
    why: str
    existed: bool
    given: bool = False  # by `--secrets`, rather than the default

    def announce_if_created(self) -> None:
        """On first use, say where the credentials went and how to choose another folder (stderr)."""
        if self.existed or not self.path.is_dir():
            return
        typer.echo(
            f"note: created the secrets folder {shown_path(self.path)} ({self.why}); it holds the only copy of "
            "the keys and tokens: keep it, back it up as a secret, never commit it; `--secrets DIR` chooses "
            "another folder",
            err=True,
        )


def work_tree_of(folder: Path) -> Path | None:
    """The top of the git work tree that holds `folder`, or None (no git call: the answer needs no git)."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def secrets_location(policy: Path, given: Path | None) -> SecretsLocation:
    """The folder of `--secrets`, else the default anchored to `policy` (see the module docstring)."""
    if given is not None:
        return SecretsLocation(Path(os.path.abspath(given)), "given by --secrets", given.is_dir(), given=True)
    anchor = Path(os.path.abspath(policy))
    folder = anchor if anchor.is_dir() else anchor.parent
    root = work_tree_of(folder.resolve())
    if root is not None:
        path, why = root / SECRETS_SUBDIR, f"at the top of the git work tree that holds {shown_path(policy)}"
    else:
        path, why = anchor.parent / SECRETS_SUBDIR, f"beside {shown_path(policy)}, which is in no git work tree"
    return SecretsLocation(path, why, path.is_dir())

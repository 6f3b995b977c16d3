"""`policyc --version` through the installed console script."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest

import policyc as package


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_installed_version(policyc: list[str], flag: str) -> None:
    r = subprocess.run([*policyc, flag], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"policyc {version('policyc')}\n", "")


def test_package_and_distribution_agree() -> None:
    # pyproject.toml's version is what pip installs; policyc.__version__ is what SARIF and the LSP report.
    assert package.__version__ == version("policyc")


def test_version_is_listed_in_help(policyc: list[str]) -> None:
    r = subprocess.run([*policyc, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--version" in r.stdout

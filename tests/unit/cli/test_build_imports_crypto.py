"""`policyc build` imports `cryptography` (about 28 ms) only when a certificate user needs a key or
a CSR (policyc/output/credentials.py imports it in the functions that make and read them).

Run in a new interpreter through the console script's entry point, as a user runs it.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ARTICLE = Path(__file__).resolve().parents[2] / "golden" / "article" / "policy"

NO_CERTIFICATES = """\
cluster {
  authentication {
    tokens file /etc/kubernetes/auth/tokens.csv
  }
}

user alice@example.com auth token groups dev

team web {
  members user alice@example.com
  grant role view in web-dev
}

namespace web-dev {
  labels team=web
}
"""


def _build(policy: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`policyc build POLICY` in a new interpreter; the run and the modules it imported."""
    out, secrets = tmp_path / "out", tmp_path / "secrets"
    code = (
        "import sys\n"
        f"sys.argv = ['policyc', 'build', {str(policy)!r}, '-o', {str(out)!r}, '--secrets', {str(secrets)!r}]\n"
        "from policyc.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    modules = set(done.stdout.rpartition("MODULES ")[2].split())
    return done, modules


def test_a_policy_without_certificate_users_builds_without_cryptography(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "main.policy").write_text(NO_CERTIFICATES, encoding="utf-8")
    done, modules = _build(policy, tmp_path)
    assert done.returncode == 0, done.stderr
    assert not any(m == "cryptography" or m.startswith("cryptography.") for m in modules)
    # The token user's credentials are still issued, 0600 in a 0700 folder.
    tokens = tmp_path / "secrets" / "apiserver" / "tokens.csv"
    assert tokens.is_file() and stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert "alice@example.com" in tokens.read_text("utf-8")


@pytest.mark.skipif(not ARTICLE.is_dir(), reason="the golden article policy is part of the repository")
def test_certificate_users_still_get_keys_and_csrs(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(ARTICLE, policy)
    done, modules = _build(policy, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cryptography.x509" in modules
    csrs = (tmp_path / "out" / "cluster" / "certificatesigningrequests.yaml").read_text("utf-8")
    assert "testuser" in csrs and "hvapour" in csrs
    keys = sorted(p.relative_to(tmp_path / "secrets").as_posix() for p in (tmp_path / "secrets").rglob("key.pem"))
    assert len(keys) == 2
    for key in (tmp_path / "secrets").rglob("key.pem"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_text("ascii").startswith("-----BEGIN PRIVATE KEY-----")

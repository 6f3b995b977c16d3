"""The pipeline as data (policyc/pipeline.py): the stage list, credentials before emit, write last."""

from __future__ import annotations

from pathlib import Path

import pytest

import policyc
from policyc import pipeline
from policyc.output.secrets import SecretStore

POLICY = """\
kubernetes 1.30
cluster {
  authentication {
    certificates ca /etc/kubernetes/pki/ca.crt
  }
}
user alice auth certificate groups devs
team dev {
  members group devs
  grant role edit in app
}
"""
BROKEN_GUARD = "forbid create pods/exec for group devs\n"


def _folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "main.policy").write_text(text, encoding="utf-8")
    return folder


def test_the_stages_are_listed_in_order() -> None:
    assert pipeline.STAGE_NAMES == (
        "read", "lower", "check", "issue credentials", "emit", "check emitted", "write",
    )
    assert [s.name for s in pipeline.stages(start="check", until="write")] == [
        "check", "issue credentials", "emit", "check emitted",
    ]


def test_credentials_are_issued_before_emit_and_emitted_once(tmp_path: Path) -> None:
    """The CSR object is in the one emit: no second run of the backends after issuing."""
    folder = _folder(tmp_path, POLICY)
    options = pipeline.Options(path=folder, secrets=tmp_path / "s")
    result = pipeline.run(options, until="emit")
    assert result.credentials.csr_requests.keys() == {"alice"}
    assert result.manifests == [] and not (tmp_path / "s").exists()  # nothing written yet
    pipeline.run(options, result, start="emit", until="write")
    (csr,) = [m for m in result.manifests if m.kind == "CertificateSigningRequest"]
    assert csr.name == "alice"
    pipeline.run(options, result, start="write")
    assert SecretStore(tmp_path / "s").read("users/alice/key.pem") is not None


def test_a_build_failing_after_emit_writes_no_secret_and_no_tree(tmp_path: Path) -> None:
    """A guard (checked on the emitted objects) fails: the secrets folder and the tree stay absent."""
    folder = _folder(tmp_path, POLICY + BROKEN_GUARD)
    result = policyc.build(folder, tmp_path / "out", secrets_dir=tmp_path / "s")
    assert [d.code for d in result.diagnostics if d.is_error] == ["PC301"]
    assert not (tmp_path / "s").exists() and not (tmp_path / "out").exists()


def test_deny_warnings_stops_the_write(tmp_path: Path) -> None:
    # PC540 and PC549, warnings: anonymous requests are not turned off, kubelet certificates not verified
    folder = _folder(tmp_path, POLICY)
    options = pipeline.Options(path=folder, out=tmp_path / "out", secrets=tmp_path / "s")
    assert pipeline.run(options).ok and (tmp_path / "out").is_dir()
    options = pipeline.Options(path=folder, out=tmp_path / "out2", secrets=tmp_path / "s2", deny_warnings=True)
    result = pipeline.run(options)
    assert [(d.code, d.is_error) for d in result.diagnostics] == [("PC540", True), ("PC549", True)]
    assert not (tmp_path / "out2").exists() and not (tmp_path / "s2").exists()


@pytest.mark.parametrize("until", ["lower", "check"])
def test_a_prefix_of_the_pipeline_emits_nothing(tmp_path: Path, until: str) -> None:
    result = pipeline.run(pipeline.Options(path=_folder(tmp_path, POLICY)), until=until)
    assert result.manifests == [] and result.files == {}

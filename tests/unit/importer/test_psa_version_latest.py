"""`pod-security.kubernetes.io/MODE-version: latest` imports as written (`pod-security LEVEL latest`),
so `policyc import --verify` reports no change; other versions, or none, pin the target release (PC612).
"""

from __future__ import annotations

import pytest
from importer_cases import docs_from, run

NS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: apps
  labels:
{labels}
"""


def _labels(**versions: str | None) -> str:
    out = []
    for mode, version in versions.items():
        out.append(f"    pod-security.kubernetes.io/{mode}: restricted")
        if version is not None:
            out.append(f"    pod-security.kubernetes.io/{mode}-version: {version}")
    return "\n".join(out)


@pytest.mark.parametrize(("versions", "line"), [
    ({"enforce": "latest", "warn": "latest", "audit": "latest"}, "pod-security restricted latest"),
    ({"enforce": "v1.30", "warn": "latest", "audit": "latest"},
     "pod-security enforce restricted, warn restricted latest, audit restricted latest"),
    ({"enforce": "latest"}, "pod-security enforce restricted latest"),
    ({"enforce": "v1.30", "warn": "v1.30", "audit": "v1.30"}, "pod-security restricted"),
])
def test_latest_imports_as_written_and_verifies_without_change(versions: dict[str, str], line: str) -> None:
    result, compiled, v = run(docs_from(NS.format(labels=_labels(**versions))), (1, 30))
    text = "".join(result.files.values())
    assert f"  {line}\n" in text, text
    assert [d.code for d in result.diagnostics] == []
    assert not v.added and not v.removed and v.settings == [], v.lines((1, 30))
    (ns,) = [m.body for m in compiled.manifests if m.kind == "Namespace"]
    for mode, version in versions.items():
        assert ns["metadata"]["labels"][f"pod-security.kubernetes.io/{mode}-version"] == version


@pytest.mark.parametrize(("version", "words"), [
    ("v1.25", "pinned to `v1.25`"),
    (None, "not pinned (`latest`)"),
])
def test_another_version_or_none_pins_the_target_release(version: str | None, words: str) -> None:
    result, _compiled, v = run(docs_from(NS.format(labels=_labels(enforce=version))), (1, 30))
    (d,) = [d for d in result.diagnostics if d.code == "PC612"]
    assert words in d.message and "`v1.30`" in d.message
    assert [(c.key, c.after) for c in v.settings] == [("pod-security.kubernetes.io/enforce-version", "v1.30")]

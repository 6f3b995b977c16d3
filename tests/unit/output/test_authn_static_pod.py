"""The in-place kube-apiserver patcher: preservation, idempotence, refusal, volumes, atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

import policyc
from conftest import REPO
from helpers import compile_text
from policyc.backends.apiserver import apiserver_change, patch_file, volume_name
from policyc.output import static_pod
from policyc.output.static_pod import ManifestError, load_patch_file, patch_text, write_patched
from policyc.output.yaml import render_file

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = REPO / "tests" / "golden" / "article" / "policy"
MANIFESTS = sorted(FIXTURES.glob("kube-apiserver-*.yaml"))


def change_for(text: str, release: str = "1.30"):
    result = compile_text(text, kubernetes=release)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics if d.is_error]
    return apiserver_change(result.program)


def flags(doc: dict) -> list[str]:
    return doc["spec"]["containers"][0]["command"][1:]


TOKENS_POLICY = """\
cluster {
  authorization Node, RBAC
  admission NodeRestriction, LimitRanger
  authentication {
    anonymous yes
    tokens file /etc/kubernetes/auth/tokens.csv
  }
}
"""


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_unrelated_flags_volumes_and_fields_are_kept(manifest: Path) -> None:
    original = manifest.read_text()
    result = patch_text(original, change_for(TOKENS_POLICY))
    old, new = yaml.safe_load(original), yaml.safe_load(result.patched)
    owned = {"authorization-mode", "enable-admission-plugins", "anonymous-auth", "token-auth-file"}
    assert [f for f in flags(old) if f.split("=")[0][2:] not in owned] == [
        f for f in flags(new) if f.split("=")[0][2:] not in owned
    ]
    assert "--enable-admission-plugins=NodeRestriction,LimitRanger" in flags(new)
    assert "--enable-admission-plugins=NodeRestriction" not in flags(new)
    assert flags(new).count("--authorization-mode=Node,RBAC") == 1
    assert [v for v in new["spec"]["volumes"] if not v["name"].startswith("policyc-")] == old["spec"]["volumes"]
    new_mounts = new["spec"]["containers"][0]["volumeMounts"]
    assert [m for m in new_mounts if not m["name"].startswith("policyc-")] == old["spec"]["containers"][0][
        "volumeMounts"
    ]
    for key in ("metadata", "status"):
        assert old[key] == new[key]
    for key in ("image", "livenessProbe", "resources", "imagePullPolicy"):
        assert old["spec"]["containers"][0][key] == new["spec"]["containers"][0][key]
    # The flags were sorted by name, as kubeadm writes them: they still are.
    assert flags(new) == sorted(flags(new))
    # Only the lines of the change differ: one flag replaced, two added, one volume and its mount.
    lines = result.diff("m").splitlines()[2:]
    assert [line for line in lines if line.startswith("-")] == ["-    - --enable-admission-plugins=NodeRestriction"]
    assert len([line for line in lines if line.startswith("+")]) == 3 + 3 + 4


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_patch_is_idempotent_and_reapplies_nothing(manifest: Path) -> None:
    change = change_for(TOKENS_POLICY)
    once = patch_text(manifest.read_text(), change)
    assert once.changed
    assert patch_text(once.patched, change).patched == once.patched


def test_token_file_gets_a_read_only_file_volume_and_pki_files_none() -> None:
    result = patch_text((FIXTURES / "kube-apiserver-1.24.yaml").read_text(), change_for(TOKENS_POLICY + (
        "cluster {\n  authentication {\n    certificates ca /etc/kubernetes/pki/ca.crt\n  }\n}\n")))
    new = yaml.safe_load(result.patched)
    ours = [v for v in new["spec"]["volumes"] if v["name"].startswith("policyc-")]
    assert ours == [{"hostPath": {"path": "/etc/kubernetes/auth/tokens.csv", "type": "File"},
                     "name": "policyc-etc-kubernetes-auth-tokens-csv"}]
    mounts = [m for m in new["spec"]["containers"][0]["volumeMounts"] if m["name"].startswith("policyc-")]
    assert mounts == [{"mountPath": "/etc/kubernetes/auth/tokens.csv", "name": "policyc-etc-kubernetes-auth-tokens-csv",
                       "readOnly": True}]


def test_a_directory_the_manifest_already_mounts_covers_the_file() -> None:
    text = (FIXTURES / "kube-apiserver-1.24.yaml").read_text()
    text = text.replace(
        "    - mountPath: /etc/ssl/certs\n",
        "    - mountPath: /etc/kubernetes/auth\n      name: auth\n      readOnly: true\n"
        "    - mountPath: /etc/ssl/certs\n",
    ).replace(
        "  volumes:\n",
        "  volumes:\n  - hostPath:\n      path: /etc/kubernetes/auth\n      type: Directory\n    name: auth\n",
    )
    new = yaml.safe_load(patch_text(text, change_for(TOKENS_POLICY)).patched)
    assert not [v for v in new["spec"]["volumes"] if v["name"].startswith("policyc-")]


def test_a_flag_in_two_item_form_is_replaced() -> None:
    text = (FIXTURES / "kube-apiserver-1.24.yaml").read_text().replace(
        "    - --authorization-mode=Node,RBAC\n", "    - --authorization-mode\n    - AlwaysAllow\n"
    )
    new = flags(yaml.safe_load(patch_text(text, change_for(TOKENS_POLICY)).patched))
    assert "AlwaysAllow" not in new and "--authorization-mode" not in new
    assert "--authorization-mode=Node,RBAC" in new


def test_structured_configuration_removes_oidc_flags_and_mounts_its_directory() -> None:
    text = (FIXTURES / "kube-apiserver-1.30.yaml").read_text().replace(
        "    - --kubelet-preferred-address-types", "    - --oidc-issuer-url=https://old.example.com\n"
        "    - --oidc-client-id=old\n    - --kubelet-preferred-address-types"
    )
    change = change_for(
        "cluster {\n  authentication {\n    oidc issuer https://id.example.com client-id k8s config "
        "/etc/kubernetes/auth/authn.yaml\n  }\n}\n"
    )
    new = yaml.safe_load(patch_text(text, change).patched)
    assert not [f for f in flags(new) if f.startswith("--oidc-")]
    assert "--authentication-config=/etc/kubernetes/auth/authn.yaml" in flags(new)
    assert {"hostPath": {"path": "/etc/kubernetes/auth", "type": "DirectoryOrCreate"},
            "name": "policyc-etc-kubernetes-auth"} in new["spec"]["volumes"]


def test_switching_policies_keeps_the_volume_of_a_flag_the_manifest_keeps() -> None:
    """The new policy no longer manages the token file: the flag stays, and so must its volume."""
    first = patch_text((FIXTURES / "kube-apiserver-1.24.yaml").read_text(), change_for(TOKENS_POLICY, "1.24"))
    second = patch_text(first.patched, change_for("cluster {\n  authorization Node, RBAC\n}\n", "1.24"))
    new = yaml.safe_load(second.patched)
    assert "--token-auth-file=/etc/kubernetes/auth/tokens.csv" in flags(new)
    assert "policyc-etc-kubernetes-auth-tokens-csv" in [v["name"] for v in new["spec"]["volumes"]]


def test_a_stale_policyc_volume_is_removed() -> None:
    first = patch_text((FIXTURES / "kube-apiserver-1.24.yaml").read_text(), change_for(TOKENS_POLICY, "1.24"))
    text = first.patched.replace("    - --token-auth-file=/etc/kubernetes/auth/tokens.csv\n", "")
    second = patch_text(text, change_for("cluster {\n  authorization Node, RBAC\n}\n", "1.24"))
    assert "policyc-" not in second.patched


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n", "not a Pod manifest"),
        ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-scheduler\nspec:\n  containers:\n  - name: "
         "kube-scheduler\n    command:\n    - kube-scheduler\n", "not a kube-apiserver static pod"),
        ("a: [unclosed\n", "not valid YAML"),
        ("", "exactly one document"),
        ("apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n", "exactly one document"),
        ("- just\n- a list\n", "not a Pod manifest"),
    ],
)
def test_a_file_that_is_not_a_kube_apiserver_static_pod_is_refused(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        patch_text(text, change_for(TOKENS_POLICY))


def test_a_release_mismatch_is_noted() -> None:
    result = patch_text((FIXTURES / "kube-apiserver-1.18.yaml").read_text(), change_for(TOKENS_POLICY, "1.30"))
    assert result.notes == [
        "the manifest runs kube-apiserver 1.18 but the policy was checked for 1.30; build it with --kubernetes 1.18"
    ]


def test_the_patch_file_of_build_is_the_same_change() -> None:
    change = apiserver_change(policyc.load(ARTICLE).program)
    assert load_patch_file(render_file(patch_file(change))) == change


@pytest.mark.parametrize(
    ("text", "message"),
    [("policycPatch: 2\n", "no `policycPatch: 1`"), ("policycPatch: 1\nrelease: x\n", "valid `release`"),
     ('policycPatch: 1\nrelease: "1.30"\nsetFlags: [--a]\n', "--name=value"), ("[", "not YAML")],
)
def test_a_bad_patch_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        load_patch_file(text)


def test_volume_names_are_dns_labels() -> None:
    long_path = "/etc/kubernetes/" + "very-long-directory-name/" * 5 + "tokens.csv"
    for path in ("/etc/kubernetes/auth/tokens.csv", long_path, "/x"):
        name = volume_name(path)
        assert len(name) <= 63 and name.startswith("policyc-")
        assert name.replace("-", "").isalnum() and name == name.lower()
    assert volume_name(long_path) != volume_name(long_path.replace("tokens", "other"))


def _dir_listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_write_keeps_a_hidden_backup_the_mode_and_no_temporary_file(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    target = manifests / "kube-apiserver.yaml"
    original = (FIXTURES / "kube-apiserver-1.24.yaml").read_bytes()
    target.write_bytes(original)
    os.chmod(target, 0o600)
    result = patch_text(original.decode(), change_for(TOKENS_POLICY, "1.24"))
    backup = write_patched(target, result)
    # The kubelet starts every file whose name does not begin with a dot: only the manifest is visible.
    assert [n for n in _dir_listing(manifests) if not n.startswith(".")] == ["kube-apiserver.yaml"]
    assert backup.parent == manifests and backup.name.startswith(".kube-apiserver.yaml.")
    assert backup.read_bytes() == original
    assert target.read_text() == result.patched
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not [n for n in _dir_listing(manifests) if "policyc-tmp" in n]


def test_backup_dir_elsewhere_holds_a_plain_name(tmp_path: Path) -> None:
    target = tmp_path / "kube-apiserver.yaml"
    target.write_bytes((FIXTURES / "kube-apiserver-1.24.yaml").read_bytes())
    result = patch_text(target.read_text(), change_for(TOKENS_POLICY, "1.24"))
    backup = write_patched(target, result, tmp_path / "backups")
    assert backup.parent == tmp_path / "backups" and backup.name.startswith("kube-apiserver.yaml.")


def test_a_failed_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename that would publish the new manifest fails: the old bytes stay, no temporary file remains."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    target = manifests / "kube-apiserver.yaml"
    original = (FIXTURES / "kube-apiserver-1.30.yaml").read_bytes()
    target.write_bytes(original)
    result = patch_text(original.decode(), change_for(TOKENS_POLICY))
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst) == target:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(static_pod.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_patched(target, result)
    assert target.read_bytes() == original
    assert not [n for n in _dir_listing(manifests) if "policyc-tmp" in n]


NO_ANONYMOUS = "cluster {\n  authentication {\n    anonymous no\n  }\n}\n"


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_refusing_anonymous_requests_while_probes_need_them_is_refused(manifest: Path) -> None:
    """kubeadm's probes carry no credentials: with --anonymous-auth=false they get 401 (kubeadm#798)."""
    with pytest.raises(ManifestError, match=r"fail with 401.*--allow-failing-probes"):
        patch_text(manifest.read_text(), change_for(NO_ANONYMOUS))
    allowed = patch_text(manifest.read_text(), change_for(NO_ANONYMOUS), allow_failing_probes=True)
    assert "--anonymous-auth=false" in flags(yaml.safe_load(allowed.patched))
    assert any("livenessProbe" in note for note in allowed.notes)


def test_probes_that_need_no_anonymous_access_let_it_be_refused() -> None:
    text = (FIXTURES / "kube-apiserver-1.24.yaml").read_text()
    doc = yaml.safe_load(text)
    container = doc["spec"]["containers"][0]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        container[probe] = {"tcpSocket": {"host": "192.168.56.10", "port": 6443}, "periodSeconds": 10}
    result = patch_text(yaml.safe_dump(doc), change_for(NO_ANONYMOUS))
    assert "--anonymous-auth=false" in flags(yaml.safe_load(result.patched))
    headers = [{"name": "Authorization", "value": "Bearer x"}]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        container[probe] = {"httpGet": {"path": "/livez", "port": 6443, "scheme": "HTTPS", "httpHeaders": headers}}
    assert patch_text(yaml.safe_dump(doc), change_for(NO_ANONYMOUS)).changed


def test_a_manifest_that_already_refuses_anonymous_requests_is_not_blocked() -> None:
    text = (FIXTURES / "kube-apiserver-1.24.yaml").read_text().replace(
        "    - --allow-privileged=true\n", "    - --allow-privileged=true\n    - --anonymous-auth=false\n"
    )
    assert patch_text(text, change_for(NO_ANONYMOUS)).changed is False


@pytest.mark.parametrize("spelling", ["manifests", "manifests/", "manifests/../manifests", "linked"])
def test_a_backup_dir_in_the_static_pod_folder_is_still_a_dot_file(tmp_path: Path, spelling: str) -> None:
    """The kubelet starts every non-dot file of its folder: a backup there would be a second API server."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (tmp_path / "linked").symlink_to(manifests, target_is_directory=True)
    elsewhere = tmp_path / "srv"
    elsewhere.mkdir()
    real = elsewhere / "kube-apiserver.yaml"
    real.write_bytes((FIXTURES / "kube-apiserver-1.24.yaml").read_bytes())
    # The kubelet's folder holds a link to the manifest kept elsewhere (a common layout).
    (manifests / "kube-apiserver.yaml").symlink_to(real)
    result = patch_text(real.read_text(), change_for(TOKENS_POLICY, "1.24"))
    named = manifests / "kube-apiserver.yaml"
    backup = write_patched(named, result, Path(str(tmp_path / spelling) + ("/" if spelling.endswith("/") else "")))
    assert backup.name.startswith(".kube-apiserver.yaml."), backup
    assert [n for n in _dir_listing(manifests) if not n.startswith(".")] == ["kube-apiserver.yaml"]
    assert real.read_text() == result.patched  # the file behind the link was patched

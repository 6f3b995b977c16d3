"""The manifest tree: layout, atomic replacement of out/, foreign files and diffs, on real files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from policyc.model.manifest import Manifest
from policyc.output import tree
from policyc.output.tree import (
    HEADER,
    MANIFEST_LIST,
    ForeignFilesError,
    diff_tree,
    kind_plural,
    layout,
    write_tree,
)


def _m(api_version: str, kind: str, name: str, namespace: str | None = None, **rest) -> Manifest:
    meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    body = {"apiVersion": api_version, "kind": kind, "metadata": meta, **rest}
    return Manifest(api_version, kind, name, namespace, body)


RBAC = "rbac.authorization.k8s.io/v1"
MANIFESTS = [
    _m(RBAC, "ClusterRole", "viewer", rules=[]),
    _m(RBAC, "ClusterRole", "admin", rules=[]),
    _m("v1", "Namespace", "development"),
    _m(RBAC, "RoleBinding", "devs-edit", "development", subjects=[]),
    _m(RBAC, "RoleBinding", "ci-deploy", "development", subjects=[]),
    _m("v1", "LimitRange", "defaults", "staging"),
    _m("policy/v1beta1", "PodSecurityPolicy", "restricted", spec={}),
]


def _snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file and directory under root (relative path -> (bytes or None for dirs, mode))."""
    out: dict[str, tuple[bytes | None, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            mode = stat.S_IMODE(path.lstat().st_mode)
            out[rel] = (None if path.is_dir() else path.read_bytes(), mode)
    return out


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


# --- layout ----------------------------------------------------------------------------------


def test_layout_paths_and_kustomization() -> None:
    files = layout(MANIFESTS)
    assert list(files) == [
        "cluster/clusterroles.yaml",
        "cluster/namespaces.yaml",
        "cluster/podsecuritypolicies.yaml",
        "kustomization.yaml",
        "namespaces/development/rolebindings.yaml",
        "namespaces/staging/limitranges.yaml",
    ]
    kustomization = files["kustomization.yaml"]
    assert kustomization.startswith(HEADER)
    assert yaml.safe_load(kustomization) == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [p for p in files if p != "kustomization.yaml"],
    }


def test_layout_file_text_sorted_by_name_with_header() -> None:
    files = layout(MANIFESTS)
    assert files["namespaces/development/rolebindings.yaml"] == (
        HEADER + "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
        "  name: ci-deploy\n  namespace: development\nsubjects: []\n"
        "---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
        "  name: devs-edit\n  namespace: development\nsubjects: []\n"
    )
    docs = list(yaml.safe_load_all(files["cluster/clusterroles.yaml"]))
    assert [d["metadata"]["name"] for d in docs] == ["admin", "viewer"]


def test_layout_is_deterministic_whatever_the_input_order() -> None:
    assert layout(MANIFESTS) == layout(reversed(MANIFESTS))


def test_layout_extra_files_are_not_kubectl_resources() -> None:
    extra = {"apiserver/authorization-config.yaml": "kind: AuthorizationConfiguration\n"}
    files = layout(MANIFESTS, extra_files=extra)
    assert files["apiserver/authorization-config.yaml"] == extra["apiserver/authorization-config.yaml"]
    assert "apiserver/authorization-config.yaml" not in yaml.safe_load(files["kustomization.yaml"])["resources"]


def test_layout_empty() -> None:
    files = layout([])
    assert list(files) == ["kustomization.yaml"]
    assert yaml.safe_load(files["kustomization.yaml"])["resources"] == []


@pytest.mark.parametrize(
    "extra",
    [
        {"../escape.yaml": ""},
        {"/abs.yaml": ""},
        {"a//b.yaml": ""},
        {"a/./b.yaml": ""},
        {"new\nline.yaml": ""},
        {"tab\there.yaml": ""},
        {"nul\x00.yaml": ""},
        {"esc\x1f.yaml": ""},
        {"del\x7f.yaml": ""},
        {MANIFEST_LIST: ""},
        {"kustomization.yaml": ""},
        {"cluster": ""},  # a file where a generated directory goes
    ],
)
def test_layout_rejects_unsafe_or_colliding_extra_files(extra: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        layout(MANIFESTS, extra_files=extra)


def test_layout_rejects_duplicates_and_inconsistent_bodies() -> None:
    with pytest.raises(ValueError, match="same identity"):
        layout([MANIFESTS[0], MANIFESTS[0]])
    body_without_namespace = Manifest(
        RBAC, "Role", "r", "dev", {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "r"}}
    )
    with pytest.raises(ValueError, match="does not match"):
        layout([body_without_namespace])
    with pytest.raises(ValueError, match="namespace"):
        layout([_m("v1", "ConfigMap", "c", "../etc")])


@pytest.mark.parametrize(
    ("kind", "plural"),
    [
        ("ClusterRole", "clusterroles"),
        ("Namespace", "namespaces"),
        ("PodSecurityPolicy", "podsecuritypolicies"),
        ("Ingress", "ingresses"),
        ("Endpoints", "endpoints"),
        ("ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings"),
        ("Gateway", "gateways"),
    ],
)
def test_kind_plural(kind: str, plural: str) -> None:
    assert kind_plural(kind) == plural


# --- write_tree ------------------------------------------------------------------------------


def test_write_then_rewrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = layout(MANIFESTS)
    result = write_tree(out, first)
    assert result.written == tuple(sorted(first)) and result.added == result.written
    assert result.changed == result.removed == ()
    for rel, text in first.items():
        assert (out / rel).read_bytes() == text.encode("utf-8")
        assert stat.S_IMODE((out / rel).stat().st_mode) == 0o644
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "namespaces" / "development").stat().st_mode) == 0o755
    assert (out / MANIFEST_LIST).read_text() == "".join(f"{p}\n" for p in sorted(first))
    assert _siblings(out) == []  # no temporary directory left behind

    second = layout(MANIFESTS[:2] + [_m(RBAC, "ClusterRole", "auditor", rules=[])])
    result = write_tree(out, second)
    assert result.changed == ("cluster/clusterroles.yaml", "kustomization.yaml")
    assert result.added == ()
    assert set(result.removed) == set(first) - set(second)
    assert sorted(_snapshot(out)) == sorted(
        {*second, MANIFEST_LIST, "cluster"}  # namespaces/ is gone with its files
    )
    assert _siblings(out) == []

    again = _snapshot(out)
    write_tree(out, second)
    assert _snapshot(out) == again  # building twice gives the same bytes


def test_write_into_an_empty_existing_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_tree(out, {"a.yaml": "a: 1\n"})
    assert (out / "a.yaml").read_text() == "a: 1\n"


def test_write_creates_missing_parents(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "out"
    write_tree(out, {"x/y.yaml": "y: 1\n"})
    assert (out / "x" / "y.yaml").read_text() == "y: 1\n"


def test_failed_swap_leaves_previous_tree_byte_identical(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    write_tree(out, layout(MANIFESTS))
    before = _snapshot(out)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(src).name.endswith(".policyc-new"):  # moving the new tree in
            raise OSError("disk on fire")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    monkeypatch.setattr(tree, "_exchange", lambda a, b: False)  # the two-rename fallback
    with pytest.raises(OSError, match="disk on fire"):
        write_tree(out, layout(MANIFESTS[:1]))
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_failed_first_rename_leaves_previous_tree(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    write_tree(out, layout(MANIFESTS))
    before = _snapshot(out)

    def failing_replace(src, dst):
        raise PermissionError("busy")

    monkeypatch.setattr(os, "replace", failing_replace)
    monkeypatch.setattr(tree, "_exchange", lambda a, b: False)  # the two-rename fallback
    with pytest.raises(PermissionError):
        write_tree(out, layout(MANIFESTS[:1]))
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_failure_while_writing_files_leaves_previous_tree(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    write_tree(out, layout(MANIFESTS))
    before = _snapshot(out)
    real_write = tree._write_file
    calls = []

    def failing_write(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("no space left on device")
        real_write(path, data)

    monkeypatch.setattr(tree, "_write_file", failing_write)
    with pytest.raises(OSError, match="no space"):
        write_tree(out, layout(MANIFESTS[:3]))
    assert _snapshot(out) == before
    assert _siblings(out) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only directory")
def test_unwritable_parent_leaves_previous_tree(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    out = parent / "out"
    write_tree(out, layout(MANIFESTS))
    before = _snapshot(out)
    parent.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            write_tree(out, layout(MANIFESTS[:1]))
    finally:
        parent.chmod(0o755)
    assert _snapshot(out) == before


def test_foreign_file_in_a_policyc_tree_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, layout(MANIFESTS))
    (out / "cluster" / "notes.txt").write_text("mine\n")
    (out / "handmade").mkdir()
    before = _snapshot(out)
    with pytest.raises(ForeignFilesError) as info:
        write_tree(out, layout(MANIFESTS[:1]))
    assert info.value.paths == ("cluster/notes.txt", "handmade/")
    assert "cluster/notes.txt" in str(info.value)
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_non_empty_directory_without_a_file_list_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "README.md").write_text("hello\n")
    (out / "sub" / ".hidden").write_text("x")
    before = _snapshot(out)
    with pytest.raises(ForeignFilesError) as info:
        write_tree(out, {"a.yaml": "a: 1\n"})
    assert info.value.paths == ("README.md", "sub/.hidden")
    assert _snapshot(out) == before


def test_removed_policyc_files_are_deleted_but_listed_dirs_kept_quiet(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"a/b.yaml": "b\n", "c.yaml": "c\n"})
    (out / "a" / "b.yaml").unlink()  # someone deleted a generated file: its empty dir is ours
    result = write_tree(out, {"c.yaml": "c\n"})
    assert result.removed == ()
    assert sorted(_snapshot(out)) == [MANIFEST_LIST, "c.yaml"]


def test_out_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a dir")
    with pytest.raises(NotADirectoryError):
        write_tree(out, {"a.yaml": "a\n"})
    assert out.read_text() == "not a dir"


def test_unsafe_paths_are_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_tree(tmp_path / "out", {"../x.yaml": ""})
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.yaml").exists()


# --- diff_tree -------------------------------------------------------------------------------


def test_diff_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = layout(MANIFESTS)
    assert diff_tree(out, files) == sorted(files)  # nothing written yet: everything is missing
    write_tree(out, files)
    assert diff_tree(out, files) == []

    (out / "cluster" / "namespaces.yaml").write_text("edited by hand\n")
    (out / "namespaces" / "staging" / "limitranges.yaml").unlink()
    (out / "foreign.txt").write_text("not ours\n")  # not reported: write_tree refuses it instead
    fewer = {k: v for k, v in files.items() if k != "cluster/clusterroles.yaml"}
    assert diff_tree(out, fewer) == [
        "cluster/clusterroles.yaml",  # written by policyc earlier, no longer wanted
        "cluster/namespaces.yaml",
        "namespaces/staging/limitranges.yaml",
    ]


def test_token_secrets_follow_their_service_accounts_in_one_file() -> None:
    """`kubectl apply -R` applies files in name order; the token controller deletes orphan token Secrets."""
    token = _m("v1", "Secret", "ci-token", "ci", type="kubernetes.io/service-account-token")
    other = _m("v1", "Secret", "app-config", "ci", type="Opaque")
    files = layout([token, other, _m("v1", "ServiceAccount", "runner", "ci")])
    docs = list(yaml.safe_load_all(files["namespaces/ci/serviceaccounts.yaml"]))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("ServiceAccount", "runner"), ("Secret", "ci-token")]
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(files["namespaces/ci/secrets.yaml"])] == ["app-config"]

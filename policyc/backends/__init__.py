"""Backends turn the checked Program into Manifests. An explicit, ordered registry."""

from __future__ import annotations

from collections.abc import Callable

from policyc.backends import admission, apiserver, authn, rbac
from policyc.backends.manifest import Manifest
from policyc.diagnostics import Diagnostic
from policyc.model.program import Program

Backend = Callable[[Program], tuple[list[Manifest], list[Diagnostic]]]

# Order matters only for readability of diagnostics; output is sorted by the writer.
BACKENDS: dict[str, Backend] = {
    "rbac": rbac.emit,
    "authn": authn.emit,
    "admission": admission.emit,
}


FileBackend = Callable[[Program], tuple[dict[str, str], list[Diagnostic]]]

# Backends that write files which are not Kubernetes objects to apply (for example the
# kube-apiserver patches under `apiserver/`): relative path -> text. They are written into the
# output tree but not listed in kustomization.yaml. Secrets never go here.
FILE_BACKENDS: dict[str, FileBackend] = {
    "apiserver": apiserver.emit,
}


def emit_files(program: Program) -> tuple[dict[str, str], list[Diagnostic]]:
    """Run every file backend; the files of all of them (relative path -> text) and diagnostics."""
    files: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for backend in FILE_BACKENDS.values():
        fs, ds = backend(program)
        files.update(fs)
        diags += ds
    return files, diags


def emit_all(program: Program) -> tuple[list[Manifest], list[Diagnostic]]:
    """Run every backend; the manifests of all of them and their diagnostics."""
    manifests: list[Manifest] = []
    diags: list[Diagnostic] = []
    for backend in BACKENDS.values():
        ms, ds = backend(program)
        manifests += ms
        diags += ds
    return manifests, diags

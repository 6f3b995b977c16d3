"""Helpers for the `policyc import` tests: read fixtures or YAML text, import, compile, verify."""

from __future__ import annotations

from pathlib import Path

from policyc.importer import ImportResult, import_docs
from policyc.importer.verify import Verification, compile_files, verify_import
from policyc.k8s.yamlread import Doc, parse_stream, read_paths
from policyc.pipeline import Result

FIXTURES = Path(__file__).parent / "fixtures"


def docs_of(name: str) -> list[Doc]:
    """Every object of a fixture file."""
    docs, _sources, diags = read_paths([str(FIXTURES / name)])
    assert not diags, diags
    return docs


def docs_from(text: str, name: str = "input.yaml") -> list[Doc]:
    """Every object of YAML text."""
    docs, diags = parse_stream(name, text)
    assert not [d for d in diags if d.is_error], diags
    return docs


def run(docs: list[Doc], release: tuple[int, int] = (1, 30), exclude_system: bool = True
        ) -> tuple[ImportResult, Result, Verification]:
    """Import, compile the policy (it must compile without errors) and verify against the input."""
    result = import_docs(docs, release, exclude_system)
    compiled = compile_files(result.files)
    errors = [d for d in compiled.diagnostics if d.is_error]
    assert not errors, [f"{d.span}: {d.code} {d.message}" for d in errors] + [result.files]
    return result, compiled, verify_import(result, docs, compiled)


def codes(result: ImportResult) -> list[str]:
    """The diagnostic codes of an import, in order."""
    return [d.code for d in result.diagnostics]


def status(result: ImportResult, ref: str) -> str:
    """imported, skipped or kept for the object `Kind ns/name`."""
    found = [o.status for o in result.outcomes if o.doc.ref == ref]
    assert found, f"{ref} not in the input"
    return found[-1]

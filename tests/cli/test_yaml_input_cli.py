"""Kubernetes YAML given to `import`, `--from` and `apiserver patch` through the installed console script:
bounded cost and located errors, never a traceback (issue 11, "Reading YAML"; one reader, policyc/k8s/yamlread.py)."""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

MANIFEST = REPO / "tests" / "unit" / "output" / "fixtures" / "kube-apiserver-1.24.yaml"
MEMORY = 1024 * 1024 * 1024  # the bomb used 6 GB before; a refusal needs a fraction of this


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run with 1 GiB of address space (a blow-up would fail) and return the CPU time it used.

    CPU, not wall time: an expansion costs CPU, while the wall time of a shared CI machine also
    counts other jobs (this test used to fail under load with nothing wrong).
    """
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    began = _children_cpu()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=limit)
    return r, _children_cpu() - began


def laughs(levels: int = 9) -> str:
    """~1 KB of YAML whose aliases expand to 9**levels strings."""
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMB = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: bomb}\n" + laughs()


def baseline(policyc: list[str]) -> float:
    """The CPU time the console script takes to start here."""
    return run([*policyc, "--help"])[1]


def test_import_refuses_an_alias_bomb_at_once(policyc: list[str], tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB)
    start = baseline(policyc)
    r, took = run([*policyc, "import", str(tmp_path / "bomb.yaml"), "-o", str(tmp_path / "p"), "--kubernetes", "1.30"])
    assert r.returncode == 1, r.stderr
    assert "bomb.yaml:11:5: error[PC601]: cannot read document 1: aliases expand the document to 490,329" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr and "MemoryError" not in r.stderr
    assert took - start < 2, (took, start)
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {n: " + "9" * 100_000 + "}\n",
         "x.yaml:8:11: error[PC601]: cannot read document 2: an integer of 100,000 characters"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: !!python/object/apply:os.system [id]\n",
         "x.yaml:8:9: error[PC601]: cannot read document 2: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ],
)
def test_import_locates_what_it_cannot_read(policyc: list[str], tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" + text)
    r, _took = run([*policyc, "import", str(tmp_path / "x.yaml"), "-o", str(tmp_path / "p"), "--kubernetes", "1.30"])
    assert r.returncode == 1 and where in r.stderr, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # Before: `internal error: AttributeError: 'list' object has no attribute 'get'`.
        ("kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: [view]\nsubjects: [{kind: User, name: alice}]\n",
         "from.yaml:4:1: error[PC310]: document 1 is not a valid Kubernetes object: `roleRef` needs a `kind` and a "
         "`name`\n"),
        # Before: `internal error: TypeError: unhashable type: 'list'`.
        ("kind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [[get]]\n",
         "from.yaml:7:11: error[PC310]: document 1 is not a valid Kubernetes object: `rules` is not a list of rules "
         "with lists of strings (at `rules[0].verbs[0]`)\n"),
        ("kind: ClusterRole\nmetadata: {name: r}\nn: " + "1" * 100_000 + "\n",
         "from.yaml:4:4: error[PC310]: cannot read document 1: an integer of 100,000 characters"),
        ("kind: ClusterRole\nmetadata: {name: r}\n" + laughs(), "error[PC310]: cannot read document 1: aliases"),
        ("kind: ConfigMap\nmetadata: {name: c}\n---\nplain: text\n",
         "from.yaml:5:1: error[PC310]: document 2 is not a Kubernetes object\n"),
    ],
)
def test_from_with_malformed_objects_gives_located_errors(policyc: list[str], tmp_path: Path, text: str,
                                                          where: str) -> None:
    (tmp_path / "from.yaml").write_text("apiVersion: rbac.authorization.k8s.io/v1\n" + text)
    start = baseline(policyc)
    for command in (["can-i", "get", "pods", "--as", "alice"], ["who-can", "get", "pods"], ["explain", "alice"]):
        r, took = run([*policyc, *command, "--from", str(tmp_path / "from.yaml")])
        assert r.returncode == 2 and where in r.stderr, r.stderr
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr and not r.stdout
        assert took - start < 2, (command, took, start)


def test_apiserver_patch_refuses_an_alias_bomb_and_a_python_tag(policyc: list[str], tmp_path: Path) -> None:
    pod = MANIFEST.read_text()
    patch = 'policycPatch: 1\nrelease: "1.24"\nsetFlags: ["--authorization-mode=Node,RBAC"]\n'
    (tmp_path / "p.patch").write_text(patch)
    start = baseline(policyc)
    for name, text, where in [
        ("bomb.yaml", pod + laughs(), "bomb.yaml:{line}:5: error[PC601]: cannot read document 1: aliases expand"),
        ("tag.yaml", pod.replace("    - --advertise-address", "    - !!python/object/apply:os.system [id]\n"
                                 "    - --advertise-address", 1),
         "tag.yaml:{line}:7: error[PC601]: cannot read document 1: could not determine a constructor"),
    ]:
        target = tmp_path / name
        target.write_text(text)
        line = next(i for i, raw in enumerate(text.splitlines(), 1) if "&l7" in raw or "!!python" in raw)
        r, took = run([*policyc, "apiserver", "patch", str(target), "--patch-file", str(tmp_path / "p.patch")])
        assert r.returncode == 2, r.stderr
        assert where.format(line=line) in r.stderr and "nothing was changed" in r.stderr, r.stderr
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr
        assert took - start < 2, (name, took, start)
        assert target.read_text() == text and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_from_reads_a_built_tree_beside_its_kustomization(policyc: list[str]) -> None:
    """Only the kinds the access engine reads are held to their shape: `kustomization.yaml` has no name."""
    r, _took = run([*policyc, "can-i", "get", "secrets", "-n", "kube-system", "--as", "x", "--as-group",
                    "system:masters", "--from", str(REPO / "tests" / "golden" / "article" / "expected")])
    assert r.returncode == 0 and r.stdout.strip() == "yes", r.stderr

"""Applying the kube-apiserver change to a static-pod manifest in place (`policyc apiserver patch`).

The manifest is edited as YAML that keeps its layout (ruamel.yaml round trip): flags the
change sets replace their old values where they stand (new ones go in name order), flags it
removes are deleted, and volumes named `policyc-...` are added, updated or removed so that
every file a flag names is mounted read-only, unless a directory the manifest already mounts
at the same path covers it. Everything else is kept as it was; a check compares the documents
before and after to prove it.

The kubelet loads every file of the static-pod directory whose name does not start with a dot
(pkg/kubelet/config/file.go: `filepath.Glob(filepath.Join(name, "[^.]*"))`, and its inotify
handler ignores dot-files), so the temporary file and a backup kept beside the manifest are
dot-files; the new manifest replaces the old one with one rename.
"""

from __future__ import annotations

import copy
import difflib
import io
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from policyc.backends.apiserver import (
    CONTAINER,
    KUBEADM_MOUNTED_DIRS,
    VOLUME_PREFIX,
    ApiserverChange,
    Mount,
    files_of,
    mounts_for,
)
from policyc.diagnostics import Diagnostic
from policyc.k8s.releases import format_version, parse_version
from policyc.k8s.yamlread import load_all
from policyc.output.atomic import write_atomic

__all__ = ["ManifestError", "PatchResult", "load_patch_file", "patch_text", "write_patched"]

# Flags that take no value (`--anonymous-auth` alone means true).
_BOOL_FLAGS = frozenset({"anonymous-auth"})


class ManifestError(Exception):
    """The manifest (or patch file) cannot be patched; nothing was changed.

    `diagnostic` locates the problem when it is one of reading the YAML (line, column, document).
    """

    def __init__(self, message: str, diagnostic: Diagnostic | None = None) -> None:
        super().__init__(message)
        self.diagnostic = diagnostic


def _read(name: str, text: str, what: str) -> list[Any]:
    """The documents of `text` through the one Kubernetes-YAML reader (bounded aliases, depth, size, tags)."""
    docs, diags = load_all(name, text)
    if diags:
        raise ManifestError(f"{what}: {diags[0].message} (line {diags[0].span.line})", diags[0])
    return docs


@dataclass
class PatchResult:
    """The manifest before and after, and notes for the admin."""

    original: str
    patched: str
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether patching changes the file."""
        return self.original != self.patched

    def diff(self, name: str) -> str:
        """A unified diff of the change."""
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.patched.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096  # never fold long flags
    # kubeadm writes `creationTimestamp: null`; keep `null` rather than an empty value.
    y.representer.add_representer(
        type(None), lambda self, data: self.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return y


# ---------------------------------------------------------------------------------------------
# The patch file of `policyc build` (apiserver/kube-apiserver.patch)
# ---------------------------------------------------------------------------------------------


def load_patch_file(text: str, name: str = "kube-apiserver.patch") -> ApiserverChange:
    """Read `apiserver/kube-apiserver.patch`; its volumes are recomputed from its flags."""
    docs = _read(name, text, "the patch file is not YAML")
    doc = docs[0] if len(docs) == 1 else None
    if not isinstance(doc, dict) or doc.get("policycPatch") != 1:
        raise ManifestError("not a policyc kube-apiserver patch (no `policycPatch: 1`)")
    release = parse_version(str(doc.get("release", "")))
    if release is None:
        raise ManifestError("the patch file has no valid `release`")

    def flag_list(key: str, with_value: bool) -> list[str]:
        items = doc.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i.startswith("--") for i in items):
            raise ManifestError(f"`{key}` must be a list of --flags")
        if with_value and not all("=" in i for i in items):
            raise ManifestError(f"every item of `{key}` must be --name=value")
        return items

    def path_list(key: str) -> list[str] | None:
        if key not in doc:
            return None
        items = doc.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i.startswith("/") for i in items):
            raise ManifestError(f"`{key}` must be a list of absolute paths")
        return items

    flags = sorted(tuple(i[2:].split("=", 1)) for i in flag_list("setFlags", True))
    remove = sorted(i[2:] for i in flag_list("removeFlags", False))
    files, dirs = files_of(flags)
    config_files = sorted(path_list("configFiles") or [])
    anonymous = path_list("anonymousPaths")
    every = sorted({*files, *config_files})
    return ApiserverChange(
        release=release,
        flags=tuple((n, v) for n, v in flags),
        remove_flags=tuple(remove),
        mounts=mounts_for(every, dirs, KUBEADM_MOUNTED_DIRS),
        files=tuple(every),
        config_files=tuple(config_files),
        anonymous_paths=tuple(anonymous) if anonymous is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# Finding the kube-apiserver container
# ---------------------------------------------------------------------------------------------


def _is_apiserver(container: Any) -> bool:
    if not isinstance(container, dict):
        return False
    command = container.get("command")
    binary = command[0] if isinstance(command, list) and command and isinstance(command[0], str) else ""
    return container.get("name") == CONTAINER or binary.rsplit("/", 1)[-1] == "kube-apiserver"


def _load_pod(text: str, name: str) -> tuple[Any, Any]:
    """(document, kube-apiserver container); ManifestError when it is not such a static pod.

    The text goes through the bounded reader first, so that ruamel.yaml (which keeps the
    layout but has no bounds) only ever sees YAML that costs what its size says.
    """
    _read(name, text, "not valid YAML")
    try:
        docs = list(_yaml().load_all(text))
    except (YAMLError, ValueError, TypeError) as exc:
        raise ManifestError(f"not valid YAML: {exc}") from None
    docs = [d for d in docs if d is not None]
    if len(docs) != 1:
        raise ManifestError("a static-pod manifest holds exactly one document")
    doc = docs[0]
    if not isinstance(doc, dict) or doc.get("apiVersion") != "v1" or doc.get("kind") != "Pod":
        raise ManifestError("not a Pod manifest (apiVersion v1, kind Pod)")
    spec = doc.get("spec")
    containers = spec.get("containers") if isinstance(spec, dict) else None
    found = [c for c in containers or [] if _is_apiserver(c)]
    if not found:
        raise ManifestError("not a kube-apiserver static pod: no container runs kube-apiserver")
    if len(found) > 1:
        raise ManifestError("more than one kube-apiserver container")
    return doc, found[0]


# ---------------------------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------------------------


def _name(item: Any) -> str | None:
    if isinstance(item, str) and item.startswith("--") and len(item) > 2:
        return item[2:].split("=", 1)[0]
    return None


def _flag_lists(container: Any) -> list[tuple[CommentedSeq, int]]:
    """The lists holding flags with the index of their first flag: command (after the binary), args."""
    lists = []
    command = container.get("command")
    if isinstance(command, list):
        lists.append((command, 1 if command and _is_apiserver({"command": command}) else 0))
    args = container.get("args")
    if isinstance(args, list):
        lists.append((args, 0))
    if not lists:
        raise ManifestError("the kube-apiserver container has neither command nor args")
    return lists


def _delete_flag(seq: CommentedSeq, start: int, name: str) -> int | None:
    """Delete every `--name[=value]` (and a separate value item); the index of the first, or None."""
    first = None
    i = start
    while i < len(seq):
        if _name(seq[i]) == name:
            takes_value = "=" not in seq[i] and name not in _BOOL_FLAGS
            nxt = seq[i + 1] if i + 1 < len(seq) else None
            del seq[i]
            if takes_value and isinstance(nxt, str) and not nxt.startswith("-"):
                del seq[i]
            first = i if first is None else first
            continue
        i += 1
    return first


def _insert_position(seq: CommentedSeq, start: int, name: str) -> int:
    names = [_name(x) for x in seq[start:]]
    flags = [n for n in names if n is not None]
    if flags != sorted(flags):
        return len(seq)
    for offset, n in enumerate(names):
        if n is not None and n > name:
            return start + offset
    return len(seq)


def _apply_flags(container: Any, change: ApiserverChange) -> None:
    lists = _flag_lists(container)
    for name in change.remove_flags:
        for seq, start in lists:
            _delete_flag(seq, start, name)
    for name, value in change.flags:
        item = f"--{name}={value}"
        placed = False
        for seq, start in lists:
            present = [i for i in range(start, len(seq)) if _name(seq[i]) == name]
            if not present:
                continue
            if not placed and len(present) == 1 and seq[present[0]] == item:
                placed = True  # already right: leave the item (and its quoting) alone
                continue
            at = _delete_flag(seq, start, name)
            if not placed and at is not None:
                seq.insert(at, item)
                placed = True
        if not placed:
            # New flags go where the others are: the command after the binary, else args.
            seq, start = next(((q, s) for q, s in lists if any(_name(x) for x in q[s:])), lists[-1])
            seq.insert(_insert_position(seq, start, name), item)


# ---------------------------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------------------------


def _named(seq: Any, name: str) -> Any:
    return next((x for x in seq if isinstance(x, dict) and x.get("name") == name), None)


def _insert_sorted(seq: CommentedSeq, item: CommentedMap) -> None:
    names = [x.get("name") if isinstance(x, dict) else None for x in seq]
    if all(isinstance(n, str) for n in names) and names == sorted(names):
        at = next((i for i, n in enumerate(names) if n > item["name"]), len(seq))
        seq.insert(at, item)
    else:
        seq.append(item)


def _mounted_paths(pod: Any, container: Any) -> list[str]:
    """Paths the manifest already mounts from the same host path (not policyc's own volumes)."""
    volumes = pod["spec"].get("volumes") or []
    paths = []
    for mount in container.get("volumeMounts") or []:
        if not isinstance(mount, dict) or str(mount.get("name", "")).startswith(VOLUME_PREFIX):
            continue
        volume = _named(volumes, mount.get("name"))
        host = volume.get("hostPath") if isinstance(volume, dict) else None
        if isinstance(host, dict) and host.get("path") == mount.get("mountPath") and not mount.get("subPath"):
            paths.append(str(mount.get("mountPath")))
    return paths


def _current_flags(container: Any) -> list[tuple[str, str]]:
    """(name, value) of every flag of the container after the change, `--name value` form included."""
    out = []
    for seq, start in _flag_lists(container):
        items = list(seq[start:])
        for i, item in enumerate(items):
            name = _name(item)
            if name is None:
                continue
            if "=" in item:
                out.append((name, item.split("=", 1)[1]))
            elif i + 1 < len(items) and isinstance(items[i + 1], str) and not items[i + 1].startswith("-"):
                out.append((name, items[i + 1]))
    return out


def _apply_volumes(pod: Any, container: Any, config_files: tuple[str, ...] = ()) -> list[Mount]:
    """Mount every file a file flag of the container names (after the change), unless covered.

    Computed from the final flags rather than the policy's, so that a flag the policy no longer
    sets but the manifest keeps does not lose its volume. `config_files` are files the generated
    configuration files name (a webhook's kubeconfig): the API server opens them too.
    """
    spec = pod["spec"]
    files, dirs = files_of(_current_flags(container))
    files = sorted({*files, *config_files})
    wanted = mounts_for(files, dirs, _mounted_paths(pod, container))
    wanted_names = {m.name for m in wanted}
    if wanted and spec.get("volumes") is None:
        spec["volumes"] = CommentedSeq()
    if wanted and container.get("volumeMounts") is None:
        container["volumeMounts"] = CommentedSeq()
    volumes = spec.get("volumes") or CommentedSeq()
    mounts = container.get("volumeMounts") or CommentedSeq()
    for seq in (volumes, mounts):
        for x in [x for x in seq if isinstance(x, dict) and str(x.get("name", "")).startswith(VOLUME_PREFIX)]:
            if x["name"] not in wanted_names:
                seq.remove(x)
    for m in wanted:
        clash = next(
            (x for x in mounts if isinstance(x, dict) and x.get("mountPath") == m.path and x.get("name") != m.name),
            None,
        )
        if clash is not None:
            raise ManifestError(f"{m.path} is already mounted from volume `{clash.get('name')}`")
        mount = _named(mounts, m.name)
        if mount is None:
            _insert_sorted(mounts, CommentedMap(m.volume_mount()))
        else:
            for key, value in m.volume_mount().items():
                if mount.get(key) != value:
                    mount[key] = value
        volume = _named(volumes, m.name)
        if volume is None:
            _insert_sorted(volumes, CommentedMap({"hostPath": CommentedMap(m.volume()["hostPath"]), "name": m.name}))
        elif volume.get("hostPath") != m.volume()["hostPath"] or set(volume) != {"hostPath", "name"}:
            for key in [k for k in volume if k not in ("hostPath", "name")]:
                del volume[key]
            volume["hostPath"] = CommentedMap(m.volume()["hostPath"])
    return list(wanted)


# ---------------------------------------------------------------------------------------------
# Patching
# ---------------------------------------------------------------------------------------------


def _image_release(container: Any) -> tuple[int, int] | None:
    image = container.get("image")
    if not isinstance(image, str) or ":" not in image.rsplit("/", 1)[-1]:
        return None
    return parse_version(image.rsplit(":", 1)[-1])


def _strip(doc: Any) -> Any:
    """The document without what a patch may change (for the preservation check)."""
    doc = copy.deepcopy(doc)
    spec = doc.get("spec") or {}
    spec.pop("volumes", None)
    for c in spec.get("containers") or []:
        if _is_apiserver(c):
            for key in ("command", "args", "volumeMounts"):
                c.pop(key, None)
    return doc


def _flags_outside(doc: Any, names: set[str]) -> list[Any]:
    """The container's command and args without the flags in `names` (and their separate values)."""
    for c in doc["spec"]["containers"]:
        if _is_apiserver(c):
            items = list(c.get("command") or []) + list(c.get("args") or [])
            kept, skip = [], False
            for item in items:
                if skip and isinstance(item, str) and not item.startswith("-"):
                    skip = False
                    continue
                name = _name(item)
                skip = name in names and "=" not in item and name not in _BOOL_FLAGS
                if name not in names:
                    kept.append(item)
            return kept
    return []


def _not_ours(items: Any) -> list[Any]:
    return [v for v in items or [] if not str(v.get("name", "")).startswith(VOLUME_PREFIX)]


def _verify(original: str, patched: str, change: ApiserverChange) -> None:
    """Everything the change does not own is identical before and after; a guard against bugs."""
    old, new = _read("manifest", original, "not valid YAML")[0], _read("patched", patched, "internal check failed")[0]
    owned = {n for n, _ in change.flags} | set(change.remove_flags)
    old_c = next(c for c in old["spec"]["containers"] if _is_apiserver(c))
    new_c = next(c for c in new["spec"]["containers"] if _is_apiserver(c))
    same = (
        _strip(old) == _strip(new)
        and _flags_outside(old, owned) == _flags_outside(new, owned)
        and _not_ours(old["spec"].get("volumes")) == _not_ours(new["spec"].get("volumes"))
        and _not_ours(old_c.get("volumeMounts")) == _not_ours(new_c.get("volumeMounts"))
    )
    if not same:
        raise ManifestError("internal check failed: the patch would change parts of the manifest it does not own")


def _anonymous_refused(container: Any) -> bool:
    """Whether the container's flags turn anonymous requests off (`--anonymous-auth=false`)."""
    values = [v for n, v in _current_flags(container) if n == "anonymous-auth"]
    return bool(values) and values[-1].lower() in ("false", "0", "f")


def _unauthenticated_probes(container: Any, allowed_paths: tuple[str, ...] = ()) -> list[str]:
    """The container's HTTP probes that send no Authorization header (the kubelet adds none).

    A probe of a path in `allowed_paths` (`anonymous only`) is answered anonymously: KEP-4633
    compares the request's path exactly (anonymous.conditions[].path; the query is not part of
    it), so `/livez` does not cover `/livez/etcd`.
    """
    found = []
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        spec = container.get(probe)
        get = spec.get("httpGet") if isinstance(spec, dict) else None
        if not isinstance(get, dict):
            continue
        headers = get.get("httpHeaders") or []
        if any(isinstance(h, dict) and str(h.get("name", "")).lower() == "authorization" for h in headers):
            continue
        path = str(get.get("path") or "/").split("?", 1)[0]
        if path not in allowed_paths:
            found.append(probe if not allowed_paths else f"{probe} of {path}")
    return found


# An AuthenticationConfiguration larger than this is not read to look for `anonymous`.
_CONFIG_READ_LIMIT = 1 << 20


def _configures_anonymous(path: str) -> tuple[bool, bool] | None:
    """(whether the AuthenticationConfiguration at `path` sets `anonymous`, whether that is all it
    sets besides apiVersion/kind), or None when it cannot be read here (another machine, no access)."""
    try:
        with open(path, "rb") as f:
            data = f.read(_CONFIG_READ_LIMIT + 1)
        if len(data) > _CONFIG_READ_LIMIT:
            return None
        docs, problems = load_all(path, data.decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if problems or len(docs) != 1 or not isinstance(docs[0], dict):
        return None
    doc = docs[0]
    sets = {k for k, v in doc.items() if k not in ("apiVersion", "kind") and v not in (None, [], {})}
    return "anonymous" in sets, sets <= {"anonymous"}


def _settle_anonymous_beside_config(container: Any, change: ApiserverChange, notes: list[str]) -> ApiserverChange:
    """`--anonymous-auth` kept or set beside an `--authentication-config` the policy does not manage.

    The API server refuses to start when the file configures `anonymous` and the flag is set
    (pkg/kubeapiserver/options/authentication.go: "--anonymous-auth flag cannot be set when
    anonymous field is configured in authentication configuration file"). That is the state a
    policy leaves by moving from `anonymous only` (a file) back to `anonymous yes|no` (the flag):
    a file that configures only `anonymous` is removed from the manifest (the policy now decides
    anonymous requests by the flag); a file that configures more is the administrator's, and the
    patch is refused; a file it cannot read here gets a note. Returns the change with the flag it
    removed, so that the before/after check accepts it.
    """
    names = {_name(item) for seq, start in _flag_lists(container) for item in seq[start:]}
    if "anonymous-auth" not in names or "authentication-config" not in names:
        return change
    path = next(v for n, v in _current_flags(container) if n == "authentication-config")
    found = _configures_anonymous(path)
    if found is None:
        notes.append(f"could not read {path} (--authentication-config) here: if it configures `anonymous`, the "
                     "API server refuses --anonymous-auth beside it and will not start; remove one of them")
        return change
    configures, only = found
    if not configures:
        return change
    if not only:
        raise ManifestError(
            f"{path} (--authentication-config) configures `anonymous`, and the API server refuses --anonymous-auth "
            "beside it (pkg/kubeapiserver/options/authentication.go), so it would not start: write "
            "`anonymous only PATH, ...` in the policy to keep deciding anonymous requests in the file, or remove "
            f"`anonymous` from {path}"
        )
    change = replace(change, remove_flags=(*change.remove_flags, "authentication-config"))
    _apply_flags(container, change)
    notes.append(f"removed --authentication-config={path}: it configured only `anonymous`, which the policy now "
                 "decides with --anonymous-auth (the API server refuses both)")
    return change


def patch_text(text: str, change: ApiserverChange, allow_failing_probes: bool = False,
               name: str = "kube-apiserver.yaml") -> PatchResult:
    """Apply `change` to the text of a kube-apiserver static pod; ManifestError if it is not one.

    Refuses to turn anonymous requests off while the pod's HTTP probes carry no credentials:
    they would get 401 and the kubelet would restart the API server in a loop (kubeadm's
    probes of /livez and /readyz; kubernetes/kubeadm#798), unless `allow_failing_probes`.
    """
    pod, container = _load_pod(text, name)
    anonymous_before = _anonymous_refused(container)
    notes: list[str] = []
    running = _image_release(container)
    if running is not None and running != change.release:
        notes.append(
            f"the manifest runs kube-apiserver {format_version(running)} but the policy was checked for "
            f"{format_version(change.release)}; build it with --kubernetes {format_version(running)}"
        )
    _apply_flags(container, change)
    change = _settle_anonymous_beside_config(container, change, notes)
    probes = _unauthenticated_probes(container)
    if change.anonymous_paths is not None:
        # `anonymous only`: anonymous requests reach only those paths (the configuration file);
        # a probe of any other path gets 401.
        outside = _unauthenticated_probes(container, change.anonymous_paths)
        if outside:
            message = (
                "anonymous requests would be allowed only on " + ", ".join(change.anonymous_paths)
                + ", so the kubelet's " + ", ".join(outside) + " would fail with 401 and the kubelet would "
                "restart the API server in a loop"
            )
            if not allow_failing_probes:
                raise ManifestError(message + ": add the probes' paths to `anonymous only`, or pass "
                                    "--allow-failing-probes")
            notes.append(message)
    elif _anonymous_refused(container) and not anonymous_before and probes:
        message = (
            "--anonymous-auth=false would make the kubelet's probes (" + ", ".join(probes) + ") fail with 401, "
            "since the kubelet sends no credentials, and it would restart the API server in a loop"
        )
        if not allow_failing_probes:
            raise ManifestError(
                message + ": change those probes first (e.g. to tcpSocket), or write `anonymous yes` (RBAC lets "
                "anonymous requests read only the health endpoints and /version), or pass --allow-failing-probes"
            )
        notes.append(message)
    _apply_volumes(pod, container, change.config_files)
    out = io.StringIO()
    _yaml().dump(pod, out)
    patched = out.getvalue()
    _verify(text, patched, change)
    return PatchResult(text, patched, notes)


# kubeadm's staticPodPath (cmd/kubeadm/app/constants: KubernetesDir + "manifests").
KUBEADM_MANIFESTS = Path("/etc/kubernetes/manifests")


def _in_static_pod_folder(backup_dir: Path, given: Path, real: Path) -> bool:
    """Whether `backup_dir` could be the folder the kubelet loads static pods from.

    That folder is the one holding the manifest as named (it may be a link to a file kept
    elsewhere), the one holding the real file, or kubeadm's default. Compared after resolving
    links, so `manifests/`, `manifests/../manifests` or a linked folder all count. The kubelet
    loads every file of it matching `[^.]*` and does not descend into subfolders
    (pkg/kubelet/config/file.go, extractFromDir), so a subfolder keeps plain names.
    """
    where = os.path.realpath(backup_dir)
    return any(where == os.path.realpath(folder) for folder in (given.parent, real.parent, KUBEADM_MANIFESTS))


def write_patched(path: Path, result: PatchResult, backup_dir: Path | None = None) -> Path:
    """Keep a backup, then replace the manifest atomically; the backup's path.

    Beside the manifest the backup is a dot-file (`.kube-apiserver.yaml.<UTC time>.policyc-backup`)
    so the kubelet does not start it as a second pod, and so is a backup in a `backup_dir` that is
    the static-pod folder however it is spelled; elsewhere it is not hidden.
    """
    real = Path(os.path.realpath(path))
    st = real.stat()
    mode, owner = st.st_mode & 0o777, (st.st_uid, st.st_gid)
    target_dir = Path(os.path.abspath(backup_dir)) if backup_dir is not None else real.parent
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    hidden = _in_static_pod_folder(target_dir, Path(os.path.abspath(path)), real)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    base = f"{'.' if hidden else ''}{real.name}.{stamp}.policyc-backup"
    backup, n = target_dir / base, 1
    while backup.exists():
        backup, n = target_dir / f"{base}-{n}", n + 1
    write_atomic(backup, result.original.encode("utf-8"), mode, owner)
    write_atomic(real, result.patched.encode("utf-8"), mode, owner)
    return backup

"""The one reader of Kubernetes YAML: `import`, `--from`, `apiserver patch` and the credential reader.

Files, folders, `---` streams and `List` kinds (kubectl's `-o yaml` of several objects). Every
object keeps where it came from (file, document number, item index within a `List`) and the
line and column of each of its fields, so that a diagnostic points at the field at fault.

The cost of reading is bounded by the input, never by what the input asks for:

- aliases: a document may take at most the share of its nodes from aliases that go-yaml allows
  (gopkg.in/yaml.v2 v2.4.0 decode.go, `allowedAliasRatio`, the parser behind kubectl and the API
  server through sigs.k8s.io/yaml): 99% up to 400,000 nodes, falling to 10% at 4,000,000, and
  all the documents of one read (files, folders) at most `MAX_STREAM_ALIAS_NODES` together. A
  1 KB "billion laughs" is refused after composing about a hundred nodes, before anything walks
  or constructs its expansion; an alias inside its own anchor is refused too;
- nesting: at most `MAX_DEPTH` levels (libyaml stops at 1,000 flow levels itself);
- size: a stream of more than `MAX_STREAM_CHARS` characters is refused before it is parsed;
- scalars: an integer written with more than `MAX_INT_CHARS` characters is refused (Python's
  own limit would raise an exception, and no Kubernetes field holds such a number);
- tags: only YAML's standard ones (`!!python/...` and other application tags are refused);
  timestamps stay strings, as go-yaml v2 gives them to kubectl (decode.go: "for backward
  compatibility reasons we set it as a string").

Every refusal is a diagnostic with the file, line, column and document number, never an
exception.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from policyc.diagnostics import Diagnostic, error, warning
from policyc.rules import ERROR, WARNING, Rule, register
from policyc.source import SourceFile, Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "import",
    Rule(
        "PC601", ERROR,
        "a file or document that cannot be read, at its line and column with the document's number: YAML syntax, not "
        "UTF-8, aliases that expand to more than go-yaml (kubectl's reader) allows per document, or to more than "
        "400,000 nodes in all the files read (a \"billion laughs\" is refused in milliseconds), an alias inside its own"
        " anchor, nesting deeper than 200 levels, a stream over 64 MiB, an integer of more than 1,000 characters, a "
        "tag that is not YAML's own (`!!python/...`); nothing is written. `policyc apiserver patch` refuses such a "
        "manifest or patch file with the same error (exit 2, nothing changed)",
        example="`metadata: {name: [`; `name: !!python/object/apply:os.system [id]`",
    ),
    Rule(
        "PC602", WARNING,
        "a document that is not a Kubernetes object, a malformed object (no name, `rules` that are not a list, "
        "`verbs: [[get]]`, a `roleRef` that is not `{kind, name}`, a ClusterRoleBinding's ServiceAccount subject "
        "without `namespace`, a PodSecurityPolicy field of the wrong type such as `privileged: \"false\"`, ...: the "
        "API server would refuse it; the caret is on the field, named in the "
        "message), or a kind that is not access policy (skipped)",
        example=(
            "a `ConfigMap`; ``document 2 is not a valid Kubernetes object and is skipped: `rules` is not a list "
            "of rules with lists of strings (at `rules[0].verbs[0]`)``"
        ),
    ),
    Rule(
        "PC625", WARNING,
        "a namespaced object without `metadata.namespace` (shipped for `kubectl apply -n NAMESPACE`, as Argo CD, "
        "Strimzi and external-dns do) and no `-n`: skipped and counted in the summary; `import -n NAMESPACE` places it "
        "there, as kubectl does",
        example="`import install.yaml` with `kind: Role` and no namespace",
    ),
    Rule(
        "PC626", ERROR,
        "`-n NAMESPACE` and an object in another namespace: kubectl refuses it too (\"the namespace from the "
        "provided object does not match\"); `import` writes nothing; `can-i`, `who-can` and `explain --from` answer "
        "nothing and exit 2 when `-n` placed an object without a namespace (else `-n` is only the request's namespace)",
        example="`import -n argocd dump.yaml` with `namespace: default`",
    ),
) + register(
    "access",
    Rule(
        "PC310", ERROR,
        "a `--from` file cannot be read (every PC601 reason: YAML syntax, alias bombs, tags, ...) or holds a document"
        " without `kind` or a Role, ClusterRole, binding, ServiceAccount or Namespace that is not a valid Kubernetes "
        "object (every PC602 shape check, at the field; other kinds are ignored): can-i, who-can and explain answer "
        "nothing and exit 2, since the answer would leave the object out",
        example=(
            "`bad.yaml:3:1: error[PC310]: cannot read document 1: did not find expected node content`; "
            "``from.yaml:4:1: error[PC310]: document 1 is not a valid Kubernetes object: `roleRef` needs a `kind`"
            " and a `name` ``"
        ),
    ),
)

YAML_SUFFIXES = (".yaml", ".yml", ".json")
Path_ = tuple[Any, ...]

MAX_STREAM_CHARS = 64 * 1024 * 1024
MAX_DEPTH = 200
MAX_INT_CHARS = 1000
# gopkg.in/yaml.v2 v2.4.0 decode.go: alias_ratio_range_low / _high and the `> 100` / `> 1000` floor.
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000
# go-yaml's allowance is per document; without a bound per file, a stream of documents each just
# under it would multiply the input a hundredfold. kubectl never writes aliases.
MAX_STREAM_ALIAS_NODES = 400_000

# libyaml's loader when PyYAML was built with it (same nodes and marks, ten times faster).
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """The safe loader, with the scalar rules of the module docstring."""


def _construct_int(loader: SafeConstructor, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_INT_CHARS:
        raise ConstructorError(None, None, f"an integer of {len(node.value):,} characters is longer than any "
                               f"Kubernetes field holds (policyc reads at most {MAX_INT_CHARS:,})", node.start_mark)
    return SafeConstructor.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_scalar)


class _Refused(Exception):
    """A document that costs more than its text: message and the node to point at."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.message, self.node = message, node


def allowed_alias_ratio(nodes: int) -> float:
    """go-yaml v2's allowedAliasRatio: the share of a document's nodes that may come from aliases."""
    if nodes <= _ALIAS_LOW:
        return 0.99
    if nodes >= _ALIAS_HIGH:
        return 0.10
    return 0.99 - 0.89 * (nodes - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW)


def _measure(root: yaml.Node) -> int:
    """Refuse a composed document whose expansion is too deep, recursive, or made mostly of aliases.

    The composed graph shares the node of an anchor among its aliases, so sizes are memoized by
    node: the cost is the number of distinct nodes, whatever the expansion. (A node being walked
    has size -1: meeting it again is an alias inside its own anchor.)
    """
    sizes: dict[int, int] = {}
    largest: list[Any] = [0, None]  # the expanded size and node of the largest anchor met again
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode

    def walk(node: yaml.Node, depth: int) -> int:
        key = id(node)
        size = sizes.get(key)
        if size is not None:
            if size < 0:
                raise _Refused("an alias refers to the node that contains it (a recursive anchor)", node)
            if size > largest[0]:
                largest[0], largest[1] = size, node
            return size
        cls = node.__class__
        if cls is not mapping and cls is not sequence:
            sizes[key] = 1
            return 1
        if depth > MAX_DEPTH:
            raise _Refused(f"the document nests deeper than {MAX_DEPTH} levels", node)
        sizes[key] = -1
        size = 1
        if cls is mapping:
            for k, v in node.value:
                size += walk(k, depth + 1) + walk(v, depth + 1)
        else:
            for item in node.value:
                size += walk(item, depth + 1)
        sizes[key] = size
        return size

    total = walk(root, 0)
    from_aliases = total - len(sizes)
    if from_aliases > 100 and total > 1000 and from_aliases / total > allowed_alias_ratio(total):
        raise _Refused(f"aliases expand the document to {total:,} nodes from {len(sizes):,} written: more than "
                       f"kubectl's YAML reader allows (go-yaml refuses \"excessive aliasing\")", largest[1])
    return from_aliases


def document_at(text: str, line: int) -> int:
    """The 1-based number of the document that holds 0-based `line` (`---` starts one, as does text after `...`)."""
    number, open_doc = 0, False
    for i, raw in enumerate(text.splitlines()):
        if i > line:
            break
        marker = raw[:3]
        if marker in ("---", "...") and raw[3:4] in ("", " ", "\t"):
            if marker == "---":
                number, open_doc = number + 1, True
            else:
                open_doc = False
        elif not open_doc and raw.strip() and not raw.lstrip().startswith("#") and not raw.startswith("%"):
            number, open_doc = number + 1, True
    return max(number, 1)


def _at(name: str, line: int, col: int) -> Span:
    return Span(name, line, col, line, col + 1)


FIX = "fix the YAML (as `kubectl get ... -o yaml` writes it)"


@dataclass
class AliasBudget:
    """Nodes that aliases may still add, shared by every document of one read (files and folders alike)."""

    left: int = MAX_STREAM_ALIAS_NODES


def documents(name: str, text: str, diags: list[Diagnostic], code: str = "PC601", fix: str = FIX,
              budget: AliasBudget | None = None) -> Iterator[tuple[int, yaml.Node, Any]]:
    """(1-based document number, composed node, value) of every non-empty document of a stream.

    The first problem (YAML syntax, a bound of the module docstring, a refused tag) is appended
    to `diags` as an error with `code`, located, and ends the stream: what follows a broken
    document cannot be trusted to start where it seems to.
    """
    if len(text) > MAX_STREAM_CHARS:
        diags.append(error(code, f"the file holds {len(text):,} characters; policyc reads at most "
                           f"{MAX_STREAM_CHARS:,} (split it)", _at(name, 1, 1), fix))
        return
    loader = _PlainLoader(text)
    # Without an anchor no alias can share a node, so `_plain` builds what the loader's constructors
    # build, without their generators (a third of `import`'s reading, issue 19). Having visited every
    # node with the depth bound, it also answers `_measure` (nothing comes from aliases). Anything it
    # leaves to the constructors, or finds wrong, is measured and constructed (and reported) as before.
    plain = "&" not in text
    index = 0
    node: yaml.Node | None = None
    budget = budget or AliasBudget()  # go-yaml's allowance is per document; the documents of a read share one
    try:
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if node is None:
                continue
            value = _plain_or_none(loader, node) if plain else _NOT_BUILT
            if value is _NOT_BUILT:
                budget.left -= _measure(node)
            if budget.left < 0:  # also when an earlier file of the read spent the budget
                raise _Refused(f"aliases in the documents read up to this one expand to more than "
                               f"{MAX_STREAM_ALIAS_NODES:,} nodes, all that policyc reads from aliases", node)
            if value is _NOT_BUILT:
                value = loader.construct_document(node)
            if value is not None:
                yield index, node, value
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or str(exc)
        diags.append(error(code, f"cannot read document {document_at(text, line - 1)}: {problem}",
                           _at(name, line, col), fix))
    except yaml.YAMLError as exc:
        diags.append(error(code, f"cannot read document {index + 1}: {exc}", _at(name, 1, 1), fix))
    except _Refused as exc:
        mark = exc.node.start_mark
        diags.append(error(code, f"cannot read document {index}: {exc.message}",
                           _at(name, mark.line + 1, mark.column + 1), fix))
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a constructor's own failure
        mark = node.start_mark if node is not None else None
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        diags.append(error(code, f"cannot read document {max(index, 1)}: {exc}", _at(name, line, col), fix))
    finally:
        loader.dispose()


def load_all(name: str, text: str, code: str = "PC601") -> tuple[list[Any], list[Diagnostic]]:
    """The values of every non-empty document (no Kubernetes shape checks), within the reader's bounds."""
    diags: list[Diagnostic] = []
    values = [value for _i, _node, value in documents(name, text, diags, code)]
    return values, diags


@dataclass(frozen=True)
class Doc:
    """One Kubernetes object read from YAML, with its origin and the position of every field."""

    obj: dict[str, Any]
    file: str
    index: int  # 1-based document number in the file
    item: int | None = None  # 0-based position in a `List`'s items, if it came from one
    marks: Mapping[Path_, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    placed: bool = False  # its namespace came from `-n` (`place_missing`), not from its metadata

    @property
    def kind(self) -> str:
        """The object's kind (empty when missing)."""
        return str(self.obj.get("kind") or "")

    @property
    def meta(self) -> dict[str, Any]:
        """The object's metadata (empty when missing or malformed)."""
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        """metadata.name."""
        return str(self.meta.get("name") or "")

    @property
    def namespace(self) -> str:
        """metadata.namespace (empty for cluster-scoped objects)."""
        return str(self.meta.get("namespace") or "")

    @property
    def where(self) -> str:
        """`document N` (or `document N, item I`) for messages."""
        item = f", item {self.item}" if self.item is not None else ""
        return f"document {self.index}{item}"

    @property
    def ref(self) -> str:
        """`Kind namespace/name` as kubectl names objects."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def span(self, *path: Any) -> Span:
        """The span of the field at `path` (or of the closest enclosing field that has one)."""
        p: Path_ = tuple(path)
        while True:
            if p in self.marks:
                line, col = self.marks[p]
                return Span(self.file, line, col, line, col + 1)
            if not p:
                return Span(self.file, 1, 1, 1, 2)
            p = p[:-1]


def _marks(node: yaml.Node, path: Path_, out: dict[Path_, tuple[int, int]]) -> None:
    """Record the 1-based line and column of every key and item below `node`."""
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                sub = (*path, key.value)
                out[sub] = (key.start_mark.line + 1, key.start_mark.column + 1)
                _marks(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _marks(item, (*path, i), out)


# kustomize's build files (`kustomization.yaml` beside `policyc build`'s output): no name, no
# object of a cluster; returned unchecked for the caller to skip.
BUILD_FILE_KINDS = ("Kustomization", "Component")
NAMESPACED = ("Role", "RoleBinding", "ServiceAccount", "LimitRange", "ResourceQuota")


RULE_LISTS = ("apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs")
Problem = tuple[str, Path_]  # what is wrong, and the path of the field at fault


def _scalar(x: Any) -> bool:
    return isinstance(x, str | int | float) and not isinstance(x, bool)


def _bad_str_list(v: Any) -> Path_ | None:
    """None when `v` is absent or a list of strings; else the path (within `v`) of what is not."""
    if v is None:
        return None
    if not isinstance(v, list):
        return ()
    return next(((i,) for i, x in enumerate(v) if not isinstance(x, str)), None)


def _bad_str_map(v: Any) -> Path_ | None:
    """None when `v` is absent or maps string keys to scalars (labels, annotations, quantities)."""
    if v is None:
        return None
    if not isinstance(v, dict):
        return ()
    return next(((k,) for k, x in v.items() if not (isinstance(k, str) and _scalar(x))), None)


def _bad_selector(s: Any) -> Path_ | None:
    if not isinstance(s, dict):
        return ()
    bad = _bad_str_map(s.get("matchLabels"))
    if bad is not None:
        return ("matchLabels", *bad)
    exprs = s.get("matchExpressions")
    if exprs is None:
        return None
    if not isinstance(exprs, list):
        return ("matchExpressions",)
    for i, e in enumerate(exprs):
        if not (isinstance(e, dict) and isinstance(e.get("key"), str) and isinstance(e.get("operator"), str)):
            return ("matchExpressions", i)
        bad = _bad_str_list(e.get("values"))
        if bad is not None:
            return ("matchExpressions", i, "values", *bad)
    return None


def field_text(path: Path_) -> str:
    """`rules[0].verbs[1]` for ("rules", 0, "verbs", 1)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _rbac_problem(obj: dict[str, Any], kind: str) -> Problem | None:
    if kind in ("Role", "ClusterRole"):
        rules = obj.get("rules")
        if rules is not None:
            if not isinstance(rules, list):
                return "`rules` is not a list of rules with lists of strings", ("rules",)
            for i, r in enumerate(rules):
                if not isinstance(r, dict):
                    return "`rules` is not a list of rules with lists of strings", ("rules", i)
                for key in RULE_LISTS:
                    bad = _bad_str_list(r.get(key))
                    if bad is not None:
                        return "`rules` is not a list of rules with lists of strings", ("rules", i, key, *bad)
        agg = obj.get("aggregationRule")
        if agg is not None:
            selectors = agg.get("clusterRoleSelectors") if isinstance(agg, dict) else None
            if not isinstance(agg, dict) or not isinstance(selectors or [], list):
                return "`aggregationRule` is not a list of label selectors", ("aggregationRule",)
            for i, sel in enumerate(selectors or []):
                bad = _bad_selector(sel)
                if bad is not None:
                    return ("`aggregationRule` is not a list of label selectors",
                            ("aggregationRule", "clusterRoleSelectors", i, *bad))
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        ref = obj.get("roleRef")
        if not isinstance(ref, dict):
            return "`roleRef` needs a `kind` and a `name`", ("roleRef",)
        for key in ("kind", "name"):
            if not isinstance(ref.get(key), str):
                return "`roleRef` needs a `kind` and a `name`", ("roleRef", key)
        if ref.get("apiGroup") is not None and not isinstance(ref.get("apiGroup"), str):
            return "`roleRef.apiGroup` is not a string", ("roleRef", "apiGroup")
        subjects = obj.get("subjects")
        if subjects is not None:
            if not isinstance(subjects, list):
                return "`subjects` is not a list of subjects", ("subjects",)
            for i, x in enumerate(subjects):
                if not isinstance(x, dict):
                    return "`subjects` is not a list of subjects", ("subjects", i)
                for key in ("kind", "name", "namespace", "apiGroup"):
                    if not isinstance(x.get(key), str | None):
                        return "`subjects` is not a list of subjects", ("subjects", i, key)
                if kind == "ClusterRoleBinding" and x.get("kind") == "ServiceAccount" and not x.get("namespace"):
                    # pkg/apis/rbac/validation/validation.go ValidateRoleBindingSubject: `!isNamespaced &&
                    # len(subject.Namespace) == 0` is Required. A RoleBinding's is its own namespace, at
                    # authorization (appliesToUser); kubectl's `-n` never fills subjects.
                    return "a ClusterRoleBinding's ServiceAccount subject needs a `namespace`", ("subjects", i)
    return None


# PodSecurityPolicySpec (k8s.io/api/policy/v1beta1/types.go): the field types the API server enforces.
PSP_BOOLS = ("privileged", "hostNetwork", "hostPID", "hostIPC", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
             "defaultAllowPrivilegeEscalation")
PSP_STRING_LISTS = ("defaultAddCapabilities", "requiredDropCapabilities", "allowedCapabilities", "volumes",
                    "allowedUnsafeSysctls", "forbiddenSysctls", "allowedProcMountTypes")
PSP_STRATEGIES = ("seLinux", "runAsUser", "runAsGroup", "supplementalGroups", "fsGroup")
PSP_OBJECT_LISTS = {"allowedHostPaths": {"pathPrefix": str, "readOnly": bool}, "allowedFlexVolumes": {"driver": str},
                    "allowedCSIDrivers": {"name": str}}


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _bad_ranges(v: Any) -> Path_ | None:
    """None when `v` is absent or a list of `{min, max}` integers (HostPortRange, IDRange)."""
    if v is None:
        return None
    if not isinstance(v, list):
        return ()
    for i, r in enumerate(v):
        if not isinstance(r, dict):
            return (i,)
        for key in ("min", "max"):
            if r.get(key) is not None and not _int(r.get(key)):
                return (i, key)
    return None


def _psp_problem(spec: dict[str, Any]) -> Problem | None:
    for key in PSP_BOOLS:
        if spec.get(key) is not None and not isinstance(spec.get(key), bool):
            return f"`spec.{key}` is not true or false", ("spec", key)
    for key in PSP_STRING_LISTS:
        bad = _bad_str_list(spec.get(key))
        if bad is not None:
            return f"`spec.{key}` is not a list of strings", ("spec", key, *bad)
    bad = _bad_ranges(spec.get("hostPorts"))
    if bad is not None:
        return "`spec.hostPorts` is not a list of port ranges", ("spec", "hostPorts", *bad)
    for key in PSP_STRATEGIES:
        strategy = spec.get(key)
        if strategy is None:
            continue
        if not isinstance(strategy, dict) or not isinstance(strategy.get("rule", ""), str):
            return f"`spec.{key}` is not a strategy (`rule`, `ranges`)", ("spec", key)
        bad = _bad_ranges(strategy.get("ranges"))
        if bad is not None:
            return f"`spec.{key}.ranges` is not a list of ranges", ("spec", key, "ranges", *bad)
    for key, fields in PSP_OBJECT_LISTS.items():
        items = spec.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            return f"`spec.{key}` is not a list", ("spec", key)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                return f"`spec.{key}` is not a list of objects", ("spec", key, i)
            for name, kind in fields.items():
                if item.get(name) is not None and not isinstance(item.get(name), kind):
                    return f"`spec.{key}[{i}].{name}` has the wrong type", ("spec", key, i, name)
    return None


def shape_problem(obj: dict[str, Any]) -> Problem | None:
    """Why an object cannot be a Kubernetes object of its kind (the API server would refuse it), and where.

    Only the fields the importer and the access engine read are checked, so that malformed
    input gives a diagnostic at the field and never a crash further on. None when it is fine.
    """
    if not isinstance(obj.get("kind"), str):
        return "`kind` is not a string", ("kind",)
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        return "`metadata` is not a mapping", ("metadata",)
    for key in ("name", "namespace"):
        if meta.get(key) is not None and not isinstance(meta.get(key), str):
            return f"`metadata.{key}` is not a string", ("metadata", key)
    for key in ("labels", "annotations"):
        bad = _bad_str_map(meta.get(key))
        if bad is not None:
            return f"`metadata.{key}` is not a mapping of strings", ("metadata", key, *bad)
    kind = obj["kind"]
    if not meta.get("name"):
        return "it has no `metadata.name`", ("metadata",)
    if kind in NAMESPACED and not meta.get("namespace"):
        return f"a {kind} needs `metadata.namespace`", ("metadata",)
    problem = _rbac_problem(obj, kind)
    if problem is not None:
        return problem
    for key in ("spec", "status"):
        if key in obj and obj[key] is not None and not isinstance(obj[key], dict):
            return f"`{key}` is not a mapping", (key,)
    spec = obj.get("spec") or {}
    if kind == "LimitRange" and "limits" in spec:
        limits = spec["limits"]
        if not isinstance(limits, list):
            return "`spec.limits` is not a list of limits", ("spec", "limits")
        for i, item in enumerate(limits):
            if not isinstance(item, dict):
                return "`spec.limits` is not a list of limits", ("spec", "limits", i)
            if item.get("type") is not None and not isinstance(item.get("type"), str):
                return "`spec.limits` is not a list of limits", ("spec", "limits", i, "type")
            for k, v in item.items():
                if k == "type":
                    continue
                bad = _bad_str_map(v) if isinstance(v, dict) else ()
                if bad is not None:
                    return "`spec.limits` is not a list of limits", ("spec", "limits", i, k, *bad)
    if kind == "ResourceQuota":
        bad = _bad_str_map(spec.get("hard"))
        if bad is not None:
            return "`spec.hard` is not a mapping of quantities", ("spec", "hard", *bad)
    if kind == "PodSecurityPolicy":
        return _psp_problem(spec)
    if kind == "ServiceAccount":
        return _service_account_problem(obj)
    return None


def _service_account_problem(obj: dict[str, Any]) -> Problem | None:
    """core/v1 ServiceAccount: `automountServiceAccountToken` a bool, `secrets` and `imagePullSecrets` references."""
    auto = obj.get("automountServiceAccountToken")
    if auto is not None and not isinstance(auto, bool):
        return "`automountServiceAccountToken` is not true or false", ("automountServiceAccountToken",)
    for key in ("secrets", "imagePullSecrets"):
        refs = obj.get(key)
        if refs is None:
            continue
        if not isinstance(refs, list):
            return f"`{key}` is not a list of references", (key,)
        for i, ref in enumerate(refs):
            if not isinstance(ref, dict) or not all(isinstance(v, str | None) for v in ref.values()):
                return f"`{key}` is not a list of references", (key, i)
    return None


def _split_list(doc: Doc) -> list[Doc]:
    """A `List` (kubectl's `-o yaml` of several objects) as its items; other objects as themselves."""
    kind = doc.obj.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and isinstance(doc.obj.get("items"), list)):
        return [doc]
    out: list[Doc] = []
    by_item: dict[int, dict[Path_, tuple[int, int]]] = {}
    for p, v in doc.marks.items():  # one pass over the marks, not one per item
        if len(p) >= 2 and p[0] == "items" and isinstance(p[1], int):
            by_item.setdefault(p[1], {})[p[2:]] = v
    for i, item in enumerate(doc.obj["items"]):
        sub = Doc(item if isinstance(item, dict) else {"": item}, doc.file, doc.index, i, by_item.get(i, {}))
        out.extend(_split_list(sub))
    return out


def _namespaced_meta(doc: Doc) -> dict[str, Any] | None:
    """The metadata of a namespaced object whose name and namespace fields are well formed, else None
    (cluster-scoped objects are left alone, as kubectl leaves them; a malformed one is the shape check's)."""
    meta = doc.obj.get("metadata")
    if doc.obj.get("kind") not in NAMESPACED or not isinstance(meta, dict) or not meta.get("name") or not isinstance(
            meta.get("namespace", ""), str | None):
        return None
    return meta


def namespace_conflict(doc: Doc, namespace: str, hint: str | None = None) -> Diagnostic | None:
    """PC626 for a namespaced object in another namespace than `-n`'s: kubectl refuses it ("the namespace
    from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform
    this operation.", k8s.io/cli-runtime/pkg/resource/visitor.go RequireNamespace, and kubectl apply's
    `enforceNamespace` check). None for other objects."""
    meta = _namespaced_meta(doc)
    have = (meta.get("namespace") or "") if meta is not None else ""
    if not have or have == namespace:
        return None
    return error("PC626", f"{doc.kind} {meta['name']} ({doc.where}) is in namespace `{have}`, not `{namespace}` "
                 "given with `-n`", doc.span("metadata", "namespace"),
                 hint or f"import it without `-n {namespace}`, or with `-n {have}` (kubectl refuses it as well)")


def place_missing(doc: Doc, namespace: str) -> Doc:
    """`doc` with `namespace` as its `metadata.namespace` when it is a namespaced object without one
    (k8s.io/cli-runtime visitor.go SetNamespace/RequireNamespace: `len(info.Namespace) == 0`), else `doc`."""
    meta = _namespaced_meta(doc)
    if meta is None or meta.get("namespace"):
        return doc
    doc.obj["metadata"] = {**meta, "namespace": namespace}
    return replace(doc, placed=True)


def place(doc: Doc, namespace: str | None) -> Diagnostic | None:
    """Put a namespaced object without `metadata.namespace` into `namespace`, as `kubectl apply -n` does.

    kubectl sets the namespace of a namespaced object that has none, and refuses one whose
    namespace differs (`namespace_conflict`). Without a namespace (no `-n`), the object is skipped
    with PC625, which names it and suggests `-n`. Cluster-scoped objects are left alone, as kubectl
    leaves them. `import`'s; `--from` places with `place_missing` and checks conflicts over every file
    (policyc/cli/access_common.py).
    """
    meta = _namespaced_meta(doc)
    if meta is None:
        return None
    if namespace is None:
        if meta.get("namespace"):
            return None
        return warning("PC625", f"{doc.kind} {meta['name']} ({doc.where}) has no `metadata.namespace`: it is meant "
                       "for `kubectl apply -n NAMESPACE`, so it is skipped", doc.span("metadata"),
                       "pass `-n NAMESPACE` to import it into the namespace it is applied to, as kubectl does")
    conflict = namespace_conflict(doc, namespace)
    if conflict is not None:
        return conflict
    place_missing(doc, namespace)
    return None


def parse_stream(name: str, text: str, strict: str | None = None, budget: AliasBudget | None = None,
                 kinds: Collection[str] | None = None,
                 namespace: str | None | bool = False) -> tuple[list[Doc], list[Diagnostic]]:
    """Every object of one YAML stream (`---`-separated documents, `List`s flattened).

    Unreadable YAML is an error (PC601) that ends the stream; a document that is not a
    Kubernetes object, or a malformed one, is a warning (PC602) at the field at fault and is
    left out (`import`). With `strict` (a code), every one of them is an error with that code,
    for callers whose answer would be wrong without the object (`--from`). With `kinds`, only
    objects of those kinds are checked (the others are returned unchecked: the caller ignores
    them, like the `Kustomization` beside a built tree). With `namespace` (a name, or None for
    "no `-n`"), namespaced objects without a namespace are placed as `kubectl apply -n` places
    them (`place`); the default (False) leaves them to the shape check.
    """
    docs: list[Doc] = []
    diags: list[Diagnostic] = []
    skipped = "" if strict else " and is skipped"

    def bad(message: str, span: Span, help: str) -> Diagnostic:
        return error(strict, message, span, help) if strict else warning("PC602", message, span, help)

    for index, node, obj in documents(name, text, diags, strict or "PC601", budget=budget):
        marks: dict[Path_, tuple[int, int]] = {}
        _marks(node, (), marks)
        doc = Doc(obj if isinstance(obj, dict) else {}, name, index, None, marks)
        if not isinstance(obj, dict) or "kind" not in obj:
            diags.append(bad(f"document {index} is not a Kubernetes object{skipped}", doc.span(),
                             "give every document `apiVersion`, `kind` and `metadata`"))
            continue
        for d in _split_list(doc):
            if (kinds is not None and isinstance(d.obj.get("kind"), str) and d.obj["kind"] not in kinds) or (
                    d.obj.get("kind") in BUILD_FILE_KINDS):
                docs.append(d)
                continue
            if strict and isinstance(namespace, str):
                d = place_missing(d, namespace)  # `--from -n`: conflicts are the caller's, over every file
            elif namespace is not False and not strict:
                placed = place(d, namespace if isinstance(namespace, str) else None)
                if placed is not None:
                    diags.append(placed)
                    continue
            problem = shape_problem(d.obj)
            if problem is None:
                docs.append(d)
                continue
            message, path = problem
            at = f" (at `{field_text(path)}`)" if len(path) > 1 and f"`{field_text(path)}`" not in message else ""
            diags.append(bad(f"{d.where} is not a valid Kubernetes object{skipped}: {message}{at}", d.span(*path),
                             _fix(d, message, strict)))
    return docs, diags


def _fix(doc: Doc, message: str, strict: str | None) -> str:
    """The help of a shape problem: for `--from` (strict), an object without its namespace is one shipped
    for `kubectl apply -n`, which `-n` places."""
    if strict and message == f"a {doc.kind} needs `metadata.namespace`":
        return ("pass `-n NAMESPACE` to place the objects without a namespace there, as `kubectl apply -n` does, "
                "or give it `metadata.namespace`")
    return "fix the object; the API server would refuse it"


class _Unusual(Exception):
    """A node `_plain` leaves to the loader's own constructors (a tag other than str, int, bool,
    null, float, map or seq; a merge key; a key that is not a scalar)."""


class _TooDeep(Exception):
    """Nesting over MAX_DEPTH: the full reader says so, at the node."""


class _PlainLoader(_Loader):
    """`_Loader` with its tag resolution memoized: a pure function of (kind, value, implicit) for
    a loader without path resolvers, asked once per scalar by libyaml's composer (a sixth of the
    C loader's time on large RBAC, where the same verbs and resources come back again and again)."""

    _resolved: dict[tuple[Any, ...], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._resolved) < 100_000:
                self._resolved[key] = tag
        return tag


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:int": _construct_int,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": SafeConstructor.construct_scalar,  # a string, as `_Loader` reads it
}
_MERGE_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


def _plain(loader: _PlainLoader, node: yaml.Node, depth: int) -> Any:
    """The value the loader's constructors give a node of a document without aliases, built
    directly (no generators, no memo of constructed nodes: nothing is shared without aliases)."""
    tag = node.tag
    if tag == _STR and node.__class__ is yaml.ScalarNode:
        return node.value
    if tag == _MAP and node.__class__ is yaml.MappingNode:
        if depth > MAX_DEPTH:
            raise _TooDeep
        out: dict[Any, Any] = {}
        for key, value in node.value:
            if key.__class__ is not yaml.ScalarNode or key.tag in _MERGE_KEYS:
                raise _Unusual
            out[_plain(loader, key, depth + 1)] = _plain(loader, value, depth + 1)
        return out
    if tag == _SEQ and node.__class__ is yaml.SequenceNode:
        if depth > MAX_DEPTH:
            raise _TooDeep
        return [_plain(loader, item, depth + 1) for item in node.value]
    make = _SCALARS.get(tag)
    if make is None or node.__class__ is not yaml.ScalarNode:
        raise _Unusual
    return make(loader, node)


_NOT_BUILT = object()


def _plain_or_none(loader: _PlainLoader, node: yaml.Node) -> Any:
    """A document's value built by `_plain`, or `_NOT_BUILT` when `_plain` leaves it to the loader's
    constructors or meets a problem (then `_measure` and the constructors report it as theirs)."""
    try:
        return _plain(loader, node, 0)
    except (_Unusual, _TooDeep, yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return _NOT_BUILT


def _plain_values(text: str) -> list[Any] | None:
    """Every document's value, as `documents` constructs them, or None for the full reader."""
    loader = _PlainLoader(text)
    values: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            try:
                values.append(_plain(loader, node, 0))
            except _Unusual:
                values.append(loader.construct_document(node))
    except (_TooDeep, yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return None
    finally:
        loader.dispose()
    return values


def _read_plain(name: str, text: str, kinds: Collection[str] | None) -> list[Doc] | None:
    """The objects of a stream read as plain data, without positions (issue 19: `--from` over 100,000
    rules); None when anything needs the full reader's diagnostics or bounds: an anchor (`&`, so no
    alias can expand), YAML it cannot read, nesting over MAX_DEPTH, a document that is not an object,
    a `List`, or an object with a shape problem. The objects, numbers and order are `parse_stream`'s
    (strict, no `namespace`), without `marks`."""
    if "&" in text or len(text) > MAX_STREAM_CHARS:
        return None
    values = _plain_values(text)
    if values is None:
        return None
    docs: list[Doc] = []
    for index, obj in enumerate(values, start=1):
        if obj is None:
            continue  # an empty document, skipped by `documents` too
        if obj.__class__ is not dict or "kind" not in obj:
            return None
        kind = obj["kind"]
        if isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list):
            return None
        unchecked = (kinds is not None and isinstance(kind, str) and kind not in kinds) or kind in BUILD_FILE_KINDS
        if not unchecked and shape_problem(obj) is not None:
            return None
        docs.append(Doc(obj, name, index))
    return docs


class ReadError(Exception):
    """A path that cannot be read at all (missing, unreadable, no YAML inside): exit code 2."""


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise ReadError(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
    if not found:
        raise ReadError(f"no .yaml, .yml or .json files in {path}")
    return found


def read_paths(paths: Iterable[str], stdin_text: str | None = None, strict: str | None = None,
               kinds: Collection[str] | None = None, namespace: str | None | bool = False,
               positions: bool = True) -> tuple[list[Doc], dict[str, SourceFile], list[Diagnostic]]:
    """Read every object of the given files and folders (`-` is standard input, given as text).

    Returns the objects in input order, the sources (for diagnostic snippets) and the
    diagnostics (`strict`, `kinds` and `namespace` as for parse_stream). Raises ReadError for a path that
    does not exist or cannot be read.

    `positions=False` (`--from`, which never points into its objects unless one is at fault): a file
    is first read as plain data (`_read_plain`); only a file with a problem is read again with
    the position of every field, which gives its diagnostics. The objects are the same either way.
    """
    docs: list[Doc] = []
    sources: dict[str, SourceFile] = {}
    diags: list[Diagnostic] = []
    budget = AliasBudget()
    for raw in paths:
        if raw == "-":
            texts = [("<stdin>", stdin_text or "")]
        else:
            texts = []
            for p in _files(Path(raw)):
                name = p.as_posix()
                try:
                    size = p.stat().st_size
                    if size > MAX_STREAM_CHARS:  # refused before it is read into memory
                        diags.append(error(strict or "PC601", f"the file holds {size:,} bytes; policyc reads at most "
                                           f"{MAX_STREAM_CHARS:,} (split it)", Span(name, 1, 1, 1, 2), FIX))
                        continue
                    data = p.read_bytes()
                except OSError as exc:
                    raise ReadError(f"cannot read {p}: {exc.strerror or exc}") from None
                try:
                    texts.append((name, data.decode("utf-8").removeprefix("\ufeff")))
                except UnicodeDecodeError as exc:
                    diags.append(error(strict or "PC601", f"file is not valid UTF-8 (offset {exc.start})",
                                       Span(name, 1, 1, 1, 2), "save the file as UTF-8"))
        for name, text in texts:
            if not positions and (fast := _read_plain(name, text, kinds)) is not None:
                docs += fast  # no problem to point at: the positions were not needed
                continue
            sources[name] = SourceFile(name, text)
            ds, more = parse_stream(name, text, strict, budget, kinds, namespace)
            docs += ds
            diags += more
    return docs, sources, diags

"""An access session: what `can-i`, `who-can` and `explain` ask questions of.

A session holds an access model (a compiled policy's emitted objects, or Kubernetes YAML) and
its escalation graph, and answers in the engine's terms:
- `ask()` / `request()` turn command-line words into a Request, resolving the resource as
  `kubectl auth can-i` does (access/restmapper.py: `po`, `deploy`, `deployment.apps`, ...) with
  kubectl's warnings, and scoping it as the API server does;
- `who_can()` lists each allowed subject once with every way it gets there;
- `identities()` expands `user:NAME`, `group:NAME`, `serviceaccount:NS/NAME` or `team:NAME` into
  the identities the API server sees (through the compiler's own subject expansion);
- `effective_access()` and `escalation_paths()` merge what several identities may do;
- `origin()` and `sources()` say where a reason comes from (policy lines, a YAML document, the
  built-in defaults).
The command-line modules only print what it returns; problems are `AccessError` (usage errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from policyc.access.authorizer import AccessModel, Reason
from policyc.access.request import Request
from policyc.access.restmapper import AmbiguousResource, CustomResource, RestMapper, custom_resources
from policyc.k8s import releases
from policyc.model.rbac import RbacSubject

if TYPE_CHECKING:
    from policyc.access.escalation import EffectiveGrant, EscalationGraph, Identity, Step
    from policyc.backends.manifest import Manifest
    from policyc.model.program import Program
    from policyc.source import Span

SUBJECT_KINDS = ("user", "group", "serviceaccount", "team")

# The verbs kubectl knows and warns about others (staging/src/k8s.io/kubectl/pkg/cmd/auth/cani.go
# resourceVerbs, nonResourceURLVerbs); for resources the release's own verbs count as known too
# (special verbs such as `proxy` or `request-serviceaccounts-token-audience`).
RESOURCE_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
                            "use", "bind", "impersonate", "*", "approve", "sign", "escalate", "attest"})
NON_RESOURCE_VERBS = frozenset({"get", "put", "post", "head", "options", "delete", "patch", "*"})


class AccessError(Exception):
    """A question the session cannot take as asked (the message says why; a usage error)."""


def release_of(kubernetes: str | None) -> tuple[int, int]:
    """The release `--kubernetes` names (the newest when None); AccessError if unsupported."""
    if kubernetes is None:
        return releases.NEWEST
    parsed = releases.parse_version(kubernetes)
    if parsed is None or parsed not in releases.SUPPORTED:
        raise AccessError(f"unsupported Kubernetes release `{kubernetes}`")
    return parsed


@dataclass(frozen=True)
class Asked:
    """A request resolved from command-line words, with kubectl's warnings (without the
    `Warning: ` prefix) and policyc's notes on how it read them."""

    request: Request
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class Session:
    """An access model, its escalation graph, and the policy it came from (if any)."""

    model: AccessModel
    program: Program | None = None
    notes: list[str] = field(default_factory=list)  # what `request()` resolved or ignored, for the user
    # How a policy span is named in answers (`file:line:col`); a command may name files relative
    # to where it runs.
    where: Callable[[Span], str] = str
    custom: list[CustomResource] = field(default_factory=list)  # CRDs of a `--from` model
    _mapper: RestMapper | None = field(default=None, repr=False)
    _graph: EscalationGraph | None = field(default=None, repr=False)

    @property
    def graph(self) -> EscalationGraph:
        """The escalation graph of the model, built when first asked: `can-i` and `who-can` answer
        from the model alone, and importing the escalation engine is a third of their start-up."""
        if self._graph is None:
            from policyc.access.escalation import EscalationGraph

            self._graph = EscalationGraph(self.model)
        return self._graph

    @classmethod
    def of_objects(
        cls, objs: Iterable[Mapping[str, Any] | tuple[Mapping[str, Any], str]], release: tuple[int, int]
    ) -> Session:
        """A session over Kubernetes objects (with the release's built-in roles and bindings); the
        CustomResourceDefinitions among them are known by their names, as discovery lists them."""
        pairs = [o if isinstance(o, tuple) else (o, "") for o in objs]
        model = AccessModel.from_objects(pairs, release)
        custom, notes = custom_resources(o for o, _ in pairs)
        return cls(model, notes=notes, custom=custom)

    @classmethod
    def of_program(cls, program: Program, manifests: Sequence[Manifest]) -> Session:
        """A session over what a compiled policy emits, with provenance back to its lines."""
        from policyc.access.policy import graph_for, model_from_program  # policies only: not `--from`

        model = model_from_program(program, manifests)
        return cls(model, program, _graph=graph_for(model, program))

    @property
    def release(self) -> releases.Release:
        """The release the model answers for."""
        return releases.load_release(self.model.release or releases.NEWEST)

    # -- requests ---------------------------------------------------------------------------
    @property
    def mapper(self) -> RestMapper:
        """kubectl's REST mapper for the model's release (built once)."""
        if self._mapper is None:
            self._mapper = RestMapper(self.release, self.custom)
        return self._mapper

    def ask(self, verb: str, resource: str, name: str | None, namespace: str | None,
            all_namespaces: bool) -> Asked:
        """A request from command-line words, resolved as `kubectl auth can-i` resolves them
        (access/restmapper.py), with kubectl's warnings and policyc's notes; AccessError when
        malformed or ambiguous.

        Cluster-scoped resources and URLs are asked at cluster scope, as the API server sees a
        real request for them (kubectl would send its namespace along; -n is then ignored with
        a warning).
        """
        warnings: list[str] = []
        notes: list[str] = []
        if resource.startswith("/"):
            if name:
                raise AccessError("a non-resource URL takes no resource name")
            if verb not in NON_RESOURCE_VERBS:
                warnings.append(f"verb '{verb}' is not a known verb")
            if namespace:
                notes.append("warning: a non-resource URL has no namespace; -n is ignored")
            return Asked(Request(verb, path=resource), tuple(warnings), tuple(notes))
        base, slash, sub = resource.partition("/")
        name_part, dot, group_part = base.partition(".")
        if (not name_part or (dot and not group_part) or (slash and not sub)
                or any(c.isspace() for c in resource)):
            raise AccessError(f"malformed resource `{resource}`"
                              + (": empty subresource" if slash and not sub else ""))
        if not self.release.is_known_verb(verb) and verb not in RESOURCE_VERBS:
            warnings.append(f"verb '{verb}' is not a known verb")
        try:
            mapped = self.mapper.resolve(base)
        except AmbiguousResource as exc:
            raise AccessError(str(exc)) from None
        warnings += mapped.warnings
        info = self.release.lookup(mapped.group, mapped.resource) if mapped.known else None
        if sub and info is not None and sub != "*" and not info.has_subresource(sub):
            if name:
                warnings.append(f"resource '{mapped.resource}' has no subresource '{sub}'")
            else:  # kubectl's TYPE/NAME
                notes.append(f"note: `{resource}` is read as kubectl reads TYPE/NAME: "
                             f"`{mapped.resource}` named `{sub}`")
                name, sub = sub, ""
        req = Request(verb, mapped.group, mapped.resource, sub, name or "")
        if mapped.known and req.target.partition("/")[0] != base:
            notes.append(f"note: `{base}` resolved to `{req.target.partition('/')[0]}`")
        if req.group == "" and req.resource == "namespaces" and req.name:
            # /api/v1/namespaces/NS[/status|/finalize] has namespace NS and name NS
            # (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go NewRequestInfo), so a
            # RoleBinding in NS reaches the Namespace object NS (escalation_rules `namespace-object`).
            if namespace and namespace != req.name:
                notes.append(f"warning: a request for namespace `{req.name}` is made in namespace "
                             f"`{req.name}`; -n is ignored")
            return Asked(replace(req, namespace=req.name), tuple(warnings), tuple(notes))
        if mapped.namespaced is False:
            if namespace:
                notes.append(f"warning: resource `{req.target}` is not namespace scoped; -n is ignored")
            return Asked(req, tuple(warnings), tuple(notes))
        ns = "" if all_namespaces else (namespace or "default")
        return Asked(replace(req, namespace=ns), tuple(warnings), tuple(notes))

    def request(self, verb: str, resource: str, name: str | None, namespace: str | None,
                all_namespaces: bool) -> Request:
        """`ask()`, its warnings (`Warning: ...`, as kubectl prints them) and notes kept in `notes`."""
        asked = self.ask(verb, resource, name, namespace, all_namespaces)
        self.notes += [f"Warning: {w}" for w in asked.warnings]
        self.notes += asked.notes
        return asked.request

    def who_can(self, request: Request) -> list[tuple[RbacSubject, list[Reason]]]:
        """Every subject allowed the request, once, with every way it gets there (binding, role,
        rule): `system:masters` first, then by subject."""
        grouped: dict[RbacSubject, list[Reason]] = {}
        for w in self.model.who_can(request):
            grouped.setdefault(w.subject, []).append(w.reason)
        return list(grouped.items())

    # -- subjects ---------------------------------------------------------------------------
    def identities(self, text: str) -> list[Identity]:
        """The identities `user:alice`, `group:dev`, `serviceaccount:ns/name` or `team:payments` stands for.

        Users and teams are expanded by the compiler's own subject expansion (OIDC username
        prefix applied), so the answer is about the names the API server sees.
        """
        from policyc import model as m
        from policyc.access.escalation import Identity
        from policyc.access.policy import identity_of, rbac_subjects_of

        kind, sep, name = text.partition(":")
        if not sep or not name or kind not in SUBJECT_KINDS:
            raise AccessError(f"subject `{text}` must be user:NAME, group:NAME, serviceaccount:NS/NAME or team:NAME")
        program = self.program
        if kind == "group":
            return [Identity.group(name)]
        if kind == "serviceaccount":
            ns, slash, sa = name.replace(":", "/", 1).partition("/")
            if not slash or not ns or not sa:
                raise AccessError(f"service account `{name}` must be written NS/NAME")
            return [Identity.service_account(ns, sa)]
        if kind == "user":
            if program is None:
                return [Identity.user(name, ())]
            return [identity_of(s, program) for s in rbac_subjects_of(m.Subject("user", name), program)]
        if program is None:
            raise AccessError("teams exist only in a policy: use --policy, not --from")
        if name not in program.teams:
            raise AccessError(f"no team `{name}` in the policy")
        return [identity_of(s, program) for s in rbac_subjects_of(m.Subject("team", name), program)]

    def effective_access(self, idents: Sequence[Identity]) -> list[tuple[EffectiveGrant, list[Identity]]]:
        """Effective grants of every identity (directly and through escalation), merged when
        several identities share one; fewest steps first."""
        merged: dict[tuple, tuple[EffectiveGrant, list[Identity]]] = {}
        for ident in idents:
            for g in self.graph.effective_access(ident):
                key = (g.permission, tuple(s.action for s in g.path))
                if key in merged:
                    merged[key][1].append(ident)
                else:
                    merged[key] = (g, [ident])
        return sorted(merged.values(), key=lambda e: (len(e[0].path), e[0].permission.sort_key))

    def escalation_paths(self, idents: Sequence[Identity]) -> dict[Identity, list[Step]]:
        """The first escalation path found to each identity the given ones can become."""
        paths: dict[Identity, list[Step]] = {}
        for ident in idents:
            for target, path in self.graph.escalation_paths(ident):
                paths.setdefault(target, path)
        return paths

    # -- provenance -------------------------------------------------------------------------
    def sources(self, reason: Reason) -> list[str]:
        """`file:line:col` of the policy grants behind a reason (empty without a policy)."""
        prov = self.model.provenance
        if prov is None:
            return []
        return [self.where(s) for s in prov.grant_spans(reason)]

    def origin(self, reason: Reason) -> str:
        """Where a reason's binding comes from: policy lines, a YAML document, or the built-in defaults."""
        prov = self.model.provenance
        if prov is not None and prov.grant_spans(reason):
            return prov.describe(reason, self.where)
        if reason.binding is None:
            return ""
        for b in self.model.bindings:
            if b.ref == reason.binding:
                if b.origin == "bootstrap":
                    return "built-in default binding"
                return b.origin if b.origin and b.origin != "policy" else ""
        return ""

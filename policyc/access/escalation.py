"""Effective access: what a subject can reach beyond its own grants, as paths of escalation steps.

The graph's nodes are identities a subject can make requests as; an edge is one step, taken with
permissions the identity holds, whose grants are kept with the step. Steps and what they need:

- `pods`: create/update/patch pods or a pod-creating workload (deployments, replicasets,
  statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers), create pods/exec or
  pods/attach, update pods/ephemeralcontainers in NS: act as every service account of NS;
- `secrets`: get/list/watch secrets (every name) in NS: every service account of NS (tokens);
- `token`: create serviceaccounts/token in NS: the named (or every) service account of NS;
- `impersonate`: serviceaccounts in NS, users and groups cluster-wide (the impersonation
  filter authorizes users and groups at cluster scope); an impersonated user has only
  `system:authenticated`; every group, or `system:masters`, makes the superuser;
- `bind`: bind (cluster)roles and write (cluster)rolebindings: hold those roles;
- `escalate`: escalate and update/patch a role bound to the identity: everything in that scope;
- `csr`: update certificatesigningrequests/approval and approve the
  `kubernetes.io/kube-apiserver-client` signer: a certificate in `system:masters`;
- `nodes-proxy`: get/create nodes/proxy (the kubelet API runs commands in any pod): every
  service account of every namespace;
- `webhooks`: create/update/patch mutating or validating webhook configurations (pods and token
  requests pass through the webhook): every service account of every namespace.

Reachability is the least fixed point of these edges, computed breadth-first over identities whose
permissions and edges are computed once and cached (indexed by verb, group and resource), so
the first path found to an identity is a shortest one. Docs: docs/access.md.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from policyc.access import matching
from policyc.access.authorizer import EVERYTHING, AccessModel, Permission, Reason, RuleIndex, group_member
from policyc.access.objects import ObjRef
from policyc.access.request import (
    MASTERS,
    Request,
    UserInfo,
    sa_username,
)

ALL = "*"
RBAC = "rbac.authorization.k8s.io"

# Pod-creating workloads: their pod template names any service account of the namespace.
_WORKLOADS = (
    ("", "pods"), ("", "replicationcontrollers"),
    ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
    ("extensions", "deployments"), ("extensions", "replicasets"), ("extensions", "daemonsets"),
    ("batch", "jobs"), ("batch", "cronjobs"),
)
_POD_ENTRY = (("create", "exec"), ("create", "attach"), ("update", "ephemeralcontainers"),
              ("patch", "ephemeralcontainers"))
_STEP_ORDER = ("impersonate", "csr", "bind", "escalate", "webhooks", "nodes-proxy", "pods", "token", "secrets")


@dataclass(frozen=True)
class Acquired:
    """A role an identity gave itself through `bind`, or everything (`role` None) through `escalate`."""

    scope: str | None
    role: ObjRef | None

    def __lt__(self, other: Acquired) -> bool:
        return _acq_key(self) < _acq_key(other)

    def __str__(self) -> str:
        where = f"in namespace `{self.scope}`" if self.scope else "cluster-wide"
        what = f"{self.role.kind} `{self.role.name}`" if self.role else "every permission"
        return f"{what} {where}"


@dataclass(frozen=True, order=True)
class Identity:
    """Someone requests can be made as: a user, a group member, a service account, or the superuser.

    `acquired` are roles the identity has granted itself on the way (bind/escalate).
    """

    kind: str  # user | group | serviceaccount | superuser
    name: str = ""
    namespace: str = ""
    groups: tuple[str, ...] = ()
    acquired: tuple[Acquired, ...] = ()

    @classmethod
    def user(cls, name: str, groups: Iterable[str] = ()) -> Identity:
        """An authenticated user with the groups its authenticator reports."""
        info = UserInfo.authenticated(name, tuple(groups))
        if (sa := info.service_account_ref) is not None:
            return cls.service_account(*sa)
        return cls("user", name, "", info.groups)

    @classmethod
    def impersonated(cls, name: str) -> Identity:
        """A user as impersonation makes it: only `system:authenticated` (or unauthenticated)."""
        return cls("user", name, "", UserInfo.impersonated(name).groups)

    @classmethod
    def group(cls, name: str) -> Identity:
        """A member of a group whose other bindings are unknown."""
        if name == MASTERS:
            return cls.superuser()
        return cls("group", name, "", group_member(name).groups)

    @classmethod
    def service_account(cls, namespace: str, name: str) -> Identity:
        """A service account (its token or a pod running as it)."""
        return cls("serviceaccount", name, namespace, UserInfo.service_account(namespace, name).groups)

    @classmethod
    def superuser(cls) -> Identity:
        """A member of `system:masters`."""
        return cls("superuser", MASTERS, "", (MASTERS,))

    @classmethod
    def from_user_info(cls, info: UserInfo) -> Identity:
        """The identity of a request's user."""
        if MASTERS in info.groups:
            return cls.superuser()
        if (sa := info.service_account_ref) is not None:
            return cls("serviceaccount", sa[1], sa[0], info.groups)
        return cls("user" if info.name else "group", info.name, "", info.groups)

    @property
    def user_info(self) -> UserInfo:
        """What the authorizer sees."""
        if self.kind == "serviceaccount":
            return UserInfo(sa_username(self.namespace, self.name), self.groups)
        return UserInfo(self.name if self.kind == "user" else "", self.groups)

    @property
    def base(self) -> Identity:
        """The identity without acquired roles."""
        return Identity(self.kind, self.name, self.namespace, self.groups)

    @property
    def key(self) -> tuple[str, str, str]:
        """Kind, namespace and name: identity regardless of groups (for `except`)."""
        return (self.kind, self.namespace, self.name)

    def __str__(self) -> str:
        if self.kind == "superuser":
            text = "group `system:masters` (superuser)"
        elif self.kind == "serviceaccount":
            text = f"serviceaccount `{self.namespace}/{self.name}`"
        elif self.kind == "group":
            text = f"group `{self.groups[0]}`" if self.groups else "group"
        else:
            text = f"user `{self.name}`"
        if self.acquired:
            text += " holding " + ", ".join(str(a) for a in self.acquired)
        return text


@dataclass(frozen=True)
class Step:
    """One escalation step: what is done, with which grants, and who the subject becomes."""

    kind: str
    action: str
    target: Identity
    grants: tuple[Permission, ...]

    def __str__(self) -> str:
        return f"{self.action}, so acts as {self.target}"


@dataclass(frozen=True)
class EffectiveGrant:
    """A permission a subject can use: held by `holder`, reached through `path` (empty: its own)."""

    permission: Permission
    holder: Identity
    path: tuple[Step, ...] = ()


def _where(scope: str | None) -> str:
    return f"in namespace `{scope}`" if scope else "in every namespace"


def _target(group: str, resource: str, sub: str = "") -> str:
    base = f"{resource}.{group}" if group else resource
    return f"{base}/{sub}" if sub else base


class EscalationGraph:
    """Identities, their permissions and escalation edges over one AccessModel (cached)."""

    def __init__(self, model: AccessModel, extra_namespaces: Iterable[str] = ()) -> None:
        """`extra_namespaces` widens "every namespace" beyond those the objects name."""
        self.model = model
        self.namespaces = sorted(set(model.namespaces) | set(extra_namespaces))
        self._perms: dict[Identity, tuple[Permission, ...]] = {}
        self._index: dict[Identity, RuleIndex] = {}
        self._edges: dict[Identity, tuple[Step, ...]] = {}

    # ------------------------------------------------------------------ permissions

    def permissions(self, ident: Identity) -> tuple[Permission, ...]:
        """Every permission the identity holds, acquired ones included."""
        cached = self._perms.get(ident)
        if cached is not None:
            return cached
        if ident.kind == "superuser":
            out = list(self.model.permissions(UserInfo("", (MASTERS,))))
        else:
            out = list(self.model.permissions(ident.user_info))
        for acq in ident.acquired:
            note = f"acquired {acq}"
            if acq.role is None:
                rules = EVERYTHING if acq.scope is None else EVERYTHING[:1]
                out += [Permission(acq.scope, r, Reason(None, None, r, note=note)) for r in rules]
                continue
            role = self.model.role(acq.role)
            if role is not None:
                out += [Permission(acq.scope, r, Reason(None, role.ref, r, note=note)) for r in role.rules]
        result = tuple(out)
        self._perms[ident] = result
        index = RuleIndex()
        for p in result:
            index.add(p.rule, p)
        self._index[ident] = index
        return result

    def find(
        self, ident: Identity, verbs: Iterable[str], group: str, resource: str, sub: str = "",
        name: str = "", any_name: bool = False,
    ) -> list[Permission]:
        """Permissions allowing one of `verbs` on the resource, in any scope.

        With `name` empty the rule must allow every name; `any_name` accepts rules limited by
        resourceNames too (callers read the names).
        """
        self.permissions(ident)
        index = self._index[ident]
        found: dict[int, Permission] = {}
        for verb in verbs:
            req = Request(verb, group, resource, sub, name)
            for p in index.candidates(req):
                if any_name:
                    ok = (matching.verb_matches(p.rule, verb) and matching.group_matches(p.rule, group)
                          and matching.resource_matches(p.rule, req.combined_resource, sub))
                else:
                    ok = matching.rule_allows(p.rule, req)
                if ok:
                    found[id(p)] = p
        return sorted(found.values(), key=lambda p: p.sort_key)

    # ------------------------------------------------------------------ edges

    def _scopes(self, perms: Iterable[Permission]) -> dict[str, list[Permission]]:
        """Namespaces each permission reaches (a cluster-wide one reaches every namespace)."""
        out: dict[str, list[Permission]] = {}
        for p in perms:
            for ns in ([p.scope] if p.scope else self.namespaces):
                out.setdefault(ns, []).append(p)
        return out

    def _every_sa(self) -> list[tuple[str, str]]:
        return sorted({sa for ns in self.namespaces for sa in self.model.serviceaccounts_in(ns)})

    def edges(self, ident: Identity) -> tuple[Step, ...]:
        """Every step out of an identity (cached), one per target, in a fixed order."""
        cached = self._edges.get(ident)
        if cached is not None:
            return cached
        steps: list[Step] = []
        if ident.kind != "superuser":
            steps += self._pod_steps(ident)
            steps += self._secret_steps(ident)
            steps += self._token_steps(ident)
            steps += self._impersonate_steps(ident)
            steps += self._acquire_step(ident, self._bind_steps(ident) + self._escalate_steps(ident))
            steps += self._cluster_steps(ident)
        best: dict[Identity, Step] = {}
        for s in sorted(steps, key=lambda s: (_STEP_ORDER.index(s.kind), s.target, s.action)):
            if s.target != ident and s.target not in best:
                best[s.target] = s
        result = tuple(best.values())
        self._edges[ident] = result
        return result

    def _sa_steps(self, kind: str, scoped: dict[str, list[Permission]], what: str,
                  names: dict[str, set[str] | None] | None = None) -> list[Step]:
        out: list[Step] = []
        for ns, perms in sorted(scoped.items()):
            allowed = names.get(ns) if names is not None else None
            for sa_ns, sa_name in self.model.serviceaccounts_in(ns):
                if allowed is not None and sa_name not in allowed:
                    continue
                action = what.format(where=f"in namespace `{ns}`")
                out.append(Step(kind, action, Identity.service_account(sa_ns, sa_name), tuple(perms)))
            if allowed:
                for name in sorted(allowed - {n for _, n in self.model.serviceaccounts_in(ns)}):
                    action = what.format(where=f"in namespace `{ns}`")
                    out.append(Step(kind, action, Identity.service_account(ns, name), tuple(perms)))
        return out

    def _pod_steps(self, ident: Identity) -> list[Step]:
        out: list[Step] = []
        for group, resource in _WORKLOADS:
            for verb in ("create", "update", "patch"):
                # A workload limited by name can still be pointed at any service account
                # (its pod template); `create` requests carry no name, so names never match.
                perms = self.find(ident, [verb], group, resource, any_name=verb != "create")
                if perms:
                    what = f"can {verb} {_target(group, resource)} {{where}} (pods run as any service account there)"
                    out += self._sa_steps("pods", self._scopes(perms), what)
        for verb, sub in _POD_ENTRY:
            perms = self.find(ident, [verb], "", "pods", sub, any_name=True)
            if perms:
                what = f"can {verb} pods/{sub} {{where}} (runs code in pods of any service account there)"
                out += self._sa_steps("pods", self._scopes(perms), what)
        return out

    def _secret_steps(self, ident: Identity) -> list[Step]:
        perms = self.find(ident, ["get", "list", "watch"], "", "secrets")
        if not perms:
            return []
        return self._sa_steps("secrets", self._scopes(perms), "can read secrets {where} (service account tokens)")

    def _named(self, perms: list[Permission]) -> dict[str, set[str] | None]:
        """Per namespace: the resourceNames allowed, or None for every name."""
        out: dict[str, set[str] | None] = {}
        for ns, ps in self._scopes(perms).items():
            names: set[str] | None = set()
            for p in ps:
                if not p.rule.resource_names:
                    names = None
                    break
                names.update(p.rule.resource_names)
            out[ns] = names
        return out

    def _token_steps(self, ident: Identity) -> list[Step]:
        perms = self.find(ident, ["create"], "", "serviceaccounts", "token", any_name=True)
        if not perms:
            return []
        return self._sa_steps("token", self._scopes(perms), "can create serviceaccounts/token {where}",
                              self._named(perms))

    @staticmethod
    def _cluster_names(perms: list[Permission]) -> tuple[list[Permission], set[str] | None]:
        """Cluster-wide permissions only (cluster-scoped requests) and the names they allow."""
        wide = [p for p in perms if p.scope is None]
        names: set[str] | None = set()
        for p in wide:
            if not p.rule.resource_names:
                return wide, None
            names.update(p.rule.resource_names)
        return wide, names

    def _impersonate_steps(self, ident: Identity) -> list[Step]:
        out: list[Step] = []
        sa_perms = self.find(ident, ["impersonate"], "", "serviceaccounts", any_name=True)
        if sa_perms:
            out += self._sa_steps("impersonate", self._scopes(sa_perms), "can impersonate serviceaccounts {where}",
                                  self._named(sa_perms))
        user_perms, user_names = self._cluster_names(
            self.find(ident, ["impersonate"], "", "users", any_name=True))
        if user_perms:
            users = sorted(self.model.users() if user_names is None else user_names)
            for name in users:
                if name != ident.name:
                    out.append(Step("impersonate", f"can impersonate user `{name}`", Identity.impersonated(name),
                                    tuple(user_perms)))
        group_perms, group_names = self._cluster_names(
            self.find(ident, ["impersonate"], "", "groups", any_name=True))
        if group_perms and (user_perms or sa_perms):
            basis = tuple(group_perms) + tuple(user_perms or sa_perms)
            if group_names is None or MASTERS in group_names:
                what = ("can impersonate every group" if group_names is None
                        else "can impersonate group `system:masters`")
                out.append(Step("impersonate", what, Identity.superuser(), basis))
            else:
                for g in sorted(group_names):
                    out.append(Step("impersonate", f"can impersonate group `{g}`", Identity.group(g), basis))
        return out

    def _acquire_step(self, ident: Identity, steps: list[Step]) -> list[Step]:
        """The bind and escalate steps of an identity merged into one step to the union of their gains.

        Acquisitions only ever add permissions, so taking them all at once reaches the same
        permissions as taking them one by one; one merged step per identity keeps the search a
        fixpoint (a chain of ever larger identities) instead of a walk over every subset of gains.
        """
        if len(steps) <= 1:
            return steps
        ordered = sorted(steps, key=lambda s: (_STEP_ORDER.index(s.kind), s.target, s.action))
        for step in ordered:
            if step.target.kind == "superuser":
                return [step]
        gained: set[Acquired] = set()
        for step in ordered:
            gained.update(step.target.acquired)
        target = self._gain(ident, gained - set(ident.acquired))
        if target is None:
            return []
        basis: dict[int, Permission] = {}
        for step in ordered:
            for p in step.grants:
                basis.setdefault(id(p), p)
        action = _merge_actions([step.action for step in ordered])
        return [Step(ordered[0].kind, action, target, tuple(sorted(basis.values(), key=lambda p: p.sort_key)))]

    def _gain(self, ident: Identity, gains: set[Acquired]) -> Identity | None:
        if any(a.role is None and a.scope is None for a in gains):
            return Identity.superuser()
        held = set(ident.acquired)
        # A role in a scope where everything is already held adds nothing.
        gains = {a for a in gains if Acquired(a.scope, None) not in held}
        new = held | gains
        if new == held:
            return None
        return Identity(ident.kind, ident.name, ident.namespace, ident.groups, tuple(sorted(new, key=_acq_key)))

    def _bind_steps(self, ident: Identity) -> list[Step]:
        out: list[Step] = []
        bind_cr = self.find(ident, ["bind"], RBAC, "clusterroles", any_name=True)
        bind_r = self.find(ident, ["bind"], RBAC, "roles", any_name=True)
        if not bind_cr and not bind_r:
            return out
        write = ("create", "update", "patch")
        crb = [p for p in self.find(ident, write, RBAC, "clusterrolebindings", any_name=True) if p.scope is None]
        wide_cr, wide_names = self._cluster_names(bind_cr)
        if crb and wide_cr:
            gains = {Acquired(None, None)} if wide_names is None else {
                Acquired(None, ObjRef("ClusterRole", "", n)) for n in wide_names
                if ObjRef("ClusterRole", "", n) in self.model.roles
            }
            target = self._gain(ident, gains)
            if target is not None:
                out.append(Step("bind", "can bind clusterroles and write clusterrolebindings", target,
                                tuple(wide_cr + crb)))
        rb = self.find(ident, write, RBAC, "rolebindings", any_name=True)
        rb_scopes = self._scopes(rb)
        for ns, cr_names in sorted(self._named(bind_cr).items()):
            if ns not in rb_scopes:
                continue
            gains = {Acquired(ns, None)} if cr_names is None else {
                Acquired(ns, ObjRef("ClusterRole", "", n)) for n in cr_names
                if ObjRef("ClusterRole", "", n) in self.model.roles
            }
            target = self._gain(ident, gains)
            if target is not None:
                basis = tuple(self._scopes(bind_cr)[ns] + rb_scopes[ns])
                out.append(Step("bind", f"can bind clusterroles and write rolebindings in namespace `{ns}`", target,
                                basis))
        for ns, r_names in sorted(self._named(bind_r).items()):
            if ns not in rb_scopes:
                continue
            roles = {ref for ref in self.model.roles if ref.kind == "Role" and ref.namespace == ns}
            if r_names is not None:
                roles = {r for r in roles if r.name in r_names}
            target = self._gain(ident, {Acquired(ns, r) for r in roles})
            if target is not None:
                basis = tuple(self._scopes(bind_r)[ns] + rb_scopes[ns])
                out.append(Step("bind", f"can bind roles and write rolebindings in namespace `{ns}`", target, basis))
        return out

    def _escalate_steps(self, ident: Identity) -> list[Step]:
        out: list[Step] = []
        gains: dict[Acquired, tuple[Permission, ...]] = {}
        for kind, resource in (("ClusterRole", "clusterroles"), ("Role", "roles")):
            esc = self.find(ident, ["escalate"], RBAC, resource, any_name=True)
            if not esc:
                continue
            upd = self.find(ident, ["update", "patch"], RBAC, resource, any_name=True)
            if not upd:
                continue
            for b, _s in self.model.bindings_for(ident.user_info):
                if b.role.kind != kind:
                    continue
                # A ClusterRole is cluster-scoped: only cluster-wide grants may change it.
                where = "" if kind == "ClusterRole" else b.role.namespace
                ok_esc = [p for p in esc if p.applies_in(where) and (not p.rule.resource_names
                                                                     or b.role.name in p.rule.resource_names)]
                ok_upd = [p for p in upd if p.applies_in(where) and (not p.rule.resource_names
                                                                     or b.role.name in p.rule.resource_names)]
                if ok_esc and ok_upd:
                    gains.setdefault(Acquired(b.scope, None), tuple(ok_esc + ok_upd))
        for acq, basis in sorted(gains.items(), key=lambda kv: _acq_key(kv[0])):
            target = self._gain(ident, {acq})
            if target is not None:
                out.append(Step("escalate", f"can escalate and update a role bound to it ({acq})", target, basis))
        return out

    def _cluster_steps(self, ident: Identity) -> list[Step]:
        out: list[Step] = []
        approval = [p for p in self.find(ident, ["update", "patch"], "certificates.k8s.io",
                                         "certificatesigningrequests", "approval", any_name=True) if p.scope is None]
        if approval:
            signer = [p for p in self.find(ident, ["approve"], "certificates.k8s.io", "signers", any_name=True)
                      if p.scope is None and (not p.rule.resource_names or {
                          "kubernetes.io/kube-apiserver-client", "kubernetes.io/*"} & set(p.rule.resource_names))]
            if signer:
                # plugin/pkg/admission/certificates/approval: the signer name, or `kubernetes.io/*`.
                out.append(Step("csr", "can approve certificate requests for the kube-apiserver-client signer "
                                "(a client certificate in group `system:masters`)", Identity.superuser(),
                                tuple(approval + signer)))
        proxy = [p for p in self.find(ident, ["get", "create"], "", "nodes", "proxy", any_name=True)
                 if p.scope is None]
        if proxy:
            for ns, name in self._every_sa():
                out.append(Step("nodes-proxy", "can use nodes/proxy (the kubelet API runs commands in any pod)",
                                Identity.service_account(ns, name), tuple(proxy)))
        hooks: list[Permission] = []
        for resource in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
            hooks += [p for p in self.find(ident, ["create", "update", "patch"], "admissionregistration.k8s.io",
                                           resource, any_name=True) if p.scope is None]
        if hooks:
            for ns, name in self._every_sa():
                out.append(Step("webhooks", "can write admission webhook configurations (every pod and token "
                                "request passes through its webhook)", Identity.service_account(ns, name),
                                tuple(sorted(set(hooks), key=lambda p: p.sort_key))))
        return out

    # ------------------------------------------------------------------ reachability

    def reach(self, start: Identity) -> dict[Identity, tuple[Step, ...]]:
        """Every identity reachable from `start`, with a shortest path, in breadth-first order."""
        paths: dict[Identity, tuple[Step, ...]] = {start: ()}
        queue = deque([start])
        while queue:
            ident = queue.popleft()
            for step in self.edges(ident):
                if step.target not in paths:
                    paths[step.target] = (*paths[ident], step)
                    queue.append(step.target)
        return paths

    def effective_access(self, start: Identity) -> list[EffectiveGrant]:
        """Every permission `start` can use, directly or through escalation (shortest path first)."""
        seen: set[tuple] = set()
        out: list[EffectiveGrant] = []
        for ident, path in self.reach(start).items():
            for p in self.permissions(ident):
                key = (p.scope, p.rule, p.reason)
                if key not in seen:
                    seen.add(key)
                    out.append(EffectiveGrant(p, ident, path))
        return out

    def escalation_paths(self, start: Identity) -> list[tuple[Identity, tuple[Step, ...]]]:
        """Every identity `start` can become (other than itself), with the path."""
        return [(i, p) for i, p in self.reach(start).items() if p]


_IN_NAMESPACE = re.compile(r"(.*) in namespace `([^`]*)`")


def _merge_actions(actions: list[str]) -> str:
    """`X in namespace `a``, `X in namespace `b`` -> `X in namespaces `a`, `b``; other actions kept."""
    merged: dict[str, list[str]] = {}
    for action in actions:
        m = _IN_NAMESPACE.fullmatch(action)
        prefix, ns = (m.group(1), m.group(2)) if m else (action, "")
        merged.setdefault(prefix, [])
        if ns and ns not in merged[prefix]:
            merged[prefix].append(ns)
    parts = []
    for prefix, namespaces in merged.items():
        if not namespaces:
            parts.append(prefix)
        else:
            where = "namespace" if len(namespaces) == 1 else "namespaces"
            parts.append(f"{prefix} in {where} " + ", ".join(f"`{n}`" for n in namespaces))
    return "; ".join(parts)


def _acq_key(a: Acquired) -> tuple:
    return (a.scope or "", a.role or ObjRef("", "", ""))

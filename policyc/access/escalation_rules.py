"""The escalation rules: ONE table of the ways a subject gains access beyond its own grants.

Each row names its upstream source, the releases it applies to, what it requires (every `Need`
must hold, in the same namespace for namespaced needs) and what it yields. The escalation engine
(access/escalation.py) takes its steps from these rows: `effect` selects how a row's yield is
computed. Guards, `explain`, `diff` and the access lints (PC502, PC504, PC506, PC508-PC512) read
the same rows; docs/access.md's table is generated from them (scripts/gen_access_rules.py).

Requirements are RBAC requests: `verbs` any of, on `group`/`resource`[/`sub`]. `named` says
whether a rule limited by resourceNames still satisfies the need (the step works on any one
object the subject may name, e.g. a workload it may update), or must allow every name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from policyc.docblocks import replace_block

Release = tuple[int, int]

RBAC = "rbac.authorization.k8s.io"
CERTS = "certificates.k8s.io"
ADMISSION = "admissionregistration.k8s.io"


@dataclass(frozen=True)
class Need:
    """One permission a rule requires: any of `verbs` on a resource, in the step's scope."""

    verbs: tuple[str, ...]
    group: str
    resource: str
    sub: str = ""
    named: bool = True  # a rule limited by resourceNames counts
    cluster: bool = False  # only cluster-wide permissions count (cluster-scoped resources)
    names: tuple[str, ...] = ()  # the rule must allow one of these names (empty: any)

    @property
    def target(self) -> str:
        """`deployments.apps`, `pods/exec`: the resource as the policy language writes it."""
        base = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{base}/{self.sub}" if self.sub else base

    def __str__(self) -> str:
        text = f"{'/'.join(self.verbs)} {self.target}"
        if self.names:
            text += " named " + ", ".join(f"`{n}`" for n in self.names)
        elif not self.named:
            text += " (every name)"
        if self.cluster:
            text += " cluster-wide"
        return text


@dataclass(frozen=True)
class EscalationRule:
    """One row of the table."""

    name: str
    effect: str  # how the engine computes the yield (escalation.py `_EFFECTS`)
    requires: tuple[Need, ...]
    yields: str
    source: str
    first: Release | None = None  # first release it applies to (None: every supported one)
    last: Release | None = None  # last release it applies to (None: still applies)
    note: str = ""

    def applies_to(self, release: Release | None) -> bool:
        """Whether the rule holds on `release` (None: unknown release, every rule holds)."""
        if release is None:
            return True
        if self.first is not None and release < self.first:
            return False
        return not (self.last is not None and release > self.last)

    @property
    def releases(self) -> str:
        """`all`, `1.18+`, `<= 1.34`, `1.18-1.21`."""
        fmt = "{0[0]}.{0[1]}".format
        if self.first is None and self.last is None:
            return "all"
        if self.last is None:
            return f"{fmt(self.first)}+"
        if self.first is None:
            return f"up to {fmt(self.last)}"
        return f"{fmt(self.first)}-{fmt(self.last)}"


# Every kind whose object carries a pod template, in its API group. The pod may name any service
# account of its namespace (spec.serviceAccountName) and mount any Secret or ConfigMap of it
# (spec.volumes, env valueFrom): no RBAC check applies to the creator for either; the
# ServiceAccount admission plugin only checks that they exist
# (plugin/pkg/admission/serviceaccount/admission.go).
WORKLOAD_KINDS: tuple[tuple[str, str], ...] = (
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
)

_POD_SOURCE = ("https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation; "
               "plugin/pkg/admission/serviceaccount/admission.go")
_WORKLOAD_YIELD = ("every service account of the namespace (the pod runs as any of them), and get secrets, "
                   "configmaps there (the pod mounts any of them)")


def _workload_rules() -> Iterator[EscalationRule]:
    for group, resource in WORKLOAD_KINDS:
        target = f"{resource}.{group}" if group else resource
        # `create` carries no name, so a rule limited by resourceNames never allows it; update/patch of
        # one named object still lets the subject point its template at any service account.
        yield EscalationRule(
            f"workload-create:{target}", "workload", (Need(("create",), group, resource, named=False),),
            _WORKLOAD_YIELD, _POD_SOURCE)
        yield EscalationRule(
            f"workload-update:{target}", "workload", (Need(("update", "patch"), group, resource),),
            _WORKLOAD_YIELD, _POD_SOURCE,
            note=("a workload's template changes freely; a pod keeps its service account and volumes but its image "
                  "may be changed in place, which may be any of them"))


# kube-controller-manager's controllers as kube-system service accounts (controller_policy.go binds
# `system:controller:NAME` to kube-system/NAME; the API server creates the roles and bindings whatever the
# controller manager's flags, pkg/registry/rbac/rest/storage_rbac.go). With --use-service-account-credentials
# (kubeadm's default) the controller manager creates those service accounts and runs each controller
# with its token. The generic rows (impersonation, TokenRequest, token Secrets, workloads) reach them as
# any service account of kube-system; these rows record the facts, each with the smallest policy showing it.
CONTROLLER_SOURCE = ("plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go; "
                     "pkg/registry/rbac/rest/storage_rbac.go; kube-controller-manager "
                     "--use-service-account-credentials (kubeadm: true)")
_CONTROLLER_YIELD = ("a controller's service account kube-system/NAME, bound to ClusterRole `system:controller:NAME` "
                     "cluster-wide (policyc/data/bootstrap/controller-roles.yaml): clusterrole-aggregation-controller "
                     "escalates and updates every ClusterRole (everything), generic-garbage-collector gets, updates "
                     "and deletes everything, namespace-controller deletes everything")


def _controller_rules() -> Iterator[EscalationRule]:
    ks = "in kube-system; "
    yield EscalationRule("controller-sa-impersonate", "controller-sa",
                         (Need(("impersonate",), "", "serviceaccounts"),), _CONTROLLER_YIELD, CONTROLLER_SOURCE,
                         note=ks + "taken by `impersonate-serviceaccounts`")
    yield EscalationRule("controller-sa-token", "controller-sa",
                         (Need(("create",), "", "serviceaccounts", "token"),), _CONTROLLER_YIELD, CONTROLLER_SOURCE,
                         note=ks + "taken by `token-request`")
    yield EscalationRule("controller-sa-token-secret", "controller-sa",
                         (Need(("get", "list", "watch"), "", "secrets", named=False),), _CONTROLLER_YIELD,
                         CONTROLLER_SOURCE + "; pkg/controller/serviceaccount/tokens_controller.go", last=(1, 23),
                         note=ks + "taken by `legacy-token-secrets` (and, conservatively, `token-secrets` since 1.24)")
    yield EscalationRule("controller-sa-pod", "controller-sa",
                         (Need(("create",), "", "pods", named=False),), _CONTROLLER_YIELD, CONTROLLER_SOURCE,
                         note=ks + "taken by `workload-create:pods` (and every workload row)")


_EXEC_SOURCE = "staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (POST is create)"
_WS_SOURCE = ("kubernetes/kubernetes#78741; feature gate AuthorizePodWebsocketUpgradeCreatePermission "
              "(beta, on by default, 1.35: pkg/features/kube_features.go)")
_NS_SA = "every service account of the namespace (runs code in its pods)"

RULES: tuple[EscalationRule, ...] = (
    *_workload_rules(),
    EscalationRule("ephemeral-containers", "pod-entry",
                   (Need(("update", "patch"), "", "pods", "ephemeralcontainers"),), _NS_SA,
                   "pkg/registry/core/pod/storage/storage.go (EphemeralContainersREST); feature gate "
                   "EphemeralContainers (beta, on by default, 1.23; GA 1.25)", first=(1, 23)),
    EscalationRule("exec", "pod-entry", (Need(("create",), "", "pods", "exec"),), _NS_SA, _EXEC_SOURCE),
    EscalationRule("attach", "pod-entry", (Need(("create",), "", "pods", "attach"),), _NS_SA, _EXEC_SOURCE),
    EscalationRule("exec-websocket-get", "pod-entry", (Need(("get",), "", "pods", "exec"),), _NS_SA, _WS_SOURCE,
                   last=(1, 34), note="the WebSocket handshake is a GET, authorised as `get`"),
    EscalationRule("attach-websocket-get", "pod-entry", (Need(("get",), "", "pods", "attach"),), _NS_SA,
                   _WS_SOURCE, last=(1, 34)),
    EscalationRule("portforward", "none", (Need(("create", "get"), "", "pods", "portforward"),),
                   "network access to the pod's ports only (no identity, no secret): not a step", _WS_SOURCE,
                   note="`get` counts up to 1.34 (WebSocket), `create` always"),
    EscalationRule("token-request", "token", (Need(("create",), "", "serviceaccounts", "token"),),
                   "the named (or every) service account of the namespace (TokenRequest)",
                   "pkg/registry/core/serviceaccount/storage/token.go"),
    EscalationRule("legacy-token-secrets", "read-tokens", (Need(("get", "list", "watch"), "", "secrets", named=False),),
                   "every service account of the namespace (its auto-created token Secret)",
                   "pkg/controller/serviceaccount/tokens_controller.go; LegacyServiceAccountTokenNoAutoGeneration "
                   "(beta, on by default, 1.24)", last=(1, 23)),
    EscalationRule("token-secrets", "read-tokens", (Need(("get", "list", "watch"), "", "secrets", named=False),),
                   "every service account of the namespace (token Secrets made before 1.24 or by anyone since)",
                   "https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets",
                   first=(1, 24), note="conservative: such Secrets may exist in any namespace"),
    EscalationRule("create-token-secret", "token-secret",
                   (Need(("create",), "", "secrets", named=False), Need(("get", "list", "watch", "update", "patch"),
                                                                        "", "secrets")),
                   "every service account of the namespace: the token controller fills a created "
                   "`kubernetes.io/service-account-token` Secret, which the subject then reads by its name",
                   "pkg/controller/serviceaccount/tokens_controller.go (syncSecret)"),
    EscalationRule("write-secrets-reads", "read-on-write", (Need(("update", "patch"), "", "secrets"),),
                   "get secrets (the same names): the response of an update or patch carries the data",
                   "staging/src/k8s.io/apiserver/pkg/endpoints/handlers/update.go, patch.go (the object is returned)"),
    EscalationRule("impersonate-serviceaccounts", "impersonate-sa", (Need(("impersonate",), "", "serviceaccounts"),),
                   "the named (or every) service account of the namespace",
                   "staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go"),
    EscalationRule("impersonate-users", "impersonate-user", (Need(("impersonate",), "", "users", cluster=True),),
                   "the named (or every) user, with `system:authenticated` only; built-in component users "
                   "(system:kube-controller-manager, system:kube-scheduler, system:kube-proxy) hold their "
                   "default bindings", "staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go; "
                   "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (ClusterRoleBindings)"),
    EscalationRule("impersonate-groups", "impersonate-group",
                   (Need(("impersonate",), "", "groups", cluster=True),),
                   "the named groups (every group, or `system:masters`: the superuser); needs a user or "
                   "service account to impersonate too",
                   "staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go"),
    EscalationRule("impersonate-node", "impersonate-node",
                   (Need(("impersonate",), "", "users", cluster=True),
                    Need(("impersonate",), "", "groups", cluster=True, names=("system:nodes",))),
                   "a node (`system:node:NAME` in `system:nodes`): the Node authorizer lets it read the secrets, "
                   "configmaps and service account tokens of its pods (taken as every namespace's)",
                   "plugin/pkg/auth/authorizer/node/node_authorizer.go; pkg/auth/nodeidentifier/default.go"),
    EscalationRule("impersonate-userextras", "none",
                   (Need(("impersonate",), "authentication.k8s.io", "userextras"),),
                   "nothing under RBAC alone: extras (and uids) change no binding; only webhook authorizers read "
                   "them", "plugin/pkg/auth/authorizer/rbac/rbac.go (appliesToUser reads name and groups)"),
    EscalationRule("bind-clusterroles-cluster", "bind",
                   (Need(("bind",), RBAC, "clusterroles", cluster=True),
                    Need(("create", "update", "patch"), RBAC, "clusterrolebindings", cluster=True)),
                   "the (named) ClusterRoles, cluster-wide; every ClusterRole: everything",
                   "pkg/registry/rbac/clusterrolebinding/policybased/storage.go (BindingAuthorized)"),
    EscalationRule("bind-clusterroles", "bind",
                   (Need(("bind",), RBAC, "clusterroles"), Need(("create", "update", "patch"), RBAC, "rolebindings")),
                   "the (named) ClusterRoles in the namespace; every ClusterRole: everything there",
                   "pkg/registry/rbac/rolebinding/policybased/storage.go (BindingAuthorized)"),
    EscalationRule("bind-roles", "bind",
                   (Need(("bind",), RBAC, "roles"), Need(("create", "update", "patch"), RBAC, "rolebindings")),
                   "the (named) Roles of the namespace",
                   "pkg/registry/rbac/rolebinding/policybased/storage.go (BindingAuthorized)"),
    EscalationRule("escalate-clusterroles", "escalate",
                   (Need(("escalate",), RBAC, "clusterroles", cluster=True),
                    Need(("update", "patch"), RBAC, "clusterroles", cluster=True)),
                   "everything where a ClusterRole it may rewrite is bound to it (`system:basic-user` is bound to "
                   "every authenticated user)",
                   "pkg/registry/rbac/clusterrole/policybased/storage.go (EscalationAllowed)"),
    EscalationRule("escalate-roles", "escalate",
                   (Need(("escalate",), RBAC, "roles"), Need(("update", "patch"), RBAC, "roles")),
                   "everything in the namespace where a Role it may rewrite is bound to it",
                   "pkg/registry/rbac/role/policybased/storage.go (EscalationAllowed)"),
    EscalationRule("escalate-aggregated-member", "aggregated-member",
                   (Need(("escalate",), RBAC, "clusterroles", cluster=True),
                    Need(("create", "update", "patch"), RBAC, "clusterroles", cluster=True)),
                   "everything, where an aggregated role (`admin`, `edit`, `view`, a policy's `aggregates`) is bound "
                   "to it: the aggregation controller copies the member's rules into that role",
                   "pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go",
                   note="`create` makes a new member with the aggregation label"),
    EscalationRule("csr-no-signer", "csr",
                   (Need(("create",), CERTS, "certificatesigningrequests", named=False, cluster=True),
                    Need(("update", "patch"), CERTS, "certificatesigningrequests", "approval", cluster=True)),
                   "the superuser: an approved CSR is signed as a client certificate in `system:masters`",
                   "plugin/pkg/admission/certificates/approval (added in 1.18)", last=(1, 17)),
    EscalationRule("csr-legacy-unknown", "csr",
                   (Need(("create",), CERTS, "certificatesigningrequests", named=False, cluster=True),
                    Need(("update", "patch"), CERTS, "certificatesigningrequests", "approval", cluster=True),
                    Need(("approve",), CERTS, "signers", cluster=True, names=("kubernetes.io/legacy-unknown",))),
                   "the superuser (client certificate in `system:masters` from the legacy-unknown signer)",
                   "pkg/controller/certificates/signer (legacy-unknown signed until certificates/v1beta1 went, 1.22)",
                   first=(1, 18), last=(1, 21)),
    EscalationRule("csr-kube-apiserver-client", "csr",
                   (Need(("create",), CERTS, "certificatesigningrequests", named=False, cluster=True),
                    Need(("update", "patch"), CERTS, "certificatesigningrequests", "approval", cluster=True),
                    Need(("approve",), CERTS, "signers", cluster=True,
                         names=("kubernetes.io/kube-apiserver-client",))),
                   "the superuser (client certificate in `system:masters`)",
                   "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/"
                   "#kubernetes-signers", first=(1, 18)),
    EscalationRule("nodes-proxy", "every-sa", (Need(("get", "create"), "", "nodes", "proxy", cluster=True),),
                   "every service account of every namespace (the kubelet API runs commands in any pod)",
                   "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes"),
    EscalationRule("mutating-webhooks", "every-sa",
                   (Need(("create", "update", "patch"), ADMISSION, "mutatingwebhookconfigurations", cluster=True),),
                   "every service account of every namespace (the webhook sees and changes every request)",
                   "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks"),
    EscalationRule("validating-webhooks", "every-sa",
                   (Need(("create", "update", "patch"), ADMISSION, "validatingwebhookconfigurations", cluster=True),),
                   "every service account of every namespace (the webhook sees every pod and token request)",
                   "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks"),
    EscalationRule("namespace-deletion", "namespace-delete", (Need(("delete",), "", "namespaces"),),
                   "delete, deletecollection every resource in the namespace: deleting a Namespace makes the "
                   "namespace controller delete everything in it with its own role "
                   "(`system:controller:namespace-controller`: delete * on *)",
                   "pkg/controller/namespace/deletion/namespaced_resources_deleter.go; "
                   "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go (namespace-controller)",
                   note="a grant on `namespaces` in NS reaches NS itself (`namespace-object`)"),
    *_controller_rules(),
    EscalationRule("namespace-object", "request", (Need(("*",), "", "namespaces"),),
                   "a RoleBinding in NS on `namespaces` reaches the Namespace object NS itself: a request on "
                   "/api/v1/namespaces/NS has namespace NS and name NS",
                   "staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (NewRequestInfo)"),
)

BY_NAME: dict[str, EscalationRule] = {r.name: r for r in RULES}


def rules_for(release: Release | None) -> tuple[EscalationRule, ...]:
    """The rows that hold on a release, in table order."""
    return tuple(r for r in RULES if r.applies_to(release))


def named(prefix: str) -> tuple[EscalationRule, ...]:
    """The rows whose name is `prefix` or starts with `prefix:` (a family, e.g. `workload-create`)."""
    return tuple(r for r in RULES if r.name == prefix or r.name.startswith(prefix + ":"))


# ------------------------------------------------------------------ docs/access.md

BEGIN = ("<!-- escalation-rules:begin (generated by scripts/gen_access_rules.py from "
         "policyc/access/escalation_rules.py) -->")
END = "<!-- escalation-rules:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    """The table as docs/access.md shows it: one line per rule, sources included."""
    lines = ["| rule | releases | requires (all of) | yields | source |", "|---|---|---|---|---|"]
    for r in RULES:
        needs = "; ".join(f"`{n}`" for n in r.requires)
        yields = r.yields + (f" ({r.note})" if r.note else "")
        lines.append(f"| `{r.name}` | {r.releases} | {_cell(needs)} | {_cell(yields)} | {_cell(r.source)} |")
    return "\n".join(lines)


def with_table(doc: str) -> str:
    """`doc` with the text between the markers replaced by the current table (ValueError without markers)."""
    return replace_block(doc, BEGIN, END, markdown_table(), "docs/access.md escalation-rules")

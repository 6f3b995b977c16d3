"""Kubernetes objects to a Plan: the heart of `policyc import`.

Every input object ends in exactly one of three states (an `Outcome`):
- imported: the policy declares it (possibly under another name, matched by content);
- skipped: a system object (`--exclude-system`) that stays in the cluster, owned by Kubernetes;
- kept: something the language cannot express; it stays in the cluster as it is, and a
  diagnostic with the file and document says why.
Nothing is dropped silently. Kept objects cascade: a binding to a kept role is kept (a grant
needs a declared role), and so is a role whose aggregation would change if it were rewritten.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from policyc.access.objects import LabelSelector, parse_binding, parse_role
from policyc.check.grants import aggregation_label
from policyc.diagnostics import Diagnostic, warning
from policyc.importer import psp, system, vap
from policyc.importer.plan import Outcome, PGrant, Plan, PRole, PSubject
from policyc.importer.rules import describe_atom, translate_rules
from policyc.k8s.bootstrap import AGGREGATE_LABELS, builtin_cluster_roles, builtin_namespaced_roles, is_builtin_role
from policyc.k8s.releases import Release
from policyc.k8s.rules import PolicyRule
from policyc.k8s.yamlread import BUILD_FILE_KINDS, Doc
from policyc.rules import WARNING, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "import",
    Rule(
        "PC603", WARNING,
        "a field, label or annotation the policy does not carry over (the object is imported without it)",
        example="`automountServiceAccountToken: false`; Helm's labels on a Role",
    ),
    Rule(
        "PC604", WARNING, "a binding to a role that does not exist, or an invalid `roleRef` (kept; it grants nothing)",
        example="`roleRef: {kind: Role, name: gone}`",
    ),
    Rule(
        "PC606", WARNING,
        "a binding subject the language cannot bind: `system:masters`, a `system:` user, no subjects, an unknown kind"
        " (kept)",
        example="`{kind: Group, name: system:masters}`",
    ),
    Rule(
        "PC607", WARNING,
        "a rule the language cannot write: every resource of the core group, an unknown verb on every group or on a "
        "built-in group's wildcard, a verb that is not an HTTP method on a URL (kept, with the bindings to it)",
        example="`apiGroups: [\"\"], resources: [\"*\"]`; `purge /hooks/*`",
    ),
    Rule(
        "PC608", WARNING,
        "permissions on resources or verbs a built-in group of the target release does not serve are left out (they "
        "allowed nothing); `--verify` lists them. A role all of whose rules are such stays in the cluster as it is",
        example="`apiGroups: [\"\", apps], resources: [pods, deployments]` gives `deployments` in the core group",
    ),
    Rule(
        "PC609", WARNING,
        "an aggregated role written as the roles it selects today; or one that cannot be written (selects roles that "
        "are not imported, or is itself aggregated into `admin`/`edit`/`view`): kept",
        example="`matchLabels: {rbac.authorization.k8s.io/aggregate-to-view: \"true\"}`",
    ),
    Rule(
        "PC627", WARNING,
        "`user NAME auth certificate` recovered from a CertificateSigningRequest `policyc build` made (its subject's "
        "CN and O); the client CA path is not among the objects, so the policy names kubeadm's",
        example="importing `out/cluster/certificatesigningrequests.yaml`",
    ),
    Rule(
        "PC610", WARNING, "the same object twice in the input: the later one counts",
        example="two `ServiceAccount apps/builder`",
    ),
    Rule(
        "PC614", WARNING,
        "a binding the language cannot write: a ClusterRole granted in a namespace that has a Role of the same name, "
        "or a role with non-resource URLs granted in a namespace (kept)",
        example="RoleBinding to ClusterRole `reader` in a namespace with Role `reader`",
    ),
    Rule(
        "PC615", WARNING,
        "kept because something it depends on is kept: a binding to a kept role, a role that a kept aggregated role "
        "selects by labels",
        example="binding to `core-everything` (PC607)",
    ),
)

HANDLED = (
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "Namespace",
    "LimitRange", "ResourceQuota", "PodSecurityPolicy", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
)  # fmt: skip
# Build files that sit beside manifests (`kustomize`): not objects of a cluster.
BUILD_FILES = BUILD_FILE_KINDS
FIELDS = {
    "Role": ("rules",),
    "ClusterRole": ("rules", "aggregationRule"),
    "RoleBinding": ("roleRef", "subjects"),
    "ClusterRoleBinding": ("roleRef", "subjects"),
    "ServiceAccount": ("secrets", "imagePullSecrets", "automountServiceAccountToken"),
    "Namespace": ("spec", "status"),
    "LimitRange": ("spec",),
    "ResourceQuota": ("spec", "status"),
    "PodSecurityPolicy": ("spec",),
    "ValidatingAdmissionPolicy": ("spec",),
    "ValidatingAdmissionPolicyBinding": ("spec",),
}
# Written by the API server (or by kubectl) and meaningless for policy: ignored without a word.
SERVER_META = (
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
    "deletionTimestamp", "deletionGracePeriodSeconds",
)  # fmt: skip
IGNORED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "rbac.authorization.kubernetes.io/autoupdate",
    "policyc.dev/source",
)
IGNORED_LABELS = ("kubernetes.io/metadata.name", "app.kubernetes.io/managed-by=policyc", "kubernetes.io/bootstrapping")
POLICYC_LABEL_PREFIX = "rbac.policyc.dev/"


def _is_token_ref(sa: str, ref: Any) -> bool:
    """`{name: SA-token-xxxxx}`: a token Secret the token controller made and listed (up to 1.23)."""
    name = str(ref.get("name") or "") if isinstance(ref, dict) else ""
    return len(ref) == 1 and re.fullmatch(re.escape(sa) + r"-token-[a-z0-9]{5}", name) is not None


def _is_ignored_label(k: str, v: str) -> bool:
    return k in IGNORED_LABELS or f"{k}={v}" in IGNORED_LABELS or k.startswith(POLICYC_LABEL_PREFIX)


class Translator:
    """One import run: objects in, plan, outcomes and diagnostics out."""

    def __init__(self, docs: list[Doc], release: Release, exclude_system: bool = True) -> None:
        self.release = release
        self.exclude_system = exclude_system
        self.plan = Plan(release.version)
        self.outcomes: dict[int, Outcome] = {}
        self.diags: list[Diagnostic] = []
        self.docs = self._dedupe(docs)
        self.imported_rules: dict[tuple[str, str, str], tuple[PolicyRule, ...]] = {}

    # ------------------------------------------------------------------ bookkeeping

    def warn(self, code: str, doc: Doc, message: str, help: str, *path: Any) -> None:
        """A warning located at a field of the object, naming its document."""
        self.diags.append(warning(code, f"{doc.ref} ({doc.where}): {message}", doc.span(*path), help))

    def _set(self, doc: Doc, status: str, reason: str = "") -> None:
        self.outcomes[id(doc)] = Outcome(doc, status, reason)

    def keep(self, doc: Doc, code: str, message: str, help: str, *path: Any) -> None:
        """Keep `doc` in the cluster as it is, with a diagnostic saying why."""
        self.warn(code, doc, message + "; the object is kept as it is", help, *path)
        self._set(doc, "kept", message)

    def status(self, doc: Doc) -> str:
        """imported, skipped, kept, or `""` while undecided."""
        o = self.outcomes.get(id(doc))
        return o.status if o else ""

    def _dedupe(self, docs: list[Doc]) -> list[Doc]:
        last: dict[tuple[str, str, str], Doc] = {}
        for d in docs:
            key = (d.kind, d.namespace, d.name)
            if key in last and d.kind in HANDLED:
                prev = last[key]
                self.diags.append(
                    warning(
                        "PC610",
                        f"{prev.ref} ({prev.where}) is given again in {d.file} ({d.where}); the later one counts",
                        prev.span(),
                        "import each object once",
                    )
                )
                self._set(prev, "skipped", "given twice; the later copy counts")
            last[key] = d
        return [d for d in docs if id(d) not in self.outcomes]

    # ------------------------------------------------------------------ fields

    def check_fields(self, doc: Doc, consumed_labels: Iterable[str] = ()) -> None:
        """PC603 for every field the policy will not carry over (server-side fields are ignored)."""
        allowed = ("apiVersion", "kind", "metadata", *FIELDS.get(doc.kind, ()))
        for key in doc.obj:
            if key not in allowed:
                self.warn("PC603", doc, f"field `{key}` cannot be expressed in the policy and is not carried over",
                          "set it again by other means after the migration, or leave this object out", key)
        if doc.kind == "ServiceAccount":
            for key in ("imagePullSecrets", "automountServiceAccountToken", "secrets"):
                if key == "secrets" and all(_is_token_ref(doc.name, s) for s in doc.obj.get(key) or []):
                    continue  # filled in by the token controller (before 1.24), not by the owner
                if key in doc.obj and doc.obj[key] not in (None, [], {}):
                    self.warn("PC603", doc, f"field `{key}` cannot be expressed in the policy and is not carried over",
                              "set it again by other means after the migration", key)
        meta = doc.meta
        consumed = set(consumed_labels)
        for key in meta:
            if key in SERVER_META or key in ("name", "namespace", "labels", "annotations"):
                continue
            what = "owner references (its controller may recreate or delete it)" if key == "ownerReferences" else (
                f"metadata field `{key}`")
            self.warn("PC603", doc, f"{what} cannot be expressed in the policy", "check who manages this object",
                      "metadata", key)
        labels = meta.get("labels") or {}
        dropped = sorted(
            f"{k}={v}" for k, v in labels.items()
            if k not in consumed and not _is_ignored_label(str(k), str(v))
            and not (doc.kind == "Namespace" and str(k).startswith("pod-security.kubernetes.io/"))
        )
        if dropped:
            self.warn("PC603", doc, f"labels {', '.join(f'`{x}`' for x in dropped)} are not carried over",
                      "labels on this kind of object have no effect on access; add them back by other means if "
                      "tools select by them", "metadata", "labels")
        notes = sorted(str(k) for k in (meta.get("annotations") or {}) if k not in IGNORED_ANNOTATIONS
                       and not (doc.kind == "PodSecurityPolicy" and k in psp.PROFILE_ANNOTATIONS))
        if notes:
            self.warn("PC603", doc, f"annotations {', '.join(f'`{x}`' for x in notes)} are not carried over",
                      "annotations have no effect on access; add them back by other means if tools read them",
                      "metadata", "annotations")

    # ------------------------------------------------------------------ run

    def run(self) -> tuple[Plan, list[Outcome], list[Diagnostic]]:
        """Translate every object; returns the plan, one outcome per input object, diagnostics."""
        from policyc.importer import admission

        by_kind: dict[str, list[Doc]] = defaultdict(list)
        for doc in self.docs:
            if doc.kind in BUILD_FILES:
                self._set(doc, "skipped", "kustomize build file, not an object")
                continue
            if doc.kind == "CertificateSigningRequest" and self._certificate_user(doc):
                continue
            if doc.kind not in HANDLED:
                self.diags.append(
                    warning("PC602", f"{doc.ref or 'object'} ({doc.where}): kind `{doc.kind}` is not access policy "
                            "and is skipped", doc.span("kind"), "import only RBAC, namespaces, service accounts, "
                            "LimitRanges, ResourceQuotas and PodSecurityPolicies")
                )
                self._set(doc, "skipped", f"kind {doc.kind} is not access policy")
                continue
            reason = system.system_reason(doc)
            if reason and (self.exclude_system or system.never_importable(doc)):
                self._set(doc, "skipped", reason)
                continue
            by_kind[doc.kind].append(doc)
        regenerated = psp.translate(self, by_kind["PodSecurityPolicy"])
        for kind in ("ClusterRole", "RoleBinding"):
            for doc in by_kind[kind]:
                if id(doc) in regenerated:
                    self._set(doc, "imported", "regenerated from `pod-security`")
            by_kind[kind] = [d for d in by_kind[kind] if id(d) not in regenerated]
        self._roles(by_kind["Role"] + by_kind["ClusterRole"])
        self._bindings(by_kind["RoleBinding"] + by_kind["ClusterRoleBinding"])
        self._inline_generated()
        vap.translate(self, by_kind["ValidatingAdmissionPolicy"], by_kind["ValidatingAdmissionPolicyBinding"])
        for doc in by_kind["ServiceAccount"]:
            self.check_fields(doc)
            self.plan.serviceaccounts.add((doc.namespace, doc.name))
            self._set(doc, "imported")
        admission.translate(self, by_kind)
        outcomes = [self.outcomes.get(id(d)) or Outcome(d, "imported") for d in self.docs]
        dup = [o for o in self.outcomes.values() if o.reason == "given twice; the later copy counts"]
        return self.plan, dup + outcomes, self.diags

    def _certificate_user(self, doc: Doc) -> bool:
        """`user NAME auth certificate groups ...` back from the CSR `policyc build` made for it.

        Only a request labelled as policyc's and annotated with the user (backends/authn.py);
        the user and groups are the request's subject CN and O (output/credentials.py), which
        are what the API server authenticates a certificate as. Others stay PC602.
        """
        labels, notes = doc.meta.get("labels") or {}, doc.meta.get("annotations") or {}
        user = notes.get("policyc.dev/user") if isinstance(notes, dict) else None
        if not isinstance(labels, dict) or labels.get("app.kubernetes.io/managed-by") != "policyc" or not user:
            return False
        try:
            pem = base64.b64decode(str((doc.obj.get("spec") or {}).get("request") or ""), validate=True)
            subject = x509.load_pem_x509_csr(pem).subject
        except (ValueError, TypeError, binascii.Error):
            return False
        cn = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if cn != [user]:
            return False
        groups = tuple(str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
        if not self.plan.users:
            self.warn("PC627", doc, "certificate users come back from policyc's CertificateSigningRequests, but the "
                      "cluster's client CA is not among the objects: the policy names kubeadm's "
                      "`/etc/kubernetes/pki/ca.crt`",
                      "set `certificates ca` to the kube-apiserver's `--client-ca-file`", "spec", "request")
        self.plan.users[user] = groups
        self._set(doc, "imported")
        return True

    # ------------------------------------------------------------------ roles

    def _roles(self, docs: list[Doc]) -> None:
        candidates: dict[tuple[str, str], tuple[Doc, PRole]] = {}
        for doc in docs:
            parsed = parse_role(doc.obj)
            tr = translate_rules(parsed.rules, self.release)
            if doc.kind == "ClusterRole" and parsed.is_aggregated:
                tr.problems, tr.dead = [], []  # its rules are the controller's, recomputed from members
            if doc.kind == "Role" and any(r.non_resource_urls for r in parsed.rules):
                # The API server refuses these (ValidatePolicyRule: "namespaced rules cannot apply to
                # non-resource URLs"), so such a Role only comes from files, never from a cluster.
                tr.problems.append("a Role cannot hold non-resource URLs")
            if tr.problems:
                self.keep(doc, "PC607", "; ".join(tr.problems),
                          "rewrite the rule so that the language can express it, or manage this role outside "
                          "policyc", "rules")
                continue
            if tr.dead and not tr.rules and not (doc.kind == "ClusterRole" and parsed.is_aggregated):
                # Not written as `role x {}`: it stays in the cluster as it is, with its bindings (PC615).
                dead = ", ".join(f"`{describe_atom(a)}`" for a in tr.dead[:6]) + (" ..." if len(tr.dead) > 6 else "")
                self.warn("PC608", doc, f"every permission is on what Kubernetes {self.release.label} does not serve "
                          f"({dead}), so it grants nothing; it stays in the cluster as it is",
                          "delete it, or fix the API groups of its rules", "rules")
                self._set(doc, "skipped", f"grants nothing on Kubernetes {self.release.label} (every rule is dead)")
                continue
            if tr.dead:
                dead = ", ".join(f"`{describe_atom(a)}`" for a in tr.dead[:6]) + (" ..." if len(tr.dead) > 6 else "")
                self.warn("PC608", doc, f"left out permissions that Kubernetes {self.release.label} does not serve: "
                          f"{dead}", "they grant nothing on this release; `--verify` lists them", "rules")
            key = (doc.namespace if doc.kind == "Role" else "", doc.name)
            labels = {str(k): str(v) for k, v in (doc.meta.get("labels") or {}).items()}
            aggregate_to = tuple(t for t, lbl in AGGREGATE_LABELS.items()
                                 if doc.kind == "ClusterRole" and labels.get(lbl) == "true")
            candidates[key] = (doc, PRole(doc.name, key[0] or None, tr.rules, None, aggregate_to, doc))
        self._aggregation(candidates)
        for key, (doc, role) in sorted(candidates.items()):
            if self.status(doc):
                continue
            consumed = [AGGREGATE_LABELS[t] for t in role.aggregate_to] + self._selected_labels.get(key, [])
            self.check_fields(doc, consumed)
            self.plan.roles[key] = role
            self._set(doc, "imported")

    def _aggregation(self, candidates: dict[tuple[str, str], tuple[Doc, PRole]]) -> None:
        """Aggregated roles as `aggregates` lists; keep what would select differently once rewritten."""
        self._selected_labels: dict[tuple[str, str], list[str]] = defaultdict(list)
        universe: dict[str, tuple[dict[str, str], tuple[LabelSelector, ...] | None, Doc | None]] = {}
        for o in builtin_cluster_roles().values():
            parsed = parse_role(o)
            universe[parsed.ref.name] = (dict(parsed.labels), parsed.selectors, None)
        for doc in self.docs:
            if doc.kind == "ClusterRole":
                parsed = parse_role(doc.obj)
                universe[doc.name] = (dict(parsed.labels), parsed.selectors, doc)

        def members(name: str) -> list[str]:
            _labels, selectors, _doc = universe[name]
            return sorted(
                n for n, (lbls, _s, _d) in universe.items()
                if n != name and any(s.matches(lbls) for s in selectors or ())
            )

        def future_labels(name: str, agg_of: dict[str, list[str]]) -> dict[str, str]:
            role = candidates[("", name)][1]
            out = {AGGREGATE_LABELS[t]: "true" for t in role.aggregate_to}
            out["app.kubernetes.io/managed-by"] = "policyc"
            for agg in agg_of.get(name, ()):  # policyc's own selecting labels
                out[aggregation_label(agg)] = "true"
            return out

        changed = True
        while changed:
            changed = False
            live = {n for (ns, n), (d, _r) in candidates.items() if not ns and not self.status(d)}
            agg_of: dict[str, list[str]] = defaultdict(list)
            for name in sorted(live):
                if universe[name][1] is not None:
                    for mem in members(name):
                        agg_of[mem].append(name)
            for name in sorted(universe):
                labels, selectors, doc = universe[name]
                if selectors is None:
                    continue
                mems = members(name)
                if name in live:
                    assert doc is not None
                    bad = [m for m in mems if m not in live]
                    own = [t for t in AGGREGATE_LABELS if labels.get(AGGREGATE_LABELS[t]) == "true"]
                    if own:
                        self.keep(doc, "PC609", f"aggregated role is itself aggregated into `{own[0]}`, which the "
                                  "language cannot write", "list its members' rules in a role with `aggregate-to`",
                                  "metadata", "labels")
                        changed = True
                    elif bad:
                        self.keep(doc, "PC609", f"aggregated role selects `{bad[0]}`, which is not imported",
                                  "aggregate only roles that the policy declares", "aggregationRule")
                        changed = True
                    continue
                # A role that stays in the cluster must still select the same imported roles.
                for mem in mems:
                    if mem not in live:
                        continue
                    if not any(s.matches(future_labels(mem, agg_of)) for s in selectors):
                        mdoc = candidates[("", mem)][0]
                        self.keep(mdoc, "PC615", f"ClusterRole `{name}`, which stays in the cluster, aggregates "
                                  "this role by labels that the policy cannot give it",
                                  "import the aggregated role too, or use `aggregate-to admin|edit|view`",
                                  "metadata", "labels")
                        changed = True
        live = {n for (ns, n), (d, _r) in candidates.items() if not ns and not self.status(d)}
        for name in sorted(live):
            labels, selectors, doc = universe[name]
            if selectors is None:
                continue
            assert doc is not None
            mems = members(name)
            role = candidates[("", name)][1]
            role.rules, role.aggregate_to = (), ()
            for mem in mems:
                mlabels = universe[mem][0]
                for s in selectors:
                    self._selected_labels[("", mem)] += [k for k, _v in s.match_labels if k in mlabels]
                    self._selected_labels[("", mem)] += [r.key for r in s.match_expressions if r.key in mlabels]
            if not mems:
                self.warn("PC609", doc, "aggregated role selects no role today; it is written as a role without rules",
                          "declare the roles it should aggregate with `aggregate-to`", "aggregationRule")
                continue
            role.aggregates = tuple(mems)
            if all(s.match_labels == ((aggregation_label(name), "true"),) and not s.match_expressions
                   for s in selectors):
                continue  # policyc's own selector: exactly what `aggregates` compiles to
            sel = "; ".join(_selector_text(s) for s in selectors)
            self.warn("PC609", doc, f"aggregation by label ({sel}) is written as the roles it selects today: "
                      f"{', '.join(f'`{m}`' for m in mems)}",
                      "roles added later join with `aggregate-to " + name + "` in the policy", "aggregationRule")

    # ------------------------------------------------------------------ bindings

    def _bindings(self, docs: list[Doc]) -> None:
        role_docs = {(d.kind, d.namespace if d.kind == "Role" else "", d.name): d for d in self.docs
                     if d.kind in ("Role", "ClusterRole")}
        for doc in docs:
            b = parse_binding(doc.obj)
            ref = doc.obj.get("roleRef") or {}
            role_kind, role_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
            scope = doc.namespace if doc.kind == "RoleBinding" else None
            if role_kind not in ("Role", "ClusterRole") or (role_kind == "Role" and scope is None):
                self.keep(doc, "PC604", f"roleRef kind `{role_kind}` is not valid here", "fix the roleRef", "roleRef")
                continue
            key = (b.role.namespace, role_name)
            target = role_docs.get((role_kind, b.role.namespace, role_name))
            if role_kind == "Role" and target is None and (b.role.namespace, role_name) in builtin_namespaced_roles():
                # namespace_policy.go: every API server creates it; the language cannot grant it.
                self.keep(doc, "PC615", f"its role {b.role} is a built-in Role every API server creates, which "
                          "stays in the cluster, so the policy cannot grant it", "keep the binding as it is",
                          "roleRef")
                continue
            if role_kind == "Role" or (target is not None and not is_builtin_role(role_name)):
                if target is None:
                    self.keep(doc, "PC604", f"it refers to {role_kind} `{role_name}`, which does not exist (it "
                              "grants nothing)", "delete the binding, or import the role with it", "roleRef")
                    continue
                if key not in self.plan.roles:
                    self.keep(doc, "PC615", f"its role {target.ref} stays in the cluster, so the policy cannot "
                              "grant it", "see the diagnostic of the role", "roleRef")
                    continue
            elif not is_builtin_role(role_name):
                self.keep(doc, "PC604", f"it refers to ClusterRole `{role_name}`, which does not exist (it grants "
                          "nothing)", "delete the binding, or import the role with it", "roleRef")
                continue
            if role_kind == "ClusterRole" and scope is not None:
                if (scope, role_name) in self.plan.roles:
                    self.keep(doc, "PC614", f"it grants ClusterRole `{role_name}` in a namespace that has a Role of "
                              "the same name, which the language cannot tell apart", "rename one of the two roles",
                              "roleRef")
                    continue
                role = self.plan.roles.get(("", role_name))
                if role is not None and any(r.targets[0].startswith("/") for r in role.rules):
                    self.keep(doc, "PC614", f"it grants ClusterRole `{role_name}`, which holds non-resource URLs, "
                              "in a namespace (where the URLs do nothing)", "split the role: URLs in one granted "
                              "`in cluster`, the rest in another", "roleRef")
                    continue
            subjects, problems = self._subjects(doc)
            if problems:
                self.keep(doc, "PC606", "; ".join(problems), "bind such subjects outside policyc", "subjects")
                continue
            self.check_fields(doc)
            self.plan.grants.append(PGrant(role_name, scope, subjects, [doc], (), key[0]))
            self._set(doc, "imported")

    def _inline_generated(self) -> None:
        """Roles policyc synthesized for inline grants (`policyc:OWNER`) become inline grants again.

        Only a role named `policyc:...`, granted by one binding in its own scope (a Role in its
        namespace, a ClusterRole `in cluster`), that takes no part in aggregation.
        """
        uses: dict[tuple[str, str], int] = defaultdict(int)
        for g in self.plan.grants:
            uses[(g.role_ns, g.role)] += 1
        aggregated = {m for r in self.plan.roles.values() for m in (r.aggregates or ())}
        for g in self.plan.grants:
            key = (g.role_ns, g.role)
            role = self.plan.roles.get(key)
            if (role is None or not g.role.startswith("policyc:") or uses[key] != 1 or role.aggregates is not None
                    or role.aggregate_to or g.role in aggregated or not role.rules
                    or (g.scope or "") != g.role_ns):
                continue
            g.rules, g.role = role.rules, ""
            del self.plan.roles[key]

    def _subjects(self, doc: Doc) -> tuple[tuple[PSubject, ...], list[str]]:
        out: set[PSubject] = set()
        problems: list[str] = []
        raw = doc.obj.get("subjects") or []
        if not raw:
            return (), ["it has no subjects"]
        for d in raw:
            d = d if isinstance(d, dict) else {}
            kind, name = str(d.get("kind") or ""), str(d.get("name") or "")
            s = _subject(kind, name, str(d.get("namespace") or (doc.namespace if doc.kind == "RoleBinding" else "")))
            if isinstance(s, str):
                problems.append(s)
            else:
                out.add(s)
        return tuple(sorted(out)), problems


def _selector_text(s: LabelSelector) -> str:
    parts = [f"{k}={v}" for k, v in s.match_labels]
    parts += [f"{r.key} {r.operator} ({', '.join(r.values)})" if r.values else f"{r.key} {r.operator}"
              for r in s.match_expressions]
    return ", ".join(parts) or "everything"


SA_PREFIX = "system:serviceaccount:"


def _subject(kind: str, name: str, namespace: str) -> PSubject | str:
    """A binding subject as the language writes it, or why it cannot be written."""
    if not name:
        return f"a {kind or 'subject'} without a name"
    if kind == "ServiceAccount":
        if not namespace:
            return f"service account `{name}` has no namespace (it matches nobody)"
        return PSubject("serviceaccount", f"{namespace}/{name}")
    if kind == "User":
        if name.startswith(SA_PREFIX) and name.count(":") == 3:
            # appliesToUser: a User subject named like a service account's username is that account.
            ns, _, sa = name[len(SA_PREFIX):].partition(":")
            return PSubject("serviceaccount", f"{ns}/{sa}")
        if name.startswith("system:"):
            return f"user `{name}` is a Kubernetes component identity, which the language does not bind (PC130)"
        return PSubject("user", name)
    if kind == "Group":
        if name == "system:masters":
            return "the group `system:masters` bypasses authorization and cannot be bound in policy (PC131)"
        if name == "system:authenticated":
            return PSubject("everyone")
        return PSubject("group", name)
    return f"subject kind `{kind}` is not User, Group or ServiceAccount"

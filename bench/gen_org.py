#!/usr/bin/env python3
"""Generate a synthetic organisation written in the policy language, for benchmarks.

The size parameter is the number of namespaces; everything else scales with it (about one
team per ten namespaces, one declared ClusterRole per thirty, one aggregated role per three
hundred). The output is a pure function of (namespaces, seed): the same arguments give the
same files, byte for byte, on any machine.

What an organisation holds (see /work/shared/spec/LANGUAGE.md):
- `platform.policy`: the release, the platform team (cluster-admin in cluster), a role with
  non-resource URLs granted in cluster, inline cluster grants, `view` for everyone in a few
  shared namespaces, and an auditors team that only holds `view`;
- `roles/roles-NN.policy`: reusable ClusterRoles, aggregated roles (`aggregates`), roles that
  add rules to them or to the built-in `view` (`aggregate-to`), CRD resources of unknown groups;
- `teams/TEAM.policy`: a team (groups, users, service accounts, sometimes a nested team) with
  role and inline grants in its namespaces, its CI service account and a namespaced Role;
- `namespaces/TEAM.policy`: the team's namespaces with labels, pod security, limits and quota
  on some of them, and namespace-local grants (roles, inline rules with `named`);
- `guards.policy`: a few `forbid` guards that hold (they concern subjects holding only `view`).

Shapes (`--shape`): `mixed` (the default, above) and shapes that make one dimension heavy on top of
it, so that a benchmark of 10x the namespaces is 10x that dimension: `namespaces` (teams of 30
namespaces), `teams` (teams of 2), `users` (12 declared OIDC users per team), `groups` (12 more
groups per team), `serviceaccounts` (4 more per namespace), `members` (40 more members per team),
`guards` (3 guards per team), `grants` (6 more per namespace), `roles` (a Role per namespace and 3
more ClusterRoles per team), `rules` (12 more rules per role), `files` (one file per namespace);
`identity` (teams of 3 namespaces, 9 declared users and 3 service accounts per team, guards `for
everyone`: the organisation of issue 19) and `all` (every dimension heavy at once).

Usage: gen_org.py --namespaces 3000 [--seed 1] [--shape mixed] -o DIR   (DIR must be empty or absent)
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import NamedTuple

APPS = (
    "api", "web", "worker", "billing", "search", "catalog", "cart", "checkout", "payments", "ledger",
    "auth", "profile", "notify", "mailer", "reports", "etl", "ml", "feeds", "media", "gateway",
)  # fmt: skip
STAGES = ("dev", "staging", "prod")
DOMAINS = ("retail", "finance", "logistics", "identity", "data", "growth", "support", "risk")

# Built-in resources of Kubernetes 1.30 a product team typically works with.
WORKLOADS = (
    "deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps", "jobs.batch",
    "cronjobs.batch", "services", "configmaps", "persistentvolumeclaims", "ingresses.networking.k8s.io",
    "horizontalpodautoscalers.autoscaling", "poddisruptionbudgets.policy", "networkpolicies.networking.k8s.io",
)  # fmt: skip
OBSERVE = ("pods", "pods/log", "events", "endpoints", "services", "configmaps")
VERB_SETS = ("read", "read, write", "get, list", "get, watch, list", "create, delete", "update, patch")
# Custom resources (unknown API groups are accepted as CRDs).
CRD_KINDS = ("widgets", "gadgets", "pipelines", "certificates", "databases", "buckets", "topics", "caches")

# Namespaced roles of every organisation, for the generated grants to refer to.
BASE_ROLES = {
    "pod-reader": ["get, watch, list pods, pods/log"],
    "deployer": [
        "read, write deployments.apps, replicasets.apps",
        "read pods, services, configmaps",
        "get, update configmaps named app-settings",
    ],
    "job-runner": ["read, write jobs.batch, cronjobs.batch", "read pods, pods/log"],
    "config-editor": ["read, write configmaps", "get configmaps named app-settings, feature-flags"],
}


class Shape(NamedTuple):
    """How heavy each dimension is. The defaults are the `mixed` organisation (and keep its
    bytes and its random draws unchanged: a knob at its default adds nothing). A NamedTuple, not a
    dataclass: the benchmarks load this file without registering it as a module."""

    ns_per_team: int = 10
    users_per_team: int = 0  # declared OIDC users, members of the team
    groups_per_team: int = 0  # extra group members
    members_per_team: int = 0  # extra undeclared user members
    sas_per_ns: int = 0  # extra declared service accounts per namespace, members of the team
    guards_per_team: int = 0  # guards that hold, one subject each
    guards_everyone: bool = False  # guards `for everyone` (except the platform team)
    grants_per_ns: int = 0  # extra namespace-local grants
    roles_per_team: int = 0  # extra ClusterRoles (granted by the team) and a Role per namespace
    rules_per_role: int = 0  # extra rules in every generated ClusterRole
    file_per_ns: bool = False  # one file per namespace


SHAPES: dict[str, Shape] = {
    "mixed": Shape(),
    "namespaces": Shape(ns_per_team=30),
    "teams": Shape(ns_per_team=2),
    "users": Shape(users_per_team=12),
    "groups": Shape(groups_per_team=12),
    "serviceaccounts": Shape(sas_per_ns=4),
    "members": Shape(members_per_team=40),
    "guards": Shape(guards_per_team=3),
    "grants": Shape(grants_per_ns=6),
    "roles": Shape(roles_per_team=3),
    "rules": Shape(rules_per_role=12),
    "files": Shape(file_per_ns=True),
    "identity": Shape(ns_per_team=3, users_per_team=9, sas_per_ns=1, guards_everyone=True),
    "all": Shape(ns_per_team=5, users_per_team=6, groups_per_team=4, members_per_team=10, sas_per_ns=2,
                 guards_per_team=1, guards_everyone=True, grants_per_ns=3, roles_per_team=1, rules_per_role=4,
                 file_per_ns=True),
}


# Guards over every subject the policy names (they hold: only the platform team has these).
EVERYONE_GUARDS = (
    "forbid escalate, bind roles.rbac.authorization.k8s.io, clusterroles.rbac.authorization.k8s.io "
    "for everyone except team platform",
    "forbid impersonate users, groups for everyone except team platform",
    "forbid delete namespaces, nodes for everyone except team platform",
)
# Declared OIDC users need the API server to know the issuer.
OIDC_CLUSTER = """# Cluster authentication (generated).
cluster {
  authentication {
    oidc issuer https://login.example.com client-id k8s username-claim email groups-claim groups
  }
}
"""


def _team_name(i: int, rng: random.Random) -> str:
    return f"t{i:03d}-{rng.choice(DOMAINS)}"


class _Org:
    """Builds the file texts; `files` maps relative paths to their text."""

    def __init__(self, namespaces: int, seed: int, shape: Shape | None = None) -> None:
        if namespaces < 10:
            raise ValueError("an organisation needs at least 10 namespaces")
        self.n = namespaces
        self.shape = shape = shape or Shape()
        self.rng = random.Random(seed)
        self.files: dict[str, str] = {}
        self.teams: list[str] = [_team_name(i, self.rng) for i in range(max(2, namespaces // shape.ns_per_team))]
        # Namespaces dealt to the teams round-robin, so every team owns about ten.
        self.owned: dict[str, list[str]] = {t: [] for t in self.teams}
        # The j-th namespace of team i is (app, stage) = (APPS[i + j // 3], STAGES[j % 3]).
        for k in range(namespaces):
            i, j = k % len(self.teams), k // len(self.teams)
            team = self.teams[i]
            app = APPS[(i + j // len(STAGES)) % len(APPS)]
            self.owned[team].append(f"{team}-{app}-{STAGES[j % len(STAGES)]}")
        self.roles: list[str] = list(BASE_ROLES)
        self.aggregated: list[str] = []

    # -- roles -----------------------------------------------------------------------------
    def _rule(self, resources: tuple[str, ...], k: int) -> str:
        verbs = self.rng.choice(VERB_SETS)
        picked = sorted(self.rng.sample(resources, k))
        return f"{verbs} {', '.join(picked)}"

    def roles_files(self) -> None:
        blocks: list[str] = []
        for name, rules in BASE_ROLES.items():
            blocks.append(f"role {name} {{\n" + "".join(f"  {r}\n" for r in rules) + "}\n")
        for i in range(max(4, self.n // 30)):
            name = f"app-role-{i:03d}"
            rules = [self._rule(WORKLOADS, self.rng.randint(1, 4)) for _ in range(self.rng.randint(1, 4))]
            if i % 5 == 0:
                rules.append(f"read {CRD_KINDS[i % len(CRD_KINDS)]}.g{i}.example.com")
            rules += [f"get configmaps named cfg-{i}-{k}" for k in range(self.shape.rules_per_role)]
            blocks.append(f"role {name} {{\n" + "".join(f"  {r}\n" for r in rules) + "}\n")
            self.roles.append(name)
        for i in range(max(1, self.n // 300)):
            name = f"app-operator-{i:02d}"
            members = sorted(self.rng.sample(self.roles[: len(BASE_ROLES) + 4 + i], 3))
            blocks.append(f"# The union of {len(members)} roles, kept up to date by Kubernetes.\n"
                          f"role {name} aggregates {', '.join(members)}\n")
            # A role that adds its rules to the aggregated one.
            blocks.append(f"role {name}-extras aggregate-to {name} {{\n  read cronjobs.batch, events\n}}\n")
            # CRD read access added to the built-in `view` (no secrets: the guards rely on it).
            crd = CRD_KINDS[i % len(CRD_KINDS)]
            blocks.append(f"role {crd}-{i:02d}-viewer aggregate-to view {{\n  read {crd}.a{i}.example.com\n}}\n")
            self.aggregated.append(name)
        for t in range(self.shape.roles_per_team * len(self.teams)):
            name = f"extra-role-{t:05d}"
            rules = [f"get configmaps named extra-{t}", f"list {CRD_KINDS[t % len(CRD_KINDS)]}.x{t % 50}.example.com"]
            rules += [f"get secrets named extra-{t}-{k}" for k in range(self.shape.rules_per_role)]
            blocks.append(f"role {name} {{\n" + "".join(f"  {r}\n" for r in rules) + "}\n")
        per_file = 25
        for f in range(0, len(blocks), per_file):
            self.files[f"roles/roles-{f // per_file:02d}.policy"] = (
                "# Reusable roles (generated).\n\n" + "\n".join(blocks[f : f + per_file])
            )

    # -- teams -----------------------------------------------------------------------------
    def team_file(self, i: int, team: str) -> None:
        rng = self.rng
        nss = self.owned[team]
        ci_ns = nss[0]
        members = [f"group oidc:{team}-devs"]
        members += [f"user dev{j}.{team}@example.com" for j in range(rng.randint(1, 4))]
        members.append(f"serviceaccount {ci_ns}/deployer")
        if i % 5 == 4:
            members.append(f"team {self.teams[i - 1]}")  # a nested team
        shape = self.shape
        declared = [f"u{j}.{team}@example.com" for j in range(shape.users_per_team)]
        members += [f"user {u}" for u in declared]
        members += [f"group oidc:{team}-g{j}" for j in range(shape.groups_per_team)]
        members += [f"user m{j}.{team}@example.com" for j in range(shape.members_per_team)]
        members += [f"serviceaccount {ns}/svc{j}" for ns in nss for j in range(shape.sas_per_ns)]
        lines = [f"# Team {team} (generated)."]
        lines += [f"user {u} auth oidc" for u in declared]
        lines += [f"team {team} {{", f"  members {', '.join(members)}"]
        # `edit` in half of its namespaces; a narrower role, logs and port-forwarding in the rest.
        edit, rest = nss[: (len(nss) + 1) // 2], nss[(len(nss) + 1) // 2 :] or nss[:1]
        lines.append(f"  grant role edit in {', '.join(edit)}")
        role = rng.choice(self.aggregated) if i % 3 == 0 else rng.choice(self.roles)
        lines.append(f"  grant role {role} in {', '.join(rest)}")
        lines.append(f"  grant read pods/log, events in {', '.join(rest)}")
        lines.append(f"  grant create pods/portforward in {', '.join(rest)}")
        if i % 20 == 0:
            lines.append("  grant read nodes, namespaces in cluster")
        start = i * shape.roles_per_team
        lines += [f"  grant role extra-role-{t:05d} in {rest[-1]}" for t in range(start, start + shape.roles_per_team)]
        lines.append("}")
        lines.append("")
        lines.append(f"serviceaccount {ci_ns}/deployer")
        lines += [f"serviceaccount {ns}/svc{j}" for ns in nss for j in range(shape.sas_per_ns)]
        guards = ("forbid impersonate users, groups for team {t}", "forbid delete namespaces for group oidc:{t}-devs",
                  "forbid escalate, bind clusterroles.rbac.authorization.k8s.io for serviceaccount {ns}/deployer")
        lines += [guards[k % 3].format(t=team, ns=ci_ns) for k in range(shape.guards_per_team)]
        lines.append("")
        # The CI service account releases into the last namespace with a Role of that namespace.
        release_ns = rest[-1]
        lines.append(f"role {team}-release in {release_ns} {{")
        lines.append("  read, write deployments.apps, services, configmaps")
        lines.append("  update, patch deployments.apps/scale")
        lines.append("}")
        lines.append(f"grant role {team}-release to serviceaccount {ci_ns}/deployer in {release_ns}")
        self.files[f"teams/{team}.policy"] = "\n".join(lines) + "\n"

    def namespaces_file(self, i: int, team: str) -> None:
        rng = self.rng
        out = [f"# Namespaces of team {team} (generated).", ""]
        for k, ns in enumerate(self.owned[team]):
            app, stage = ns.rsplit("-", 2)[1:]
            out.append(f"namespace {ns} {{")
            out.append(f"  labels team={team}, app={app}, env={stage}, cost-center=cc-{i % 97:02d}")
            if stage == "prod":
                out.append("  pod-security restricted")
                out.append("  quota requests.cpu 8, requests.memory 16Gi, limits.memory 32Gi, pods 50")
            elif k % 4 == 1:
                out.append("  pod-security enforce baseline, warn restricted, audit restricted")
            if k % 7 == 3:
                out.append("  limits {")
                out.append("    container max memory 2Gi, cpu 2")
                out.append("    container default memory 512Mi, cpu 500m")
                out.append("    container default-request memory 128Mi, cpu 100m")
                out.append("  }")
            out.append(f"  grant role pod-reader to user oncall{rng.randint(1, 9)}.{team}@example.com")
            out.append(f"  grant get, update configmaps named app-settings to serviceaccount {ns}/app")
            for j in range(self.shape.grants_per_ns):
                out.append(f"  grant get configmaps named cfg-{j} to user g{j}.{team}@example.com" if j % 2 else
                           f"  grant role {self.roles[j % len(self.roles)]} to group oidc:{team}-ops{j}")
            if self.shape.roles_per_team:
                out.append(f"  grant role {ns}-local to group oidc:{team}-devs")
            if k % 2 == 0:
                res = ", ".join(sorted(rng.sample(OBSERVE, 2)))
                out.append(f"  grant read {res} to group oidc:{team}-support")
            if k % 5 == 0:
                leads = f"group oidc:{team}-leads, user lead.{team}@example.com"
                out.append(f"  grant role {rng.choice(self.roles)} to {leads}")
            out.append("}")
            out.append(f"serviceaccount {ns}/app")
            if self.shape.roles_per_team:
                out.append(f"role {ns}-local in {ns} {{\n  read, write configmaps\n  read pods/log\n}}")
            out.append("")
            if self.shape.file_per_ns:
                self.files[f"namespaces/{team}/{ns}.policy"] = "\n".join(out)
                out = [f"# Namespace of team {team} (generated).", ""]
        if not self.shape.file_per_ns:
            self.files[f"namespaces/{team}.policy"] = "\n".join(out)

    # -- platform and guards -----------------------------------------------------------------
    def platform_file(self) -> None:
        shared = sorted(self.rng.sample([ns for nss in self.owned.values() for ns in nss], max(2, self.n // 100)))
        audited = sorted(self.rng.sample([ns for nss in self.owned.values() for ns in nss], max(2, self.n // 20)))
        self.files["platform.policy"] = "\n".join(
            [
                "# The platform: release, cluster-wide access (generated).",
                "kubernetes 1.30",
                "",
                "team platform {",
                "  members group oidc:platform-admins, serviceaccount flux-system/kustomize-controller",
                "  grant role cluster-admin in cluster",
                "}",
                "",
                "role health-reader {",
                "  get /healthz, /readyz, /livez, /version",
                "}",
                "grant role health-reader to group monitoring in cluster",
                "grant read nodes, namespaces, persistentvolumes to group oidc:sre in cluster",
                "grant role view to group oidc:sre in cluster",
                f"grant role view to everyone in {', '.join(shared)}",
                "",
                "# Auditors read, nothing else; the guards below hold them to it.",
                "team auditors {",
                "  members group oidc:auditors, user audit-bot@example.com",
                f"  grant role view in {', '.join(audited)}",
                "}",
                "",
            ]
        )
        self.files["guards.policy"] = "\n".join(
            [
                "# Guards (generated): they hold, since auditors and contractors hold only `view`.",
                "forbid escalate, bind roles.rbac.authorization.k8s.io, clusterroles.rbac.authorization.k8s.io "
                "for team auditors",
                "forbid impersonate users, groups, serviceaccounts for team auditors, group oidc:contractors",
                "forbid read secrets for team auditors",
                "forbid create pods/exec, pods/attach for group oidc:contractors",
                *(EVERYONE_GUARDS if self.shape.guards_everyone else ()),
                "",
            ]
        )
        if self.shape.users_per_team:
            self.files["cluster.policy"] = OIDC_CLUSTER

    def build(self) -> dict[str, str]:
        self.platform_file()
        self.roles_files()
        for i, team in enumerate(self.teams):
            self.team_file(i, team)
            self.namespaces_file(i, team)
        return dict(sorted(self.files.items()))


def generate(namespaces: int, seed: int = 1, shape: str | Shape = "mixed") -> dict[str, str]:
    """The organisation's files, `{relative path: text}`, for `namespaces` namespaces (>= 10),
    in one of the SHAPES (or a Shape of one's own)."""
    if isinstance(shape, str):
        if shape not in SHAPES:
            raise ValueError(f"unknown shape `{shape}` (known: {', '.join(SHAPES)})")
        shape = SHAPES[shape]
    return _Org(namespaces, seed, shape).build()


def write(out_dir: Path, files: dict[str, str]) -> None:
    """Write the files under `out_dir`, which must be empty or absent (nothing is overwritten)."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: generate an organisation into a folder."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--namespaces", type=int, default=3000, help="number of namespaces (>= 10)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    ap.add_argument("--shape", default="mixed", choices=list(SHAPES), help="which dimension is heavy")
    ap.add_argument("-o", "--out", type=Path, required=True, help="output folder (empty or absent)")
    args = ap.parse_args(argv)
    try:
        files = generate(args.namespaces, args.seed, args.shape)
        write(args.out, files)
    except (ValueError, OSError) as exc:
        print(f"gen_org: {exc}", file=sys.stderr)
        return 2
    lines = sum(t.count("\n") for t in files.values())
    print(f"wrote {len(files)} files, {lines} lines, {args.namespaces} namespaces ({args.shape}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

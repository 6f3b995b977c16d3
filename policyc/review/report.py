"""What `policyc diff` reports, as plain data: access lines, setting changes, the report itself.

Every list is sorted when the report is assembled, so each rendering (text, markdown, json) is a
pure function of the two policies: the same inputs give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.source import Span

SCHEMA_VERSION = 1


def location(span: Span | None) -> str:
    """`file:line` of a span, or empty when there is no real one (built-in objects)."""
    if span is None or span.line < 1:
        return ""
    return f"{span.file}:{span.line}"


def source_order(source: str) -> tuple[str, int]:
    """Sort key of `file:line`: `b.policy:9` before `b.policy:10`."""
    file, _, line = source.rpartition(":")
    return (file, int(line) if line.isdigit() else 0)


@dataclass(frozen=True, order=True)
class Origin:
    """Where a piece of access comes from in the policy: the grants, the role and how it reaches the subject.

    `via` is `direct` (a rule of the granted role), `aggregated` (a rule aggregated into the
    granted role from `from_role`), `builtin` (a rule of a built-in ClusterRole) or `escalation`
    (reached by acting through `path`, one step per hop).
    """

    sources: tuple[str, ...]  # file:line of the grants behind it (none for Kubernetes' default bindings)
    team: str = ""
    role: str = ""
    via: str = "direct"
    from_role: str = ""
    path: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The origin as a JSON object (docs/diff.md)."""
        return {
            "sources": list(self.sources),
            "team": self.team,
            "role": self.role,
            "via": self.via,
            "from_role": self.from_role,
            "path": list(self.path),
        }


@dataclass(frozen=True, order=True)
class AccessLine:
    """Verbs on targets that one subject gains or loses in one scope, for one set of origins.

    `scope` is a namespace, or "" for cluster-wide access (a ClusterRoleBinding: every namespace
    and the cluster-scoped resources and URLs). `targets` are written as in the policy language
    (`secrets`, `deployments.apps/scale`, `*`, `/healthz`). A `superuser` line stands for a subject
    reaching, through escalation, an identity that holds every permission cluster-wide (the
    superuser, or as cluster-admin), or holding it directly (a `cluster-admin` binding): `*` on `*` and
    `/*`, one line in place of all it implies.
    """

    escalation: bool  # first field: escalations sort (and render) first
    subject: str  # `user alice`, `group dev`, `serviceaccount ci/runner`
    scope: str
    verbs: tuple[str, ...]
    targets: tuple[str, ...]
    names: tuple[str, ...] = ()
    origins: tuple[Origin, ...] = ()
    superuser: bool = False

    @property
    def where(self) -> str:
        """`in NS`, or `in cluster`."""
        return f"in {self.scope}" if self.scope else "in cluster"

    @property
    def what(self) -> str:
        """`get, list secrets named a, b` as a reviewer reads it."""
        if self.superuser:
            return "full control of the cluster (superuser: every verb on every resource and URL)"
        named = f" named {', '.join(self.names)}" if self.names else ""
        return f"{', '.join(self.verbs)} {', '.join(self.targets)}{named}"

    @property
    def via(self) -> str:
        """How the access reaches the subject, in words (empty for direct grants)."""
        parts = []
        for o in self.origins:
            if o.via == "escalation":
                parts.append("escalation: " + " → ".join(o.path))
            elif o.via == "aggregated":
                parts.append(f"aggregated into `{o.role}` from `{o.from_role}`")
            elif o.via == "builtin":
                parts.append(f"built-in role `{o.role}`")
        return "; ".join(dict.fromkeys(parts))

    @property
    def sources(self) -> str:
        """`teams.policy:9, teams.policy:22, team ci`: the grants behind the line, then their teams."""
        found = sorted({src for o in self.origins for src in o.sources}, key=source_order)
        teams = sorted({f"team {o.team}" for o in self.origins if o.team})
        return ", ".join(found + teams)

    def to_json(self) -> dict:
        """The line as a JSON object (docs/diff.md)."""
        return {
            "subject": self.subject,
            "scope": self.scope or None,
            "verbs": list(self.verbs),
            "targets": list(self.targets),
            "names": list(self.names),
            "escalation": self.escalation,
            "superuser": self.superuser,
            "origins": [o.to_json() for o in self.origins],
        }


@dataclass(frozen=True, order=True)
class SettingChange:
    """A change to a limit, quota, pod security level or policy, guard, or cluster (apiserver) setting.

    `before`/`after` are None for an added/removed setting. `scope` names the namespace, the
    pod-security-policy, or "" (cluster and guards).
    """

    area: str  # limits | quota | pod-security | pod-security-policy | guard | cluster
    scope: str
    key: str
    before: str | None
    after: str | None
    source: str = ""

    @property
    def sign(self) -> str:
        """`+` added, `-` removed, `~` changed."""
        return "+" if self.before is None else "-" if self.after is None else "~"

    @property
    def subject(self) -> str:
        """What the setting belongs to, in words."""
        if self.area in ("limits", "quota", "pod-security"):
            return f"namespace {self.scope}"
        if self.area == "pod-security-policy":
            return f"pod-security-policy {self.scope}"
        return self.area

    @property
    def text(self) -> str:
        """`limits container max memory: 2Gi → 4Gi` (changed), `quota pods 30` (added or removed)."""
        if self.area == "guard":
            return self.key
        label = self.key if self.area in ("cluster", "pod-security-policy") else f"{self.area} {self.key}"
        if self.before is not None and self.after is not None:
            return f"{label}: {self.before} → {self.after}"
        value = self.after if self.after is not None else self.before
        return f"{label} {value}".strip()

    def to_json(self) -> dict:
        """The change as a JSON object (docs/diff.md)."""
        return {
            "area": self.area,
            "scope": self.scope or None,
            "key": self.key,
            "before": self.before,
            "after": self.after,
            "source": self.source,
        }


@dataclass(frozen=True)
class SideInfo:
    """How a side was read, for the report's header."""

    label: str
    kind: str  # folder | revision
    commit: str = ""
    empty: bool = False

    def to_json(self) -> dict:
        """The side as a JSON object."""
        return {"label": self.label, "kind": self.kind, "commit": self.commit or None, "empty": self.empty}


@dataclass(frozen=True)
class DiffReport:
    """Everything `policyc diff` found between BASE and HEAD."""

    base: SideInfo
    head: SideInfo
    added: tuple[AccessLine, ...] = ()
    removed: tuple[AccessLine, ...] = ()
    settings: tuple[SettingChange, ...] = ()
    manifests: str | None = None  # the unified diff when asked for with --manifests
    notes: tuple[str, ...] = field(default=())

    @property
    def access_changed(self) -> bool:
        """Whether anyone's effective access changed (what --exit-code gates on)."""
        return bool(self.added or self.removed)

    @property
    def summary(self) -> str:
        """One line: who gains and loses how much, and how many settings changed."""
        if not self.access_changed:
            access = "no access changes"
        else:
            subjects = len({line.subject for line in self.added + self.removed})
            esc = sum(line.escalation for line in self.added)
            full = sum(line.superuser for line in self.added)
            parts = [f"{esc} through escalation"] if esc else []
            parts += [f"{full} to full control"] if full else []
            how = f" ({', '.join(parts)})" if parts else ""
            access = (
                f"access changes for {subjects} subject{'s' if subjects != 1 else ''}: "
                f"{len(self.added)} added{how}, "
                f"{len(self.removed)} removed"
            )
        n = len(self.settings)
        settings = f"{n} setting change{'s' if n != 1 else ''}" if n else "no setting changes"
        return f"{access}; {settings}"

    def to_json(self) -> dict:
        """The report as a JSON document (the stable schema of docs/diff.md)."""
        doc = {
            "schema": SCHEMA_VERSION,
            "base": self.base.to_json(),
            "head": self.head.to_json(),
            "access_changed": self.access_changed,
            "summary": self.summary,
            "access": {
                "added": [line.to_json() for line in self.added],
                "removed": [line.to_json() for line in self.removed],
            },
            "settings": [c.to_json() for c in self.settings],
            "notes": list(self.notes),
        }
        if self.manifests is not None:
            doc["manifests"] = self.manifests
        return doc

"""`policyc diff`, `explain` and `who-can` over the RBAC of real projects (tests/data/realworld, SOURCES.md).

For every project the RBAC is imported (`policyc import -n NS`, as tests/unit/importer/test_realworld.py),
then the console script diffs an empty policy against it (text twice, json), explains a few of its
subjects and asks who-can for a few of the diff's permissions. What the words say is checked against
the access engine's authorizer on the project's own objects (AccessModel.authorize, the API server's
RBAC authorizer: plugin/pkg/auth/authorizer/rbac/rbac.go, rule matching in
pkg/apis/rbac/v1/evaluation_helpers.go): every permission a line names is allowed to its subject, a
target text reads back as the rule's groups and resources (`* (core group)` for `apiGroups: [""]`,
`*` only for every group), a `full control` line only for a subject holding `*` on `*.*` and every URL,
every bound subject appears, and the same inputs print the same bytes.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from policyc.access.authorizer import AccessModel, group_member
from policyc.access.objects import parse_binding
from policyc.access.request import Request, UserInfo
from policyc.importer.rules import is_dead
from policyc.k8s.releases import load_release
from policyc.k8s.rules import Atom
from policyc.k8s.yamlread import read_paths

CORPUS = Path(__file__).resolve().parents[2] / "data" / "realworld"
RELEASE = (1, 33)
RELEASE_INFO = load_release(RELEASE)
NAMESPACES = {
    "argo-cd": "argocd", "external-dns": "default", "flux2": "flux-system", "ingress-nginx": "ingress-nginx",
    "knative-eventing": "knative-eventing", "strimzi": "myproject", "tekton-pipelines": "tekton-pipelines",
}
# Stand-ins for what a wildcard matches: a group, resource, verb, name, namespace and path no rule names.
ANY_GROUP, ANY_RESOURCE, ANY_VERB, ANY_NAME, ANY_NS, ANY_PATH = (
    "zz.example.io", "zzthings", "zzverb", "zz-name", "zz-ns", "/zz/path")


def _run(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode == 0, (cmd, done.stderr)
    return done.stdout


@dataclass
class Project:
    name: str
    model: AccessModel
    subjects: set[str]  # every bound subject, as the diff names it
    bound: list[tuple[str, str | None, object]]  # (subject, binding namespace or None, rule) for every bound rule
    diff_text: str
    diff_json: dict
    verbose_json: dict
    explains: dict[str, tuple[str, dict]]  # subject (CLI form) -> (text, json)
    who_can: list[tuple[Request, str, str, dict]]  # (request, diff subject, text, json)


def _diff_subject(s) -> str:
    if s.kind == "ServiceAccount":
        return f"serviceaccount {s.namespace}/{s.name}"
    return f"{s.kind.lower()} {s.name}"


def _user(subject: str) -> UserInfo:
    """The authorizer's user for a subject as the diff names it (`serviceaccount NS/NAME`, `user N`, `group G`)."""
    kind, _, name = subject.removesuffix(" (everyone)").partition(" ")
    if kind == "serviceaccount":
        ns, _, sa = name.partition("/")
        return UserInfo.service_account(ns, sa)
    return group_member(name) if kind == "group" else UserInfo.authenticated(name)


def _target(text: str) -> tuple[str, str] | str:
    """A target text read back as (apiGroup, resource) of a rule, or a URL: the inverse of
    policyc/access/describe.py resource_text."""
    if text.startswith("/"):
        return text
    if text.endswith(" (core group)"):
        return "", text.removesuffix(" (core group)")
    if text.endswith(" (every group)"):
        return "*", text.removesuffix(" (every group)")
    assert " " not in text, text
    if text == "*":
        return "*", "*"
    head, slash, sub = text.partition("/")
    base, dot, group = head.partition(".")
    return (group if dot else ""), base + slash + sub


def _requests(verb: str, target: str, names: list[str], scope: str | None) -> list[Request]:
    """Concrete requests a permission claims: wildcards replaced by names no rule spells, every name
    when none is named, and every namespace (and the cluster scope) when cluster-wide."""
    verb = ANY_VERB if verb == "*" else verb
    read = _target(target)
    if isinstance(read, str):
        return [Request(verb, path=ANY_PATH if read in ("*", "/*") else read.replace("*", "zz"))]
    group, resource = read
    group = ANY_GROUP if group == "*" else group
    base, _, sub = resource.partition("/")
    base = ANY_RESOURCE if base == "*" else base
    sub = "zzsub" if sub == "*" else sub
    namespaces = [scope] if scope else ["", ANY_NS]
    return [Request(verb, group, base, sub, name, ns) for name in (names or ["", ANY_NAME]) for ns in namespaces]


_RULE = re.compile(r"(?P<verbs>[^ ,]+(?:, [^ ,]+)*) (?P<targets>.+?)(?: named (?P<names>.+))?")


def _rule_requests(text: str, scope: str | None) -> list[Request]:
    """The requests a rule text (describe.py rule_text) claims."""
    m = _RULE.fullmatch(text)
    assert m, text
    names = m["names"].split(", ") if m["names"] else []
    return [r for verb in m["verbs"].split(", ") for t in m["targets"].split(", ")
            for r in _requests(verb, t, names, scope)]


def _project(name: str, tmp: Path, policyc: list[str]) -> Project:
    ns = NAMESPACES[name]
    rbac = CORPUS / name / "rbac.yaml"
    _run([*policyc, "import", "-n", ns, "--kubernetes", "1.33", "-o", "pol", str(rbac)], tmp)
    (tmp / "base").mkdir()
    (tmp / "base" / "cluster.policy").write_text("kubernetes 1.33\n")
    diff_text = _run([*policyc, "diff", "base", "pol"], tmp)
    assert _run([*policyc, "diff", "base", "pol"], tmp) == diff_text  # byte for byte
    diff_json = json.loads(_run([*policyc, "diff", "base", "pol", "--format", "json"], tmp))
    verbose_json = json.loads(_run([*policyc, "diff", "base", "pol", "--format", "json", "--verbose"], tmp))

    docs, _sources, diags = read_paths([str(rbac)], namespace=ns)
    assert not [d for d in diags if d.is_error]
    model = AccessModel.from_objects([d.obj for d in docs], RELEASE)
    bindings = [parse_binding(d.obj) for d in docs if d.kind in ("RoleBinding", "ClusterRoleBinding")]
    subjects = {_diff_subject(s) for b in bindings for s in b.subjects}
    bound = []
    for b in bindings:
        role = model.role(b.role)  # aggregated roles with the rules the controller gives them
        for rule in role.rules if role is not None else ():
            bound += [(_diff_subject(s), b.ref.namespace or None, rule) for s in b.subjects]

    explains = {}
    # The three subjects with the most direct lines (ties by name): the most words to check.
    count = {s: -sum(line["subject"].removesuffix(" (everyone)") == s and not line["escalation"]
                     for line in diff_json["access"]["added"]) for s in subjects}
    for subject in sorted(subjects, key=lambda s: (count[s], s))[:3]:
        kind, _, rest = subject.partition(" ")
        cli = f"{kind}:{rest}"
        text = _run([*policyc, "explain", "--policy", "pol", cli], tmp)
        explains[cli] = (text, json.loads(_run([*policyc, "explain", "--policy", "pol", cli, "-o", "json"], tmp)))

    who_can = []
    direct = [line for line in diff_json["access"]["added"] if not line["escalation"] and not line["superuser"]]
    for line in direct[:3]:
        target = line["targets"][0]
        if target.startswith("/") or " (" in target:  # who-can takes what kubectl spells
            continue
        req = _requests(line["verbs"][0], target, line["names"], line["scope"])[0]
        args = [line["verbs"][0], target, *line["names"][:1]]
        args += ["-n", line["scope"]] if line["scope"] else ["-A"]
        text = _run([*policyc, "who-can", *args, "--policy", "pol"], tmp)
        who_can.append((req, line["subject"], text,
                        json.loads(_run([*policyc, "who-can", *args, "--policy", "pol", "-o", "json"], tmp))))
    return Project(name, model, subjects, bound, diff_text, diff_json, verbose_json, explains, who_can)


@pytest.fixture(scope="module", params=sorted(NAMESPACES))
def project(request, tmp_path_factory) -> Project:
    from conftest import policyc_command

    return _project(request.param, tmp_path_factory.mktemp(request.param), policyc_command())


def _allowed(model: AccessModel, user: UserInfo, req: Request) -> bool:
    return model.authorize(user, req).allowed


def _everything(model: AccessModel, user: UserInfo) -> bool:
    """`*` on `*.*` and every URL, cluster-wide: what cluster-admin holds."""
    return all(_allowed(model, user, r) for r in (
        Request(ANY_VERB, ANY_GROUP, ANY_RESOURCE, "zzsub", ANY_NAME, ""),
        Request(ANY_VERB, "", ANY_RESOURCE, "", "", ANY_NS), Request(ANY_VERB, path=ANY_PATH)))


def test_every_direct_diff_line_is_granted(project: Project) -> None:
    checked = 0
    for line in project.diff_json["access"]["added"]:
        if line["escalation"]:
            continue
        user = _user(line["subject"])
        if line["superuser"]:
            assert _everything(project.model, user), line
            continue
        for verb in line["verbs"]:
            for target in line["targets"]:
                for req in _requests(verb, target, line["names"], line["scope"]):
                    assert _allowed(project.model, user, req), (project.name, line["subject"], verb, target, req)
                    checked += 1
    assert checked, project.name
    assert project.diff_json["access"]["removed"] == []


def test_full_control_only_for_holders_of_everything(project: Project) -> None:
    """A subject holding every permission in its own right gets the one line, and only such a subject."""
    own_full = {line["subject"] for line in project.diff_json["access"]["added"]
                if line["superuser"] and not line["escalation"]}
    for subject in project.subjects:
        assert (subject in own_full) == _everything(project.model, _user(subject)), (project.name, subject)


def test_every_bound_subject_appears(project: Project) -> None:
    named = {line["subject"].removesuffix(" (everyone)") for line in project.diff_json["access"]["added"]}
    assert project.subjects <= named, (project.name, project.subjects - named)
    for subject in project.subjects:
        assert f"+ {subject}: " in project.diff_text or f"+ {subject} (everyone): " in project.diff_text


def _line_covers(line: dict, req: Request) -> bool:
    """Whether a diff line's permission covers a request (RBAC's matching, evaluation_helpers.go)."""
    if line["superuser"]:
        return True
    if line["scope"] is not None and req.namespace != line["scope"]:
        return False
    if line["names"] and req.name not in line["names"]:
        return False
    if not {"*", req.verb} & set(line["verbs"]):
        return False
    for target in line["targets"]:
        read = _target(target)
        if isinstance(read, str):
            if req.path and (read == req.path or read in ("*", "/*")
                             or (read.endswith("*") and req.path.startswith(read[:-1]))):
                return True
            continue
        group, resource = read
        base, _, sub = resource.partition("/")
        if req.path or group not in ("*", req.group):
            continue
        if resource in ("*", req.combined_resource) or (base == "*" and sub == req.subresource):
            return True
    return False


def test_nothing_bound_is_lost(project: Project) -> None:
    """Every request a bound rule allows is covered by a line of its subject (or of a group it is
    bound through, or its full control): the diff from nothing leaves no grant out."""
    lines: dict[str, list[dict]] = {}
    for line in project.diff_json["access"]["added"]:
        if not line["escalation"]:  # the direct lines stay beside a full control through escalation
            lines.setdefault(line["subject"].removesuffix(" (everyone)"), []).append(line)
    checked = 0
    for subject, namespace, rule in project.bound:
        verbs = [ANY_VERB if v == "*" else v for v in rule.verbs]
        if rule.non_resource_urls:
            reqs = [Request(v, path=ANY_PATH if u == "*" else u.replace("*", "zz"))
                    for v in verbs for u in rule.non_resource_urls]
        else:
            reqs = [r for v in verbs for g in rule.api_groups for res in rule.resources
                    for r in _requests(v, _text_of(g, res), list(rule.resource_names), namespace)]
        for req in reqs:
            assert _allowed(project.model, _user(subject), req), (project.name, subject, req)
            if req.is_resource_request and is_dead(Atom(req.verb, req.group, req.combined_resource), RELEASE_INFO):
                continue  # no API serves it: `import` leaves it out (tests/unit/importer/test_realworld.py)
            assert any(_line_covers(line, req) for line in lines.get(subject, [])), (project.name, subject, req)
            checked += 1
    assert checked, project.name


def _text_of(group: str, resource: str) -> str:
    """A rule's (group, resource) as a target text _target reads back (not describe.py's: independent)."""
    if group == "*":
        return "*" if resource == "*" else f"{resource} (every group)"
    if group == "":
        return f"{resource} (core group)"
    base, slash, sub = resource.partition("/")
    return f"{base}.{group}{slash}{sub}"


def test_text_and_json_say_the_same(project: Project) -> None:
    lines = [ln for ln in project.diff_text.splitlines() if ln.startswith("+ ")]
    assert len(lines) == len(project.diff_json["access"]["added"])
    for text, line in zip(lines, project.diff_json["access"]["added"], strict=True):
        assert text.startswith(f"+ {line['subject']}: ")
        if not line["superuser"]:
            where = f"in {line['scope']}" if line["scope"] else "in cluster"
            named = f" named {', '.join(line['names'])}" if line["names"] else ""
            what = f"{', '.join(line['verbs'])} {', '.join(line['targets'])}{named} {where}"
            assert text.startswith(f"+ {line['subject']}: {what}"), (text, what)
    assert project.diff_json["summary"] in project.diff_text


_EXPLAIN_LINE = re.compile(r"  (?P<rule>.+?) \((?:Cluster)?Role [^ ]+\)(?:  \[.*\])?(?:  \(for .*\))?")


def test_explain_lines_are_granted_and_read_as_the_rule(project: Project) -> None:
    checked = 0
    for cli, (text, data) in project.explains.items():
        user = UserInfo.service_account(*cli.split(":", 1)[1].split("/")) if cli.startswith("serviceaccount:") \
            else _user(cli.replace(":", " ", 1))
        scope = None
        rows = text.splitlines()
        for i, row in enumerate(rows):
            if row.startswith("namespace "):
                scope = row.removeprefix("namespace ").rstrip(":")
            elif row.startswith("cluster-wide"):
                scope = None
            elif row.startswith("escalation paths"):
                break
            elif row.startswith("  ") and not row.startswith("    "):
                if i + 1 < len(rows) and rows[i + 1].startswith("    through: "):
                    continue  # reached through escalation: another identity's grant
                m = _EXPLAIN_LINE.fullmatch(row)
                if m is None:
                    continue  # the identity line
                for req in _rule_requests(m["rule"], scope):
                    assert _allowed(project.model, user, req), (project.name, cli, row, req)
                    checked += 1
        # The json rules read as the text does: each direct rule's text is one of the text's lines.
        for entry in data["access"]:
            if entry["path"]:
                continue
            rule = entry["rule"]
            if "nonResourceURLs" in rule:
                continue
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    assert any(_target(t) == (group, resource) for row in rows
                               if (m := _EXPLAIN_LINE.fullmatch(row))
                               for t in _RULE.fullmatch(m["rule"])["targets"].split(", ")), \
                        (project.name, cli, group, resource)
    assert checked, project.name


def test_who_can_lists_only_allowed_subjects(project: Project) -> None:
    assert project.who_can, project.name
    for req, subject, text, data in project.who_can:
        listed = []
        for entry in data["subjects"]:
            s = entry["subject"]
            if s["kind"] == "ServiceAccount":
                listed.append(f"serviceaccount {s['namespace']}/{s['name']}")
                user = UserInfo.service_account(s["namespace"], s["name"])
            else:
                listed.append(f"{s['kind'].lower()} {s['name']}")
                user = group_member(s["name"]) if s["kind"] == "Group" else UserInfo.authenticated(s["name"])
            assert _allowed(project.model, user, req), (project.name, s, req)
        assert subject.removesuffix(" (everyone)") in listed, (project.name, subject, req)
        # Every rule text who-can prints allows the request it answers.
        for rule in re.findall(r"rule `([^`]+)`", text):
            assert _covers_text(rule, req), (project.name, rule, req)


def _covers_text(rule: str, req: Request) -> bool:
    """Whether a rule text covers a request by RBAC's matching (evaluation_helpers.go: `*` matches
    any verb, group and resource; `*/sub` any resource's `sub`; no names: every name)."""
    m = _RULE.fullmatch(rule)
    assert m, rule
    names = m["names"].split(", ") if m["names"] else []
    if names and req.name not in names:
        return False
    if not {"*", req.verb} & set(m["verbs"].split(", ")):
        return False
    for t in m["targets"].split(", "):
        read = _target(t)
        if isinstance(read, str):
            continue
        group, resource = read
        base, _, sub = resource.partition("/")
        if group not in ("*", req.group):
            continue
        if resource == "*" or resource == req.combined_resource or (base == "*" and sub == req.subresource):
            return True
    return False


def _way(origin: dict) -> tuple:
    return origin["team"], origin["role"], origin["via"], origin["from_role"], tuple(origin["path"])


@pytest.mark.parametrize("verbose", [False, True])
def test_no_line_repeats_another_of_its_subject(project: Project, verbose: bool) -> None:
    """No permission is listed again under a subject where a broader line of it is reached in every
    way the narrower one is (same path, grant, role; no policy line the broader does not name)."""
    data = project.verbose_json if verbose else project.diff_json
    pieces: dict[str, list[tuple[dict, Request]]] = {}
    for line in data["access"]["added"]:
        for verb in line["verbs"]:
            for target in line["targets"]:
                for req in _requests(verb, target, line["names"], line["scope"])[:1]:
                    pieces.setdefault(line["subject"], []).append((line, req))
    for subject, own in pieces.items():
        for line, req in own:
            for other in {id(o): o for o, _ in own if o is not line}.values():
                if other["scope"] not in (None, line["scope"]) or not _line_covers(other, req):
                    continue
                within = all(any(_way(o) == _way(b) and set(o["sources"]) <= set(b["sources"])
                                 for b in other["origins"]) for o in line["origins"])
                assert not within or other["superuser"], (project.name, subject, line, other)

"""Changes to what is not access: limits, quotas, pod security, guards and cluster settings.

They are compared on the checked models of both sides (not on the emitted YAML), so they are
reported the same whichever backend emits them for the target release: a LimitRange cell, a
ResourceQuota key, a Pod Security level (labels on 1.23+, PodSecurityPolicies before), a guard
(checked at build time, never emitted), a kube-apiserver setting of the `cluster` block.
Moving a declaration to another file, reordering a list or reformatting changes nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from policyc import model as m
from policyc.k8s.rules import expand_verbs
from policyc.model.authn import ApiserverSettings
from policyc.model.program import Program
from policyc.review.report import SettingChange, location

# `pod-security LEVEL` sets all three modes (docs/language.md, Pod Security Admission's modes).
PSA_MODES = ("enforce", "warn", "audit")
PSA_LEVELS = ("privileged", "baseline", "restricted")

Entries = dict[tuple[str, str, str], tuple[str, str]]  # (area, scope, key) -> (value, source)


def _words(words: Iterable[m.Word]) -> str:
    return ", ".join(w.text for w in words)


def _setting_pairs(groups: tuple[tuple[m.Word, ...], ...]) -> Iterator[tuple[str, str]]:
    """`host-network no, host-pid no` -> two pairs; `volumes a, b, c` -> (`volumes`, `a, b, c`).

    A group of one word continues the list of the group before it.
    """
    pairs: list[tuple[str, list[str]]] = []
    for group in groups:
        texts = [w.text for w in group]
        if len(texts) == 1 and pairs:
            pairs[-1][1].append(texts[0])
        else:
            pairs.append((texts[0], [" ".join(texts[1:])] if len(texts) > 1 else []))
    for key, values in pairs:
        yield key, ", ".join(values)


def _namespace_entries(program: Program) -> Entries:
    """Limits, quotas and pod security of every namespace, from the checked admission plan.

    Values are the plan's: quantities in the canonical form the API server stores (`2048Mi` and
    `2Gi` are the same limit), `pod-security LEVEL` as its three modes. The policy lines are
    looked up only to say where each setting is written.
    """
    out: Entries = {}
    plan = program.admission
    if plan is None:
        return out
    where: dict[tuple[str, str], str] = {}
    for name, blocks in program.namespaces.items():
        for block in blocks:
            for ps in block.pod_security:
                for mode in ps.modes:
                    level = mode.level.text
                    if mode.mode is not None:
                        modes: Iterable[str] = (mode.mode.text,)
                    else:
                        modes = PSA_MODES if level in PSA_LEVELS else ("policy",)
                    for each in modes:
                        where.setdefault((name, each), location(mode.span))
    for name, ns in plan.namespaces.items():
        for cell in ns.limits.cells.values():
            item = cell.item
            key = f"{item.type.text} {item.kind.text} {item.amount.resource.text}"
            out[("limits", name, key)] = (cell.quantity.canonical(), location(item.span))
        for quantity, amount in ns.limits.quota.values():
            out[("quota", name, amount.resource.text)] = (quantity.canonical(), location(amount.span))
        for mode, level in ns.levels.items():
            shown = f"{level} latest" if mode in ns.latest else level  # `latest`: the version label changes
            out[("pod-security", name, mode)] = (shown, where.get((name, mode), ""))
        if ns.profile is not None:
            out[("pod-security", name, "policy")] = (ns.profile, where.get((name, "policy"), ""))
    return out


def _psp_entries(program: Program) -> Entries:
    out: Entries = {}
    for name, psp in program.psps.items():
        for setting in psp.settings:
            for key, value in _setting_pairs(setting.groups):
                out[("pod-security-policy", name, key)] = (value, location(setting.span))
    return out


def guard_text(g: m.Guard) -> str:
    """A guard as a reviewer reads it (the policy's own syntax)."""
    parts = ["forbid", _words(g.verbs)]
    if g.resources:
        parts.append(_words(g.resources))
    if g.subjects:
        parts.append("for " + ", ".join(str(s) for s in g.subjects))
    if g.excepts:
        parts.append("except " + ", ".join(str(s) for s in g.excepts))
    if g.cluster:
        parts.append("in cluster")
    elif g.namespaces:
        parts.append("in " + _words(g.namespaces))
    return " ".join(parts)


def _guard_key(g: m.Guard) -> str:
    """What a guard means: order inside its lists and verb aliases (`read`) do not change it."""
    def norm(items: Iterable[object]) -> str:
        return ",".join(sorted(str(i) for i in items))

    return "|".join([norm(expand_verbs(v.text for v in g.verbs)), norm(g.resources), norm(g.subjects), norm(g.excepts),
                     "cluster" if g.cluster else norm(g.namespaces)])


def _guard_entries(program: Program) -> dict[str, tuple[str, str]]:
    return {_guard_key(g): (guard_text(g), location(g.span)) for g in program.policy.guards}


def _authn_settings(a: ApiserverSettings) -> Iterator[tuple[str, str]]:
    """(`method option`, value) of every authentication setting of the checked plan, as the language names them.

    The values are the plan's (policyc/check/authn.py parsed the line once): `anonymous false`
    and `anonymous no` are the same setting, and so is an option written in another order.
    """
    if a.anonymous is not None:
        yield "anonymous", "yes" if a.anonymous else "no"
    for key, value in (("certificates ca", a.client_ca), ("tokens file", a.token_file),
                       ("basic-auth file", a.basic_auth_file), ("webhook config", a.webhook_config),
                       ("webhook cache-ttl", a.webhook_cache_ttl)):
        if value is not None:
            yield key, value
    if a.oidc is not None:
        o = a.oidc
        for option, value in (("issuer", o.issuer), ("client-id", o.client_id), ("username-claim", o.username_claim),
                              ("groups-claim", o.groups_claim), ("username-prefix", o.username_prefix),
                              ("groups-prefix", o.groups_prefix), ("ca", o.ca_file), ("config", o.config_file)):
            if value is not None:
                yield f"oidc {option}", value
    if a.proxy is not None:
        p = a.proxy
        yield "proxy client-ca", p.client_ca
        for option, values in (("username-header", p.username_headers), ("group-header", p.group_headers),
                               ("allowed-names", p.allowed_names), ("extra-headers-prefix", p.extra_headers_prefix)):
            if values:
                yield f"proxy {option}", ", ".join(values)


def _cluster_entries(program: Program) -> Entries:
    """The `cluster` block, one entry per kube-apiserver setting of the checked plan (program.authn)."""
    out: Entries = {}
    settings = program.authn.apiserver
    if settings is None:
        return out
    where: dict[str, str] = {}  # the line that states each setting (the last cluster block wins, as in the check)
    for c in program.policy.clusters:
        if c.authorization:
            where["authorization"] = location(c.authorization_span)
        if c.admission:
            where["admission"] = location(c.admission_span)
        for auth in c.authentication:
            where[auth.method.text] = location(auth.span)
        for setting in c.settings:
            for key, value in _setting_pairs(setting.groups):
                out[("cluster", "", key)] = (value, location(setting.span))
    if settings.authorization is not None:
        out[("cluster", "", "authorization")] = (", ".join(settings.authorization), where.get("authorization", ""))
    if settings.admission is not None:
        out[("cluster", "", "admission")] = (", ".join(settings.admission), where.get("admission", ""))
    for key, value in _authn_settings(settings):
        out[("cluster", "", f"authentication {key}")] = (value, where.get(key.split()[0], ""))
    return out


def _entries(program: Program | None) -> Entries:
    if program is None:
        return {}
    out = {**_namespace_entries(program), **_psp_entries(program), **_cluster_entries(program)}
    for key, value in _guard_entries(program).items():
        out[("guard", "", key)] = value
    return out


def setting_changes(base: Program | None, head: Program | None) -> list[SettingChange]:
    """Every setting added, removed or changed from `base` to `head`, sorted."""
    return compare_entries(_entries(base), _entries(head))


def compare_entries(before: Entries, after: Entries) -> list[SettingChange]:
    """The one settings comparison: `(area, scope, key) -> (value, source)` before and after, as changes, sorted.

    `policyc diff` builds the entries from the checked plans of two policies, `import --verify`
    from the admission objects of two clusters (importer/verify.py).
    """
    changes: list[SettingChange] = []
    for key in sorted(set(before) | set(after)):
        area, scope, name = key
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and (old[0] == new[0] or area == "guard"):
            continue  # a guard's key is its meaning: the same guard written another way is no change
        if area == "guard":  # a guard is its own text: only added or removed
            text = (new or old)[0]  # type: ignore[index]
            changes.append(SettingChange(area, "", text, None if new else text, text if new else None,
                                         (new or old)[1]))  # type: ignore[index]
            continue
        changes.append(SettingChange(
            area, scope, name,
            old[0] if old is not None else None,
            new[0] if new is not None else None,
            (new or old)[1],  # type: ignore[index]
        ))
    return sorted(changes)

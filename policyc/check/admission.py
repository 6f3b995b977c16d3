"""The admission stage: limits, quotas and pod security of every namespace, for the target release.

It checks what each namespace asks for and records it in an `AdmissionPlan` (`Program.admission`,
policyc/model/admission.py). Which mechanism enforces pod security is the backends' business,
each with `supports(release)` reading the one table in k8s/podsecurity.py:

* Pod Security Admission labels for the levels, 1.22 and later (backends/psa.py; 1.22 only
  behind a feature gate: PC412);
* PodSecurityPolicies with their `use` grants when the cluster's `admission` list enables
  `PodSecurityPolicy`, 1.24 and older (backends/psp.py; PC410 on 1.25+);
* a ValidatingAdmissionPolicy and its binding for a custom profile, 1.30 and later
  (backends/vap.py; PC413/PC414 say what to do on other releases).

This stage reports what no mechanism of the release can enforce. Codes: PC187 pod-security
values, PC220-PC224 and PC230 conflicts, PC410-PC418 release rules (PC417 and PC419,
what a PodSecurityPolicy cannot express, come from backends/psp.py), PC575 an unused profile
(limits and quotas: check/limits.py; profiles: check/profiles.py).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from policyc import model as m
from policyc.check import profiles
from policyc.check.context import Context
from policyc.check.limits import check_namespace_limits
from policyc.diagnostics import Label
from policyc.k8s import podsecurity as ps
from policyc.model.admission import AdmissionPlan, CustomProfile, NamespaceAdmission
from policyc.model.program import Program
from policyc.rules import ERROR, WARNING, Rule, register
from policyc.source import Span

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "admission",
    Rule(
        "PC187", ERROR, "an unknown pod-security mode or level, a mode without a level, or a mode on a custom profile",
        example="`pod-security enfroce baseline`, `pod-security enforce hardened`, `pod-security enforce latest`",
    ),
    Rule(
        "PC220", ERROR, "two blocks set one pod-security mode to different levels (both places named)",
        example="`pod-security baseline` and `pod-security enforce restricted`",
    ),
    Rule(
        "PC223", ERROR, "a namespace uses two custom profiles",
        example="`pod-security hardened`, `pod-security other`",
    ),
    Rule(
        "PC224", ERROR, "a hand-written `pod-security.kubernetes.io/*` label disagrees with `pod-security`",
        example="`labels pod-security.kubernetes.io/enforce=privileged` with `pod-security baseline`",
    ),
    Rule(
        "PC230", ERROR,
        "a custom profile allows more than a level the namespace also asks for (the controls are named)",
        example="`pod-security restricted` with a `base baseline` profile",
    ),
    Rule(
        "PC410", ERROR, "`PodSecurityPolicy` in the admission list on 1.25+ (at its place in the list)",
        example="`kubernetes 1.25` + `admission ..., PodSecurityPolicy`",
    ),
    Rule(
        "PC411", ERROR, "pod security asked on a release with neither Pod Security Admission nor PSP admission",
        example="`kubernetes 1.21` + `pod-security baseline`",
    ),
    Rule(
        "PC412", WARNING, "Pod Security Admission on 1.22 needs the `PodSecurity` feature gate",
        example="`kubernetes 1.22` + `pod-security baseline`",
    ),
    Rule(
        "PC413", ERROR,
        "a custom profile on 1.25-1.29 (no PSP, no GA ValidatingAdmissionPolicy): use a level or target 1.30+",
        example="`kubernetes 1.29` + `pod-security hardened`",
    ),
    Rule(
        "PC414", ERROR, "a custom profile on 1.24 or older without PSP admission",
        example="`kubernetes 1.24` + `pod-security hardened`",
    ),
    Rule(
        "PC415", WARNING, "PSP admission on, and a declared namespace without pod-security: its pods are refused",
        example="`namespace default { ... }` in the article",
    ),
    Rule(
        "PC416", WARNING, "PSP admission on, and no policy for `kube-system`",
        example="the article's `admission` line",
    ),
    Rule(
        "PC418", WARNING, "warn/audit levels on a PSP cluster before 1.23: PSP only enforces",
        example="`kubernetes 1.21` + `pod-security enforce baseline, warn restricted`",
    ),
    Rule(
        "PC575", WARNING, "a `pod-security-policy` no namespace uses (nothing is emitted for it)",
        example="`pod-security-policy hardened { ... }` alone",
    ),
)

# Which release has which enforcement: one table in k8s/podsecurity.py, also read by the backends.
PSP_PLUGIN = ps.PSP_PLUGIN


@dataclass
class _PodSecurityAsk:
    levels: dict[str, tuple[str, Span]] = field(default_factory=dict)
    profile: tuple[str, Span] | None = None
    latest: set[str] = field(default_factory=set)  # modes whose labels pin `latest`

    @property
    def any(self) -> bool:
        return bool(self.levels) or self.profile is not None


def _plugins(policy: m.Policy) -> list[m.Word]:
    return [w for c in policy.clusters for w in c.admission]


def check_psp_plugin(ctx: Context) -> m.Word | None:
    """PC410: PodSecurityPolicy admission on a release that removed it. Returns the plugin word if usable."""
    words = [w for w in _plugins(ctx.policy) if w.text == PSP_PLUGIN]
    if ps.psp_served(ctx.release.version):
        return words[0] if words else None
    for w in words:
        ctx.error(
            "PC410",
            f"the `{PSP_PLUGIN}` admission plugin was removed in Kubernetes 1.25 and the API server of "
            f"{ctx.release.label} refuses to start with it",
            w.span,
            "remove it: Pod Security Admission (`PodSecurity`, on by default) enforces `pod-security` levels, "
            "and custom profiles compile to ValidatingAdmissionPolicies on 1.30+",
        )
    return None


def _ask(ctx: Context, name: str, blocks: tuple[m.Namespace, ...], declared: set[str]) -> _PodSecurityAsk:
    """The levels (per mode) and custom profile a namespace asks for; PC187, PC220, PC223."""
    ask = _PodSecurityAsk()

    def set_levels(modes: tuple[str, ...], level: str, span: Span, latest: bool) -> None:
        """Record `level` for `modes`; one PC220 per earlier line it disagrees with (not one per mode)."""
        clashes: dict[tuple[str, Span], list[str]] = {}
        for mode in modes:
            first = ask.levels.get(mode)
            if first is None:
                ask.levels[mode] = (level, span)
                if latest:
                    ask.latest.add(mode)
            elif first[0] != level or (mode in ask.latest) != latest:
                shown = first[0] + (" latest" if mode in ask.latest else "")
                clashes.setdefault((shown, first[1]), []).append(mode)
        level += " latest" if latest else ""
        for (other, where), clashed in clashes.items():
            every = len(clashed) == len(ps.MODES)
            which = "" if every else " " + ", ".join(f"`{m}`" for m in clashed)
            subject = "every mode is" if every else which.strip() + (" is" if len(clashed) == 1 else " are")
            ctx.error(
                "PC220",
                f"namespace `{name}` sets pod-security{which} to `{other}` and to `{level}`",
                span,
                "keep one level per mode: the blocks of a namespace merge",
                (Label(where, f"{subject} `{other}` here"),),
            )

    for block in blocks:
        for line in block.pod_security:
            for pm in line.modes:
                level = pm.level.text
                latest = _version(ctx, pm, level in declared and level not in ps.LEVELS)
                if pm.mode is None and level in ps.MODES and level not in declared:
                    # `pod-security enforce latest`: the one word before the version is a mode.
                    ctx.error("PC187", f"pod-security mode `{level}` has no level", pm.span,
                              f"write `pod-security {level} LEVEL{' latest' if pm.version else ''}` with LEVEL "
                              "`privileged`, `baseline` or `restricted` (the form is `pod-security [MODE] LEVEL "
                              "[latest], ...`)")
                    continue
                if pm.mode is None:
                    if level in ps.LEVELS:
                        set_levels(ps.MODES, level, pm.span, latest)
                    elif level in declared:
                        if ask.profile is not None and ask.profile[0] != level:
                            ctx.error(
                                "PC223",
                                f"namespace `{name}` uses pod-security-policy `{ask.profile[0]}` and `{level}`",
                                pm.span,
                                "use one custom profile per namespace, or merge the two",
                                (Label(ask.profile[1], f"`{ask.profile[0]}` is used here"),),
                            )
                        elif ask.profile is None:
                            ask.profile = (level, pm.span)
                    continue  # anything else is PC103 (resolve)
                mode = pm.mode.text
                if mode not in ps.MODES:
                    close = difflib.get_close_matches(mode, ps.MODES, n=1, cutoff=0.6)
                    ctx.error("PC187", f"unknown pod-security mode `{mode}`", pm.mode.span,
                              f"did you mean `{close[0]}`?" if close else "modes are `enforce`, `warn` and `audit`")
                elif level in ps.LEVELS:
                    set_levels((mode,), level, pm.span, latest)
                elif level in declared:
                    ctx.error(
                        "PC187",
                        f"pod-security-policy `{level}` takes no mode: a custom profile is always enforced",
                        pm.span,
                        f"write `pod-security {level}`; modes apply to the levels privileged, baseline and restricted",
                    )
                else:
                    close = difflib.get_close_matches(level, ps.LEVELS, n=1, cutoff=0.6)
                    ctx.error("PC187", f"unknown pod-security level `{level}`", pm.level.span,
                              f"did you mean `{close[0]}`?" if close else
                              "levels are `privileged`, `baseline` and `restricted`")
    return ask


def _version(ctx: Context, pm: m.PodSecurityMode, custom: bool) -> bool:
    """Whether `pm` pins its labels to `latest`; PC187 for another version or a version on a profile.

    Without a version the labels pin the target release (docs/pod-security.md); `latest` makes the
    API server apply the checks of its own release, as an unpinned or `latest` label does (KEP-2579).
    """
    if pm.version is None:
        return False
    if pm.version.text != "latest":
        ctx.error("PC187", f"unknown pod-security version `{pm.version.text}`", pm.version.span,
                  "write `latest`, or nothing: the labels then pin the target release (`kubernetes 1.N`)")
        return False
    if custom:
        ctx.error("PC187", f"pod-security-policy `{pm.level.text}` takes no version: its checks are compiled for "
                  "the target release", pm.version.span, f"write `pod-security {pm.level.text}`")
        return False
    return True


def _release_rules(ctx: Context, name: str, ask: _PodSecurityAsk, psp: m.Word | None) -> bool:
    """PC411-PC414, PC418 for one namespace. Returns whether Pod Security Admission labels apply."""
    release = ctx.release.version
    label = ctx.release.label
    psa = ps.psa_served(release)
    if ask.levels:
        span = next(iter(ask.levels.values()))[1]
        if psp is None and not psa:
            ctx.error(
                "PC411",
                f"namespace `{name}` asks for pod security, but Kubernetes {label} has no Pod Security Admission "
                "and the cluster does not enable PodSecurityPolicy admission",
                span,
                f"add `{PSP_PLUGIN}` to `admission` in the cluster block, or target Kubernetes 1.23 or later",
            )
        elif psp is None and release < ps.PSA_DEFAULT_ON:
            ctx.warn(
                "PC412",
                f"Pod Security Admission is alpha in Kubernetes {label}: the pod-security labels of namespace "
                f"`{name}` take effect only with the `PodSecurity` feature gate",
                span,
                "start kube-apiserver with `--feature-gates=PodSecurity=true` and `PodSecurity` in the admission "
                "plugins, or target Kubernetes 1.23 or later",
            )
        enforced = ask.levels["enforce"][0] if "enforce" in ask.levels else "privileged"
        soft = sorted(mode for mode, (lvl, _) in ask.levels.items() if mode != "enforce" and lvl != enforced)
        if psp is not None and release < ps.PSA_DEFAULT_ON and soft:
            ctx.warn(
                "PC418",
                f"PodSecurityPolicy only enforces: the `{'`, `'.join(soft)}` level of namespace `{name}` needs "
                f"Pod Security Admission, which Kubernetes {label} does not run by default",
                ask.levels[soft[0]][1],
                "the PodSecurityPolicy follows the `enforce` level (privileged when none is set); "
                "warn and audit work from Kubernetes 1.23",
            )
    if ask.profile is not None and psp is None and not ps.vap_served(release):
        profile, span = ask.profile
        if not ps.psp_served(release):
            stage = ("beta (admissionregistration.k8s.io/v1beta1), off unless its feature gate and API are enabled"
                     if release >= ps.VAP_BETA else "alpha" if release >= ps.VAP_ALPHA else "not available")
            ctx.error(
                "PC413",
                f"pod-security-policy `{profile}` of namespace `{name}` needs a ValidatingAdmissionPolicy, which is "
                f"{stage} in Kubernetes {label}, and PodSecurityPolicy was removed in 1.25",
                span,
                "use a built-in level (`pod-security restricted`), which Pod Security Admission enforces, "
                "or target Kubernetes 1.30 or later",
            )
        else:
            ctx.error(
                "PC414",
                f"pod-security-policy `{profile}` of namespace `{name}` needs PodSecurityPolicy admission on "
                f"Kubernetes {label}, and the cluster does not enable it",
                span,
                f"add `{PSP_PLUGIN}` to `admission` in the cluster block, or use a built-in level "
                "(`pod-security restricted`)",
            )
    return psa


def _strictest_weakness(ctx: Context, name: str, ask: _PodSecurityAsk, custom: CustomProfile) -> None:
    """PC230: a custom profile that allows what a level the namespace also asks for forbids."""
    assert ask.profile is not None
    for level in reversed(ps.LEVELS):
        modes = [mode for mode, (lvl, _) in ask.levels.items() if lvl == level]
        if not modes:
            continue
        weaker = ps.weaker_controls(custom.profile, ps.level_profile(level, ctx.release.version), ctx.release.version)
        if weaker:
            ctx.error(
                "PC230",
                f"pod-security-policy `{custom.name}` of namespace `{name}` is weaker than the level `{level}` it "
                f"also asks for: it allows more in {', '.join(f'`{w}`' for w in weaker)}",
                ask.profile[1],
                f"tighten those controls in `{custom.name}`, or drop the `{level}` level",
                (Label(ask.levels[modes[0]][1], f"`{level}` is asked for here"),
                 Label(custom.decl.name.span, f"`{custom.name}` is declared here")),
            )
            return


def _labels(ctx: Context, name: str, blocks: tuple[m.Namespace, ...], psa: dict[str, str],
            ask: _PodSecurityAsk) -> dict[str, str]:
    """The namespace's own labels; PC224 where one disagrees with its Pod Security Admission labels."""
    labels: dict[str, str] = {}
    spans: dict[str, Span] = {}
    for block in blocks:
        for key, value in block.labels:
            labels[key.text] = value.text
            spans[key.text] = key.span
    for key, value in psa.items():
        if key in labels and labels[key] != value:
            mode = key.removeprefix(ps.PSA_LABEL_PREFIX).removesuffix("-version")
            ctx.error(
                "PC224",
                f"label `{key}={labels[key]}` of namespace `{name}` disagrees with its pod-security, which sets "
                f"`{value}`",
                spans[key],
                "remove the label: `pod-security` writes the Pod Security Admission labels",
                (Label(ask.levels[mode][1], "pod-security is set here"),),
            )
    return labels


def _sources(*groups: tuple[m.Namespace, ...]) -> tuple[str, ...]:
    return tuple(sorted({b.span.file for blocks in groups for b in blocks}))


def check_admission(ctx: Context, program: Program) -> AdmissionPlan:
    """The admission stage; returns the plan the admission backends emit from."""
    release = ctx.release.version
    psp = check_psp_plugin(ctx)
    customs: dict[str, CustomProfile] = {}
    for name, decl in sorted(program.psps.items()):
        if profiles.check_profile_name(ctx, decl.name):
            customs[name] = profiles.check_profile(ctx, decl)
        else:
            profiles.check_profile(ctx, decl)
    used: dict[str, list[str]] = {}
    namespaces: dict[str, NamespaceAdmission] = {}
    declared_psps = set(program.psps)  # once, not once per namespace
    for name, blocks in sorted(program.namespaces.items()):
        ask = _ask(ctx, name, blocks, declared_psps)
        limits = check_namespace_limits(ctx, name, blocks)
        psa_ok = _release_rules(ctx, name, ask, psp) if ask.any else False
        levels = {mode: lvl for mode, (lvl, _) in ask.levels.items()}
        profile = ask.profile[0] if ask.profile else None
        if profile is not None and profile in customs:
            used.setdefault(profile, []).append(name)
            _strictest_weakness(ctx, name, ask, customs[profile])
        latest = tuple(sorted(ask.latest))
        psa = ps.psa_labels(levels, release, latest) if levels and psa_ok else {}
        labels = _labels(ctx, name, blocks, psa, ask)
        if psp is not None and profile is None and not levels:
            ctx.warn(
                "PC415",
                f"PodSecurityPolicy admission is on and namespace `{name}` asks for no pod security: "
                "pods its controllers create match no policy and are refused",
                blocks[0].name.span,
                f"add `pod-security LEVEL` to namespace `{name}` (`privileged` keeps today's behaviour)",
            )
        namespaces[name] = NamespaceAdmission(
            name=name,
            sources=_sources(blocks),
            labels=labels,
            limits=limits,
            levels=levels,
            latest=latest,
            profile=profile,
            limit_sources=tuple(sorted({b.span.file for b in blocks if b.limits})),
            quota_sources=tuple(sorted({b.span.file for b in blocks if b.quota})),
        )
    _unused_profiles(ctx, customs, used)
    if psp is not None:
        _check_system_namespace(ctx, psp, namespaces, customs)
    return AdmissionPlan(namespaces=namespaces, profiles=customs, psp_admission=psp is not None)


def _unused_profiles(ctx: Context, customs: dict[str, CustomProfile], used: dict[str, list[str]]) -> None:
    for name, custom in sorted(customs.items()):
        if name not in used:
            ctx.warn(
                "PC575",
                f"pod-security-policy `{name}` is not used by any namespace, so nothing is emitted for it",
                custom.decl.name.span,
                f"add `pod-security {name}` to the namespaces it should protect, or remove it",
            )


def _check_system_namespace(ctx: Context, psp: m.Word, namespaces: dict[str, NamespaceAdmission],
                            customs: dict[str, CustomProfile]) -> None:
    """PC416: with PodSecurityPolicy on, kube-system's pods need a policy too."""
    system = namespaces.get("kube-system")
    if system is None or ps.psp_for(system.levels, system.profile, customs) is None:
        ctx.warn(
            "PC416",
            "PodSecurityPolicy admission is on and no policy grants namespace `kube-system`: the pods of "
            "kube-proxy, CoreDNS and other system workloads will be refused when they are recreated",
            psp.span,
            "add `namespace kube-system { pod-security privileged }`",
        )

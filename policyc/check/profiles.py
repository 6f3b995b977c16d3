"""`pod-security-policy NAME { settings }`: custom pod security profiles (PC187-PC189).

A profile starts from a level (`base LEVEL`, `restricted` when not given) and each setting
line changes one control. Settings are comma-separated groups of words; a group that does not
start with a key continues the list of the key before it (`volumes configMap, secret`).
docs/pod-security.md lists every key and what it compiles to.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace

from policyc import model as m
from policyc.check.context import Context
from policyc.diagnostics import Label
from policyc.k8s import names
from policyc.k8s import podsecurity as ps
from policyc.model.admission import CustomProfile
from policyc.rules import ERROR, Rule, register

# The diagnostics this module reports (policyc/rules.py: docs/diagnostics.md and SARIF come from here).
RULES = register(
    "admission",
    Rule(
        "PC188", ERROR,
        "`pod-security-policy`: an unknown or repeated setting, or an invalid name (a level's name, the `policyc-` "
        "prefix)",
        example="`privilegd no`",
    ),
    Rule("PC189", ERROR, "`pod-security-policy`: an invalid value for a setting", example="`volumes configmap`"),
)

# key -> whether it takes a list of values
KEYS: dict[str, bool] = {
    "base": False,
    "privileged": False,
    "allow-privilege-escalation": False,
    "run-as-user": False,
    "host-network": False,
    "host-pid": False,
    "host-ipc": False,
    "host-process": False,
    "host-ports": True,
    "capabilities": True,
    "seccomp": True,
    "apparmor": True,
    "selinux": False,
    "proc-mount": False,
    "sysctls": True,
    "volumes": True,
    "read-only-root-filesystem": False,
    "host-probes": False,
    "user-namespaces": True,
    "windows-exempt": False,
}
_CAPABILITY = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_SYSCTL = re.compile(r"[a-z0-9]([-_a-z0-9]*[a-z0-9])?([./][a-z0-9]([-_a-z0-9]*[a-z0-9])?)*\Z")
_PORTS = re.compile(r"(\d+)(?:-(\d+))?\Z")
# Names PodSecurityPolicies of the built-in levels use.
RESERVED_PREFIX = ps.BUILTIN_PSP_PREFIX


@dataclass
class _Entry:
    key: str  # `capabilities add` for the capability sub-lists
    word: m.Word
    values: list[m.Word] = field(default_factory=list)


def _entries(ctx: Context, decl: m.PodSecurityPolicy) -> list[_Entry]:
    """Settings of a block as (key, values) entries; PC188 for unknown and repeated keys."""
    entries: dict[str, _Entry] = {}
    for setting in decl.settings:
        current: _Entry | None = None
        for group in setting.groups:
            first, rest = group[0], list(group[1:])
            key = first.text
            # `user-namespaces proc-mount, run-as-user` lists controls that are keys themselves.
            listed = current is not None and current.key == "user-namespaces" and key in ps.USERNS_CONTROLS
            if listed:
                current.values.extend(group)
            elif key in KEYS or (current is not None and current.key.startswith("capabilities") and key in (
                    "add", "drop")):
                if key in ("add", "drop"):
                    key = f"capabilities {key}"
                elif key == "capabilities":
                    if not rest or rest[0].text not in ("add", "drop"):
                        ctx.error("PC189", "`capabilities` takes `add` or `drop` first", first.span,
                                  "write `capabilities drop ALL` or `capabilities add NET_BIND_SERVICE`")
                        current = None
                        continue
                    key = f"capabilities {rest.pop(0).text}"
                current = _Entry(key, first, rest)
                if key in entries:
                    ctx.error(
                        "PC188",
                        f"`{key}` is set twice in pod-security-policy `{decl.name.text}`",
                        first.span,
                        "set each control once",
                        (Label(entries[key].word.span, "first set here"),),
                    )
                    continue
                entries[key] = current
                if not rest:
                    ctx.error("PC189", f"`{key}` needs a value", first.span, _value_help(key))
            elif current is not None and KEYS.get(current.key.partition(" ")[0]):
                current.values.extend(group)
            else:
                close = difflib.get_close_matches(key, sorted(KEYS), n=1, cutoff=0.6)
                ctx.error(
                    "PC188",
                    f"unknown pod-security-policy setting `{key}`",
                    first.span,
                    f"did you mean `{close[0]}`?" if close else "see docs/pod-security.md for the settings",
                )
                current = None
    return list(entries.values())


_HELP = {
    "base": "write `base privileged`, `base baseline` or `base restricted`",
    "run-as-user": "write `run-as-user non-root` or `run-as-user any`",
    "selinux": "write `selinux baseline` (only the container types, no user or role) or `selinux any`",
    "proc-mount": "write `proc-mount default` or `proc-mount unmasked`",
    "host-ports": "write `host-ports none`, `host-ports any` or ports and ranges such as `8080, 9000-9100`",
    "capabilities add": "write capability names such as `NET_BIND_SERVICE`, `any` or `none`",
    "capabilities drop": "write capability names such as `ALL` or `NET_RAW`",
    "seccomp": "write `runtime/default`, `localhost/*`, `localhost/NAME`, `unconfined`, `unset` or `any`",
    "apparmor": "write `runtime/default`, `localhost/*`, `localhost/NAME`, `unconfined` or `any`",
    "sysctls": "write `safe`, `any`, `none` or sysctl names such as `net.core.somaxconn`",
    "volumes": "write volume types such as `configMap, secret, emptyDir`, or `any`",
    "host-probes": "write `host-probes yes` (probes and lifecycle handlers may name a host) or `host-probes no`",
    "user-namespaces": "write the controls a pod with `hostUsers: false` is exempt from: `proc-mount`, "
                       "`run-as-user`, or `none`",
    "windows-exempt": "write `windows-exempt yes` (Windows pods skip allow-privilege-escalation, capabilities drop "
                      "and the seccomp requirement) or `windows-exempt no`",
}


def _value_help(key: str) -> str:
    return _HELP.get(key, f"write `{key} yes` or `{key} no`")


class _Values:
    """Value checks for one entry; every problem is PC189 at the offending word."""

    def __init__(self, ctx: Context, entry: _Entry) -> None:
        self.ctx, self.entry, self.ok = ctx, entry, True

    def bad(self, word: m.Word, why: str) -> None:
        self.ok = False
        self.ctx.error("PC189", f"invalid value `{word.text}` for `{self.entry.key}`: {why}", word.span,
                       _value_help(self.entry.key))

    def one(self, choices: tuple[str, ...]) -> str | None:
        values = self.entry.values
        if not values:
            return None
        for extra in values[1:]:
            self.bad(extra, "it takes one value")
        word = values[0]
        if word.text not in choices:
            self.bad(word, "expected " + ", ".join(f"`{c}`" for c in choices))
            return None
        return word.text if self.ok else None

    def exclusive(self, specials: tuple[str, ...]) -> str | None:
        """`any`/`none`-like words must stand alone; returns the one given, if any."""
        values = self.entry.values
        found = [w for w in values if w.text in specials]
        if found and len(values) > 1:
            self.bad(found[0], "it cannot be combined with other values")
            return None
        return found[0].text if found else None


def _yes(v: str | None) -> bool | None:
    return None if v is None else v == "yes"


def _apply(ctx: Context, entry: _Entry, profile: ps.Profile) -> ps.Profile:
    """The profile with one entry applied (unchanged when its values are invalid)."""
    v = _Values(ctx, entry)
    key = entry.key
    for flag, attr in (
        ("privileged", "privileged"),
        ("allow-privilege-escalation", "allow_privilege_escalation"),
        ("host-network", "host_network"),
        ("host-pid", "host_pid"),
        ("host-ipc", "host_ipc"),
        ("host-process", "host_process"),
        ("read-only-root-filesystem", "require_read_only_root"),
        ("host-probes", "host_probes"),
        ("windows-exempt", "windows_exempt"),
    ):
        if key == flag:
            value = _yes(v.one(("yes", "no")))
            return profile if value is None else replace(profile, **{attr: value})
    if key == "run-as-user":
        value = v.one(("non-root", "any"))
        return profile if value is None else replace(profile, require_non_root=value == "non-root")
    if key == "selinux":
        value = v.one(("baseline", "any"))
        return profile if value is None else replace(profile, restrict_selinux=value == "baseline")
    if key == "proc-mount":
        value = v.one(("default", "unmasked"))
        return profile if value is None else replace(profile, unmasked_proc_mount=value == "unmasked")
    if key == "host-ports":
        return _host_ports(v, profile)
    if key in ("capabilities add", "capabilities drop"):
        return _capabilities(v, profile)
    if key in ("seccomp", "apparmor"):
        return _profiles(v, profile)
    if key == "sysctls":
        return _sysctls(v, profile)
    if key == "volumes":
        return _volumes(ctx, v, profile)
    if key == "user-namespaces":
        return _userns(v, profile)
    return profile


def _userns(v: _Values, profile: ps.Profile) -> ps.Profile:
    """`user-namespaces none` or the controls a pod in a user namespace is exempt from."""
    if v.exclusive(("none",)) == "none":
        return replace(profile, userns_relaxes=frozenset()) if v.ok else profile
    chosen = set()
    for word in v.entry.values:
        if word.text in ps.USERNS_CONTROLS:
            chosen.add(word.text)
        else:
            v.bad(word, "expected " + ", ".join(f"`{c}`" for c in ps.USERNS_CONTROLS) + " or `none`")
    return replace(profile, userns_relaxes=frozenset(chosen)) if v.ok else profile


def _host_ports(v: _Values, profile: ps.Profile) -> ps.Profile:
    special = v.exclusive(("none", "any"))
    if special is not None or not v.ok:
        return profile if not v.ok else replace(profile, host_ports=None if special == "any" else ())
    ranges = []
    for word in v.entry.values:
        match = _PORTS.match(word.text)
        if not match:
            v.bad(word, "expected a port or a range `MIN-MAX`")
            continue
        lo = int(match.group(1))
        hi = int(match.group(2) or lo)
        if not 0 < lo <= hi <= 65535:
            v.bad(word, "ports are 1 to 65535, the smaller first")
            continue
        ranges.append((lo, hi))
    return replace(profile, host_ports=tuple(sorted(set(ranges)))) if v.ok else profile


def _capabilities(v: _Values, profile: ps.Profile) -> ps.Profile:
    adding = v.entry.key == "capabilities add"
    special = v.exclusive(("any", "none") if adding else ("none",))
    if not v.ok:
        return profile
    if special == "any":
        return replace(profile, capabilities_add=None)
    if special == "none":
        return replace(profile, **{"capabilities_add" if adding else "capabilities_drop": frozenset()})
    caps = set()
    for word in v.entry.values:
        if not _CAPABILITY.match(word.text):
            v.bad(word, "capability names are upper case, such as `NET_BIND_SERVICE`")
        elif adding and word.text == "ALL":
            v.bad(word, "write `capabilities add any` to allow every capability")
        else:
            caps.add(word.text)
    if not v.ok:
        return profile
    return replace(profile, **{"capabilities_add" if adding else "capabilities_drop": frozenset(caps)})


def _profiles(v: _Values, profile: ps.Profile) -> ps.Profile:
    key = v.entry.key
    choices = ps.SECCOMP_VALUES if key == "seccomp" else ps.APPARMOR_VALUES
    if v.exclusive(("any",)) == "any":
        return replace(profile, **{key: None}) if v.ok else profile
    allowed = set()
    for word in v.entry.values:
        text = word.text
        if text in choices or (text.startswith("localhost/") and len(text) > len("localhost/")):
            allowed.add(text)
        else:
            close = difflib.get_close_matches(text, list(choices), n=1, cutoff=0.6)
            v.bad(word, f"did you mean `{close[0]}`?" if close else "expected " + ", ".join(f"`{c}`" for c in choices))
    return replace(profile, **{key: frozenset(allowed)}) if v.ok else profile


def _sysctls(v: _Values, profile: ps.Profile) -> ps.Profile:
    special = v.exclusive(("any", "none"))
    if not v.ok:
        return profile
    if special == "any":
        return replace(profile, sysctls=None)
    if special == "none":
        return replace(profile, sysctls=frozenset())
    words = [w.text for w in v.entry.values]
    if words == ["safe"]:
        return replace(profile, sysctls=ps.SAFE)
    chosen: set[str] = set()
    for word in v.entry.values:
        if word.text == "safe":
            chosen.update(ps.safe_sysctls(v.ctx.release.version))
        elif _SYSCTL.match(word.text):
            chosen.add(word.text)
        else:
            v.bad(word, "sysctl names are dotted lower-case words, such as `net.core.somaxconn`")
    return replace(profile, sysctls=frozenset(chosen)) if v.ok else profile


def _volumes(ctx: Context, v: _Values, profile: ps.Profile) -> ps.Profile:
    special = v.exclusive(("any", "none"))
    if not v.ok:
        return profile
    if special is not None:
        return replace(profile, volumes=None if special == "any" else frozenset())
    known = ps.volume_types(ctx.release.version)
    chosen = set()
    for word in v.entry.values:
        if word.text in known:
            chosen.add(word.text)
            continue
        by_case = {k.lower(): k for k in known}
        close = [by_case[word.text.lower()]] if word.text.lower() in by_case else difflib.get_close_matches(
            word.text, list(known), n=1, cutoff=0.6)
        later = word.text in ps.VOLUME_TYPES
        v.bad(word, f"Kubernetes {ctx.release.label} has no such volume type"
              + (f"; did you mean `{close[0]}`?" if close and not later else ""))
    return replace(profile, volumes=frozenset(chosen)) if v.ok else profile


def check_profile_name(ctx: Context, word: m.Word) -> bool:
    """PC188: a custom profile becomes a PodSecurityPolicy or ValidatingAdmissionPolicy of that name."""
    name = word.text
    if name in ps.LEVELS:
        ctx.error("PC188", f"pod-security-policy `{name}` has the name of a built-in level", word.span,
                  "choose another name; `pod-security " + name + "` always means the built-in level")
        return False
    if name.startswith(RESERVED_PREFIX):
        ctx.error("PC188", f"pod-security-policy `{name}` uses the prefix `{RESERVED_PREFIX}`", word.span,
                  "that prefix names the PodSecurityPolicies of the built-in levels: choose another name")
        return False
    if reason := names.dns1123_subdomain(name):
        ctx.error("PC188", f"invalid pod-security-policy name `{name}`: it {reason}", word.span,
                  "it names a Kubernetes object: use a DNS-1123 subdomain such as `hardened`")
        return False
    return True


def check_profile(ctx: Context, decl: m.PodSecurityPolicy) -> CustomProfile:
    """Parse and check one `pod-security-policy` block into a profile."""
    entries = _entries(ctx, decl)
    # A level as upstream's checks of the target release enforce it (k8s/podsecurity.py level_profile).
    base = ps.level_profile("restricted", ctx.release.version)
    for entry in entries:
        if entry.key == "base":
            level = _Values(ctx, entry).one(ps.LEVELS)
            if level is not None:
                base = ps.level_profile(level, ctx.release.version)
    profile = base
    for entry in entries:
        if entry.key != "base" and entry.values:
            profile = _apply(ctx, entry, profile)
    return CustomProfile(decl, profile)

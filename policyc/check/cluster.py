"""Reading the `cluster { authentication { ... } }` settings that other stages depend on."""

from __future__ import annotations

from policyc import model as m


def auth_options(setting: m.AuthSetting) -> dict[str, m.Word]:
    """`oidc issuer URL client-id ID ...` as {"issuer": URL, "client-id": ID, ...}.

    Words after the method alternate key and value; a list value (`allowed-names a, b`)
    keeps its first item here (the authentication backend reads whole lists).
    """
    words = setting.setting.groups[0][1:]
    return {words[i].text: words[i + 1] for i in range(0, len(words) - 1, 2)}


def oidc_settings(policy: m.Policy) -> dict[str, m.Word] | None:
    """The options of the policy's `oidc` authentication line, or None if there is none."""
    for cluster in policy.clusters:
        for s in cluster.authentication:
            if s.method.text == "oidc":
                return auth_options(s)
    return None


def oidc_username_prefix(policy: m.Policy) -> str:
    """The prefix the API server puts before OIDC usernames.

    kube-apiserver (pkg/kubeapiserver/options/authentication.go): with no
    --oidc-username-prefix and a username claim other than `email`, the prefix is the
    issuer URL followed by `#`; the prefix `-` disables prefixing.
    """
    opts = oidc_settings(policy)
    if opts is None:
        return ""
    prefix = opts.get("username-prefix")
    if prefix is not None:
        return "" if prefix.text == "-" else prefix.text
    claim = opts["username-claim"].text if "username-claim" in opts else "sub"
    if claim == "email":
        return ""
    issuer = opts.get("issuer")
    return f"{issuer.text}#" if issuer else ""

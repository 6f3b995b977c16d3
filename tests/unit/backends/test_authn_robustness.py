"""Any authentication block, user or service-account line gives diagnostics or output, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import compile_text
from policyc.backends.apiserver import apiserver_change, kubeadm_file, patch_file
from policyc.output.yaml import render_file

WORDS = st.sampled_from([
    "anonymous", "certificates", "tokens", "basic-auth", "oidc", "webhook", "proxy", "ca", "file", "issuer",
    "client-id", "config", "username-claim", "groups-prefix", "username-prefix", "cache-ttl", "client-ca",
    "username-header", "group-header", "allowed-names", "extra-headers-prefix", "yes", "no", "/etc/a.csv",
    "/etc/kubernetes/auth/x.yaml", "https://id.example.com", "http://x", "2m", "-", '"oidc:"', "x",
])
LINE = st.lists(st.lists(WORDS, min_size=1, max_size=6), min_size=1, max_size=3).map(
    lambda groups: ", ".join(" ".join(g) for g in groups)
)
USER = st.tuples(
    st.sampled_from(["token", "basic", "certificate", "oidc", "ldap"]),
    st.lists(st.sampled_from(["g1", "system:x", "system:masters"]), max_size=2),
    st.lists(st.sampled_from(["expires 90d", "expires 1m", "uid 7", "key-size 4096", "key-size x", "foo bar"]),
             max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LINE, max_size=4), users=st.lists(USER, max_size=3),
       release=st.sampled_from(["1.16", "1.18", "1.19", "1.24", "1.29", "1.30", "1.34", "1.37"]),
       modes=st.sampled_from(["", "Node, RBAC", "AlwaysAllow", "RBAC, RBAC", "X"]),
       plugins=st.sampled_from(["", "NodeRestriction", "PodSecurity, AlwaysAdmit", "Nope", "EventRateLimit"]))
def test_never_raises(lines, users, release, modes, plugins) -> None:
    text = "cluster {\n"
    if modes:
        text += f"  authorization {modes}\n"
    if plugins:
        text += f"  admission {plugins}\n"
    text += "  authentication {\n" + "".join(f"    {line}\n" for line in lines) + "  }\n}\n"
    for i, (method, groups, options) in enumerate(users):
        text += f"user u{i} auth {method}" + (f" groups {', '.join(groups)}" if groups else "")
        text += "".join(f" {o}" for o in options) + "\n"
    text += "serviceaccount ci/runner token\n"
    result = compile_text(text, kubernetes=release)
    for d in result.diagnostics:
        assert d.message and d.span.line >= 1
    if result.ok:
        change = apiserver_change(result.program)
        assert change is not None
        render_file(patch_file(change))
        render_file(kubeadm_file(change))

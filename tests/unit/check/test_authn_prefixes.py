"""PC199: OIDC username and groups prefixes may not reach Kubernetes' reserved `system:` names.

kube-apiserver puts `--oidc-username-prefix` / `--oidc-groups-prefix` (or `claimMappings.*.prefix`
of an AuthenticationConfiguration) before what the identity provider sends, unchecked: with
`groups-prefix "system:"` the provider's group `masters` is `system:masters`, which bypasses
RBAC. The Kubernetes documentation's own example refuses `system:` with userValidationRules.
"""

from __future__ import annotations

import pytest

from helpers import compile_text, underlined

OIDC = "oidc issuer https://id.example.com client-id k8s username-claim email groups-claim groups"


def policy(options: str, config: bool = False) -> str:
    extra = " config /etc/kubernetes/authn.yaml" if config else ""
    return (
        "kubernetes 1.30\ncluster {\n  authentication {\n"
        f"    {OIDC} {options}{extra}\n  }}\n}}\nuser bob auth oidc\n"
    )


REFUSED = [
    # (option, value as written, message tail)
    ("groups-prefix", '"system:"', "its group `masters` would become `system:masters`"),
    ("groups-prefix", '"system:oidc:"', "its group `masters` would become `system:oidc:masters`"),
    ("groups-prefix", "sys", "its group `tem:masters` would become `system:masters`"),
    ("groups-prefix", '"system"', "its group `:masters` would become `system:masters`"),
    ("username-prefix", '"system:"',
     "its user `kube-controller-manager` would become `system:kube-controller-manager`"),
    ("username-prefix", '"system:node:"',
     "its user `kube-controller-manager` would become `system:node:kube-controller-manager`"),
    ("username-prefix", "s", "its user `ystem:kube-controller-manager` would become "
     "`system:kube-controller-manager`"),
]


@pytest.mark.parametrize("config", [False, True], ids=["flags", "authentication-config"])
@pytest.mark.parametrize(("option", "value", "tail"), REFUSED)
def test_a_prefix_reaching_system_is_refused(option: str, value: str, tail: str, config: bool) -> None:
    result = compile_text(policy(f"{option} {value}", config))
    found = [d for d in result.diagnostics if d.code == "PC199"]
    assert len(found) == 1 and not result.ok
    d = found[0]
    shown = value.strip('"')
    assert d.message == (f"`{option} {shown}` lets the identity provider name Kubernetes' own `system:` "
                         f"identities: {tail}")
    assert underlined(result, d) == value
    assert "does not begin `system:`" in d.help


@pytest.mark.parametrize("options", ['username-prefix "oidc:" groups-prefix "oidc:"', 'username-prefix "-"',
                                     'groups-prefix "System:"', 'groups-prefix "systemx:"', ""])
def test_other_prefixes_are_accepted(options: str) -> None:
    result = compile_text(policy(options))
    assert [d.code for d in result.diagnostics if d.code == "PC199"] == []
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]


def test_both_prefixes_are_reported_at_once() -> None:
    result = compile_text(policy('username-prefix "system:" groups-prefix "system:"'))
    assert [(d.code, underlined(result, d)) for d in result.diagnostics if d.is_error] == [
        ("PC199", '"system:"'), ("PC199", '"system:"')]

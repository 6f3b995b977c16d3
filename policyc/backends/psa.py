"""Pod Security Admission: the `pod-security.kubernetes.io/*` labels of each namespace, 1.22+.

Not a registry entry of its own: the labels go on the Namespace objects that
backends/admission.py writes. The levels come from the plan, the label names and the release
rules from the one pod-security table (k8s/podsecurity.py).
"""

from __future__ import annotations

from policyc.k8s import podsecurity as ps
from policyc.model.admission import NamespaceAdmission

supports = ps.psa_served


def labels(ns: NamespaceAdmission, release: tuple[int, int]) -> dict[str, str]:
    """The Pod Security Admission labels of a namespace for `release` (none before 1.22)."""
    if not ns.levels or not supports(release):
        return {}
    return ps.psa_labels(ns.levels, release, ns.latest)

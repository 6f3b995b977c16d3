"""Kubernetes name rules (apimachinery validation), as predicates returning a reason or None."""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")


def dns1123_label(name: str) -> str | None:
    """Why `name` is not a DNS-1123 label (namespaces), or None."""
    if len(name) > 63:
        return "must be at most 63 characters"
    if not _DNS1123_LABEL.match(name):
        return "must be lowercase letters, digits and `-`, starting and ending with a letter or digit"
    return None


def dns1123_subdomain(name: str) -> str | None:
    """Why `name` is not a DNS-1123 subdomain (service accounts), or None."""
    if len(name) > 253:
        return "must be at most 253 characters"
    if not _DNS1123_SUBDOMAIN.match(name):
        return "must be lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
    return None


def path_segment(name: str) -> str | None:
    """Why `name` is not a valid path segment (RBAC object names), or None."""
    if name in (".", ".."):
        return "may not be `.` or `..`"
    for bad in ("/", "%"):
        if bad in name:
            return f"may not contain `{bad}`"
    if not name:
        return "may not be empty"
    return None


def label_key(key: str) -> str | None:
    """Why `key` is not a valid label key (`[prefix/]name`), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or dns1123_subdomain(prefix)):
        return "has an invalid prefix: it must be a DNS subdomain such as `example.com`"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return "must be at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
    return None


def label_value(value: str) -> str | None:
    """Why `value` is not a valid label value, or None (empty is valid)."""
    if value and (len(value) > 63 or not _QUALIFIED_NAME.match(value)):
        return "must be at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
    return None

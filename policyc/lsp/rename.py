"""Rename a role, team, namespace, namespace class or service account across the program's files.

The edits are every occurrence the index resolves to the name under the cursor (the compiler's
resolution: a granted role is the Role of that name in the grant's namespace, else the
ClusterRole), written as the lexer needs them (a name that is not a bare word is quoted).
A rename that could change what the policy means is refused with the reason, never half done:
- while a file of the program does not parse (its uses are unknown);
- to an invalid name (the compiler's own PC120/PC121/PC122 rules) or one already taken
  (roles, teams, service accounts: a second declaration; namespaces: a merge of two);
- of a built-in ClusterRole (it has no declaration), or of a role whose reference also names
  another declaration (`grant role x in a, b` with a Role `x` in `a` and the ClusterRole `x`).
Users and groups are not renamed: their names are what the authenticator asserts (and credentials
are issued to them), not names local to the policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from policyc.k8s import names
from policyc.k8s.bootstrap import is_builtin_role
from policyc.lsp.index import Builtin, Index, Occurrence
from policyc.source import Span
from policyc.syntax.lexer import WORD_RE

_WORD = re.compile(WORD_RE + r"\Z")
RENAMABLE = ("role", "team", "namespace", "serviceaccount", "class")


class RenameRefused(Exception):
    """A rename policyc will not do; the message says why (the editor shows it)."""


@dataclass(frozen=True)
class Edit:
    """Replace [start, end) of file `file` with `text`."""

    file: str
    start: int
    end: int
    text: str


def spelled(name: str) -> str:
    """A name as the lexer reads it back: a bare word, else a quoted string."""
    if _WORD.match(name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _where(span: Span) -> str:
    return f"{span.file}:{span.line}:{span.col}"


def target(index: Index, occ: Occurrence | None) -> Occurrence:
    """The occurrence a rename at the cursor starts from; RenameRefused if it is not renamable."""
    if occ is None:
        raise RenameRefused("there is no name to rename here")
    if occ.kind not in RENAMABLE:
        what = {"user": "a user", "group": "a group"}.get(occ.kind, f"a {occ.kind}")
        raise RenameRefused(
            f"{what} cannot be renamed: only roles, teams, namespaces, namespace classes and service accounts are")
    if occ.kind == "role" and isinstance(index.resolve_role(occ), Builtin):
        raise RenameRefused(f"`{occ.name}` is a built-in ClusterRole: it has no declaration to rename")
    return occ


def apply(text: str, file_edits: list[Edit]) -> str:
    """`text` with the edits of one file made (they do not overlap)."""
    for e in sorted(file_edits, key=lambda e: e.start, reverse=True):
        text = text[: e.start] + e.text + text[e.end :]
    return text


def edits(
    index: Index,
    occ: Occurrence,
    new_name: str,
    stale: list[str],
    reread: Callable[[str, str], tuple[Occurrence, ...] | None],
) -> list[Edit]:
    """The edits that rename what `occ` names to `new_name`, or RenameRefused with the reason.

    `reread(file, text)` lowers an edited file (None if it no longer parses): the edits are
    proved by reading the files back and finding the new name exactly where the old one was.
    """
    occ = target(index, occ)
    if stale:
        raise RenameRefused(
            f"`{stale[0]}` does not parse: fix its syntax error first, so that every use of `{occ.name}` is found"
        )
    new_name = new_name.strip()
    if occ.kind == "serviceaccount" and "/" not in new_name:
        new_name = occ.name.partition("/")[0] + "/" + new_name  # the new name in the same namespace
    if new_name == occ.name:
        return []
    _check_name(occ.kind, new_name)
    _check_free(index, occ, new_name)
    refs = index.references(occ, include_declaration=True)
    if occ.kind == "role":
        _check_role_refs(index, occ, refs)
    out = [Edit(o.span.file, o.span.start, o.span.end, spelled(new_name)) for o in refs]
    if occ.kind == "namespace":
        out += _quoted_serviceaccounts(index, occ.name, new_name)
    out = sorted(set(out), key=lambda e: (e.file, e.start))
    _prove(index, occ, new_name, out, reread)
    return out


def _prove(index: Index, occ: Occurrence, new_name: str, out: list[Edit],
           reread: Callable[[str, str], tuple[Occurrence, ...] | None]) -> None:
    """Read the edited files back: each must parse, and each edit must be read as one occurrence
    of the new name (and no other occurrence of it may exist)."""
    found = 0
    for file in sorted(index.by_file):
        mine = [e for e in out if e.file == file]
        occs = reread(file, apply(index.sources[file].text, mine)) if mine else index.by_file[file]
        if occs is None:
            raise RenameRefused(f"renaming to `{new_name}` would make `{file}` unreadable")
        found += sum(1 for o in occs if o.key == (occ.kind, new_name))
    if found != len(out):
        raise RenameRefused(
            f"`{new_name}` is already used as a {occ.kind} name, or would not be read back where `{occ.name}` was"
        )


def _check_name(kind: str, name: str) -> None:
    if not name or "\n" in name:
        raise RenameRefused("the new name is empty or spans lines")
    if kind == "role":
        reason = names.path_segment(name)
        if reason is None and is_builtin_role(name):
            reason = "is a built-in ClusterRole (PC111)"
    elif kind == "namespace":
        reason = names.dns1123_label(name)
    elif kind == "serviceaccount":
        ns, _, sa = name.partition("/")
        reason = names.dns1123_label(ns) or names.dns1123_subdomain(sa)
    else:
        reason = None
    if reason:
        raise RenameRefused(f"`{name}` is not a valid {kind} name: it {reason}")


def _check_free(index: Index, occ: Occurrence, new_name: str) -> None:
    if occ.kind == "role":
        taken = [o for o in index.decls_of("role") if o.name == new_name]
        if taken:
            raise RenameRefused(
                f"a role `{new_name}` is already declared at {_where(taken[0].span)}: "
                "the renamed references could resolve to it"
            )
        return
    if occ.kind == "namespace":
        used = index.named("namespace", new_name)
        if used:
            raise RenameRefused(
                f"namespace `{new_name}` is already used at {_where(used[0].span)}: renaming would merge the two"
            )
        return
    declared = index.decls.get((occ.kind, new_name))
    if declared:
        raise RenameRefused(f"{occ.kind} `{new_name}` is already declared at {_where(declared[0].span)}")


def _check_role_refs(index: Index, occ: Occurrence, refs: list[Occurrence]) -> None:
    """Refuse when a reference to the role also names another declaration (one word, two roles)."""
    mine = index.resolve_role(occ)
    keys = {(d.namespace, d.name) for d in mine} if isinstance(mine, list) else set()
    for ref in refs:
        other = index.resolve_role(ref)
        if isinstance(other, list) and any((d.namespace, d.name) not in keys for d in other):
            extra = next(d for d in other if (d.namespace, d.name) not in keys)
            also = f"the Role `{extra.name}` in namespace `{extra.namespace}`" if extra.namespace else (
                f"the ClusterRole `{extra.name}`"
            )
            raise RenameRefused(
                f"the reference at {_where(ref.span)} also names {also}: rename both roles, or split the grant"
            )


def _quoted_serviceaccounts(index: Index, old: str, new: str) -> list[Edit]:
    """Service accounts of namespace `old` written as "quoted strings" (no namespace occurrence
    inside them): the whole reference is rewritten."""
    inner = {(o.span.file, o.span.start) for o in index.named("namespace", old)}
    return [
        Edit(o.span.file, o.span.start, o.span.end, spelled(new + o.name[len(old) :]))
        for o in index.named("serviceaccount")
        if o.name.startswith(old + "/") and (o.span.file, o.span.start) not in inner
    ]

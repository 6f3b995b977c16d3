"""Independent oracles for the formatter tests: comments and meaning, computed without policyc.fmt."""

from __future__ import annotations

import re

from lark import Tree

from policyc.pipeline import compile_sources
from policyc.source import SourceFile
from policyc.syntax.lower import lower
from policyc.syntax.parser import parse_text, to_lark

_STRING = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"')


def comments(text: str) -> list[str]:
    """Every `#` comment of a policy text, in order, trailing blanks removed."""
    out = []
    for line in text.splitlines():
        code = _STRING.sub(lambda m: "x" * len(m.group()), line)
        at = code.find("#")
        if at >= 0:
            out.append(line[at:].rstrip())
    return out


def meaning(text: str) -> tuple:
    """What a file means: its lowered model (spans excluded from equality), its manifests and
    its diagnostics (code and message; lines may move)."""
    src = [SourceFile("f.policy", text)]
    policy, _ = lower(src)
    result = compile_sources(src)
    return (
        policy,
        [(m.kind, m.namespace, m.name, m.body) for m in result.manifests],
        [(d.code, d.message) for d in result.diagnostics],
    )


def constructs(text: str) -> set[str]:
    """The grammar rules a text uses (the names of its syntax tree nodes)."""
    return {str(t.data) for t in to_lark(parse_text(text)).iter_subtrees() if isinstance(t, Tree)}

"""The one YAML writer: a small, fast emitter specialised to Kubernetes objects.

Objects are plain data (dicts with string keys, lists, str, int, bool, None and, rarely,
float). Output is block style with kubectl's indentation (a list under a key is not indented
further: ``rules:\\n- apiGroups:\\n  - ""``), keys in the order given, no anchors, no tags, no
timestamps, no line folding.

Strings are written plain only when every YAML 1.1 and YAML 1.2 reader (PyYAML, ruamel,
go-yaml as used by kubectl, ...) reads them back as that same string. Everything else is
double-quoted with escapes, except multi-line text whose lines allow a literal block (``|``).
The output is pure ASCII: characters outside printable ASCII are escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from policyc.model.manifest import ConfigFile

__all__ = ["dump", "dump_all", "render_file"]

# A string starting with one of these is a YAML indicator (sequence entry, key, value, flow
# collection, comment, anchor, alias, tag, block scalar, quote, directive, reserved).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")

# Plain words that some reader resolves to a bool, null, merge key, value key or float.
# Compared lowercased, so every spelling is quoted ("Yes", "yEs", "NULL", ...).
_SPECIAL_WORDS = frozenset(
    {
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~", "=", "<<",
        "inf", "nan", "infinity",
    }
)  # fmt: skip

# Union (deliberately generous) of every YAML 1.1 / 1.2 int and float form, plus what Go's
# strconv accepts behind go-yaml: decimal, octal (010, 0o17), hex (0x1F, hex floats), binary,
# underscores (1_000), sexagesimal (1:20, 190:20:30.15), exponents with or without a sign or
# a dot (1e3, 1.0e+3, .5E-2), version-like 1.2.3, infinities and NaNs with optional sign/dot,
# and "." / "+." / "1..", which the published YAML 1.1 float regex ([0-9.]* after a dot) matches;
# "+_" and "-_", which ruamel.yaml's YAML 1.2 int rule ([-+]?[0-9_]+) takes for an int and fails on.
_NUMBER = re.compile(
    r"""[-+]?(?:
        [0-9_.:,]*[0-9.][0-9_.:,]*(?:e[-+]?[0-9_]*)?
      | 0x[0-9a-f_.]*(?:p[-+]?[0-9_]*)?
      | 0[ob][0-9_]*
      | \.?(?:inf|infinity|nan)
      | _+
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# YAML 1.1 timestamps and go-yaml's date layouts all start with yyyy-m-d.
_DATE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
# Printable ASCII only: anything else goes into a double-quoted string as an escape.
_PRINTABLE = re.compile(r"[ -~]*")
# Literal block content: printable ASCII lines separated by single newlines.
_LITERAL_TEXT = re.compile(r"[ -~\n]*")

_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\", "\0": "\\0"}
_NEEDS_ESCAPE = re.compile(r'[^ -~]|["\\]')

# A simple (implicit) key must stay under 1024 characters for PyYAML and the YAML 1.2 spec;
# longer keys are written in the explicit "? key" form.
_MAX_SIMPLE_KEY = 1000

# Scalar renderings are cached: Kubernetes objects repeat the same strings (verbs, kinds,
# apiVersions, label values) thousands of times. Bounded so a long-lived process can't grow it.
_CACHE_LIMIT = 200_000
_value_cache: dict[str, str] = {}
_key_cache: dict[str, str] = {}


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    esc = _ESCAPES.get(ch)
    if esc is not None:
        return esc
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _double_quoted(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


def _plain_ok(s: str) -> bool:
    """True when `s` can be written unquoted and every YAML 1.1/1.2 reader returns `s`."""
    if not s or not _PRINTABLE.fullmatch(s):
        return False
    first = s[0]
    if first in _INDICATORS or first == " " or s[-1] in " :":
        return False
    if ": " in s or " #" in s:
        return False
    if s.lower() in _SPECIAL_WORDS:
        return False
    # Numbers and dates start with a digit, sign or dot; "..." at a line start ends a document.
    return not (first in "0123456789+." and (_NUMBER.fullmatch(s) or _DATE_PREFIX.match(s) or s.startswith("...")))


def _literal_ok(s: str) -> bool:
    """True when multi-line `s` survives a literal block scalar (``|`` / ``|-``) unchanged.

    Conservative: printable ASCII only, no leading line break or space (auto-detected
    indentation), no trailing spaces on any line, at most one final newline (clip or strip
    chomping; keep chomping is never needed).
    """
    if "\n" not in s or not _LITERAL_TEXT.fullmatch(s):
        return False
    return not (s[0] in " \n" or s.endswith("\n\n") or " \n" in s or s.endswith(" "))


def _format_str(s: str) -> str:
    """Single-line rendering of a string value (plain or double-quoted)."""
    if _plain_ok(s):
        return s
    return _double_quoted(s)


def _format_float(f: float) -> str:
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    text = repr(f)
    # YAML 1.1 floats need a dot and a signed exponent: 1e+20 -> 1.0e+20.
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _scalar(value: Any) -> str | None:
    """Rendering of a non-string scalar, or None when `value` is a collection."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return _format_str(str.__str__(value))
    return None


def _key(key: Any) -> str:
    """Rendering of a mapping key followed by ``:`` (explicit ``? key\\n:`` form if long)."""
    if type(key) is str:
        text = _format_str(key)
    else:
        text = _scalar(key)  # type: ignore[assignment]
        if text is None:
            raise TypeError(f"cannot write a {type(key).__name__} as a YAML mapping key")
    if len(text) > _MAX_SIMPLE_KEY:
        return "? " + text + "\n"  # the caller adds the indentation and ":"
    return text + ":"


def _literal(s: str, ind: str) -> str:
    """A literal block scalar: header and content lines indented by `ind` (ends in newline)."""
    if s.endswith("\n"):
        header, body = "|\n", s[:-1]
    else:
        header, body = "|-\n", s
    lines = [ind + line if line else "" for line in body.split("\n")]
    return header + "\n".join(lines) + "\n"


# The text of a document's top-level list (a binding's subjects, a role's rules) by the list's
# identity; each entry keeps its list, so the id is not reused while the memo lives.
Memo = dict[int, tuple[list[Any], str]]


class _Writer:
    """Appends the lines of one document to `out`. Recursion carries the indentation string."""

    __slots__ = ("out", "memo")

    def __init__(self, memo: Memo | None = None) -> None:
        self.out: list[str] = []
        self.memo = memo

    def value_str(self, s: str, ind: str) -> str:
        """Text after ``key:`` or ``-`` for a string, including the leading space and newline."""
        text = _value_cache.get(s)
        if text is None:
            if "\n" in s and _literal_ok(s):
                # Depends on the indentation, so it is not cached.
                return " " + _literal(s, ind + "  ")
            text = " " + _format_str(s) + "\n"
            if len(_value_cache) >= _CACHE_LIMIT:
                _value_cache.clear()
            _value_cache[s] = text
        return text

    def mapping(self, d: Mapping[Any, Any], ind: str, lead: str) -> None:
        """Write a non-empty mapping; the first key follows `lead`, the rest `ind`."""
        out = self.out
        append = out.append
        inner = ind + "  "
        key_cache = _key_cache
        for k, v in d.items():
            # The cache holds simple keys only, so a key found needs no further test (one less
            # operation per key of every object, issue 19).
            ktext = key_cache.get(k) if type(k) is str else None
            if ktext is None:
                ktext = _key(k)
                if ktext[-1] == "\n":  # explicit key: "? key\n" then ":" on its own line
                    ktext = ktext + ind + ":"
                elif type(k) is str:
                    if len(key_cache) >= _CACHE_LIMIT:
                        key_cache.clear()
                    key_cache[k] = ktext
            append(lead)
            lead = ind
            append(ktext)
            # Exact-type checks first: they are what Kubernetes objects are made of.
            t = type(v)
            if t is str:
                append(self.value_str(v, ind))
            elif t is dict:
                if v:
                    append("\n")
                    self.mapping(v, inner, inner)
                else:
                    append(" {}\n")
            elif t is list:
                if not v:
                    append(" []\n")
                elif not ind and self.memo is not None:
                    append("\n")
                    self.shared_sequence(v)
                else:
                    append("\n")
                    self.sequence(v, ind, ind)
            elif v is None:
                append(" null\n")
            elif v is True:
                append(" true\n")
            elif v is False:
                append(" false\n")
            elif t is int:
                append(" " + int.__repr__(v) + "\n")
            else:
                self.rare(v, ind, in_sequence=False)

    def sequence(self, items: list[Any] | tuple[Any, ...], ind: str, lead: str) -> None:
        """Write a non-empty sequence; the first ``-`` follows `lead`, the rest `ind`."""
        append = self.out.append
        inner = ind + "  "
        for v in items:
            append(lead)
            lead = ind
            append("-")
            t = type(v)
            if t is str:
                append(self.value_str(v, ind))
            elif t is dict:
                if v:
                    append(" ")
                    self.mapping(v, inner, "")
                else:
                    append(" {}\n")
            elif t is list:
                if v:
                    append(" ")
                    self.sequence(v, inner, "")
                else:
                    append(" []\n")
            else:
                self.rare(v, ind, in_sequence=True)

    def shared_sequence(self, items: list[Any]) -> None:
        """`sequence(items, "", "")` (a top-level key's list), written once per list object: the
        emitted bindings of a team share one list of subjects (backends/rbac.py)."""
        memo = self.memo
        assert memo is not None
        entry = memo.get(id(items))
        if entry is not None and entry[0] is items:
            self.out.append(entry[1])
            return
        out = self.out
        start = len(out)
        self.sequence(items, "", "")
        text = "".join(out[start:])
        del out[start:]
        out.append(text)
        memo[id(items)] = (items, text)

    def rare(self, v: Any, ind: str, in_sequence: bool) -> None:
        """Write any other value after ``key:`` or ``-``: tuples, other mappings, scalars."""
        append = self.out.append
        inner = ind + "  "
        if isinstance(v, Mapping):
            if not v:
                append(" {}\n")
            elif in_sequence:
                append(" ")
                self.mapping(v, inner, "")
            else:
                append("\n")
                self.mapping(v, inner, inner)
        elif isinstance(v, (list, tuple)):
            if not v:
                append(" []\n")
            elif in_sequence:
                append(" ")
                self.sequence(v, inner, "")
            else:
                append("\n")
                self.sequence(v, ind, ind)
        else:
            append(" " + self.other(v) + "\n")

    @staticmethod
    def other(v: Any) -> str:
        """Rendering of a non-string scalar; TypeError for anything else."""
        text = _scalar(v)
        if text is None:
            raise TypeError(f"cannot write a {type(v).__name__} as YAML")
        return text

    def document(self, obj: Any) -> None:
        """Write one document (no separator)."""
        t = type(obj)
        if isinstance(obj, Mapping):
            if obj:
                self.mapping(obj, "", "")
            else:
                self.out.append("{}\n")
        elif isinstance(obj, (list, tuple)):
            if obj:
                self.sequence(obj, "", "")
            else:
                self.out.append("[]\n")
        elif t is str:
            # value_str yields " text\n" or " |\n  ..." after an implicit "-"/"key:"; drop the space.
            self.out.append(self.value_str(obj, "")[1:])
        else:
            self.out.append(self.other(obj) + "\n")


def dump(obj: Any) -> str:
    """Return `obj` as one YAML document (block style, kubectl indentation, ends in newline).

    Raises TypeError for values that are not dicts/mappings, lists/tuples, str, int, bool,
    float or None.
    """
    writer = _Writer()
    writer.document(obj)
    return "".join(writer.out)


def dump_all(objs: Iterable[Any], memo: Memo | None = None) -> str:
    """Return the objects as a YAML stream, documents separated by ``---`` lines.

    The first document has no leading separator; an empty iterable gives ``""``. `memo` (a dict
    the caller keeps for several calls, while none of the objects changes) writes each list a
    document's key holds once and reuses its text wherever the same list object recurs.
    """
    writer = _Writer(memo)
    out = writer.out
    first = True
    for obj in objs:
        if not first:
            out.append("---\n")
        first = False
        writer.document(obj)
    return "".join(out)


def render_file(f: ConfigFile) -> str:
    """A file of the output tree that is not an object to apply: its comment, then its document."""
    return f.comment + dump(f.body)

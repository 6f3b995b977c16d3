"""`policyc can-i --batch FILE`: many questions to one loaded model, JSON lines in and out.

One JSON object per input line, its fields the command-line arguments of `can-i`:
`{"as": "alice", "as_groups": ["g"], "verb": "get", "resource": "pods", "name": "x",
"namespace": "ns1", "all_namespaces": false}` (`as`, `verb` and `resource` required). One line out
per line in, in order: `{"allowed": ..., "warnings": [...], "request": <the input>}`, or
`{"error": "...", "line": N}` for a line that is not such an object (the stream goes on).
Blank lines are skipped and answered with nothing.

The session indexes the model once; a question costs a REST-mapper lookup (cached per
spelling), the user's bindings (cached per user) and a few rule-index lookups.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from policyc.access.request import UserInfo
from policyc.access.session import AccessError, Asked, Session

FIELDS: dict[str, tuple[type, ...]] = {
    "as": (str,),
    "as_groups": (list,),
    "verb": (str,),
    "resource": (str,),
    "name": (str, type(None)),
    "namespace": (str, type(None)),
    "all_namespaces": (bool,),
}
REQUIRED = ("as", "verb", "resource")
_CACHE_LIMIT = 200_000
_TYPE_NAMES = {str: "a string", list: "a list of strings", bool: "true or false"}


class BadLine(ValueError):
    """A line that is not a question (the message says why)."""


def parse_question(text: str) -> dict[str, Any]:
    """The question on one line; BadLine when it is not a JSON object with the fields of `can-i`."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BadLine(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadLine("expected a JSON object with `as`, `verb` and `resource`")
    unknown = sorted(k for k in doc if k not in FIELDS)
    if unknown:
        raise BadLine(f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(f'`{k}`' for k in unknown)} "
                      f"(expected {', '.join(f'`{k}`' for k in FIELDS)})")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise BadLine(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(f'`{k}`' for k in missing)}")
    for key, value in doc.items():
        types = FIELDS[key]
        if not isinstance(value, types) or (key in REQUIRED and not value):
            raise BadLine(f"`{key}` must be {_TYPE_NAMES[types[0]]}" + (" (not empty)" if key in REQUIRED else ""))
    groups = doc.get("as_groups", [])
    if not all(isinstance(g, str) for g in groups):
        raise BadLine("`as_groups` must be a list of strings")
    return doc


class Batch:
    """Answers questions to one session; resolved requests and users are kept, as a batch asks
    the same spellings and users again and again."""

    def __init__(self, session: Session) -> None:
        """A batch over `session` (its model is indexed once, already)."""
        self.session = session
        self._asked: dict[tuple[Any, ...], Asked] = {}
        self._users: dict[tuple[str, tuple[str, ...]], UserInfo] = {}

    def answer(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The answer to one parsed question (AccessError when the request cannot be asked)."""
        key = (doc["verb"], doc["resource"], doc.get("name"), doc.get("namespace"), bool(doc.get("all_namespaces")))
        asked = self._asked.get(key)
        if asked is None:
            if len(self._asked) > _CACHE_LIMIT:
                self._asked.clear()
            asked = self._asked[key] = self.session.ask(*key)
        ukey = (doc["as"], tuple(doc.get("as_groups", ())))
        user = self._users.get(ukey)
        if user is None:
            user = self._users[ukey] = UserInfo.impersonated(*ukey)
        decision = self.session.model.authorize(user, asked.request)
        return {"allowed": decision.allowed, "warnings": list(asked.warnings), "request": doc}


def run(session: Session, lines: Iterable[str]) -> Iterator[str]:
    """One output line (without newline) per non-blank input line, in order."""
    batch = Batch(session)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            out = batch.answer(parse_question(text))
        except (BadLine, AccessError) as exc:
            out = {"error": str(exc), "line": number}
        yield dumps(out)

"""kube-apiserver's static credential files (`--token-auth-file`, `--basic-auth-file`), read as it reads them.

Both readers (`k8s.io/apiserver/pkg/authentication/token/tokenfile/tokenfile.go` `NewCSV` and
`.../plugin/pkg/authenticator/password/passwordfile/passwordfile.go` `NewCSV`) use Go's
`encoding/csv` with `FieldsPerRecord = -1` and nothing else set: no trimming, quotes strict
(`LazyQuotes` false), `\\r\\n` read as `\\n`, empty lines skipped. Columns are
`secret,user,uid[,groups]`, and the groups column is split with `strings.Split(record[3], ",")`,
without trimming: a group written as `"dev,system:masters"` is read as two groups.

`field_problem` says why a user, uid or group would not survive that reader unchanged (or would
read as a different identity than the one the policy names); `read` is the reader itself, so a
written file can be proved to read back as intended.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

USER, UID, GROUP = "user", "uid", "group"


@dataclass(frozen=True)
class Record:
    """One identity as the API server reads it from a static credential file."""

    secret: str
    user: str
    uid: str
    groups: tuple[str, ...] | None  # None: three columns, no groups


class CsvError(ValueError):
    """The file is not what Go's encoding/csv reads without error."""


def field_problem(value: str, column: str) -> str | None:
    """Why `value` cannot be written into the `column` (USER, UID or GROUP) of a static file, or None.

    Refused: an empty value (an empty group is still a group); a comma in a group (split into
    two groups by the reader); line breaks and other control characters (record separators,
    `\\r` dropped before `\\n`, invisible in logs and audit events); leading or trailing blanks
    (kept by the reader, so `" admins"` is a different group from `admins`).
    """
    if not value:
        return "is empty"
    if column == GROUP and "," in value:
        parts = " and ".join(f"`{p}`" for p in value.split(","))
        return f"contains a comma; the API server splits the groups column on commas and would read {parts}"
    if any(c in "\r\n" for c in value):
        return "contains a line break, which ends a record of the credential file"
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}"
    if value != value.strip():
        return "has leading or trailing blanks, which the API server keeps as part of the name"
    return None


def _records(text: str):
    """Go encoding/csv `Reader.Read` (FieldsPerRecord -1, Comma ',', no Comment, strict quotes)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].removesuffix("\r")
        i += 1
        if line == "":
            continue  # Go skips empty lines
        fields: list[str] = []
        pos = 0
        while True:
            if not line.startswith('"', pos):
                end = line.find(",", pos)
                field = line[pos:] if end < 0 else line[pos:end]
                if '"' in field:
                    raise CsvError(f'bare " in an unquoted field: {field!r}')
                fields.append(field)
                if end < 0:
                    break
                pos = end + 1
                continue
            pos += 1
            out: list[str] = []
            while True:
                q = line.find('"', pos)
                if q < 0:  # the quoted field goes on over a line break
                    out.append(line[pos:] + "\n")
                    if i >= len(lines):
                        raise CsvError("extraneous or missing \" in a quoted field")
                    line = lines[i].removesuffix("\r")
                    i += 1
                    pos = 0
                    continue
                out.append(line[pos:q])
                after = line[q + 1:q + 2]
                if after == '"':
                    out.append('"')
                    pos = q + 2
                elif after == ",":
                    pos = q + 2
                    break
                elif after == "":
                    pos = len(line) + 1
                    break
                else:
                    raise CsvError(f'extraneous " in a quoted field after {"".join(out)!r}')
            fields.append("".join(out))
            if pos > len(line):
                break
        yield fields


def read(text: str) -> list[Record]:
    """The identities the API server reads from a static credential file's text."""
    records = []
    for fields in _records(text):
        if len(fields) < 3:
            raise CsvError(f"a record has {len(fields)} columns; at least 3 are needed")
        groups = tuple(fields[3].split(",")) if len(fields) >= 4 else None
        records.append(Record(fields[0], fields[1], fields[2], groups))
    return records

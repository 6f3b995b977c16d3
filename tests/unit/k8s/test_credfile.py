"""kube-apiserver's static credential files read as the API server reads them (policyc/k8s/credfile.py).

Reader rows follow Go's `encoding/csv` reader tests (src/encoding/csv/reader_test.go: Simple, CRLF,
BareCRLF in quotes, BlankLine, TrailingComma, QuotedNewline, BareQuote, BadDoubleQuotes) with the
settings tokenfile.go / passwordfile.go use (FieldsPerRecord -1, strict quotes, no trimming).
"""

from __future__ import annotations

import pytest

from policyc.k8s import credfile
from policyc.k8s.credfile import GROUP, UID, USER, CsvError, Record

READS = [
    ("t,u,1\n", [Record("t", "u", "1", None)]),
    ('t,u,1,"a,b"\n', [Record("t", "u", "1", ("a", "b"))]),
    ("t,u,1,a\r\nt2,v,2\r\n", [Record("t", "u", "1", ("a",)), Record("t2", "v", "2", None)]),
    ("\n\nt,u,1\n\n", [Record("t", "u", "1", None)]),  # blank lines are skipped
    ("t,u,1,\n", [Record("t", "u", "1", ("",))]),  # an empty fourth column is the group ""
    ('t,"a""b",1\n', [Record("t", 'a"b', "1", None)]),
    ('t,"a\r\nb",1\n', [Record("t", "a\nb", "1", None)]),  # \r\n inside quotes reads as \n
    ('t,"a\nb",1\n', [Record("t", "a\nb", "1", None)]),
    ("t,u,1, dev\n", [Record("t", "u", "1", (" dev",))]),  # nothing is trimmed
    ("t,jörg,1\n", [Record("t", "jörg", "1", None)]),
]


@pytest.mark.parametrize(("text", "records"), READS)
def test_reads_as_go_encoding_csv(text: str, records: list[Record]) -> None:
    assert credfile.read(text) == records


@pytest.mark.parametrize("text", ['t,a"b,1\n', 't,"a"b,1\n', 't,"open,1\n', "t,u\n"])
def test_malformed_files_are_errors(text: str) -> None:
    with pytest.raises(CsvError):
        credfile.read(text)


PROBLEMS = [
    ("dev,system:masters", GROUP, "`dev` and `system:masters`"),
    ("", GROUP, "is empty"),
    ("", USER, "is empty"),
    ("a\nb", USER, "line break"),
    ("a\rb", GROUP, "line break"),
    ("a\tb", UID, "U+0009"),
    ("a\u202eb", USER, "U+202E"),  # bidi override
    (" admins", GROUP, "leading or trailing blanks"),
    ("admins ", USER, "leading or trailing blanks"),
]


@pytest.mark.parametrize(("value", "column", "reason"), PROBLEMS)
def test_field_problems(value: str, column: str, reason: str) -> None:
    problem = credfile.field_problem(value, column)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(("value", "column"), [("a,b", USER), ("a,b", UID), ("jörg", USER), ('q"uote', GROUP),
                                               ("system:masters", GROUP), ("jack@test.com", USER)])
def test_fields_that_read_back_unchanged(value: str, column: str) -> None:
    assert credfile.field_problem(value, column) is None

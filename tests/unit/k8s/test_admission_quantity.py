"""resource.Quantity parsing, comparison and canonical form, table-driven from apimachinery's own tests.

Rows come from staging/src/k8s.io/apimachinery/pkg/api/resource/quantity_test.go:
TestQuantityParse (value and format), TestQuantityParse's `invalid` list, TestQuantityCmp,
TestQuantityString and TestQuantityParseEmit (canonical strings).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from policyc.k8s.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    MAX_INT64,
    QuantityError,
    limit_request_ratio,
    parse_quantity,
)

# (input, value as mantissa * 10^exponent, format) -- TestQuantityParse's decQuantity(m, e, f).
PARSE = [
    ("0", 0, 0, DECIMAL_SI),
    ("0n", 0, 0, DECIMAL_SI),
    ("0Ki", 0, 0, BINARY_SI),
    ("0Mi", 0, 0, BINARY_SI),
    ("0T", 0, 0, DECIMAL_SI),
    ("1", 1, 0, DECIMAL_SI),
    ("1Ki", 1024, 0, BINARY_SI),
    ("8Ki", 8 * 1024, 0, BINARY_SI),
    ("7Mi", 7 * 1024**2, 0, BINARY_SI),
    ("6Gi", 6 * 1024**3, 0, BINARY_SI),
    ("5Ti", 5 * 1024**4, 0, BINARY_SI),
    ("4Pi", 4 * 1024**5, 0, BINARY_SI),
    ("3Ei", 3 * 1024**6, 0, BINARY_SI),
    ("5n", 5, -9, DECIMAL_SI),
    ("4u", 4, -6, DECIMAL_SI),
    ("3m", 3, -3, DECIMAL_SI),
    ("8k", 8, 3, DECIMAL_SI),
    ("50k", 5, 4, DECIMAL_SI),
    ("7M", 7, 6, DECIMAL_SI),
    ("6G", 6, 9, DECIMAL_SI),
    ("5T", 5, 12, DECIMAL_SI),
    ("2P", 2, 15, DECIMAL_SI),
    ("1E", 1, 18, DECIMAL_SI),
    ("1E-3", 1, -3, DECIMAL_EXPONENT),
    ("1e3", 1, 3, DECIMAL_EXPONENT),
    ("1E6", 1, 6, DECIMAL_EXPONENT),
    ("1e14", 1, 14, DECIMAL_EXPONENT),
    ("100.035k", 100035, 0, DECIMAL_SI),
    ("0.001", 1, -3, DECIMAL_SI),
    ("0.0005k", 5, -1, DECIMAL_SI),
    ("0.5e-2", 5, -3, DECIMAL_EXPONENT),
    ("10.035M", 10035, 3, DECIMAL_SI),
    ("1.3E+6", 13, 5, DECIMAL_EXPONENT),
    ("7.123456M", 7123456, 0, DECIMAL_SI),
    ("1.01E", 101, 16, DECIMAL_SI),
    # Things that saturate or round up to a nano.
    ("3.001n", 4, -9, DECIMAL_SI),
    ("1.1E-9", 2, -9, DECIMAL_EXPONENT),
    ("0.0000000001", 1, -9, DECIMAL_SI),
    ("0.9n", 1, -9, DECIMAL_SI),
    ("0.00000012345", 124, -9, DECIMAL_SI),
    ("9Ei", MAX_INT64, 0, BINARY_SI),
    ("9223372036854775807Ki", MAX_INT64, 0, BINARY_SI),
    ("12E", 12, 18, DECIMAL_SI),
    # Fractional binary values, and trolls.
    ("100.035Ki", 10243584, -2, BINARY_SI),
    ("0.5Mi", 512 * 1024, 0, BINARY_SI),
    ("0.05Gi", 536870912, -1, BINARY_SI),
    ("0.000000000001Ki", 2, -9, DECIMAL_SI),  # rounds up, changes format
    (".001", 1, -3, DECIMAL_SI),
    (".0001k", 100, -3, DECIMAL_SI),
    ("1.", 1, 0, DECIMAL_SI),
    ("1.G", 1, 9, DECIMAL_SI),
]


@pytest.mark.parametrize(("text", "mantissa", "exponent", "fmt"), PARSE)
def test_parse_value_and_format(text: str, mantissa: int, exponent: int, fmt: str) -> None:
    q = parse_quantity(text)
    assert q.value == Decimal(mantissa).scaleb(exponent)
    assert q.format == fmt
    negative = parse_quantity("-" + text)
    assert negative.value == -q.value and negative.format == fmt
    assert parse_quantity("+" + text) == q


INVALID = ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "1e4294967297", " 1",
           "1 ", "", "1K", "1e", "1Gb", "2 Gi"]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_quantities_are_refused(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_error_messages_are_the_api_servers() -> None:
    with pytest.raises(QuantityError, match=r"quantities must match the regular expression"):
        parse_quantity("1.1.M")
    with pytest.raises(QuantityError, match=r"unable to parse quantity's suffix"):
        parse_quantity("1K")


# TestQuantityCmp, plus the cases limits depend on.
CMP = [("0", "0", 0), ("100m", "50m", 1), ("50m", "100m", -1), ("10000T", "100Gi", 1), ("1Gi", "1024Mi", 0),
       ("1G", "1Gi", -1), ("1.5", "1500m", 0), ("2", "2000m", 0), ("1e3", "1k", 0), ("512Mi", "0.5Gi", 0)]


@pytest.mark.parametrize(("a", "b", "expected"), CMP)
def test_compare(a: str, b: str, expected: int) -> None:
    assert parse_quantity(a).cmp(parse_quantity(b)) == expected
    assert parse_quantity(b).cmp(parse_quantity(a)) == -expected


# TestQuantityString (expect and alternate spellings) and TestQuantityParseEmit.
CANONICAL = [
    ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("300Mi", "300Mi"), ("307200Ki", "300Mi"), ("6Ki", "6Ki"),
    ("1001Gi", "1001Gi"), ("1025024Mi", "1001Gi"), ("1Ti", "1Ti"), ("1024Gi", "1Ti"), ("1G", "1G"),
    ("1000M", "1G"), ("0.001T", "1G"), ("1m", "1m"), ("1000u", "1m"), ("80m", "80m"), ("1080m", "1080m"),
    ("1.08", "1080m"), ("1080000000n", "1080m"), ("300M", "300M"), ("1T", "1T"), ("1E", "1E"),
    ("1234567M", "1234567M"), ("3k", "3k"), ("1025", "1025"), ("0", "0"), ("1e9", "1e9"), (".001e12", "1e9"),
    ("1e-3", "1e-3"), ("0.001e0", "1e-3"), ("1e-9", "1e-9"), ("1000e-12", "1e-9"), ("80e-3", "80e-3"),
    ("300e6", "300e6"), ("1n", "1n"), ("1u", "1u"), ("1080u", "1080u"), (".001Ki", "1024m"),
    (".000001Ki", "1024u"), (".000000001Ki", "1024n"), (".000000000001Ki", "2n"),
    # The forms policies write: kept as written when canonical.
    ("500m", "500m"), ("2", "2"), ("1.5", "1500m"), ("1.5Gi", "1536Mi"), ("0.5Gi", "512Mi"), ("512Mi", "512Mi"),
    ("-1.5", "-1500m"), ("1000m", "1"), ("1e21", "1e21"), ("1000E", "1e21"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical_form(text: str, canonical: str) -> None:
    assert parse_quantity(text).canonical() == canonical
    # The canonical form parses back to the same value and prints the same way.
    again = parse_quantity(canonical)
    assert again == parse_quantity(text) and again.canonical() == canonical


def test_value_and_milli_value_round_up() -> None:
    assert parse_quantity("1500m").int_value() == 2
    assert parse_quantity("1.0001").milli_value() == 1001
    assert parse_quantity("2Gi").int_value() == 2 * 1024**3
    assert parse_quantity("1e2147483647").int_value() == MAX_INT64  # saturates without expanding the digits


def test_limit_request_ratio_in_thousandths() -> None:
    # ValidateLimitRange: "ratio 10 is greater than max/min = 4.000000" for 2Gi / 512Mi.
    ratio, limit = limit_request_ratio(parse_quantity("10"), parse_quantity("2Gi"), parse_quantity("512Mi"))
    assert (ratio, limit) == (10.0, 4.0)
    ratio, limit = limit_request_ratio(parse_quantity("1500m"), parse_quantity("3"), parse_quantity("2"))
    assert (ratio, limit) == (1.5, 1.5)
    _, limit = limit_request_ratio(parse_quantity("2"), parse_quantity("1"), parse_quantity("0"))
    assert limit == float("inf")


def test_the_emitters_shared_canonical_table_gives_apimachinerys_forms() -> None:
    """backends/admission.py keeps canonical strings in a table shared by every namespace of a build,
    keyed by the exact value and the format: equal values in other formats (`1000M` and `1e9`,
    `1000m` and `1.08`...) meet in one table here, in both orders, and each keeps its own form."""
    from policyc.backends.admission import _canonical

    for rows in (CANONICAL, CANONICAL[::-1]):
        table: dict[tuple[str, str], str] = {}
        for _round in range(2):  # made, then read back from the table
            for text, canonical in rows:
                assert _canonical(parse_quantity(text), table) == canonical, text

"""Kubernetes resource quantities (`500m`, `1Gi`, `1.5`, `2e3`), parsed and compared as apimachinery does.

A port of ``k8s.io/apimachinery/pkg/api/resource`` (quantity.go, suffix.go, amount.go):

* ``parseQuantityString``: an optional sign, digits, an optional ``.`` and digits, then a
  suffix made of the letters ``eEinumkKMGTP``, an optional sign and digits; anything else is
  "quantities must match the regular expression ...".
* suffixes: decimal SI ``n u m "" k M G T P E``, binary SI ``Ki Mi Gi Ti Pi Ei``, and decimal
  exponents ``e<int>`` / ``E<int>`` (the exponent must fit an int32). Nothing else: ``K``,
  ``ki``, ``1i`` are errors, as they are for the API server.
* the value is exact (no floating point), rounded UP to a multiple of 10^-9 (``0.9n`` is
  ``1n``), binary-SI values are capped at 2^63-1, and a binary-SI value between 0 and 1 takes
  the decimal-SI format.
* canonical form (``Quantity.String()``): the format the user wrote (decimal SI, binary SI or
  decimal exponent), with the largest suffix that keeps the number an integer (``1.5`` ->
  ``1500m``, ``1024Mi`` -> ``1Gi``, ``1.5Gi`` -> ``1536Mi``); binary-SI values below 1024 or
  with a fraction fall back to decimal SI, as ``CanonicalizeBytes`` does.

Canonical is what the API server stores and echoes back, so emitting it keeps `kubectl diff`
and server-side apply quiet; for a value written canonically it is exactly what was written.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_UP, Context, Decimal, localcontext

__all__ = [
    "BINARY_SI",
    "DECIMAL_EXPONENT",
    "DECIMAL_SI",
    "MAX_INT64",
    "MAX_MILLI_VALUE",
    "Quantity",
    "QuantityError",
    "parse_quantity",
]

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

MAX_INT64 = (1 << 63) - 1
# resource.MaxMilliValue: the largest value whose milli-units still fit an int64.
MAX_MILLI_VALUE = MAX_INT64 // 1000
_MAX_INT32 = (1 << 31) - 1

# suffix.go: newSuffixer / fastLookup.
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {e: s for s, e in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}

_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")

FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
SUFFIX_MESSAGE = "unable to parse quantity's suffix"
_NANO = Decimal("1e-9")


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity; the message says why (as the API server would)."""


def _context(digits: int) -> Context:
    # Enough precision for every digit written plus a 2^60 factor; exponents are unbounded
    # (1e2147483647 is a valid quantity, just a silly one).
    return Context(prec=max(64, digits + 40), Emax=999_999_999_999_999_999, Emin=-999_999_999_999_999_999)


@functools.total_ordering
@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: its exact value, the format its suffix belongs to, and the text written.

    Equality and ordering compare values only (`1Gi == 1024Mi`), like `Quantity.Cmp`.
    """

    value: Decimal
    format: str
    text: str = field(default="", compare=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.value == other.value

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def cmp(self, other: Quantity) -> int:
        """-1, 0 or 1, as `Quantity.Cmp`."""
        return (self.value > other.value) - (self.value < other.value)

    @property
    def is_negative(self) -> bool:
        """Whether the value is below zero."""
        return self.value < 0

    def scaled_value(self, exponent: int) -> int:
        """`ScaledValue`: ceil(value / 10^exponent), saturated to int64."""
        with localcontext(_context(len(self.value.as_tuple().digits))):
            scaled = self.value.scaleb(-exponent)
            if scaled.adjusted() > 19:  # far outside int64: saturate without expanding the digits
                return MAX_INT64 if scaled > 0 else -MAX_INT64 - 1
            whole = int(scaled.to_integral_value(rounding=ROUND_CEILING))
        return max(-MAX_INT64 - 1, min(MAX_INT64, whole))

    def int_value(self) -> int:
        """`Value()`: the value rounded up to an integer."""
        return self.scaled_value(0)

    def milli_value(self) -> int:
        """`MilliValue()`: the value in thousandths, rounded up."""
        return self.scaled_value(-3)

    def canonical(self) -> str:
        """The canonical string the API server stores (`Quantity.String()`)."""
        return canonical_string(self.value, self.format)

    def __str__(self) -> str:
        return self.canonical()


def _scan(text: str) -> tuple[bool, str, str, str, str]:
    """quantity.go `parseQuantityString`: (positive, value, num, denom, suffix)."""
    positive = True
    pos, end = 0, len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] != "-"
        pos += 1
    # strip leading zeros
    while True:
        if pos >= end:
            return positive, "0", "0", "", ""
        if text[pos] != "0":
            break
        pos += 1
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    if pos >= end:
        return positive, text, num, "", ""
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return positive, text, num, denom, ""
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(FORMAT_MESSAGE)
    return positive, value, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """suffix.go `interpret`: (base, exponent, format)."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        rest = suffix[1:]
        digits = rest[1:] if rest[:1] in "+-" else rest
        if digits and all(c in _DIGITS for c in digits):
            exponent = int(rest)
            # The exponent becomes an int32 scale that is later negated (TestInterpretExponentInt32Bounds).
            if -_MAX_INT32 <= exponent <= _MAX_INT32:
                return 10, exponent, DECIMAL_EXPONENT
    raise QuantityError(SUFFIX_MESSAGE)


def parse_quantity(text: str) -> Quantity:
    """Parse `text` as `resource.ParseQuantity` does; raises QuantityError with the API server's reason."""
    if not text:
        raise QuantityError(FORMAT_MESSAGE)
    if text == "0":
        return Quantity(Decimal(0), DECIMAL_SI, text)
    positive, _value, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)
    digits = (num + denom).lstrip("0") or "0"
    with localcontext(_context(len(digits))) as ctx:
        amount = Decimal(f"{num}.{denom}" if denom else num)
        amount = amount.scaleb(exponent) if base == 10 else ctx.multiply(amount, Decimal(2) ** exponent)
        # Non-zero values are rounded up (away from zero) to the nearest nano.
        if amount != 0 and amount.as_tuple().exponent < -9:  # type: ignore[operator]
            amount = amount.quantize(_NANO, rounding=ROUND_UP)
        if fmt == BINARY_SI and amount > MAX_INT64:
            amount = Decimal(MAX_INT64)
        if fmt == BINARY_SI and 0 < amount < 1:
            fmt = DECIMAL_SI
        if not positive:
            amount = -amount
    return Quantity(amount, fmt, text)


def _base10(value: Decimal) -> tuple[int, int]:
    """(mantissa, exponent) with no factor of 10 left in the mantissa (`removeInt64Factors`)."""
    sign, digits, exponent = value.normalize(_context(len(value.as_tuple().digits))).as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    return (-mantissa if sign else mantissa), int(exponent)  # type: ignore[arg-type]


def canonical_string(value: Decimal, fmt: str) -> str:
    """quantity.go `CanonicalizeBytes` + amount.go `AsCanonicalBytes` / `AsCanonicalBase1024Bytes`."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value != value.to_integral_value():
            fmt = DECIMAL_SI
        else:
            number = int(value)
            power = 0
            while number % 1024 == 0 and power < 6:
                number //= 1024
                power += 1
            return f"{number}{_BINARY_BY_POWER[power]}"
    mantissa, exponent = _base10(value)
    # The exponent goes down to the next multiple of three, the mantissa up by as many tens.
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    if fmt == DECIMAL_SI and exponent in _DECIMAL_BY_EXPONENT:
        return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"
    # Decimal exponent, and decimal SI beyond `E` (apimachinery falls back to exponent notation).
    return f"{mantissa}" if exponent == 0 else f"{mantissa}e{exponent}"


def limit_request_ratio(ratio: Quantity, max_q: Quantity, min_q: Quantity) -> tuple[float, float]:
    """(ratio, max/min) as ValidateLimitRange compares them.

    Both are computed in thousandths when the ratio, max and min all fit (`MaxMilliValue`),
    else in whole units; max/min is +Inf or NaN when min is zero, as Go's float division gives.
    """
    ratio_v: float = float(ratio.int_value())
    max_v, min_v = max_q.int_value(), min_q.int_value()
    if ratio.int_value() < MAX_MILLI_VALUE and min_v < MAX_MILLI_VALUE and max_v < MAX_MILLI_VALUE:
        ratio_v = ratio.milli_value() / 1000
        max_v, min_v = max_q.milli_value(), min_q.milli_value()
    if min_v == 0:
        return ratio_v, (math.nan if max_v == 0 else math.copysign(math.inf, max_v))
    return ratio_v, max_v / min_v

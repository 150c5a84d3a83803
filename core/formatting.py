"""Numbers, money, dates and comparisons in the words a board reads right. Pure: plain values
in, text out, nothing from Django (the board report and the pages share these through the
`formatting` template filters).

- A fraction is a percentage ("82 %"), never 0.82; a rounding that would print "0 %" for
  something that is not nothing, or "100 %" for something short of all, says "< 1 %" or
  "> 99 %" instead.
- A comparison with people says its direction in words, for the figure's own sense of better
  ("82 % lower cost per case than people", "4 times people's error rate"), never a signed
  number ("+82 % vs people").
- Money is written in the organization's currency (ISO 4217), with its symbol when one is
  unambiguous, otherwise its code, and thousands separators.
- One date format ("1 Dec 2026") and one time format ("14:05 UTC"), kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .currencies import CURRENCIES, DEFAULT_CURRENCY, SYMBOLS

NONE = "–"  # what a missing figure prints (a denominator of zero, no data)
NBSP = "\u00a0"  # between a number and its unit, so they never part at a line end
MINUS = "\u2212"


def _decimal(value: float | int | Decimal) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _rounded(value: Decimal, digits: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _grouped(value: Decimal, digits: int) -> str:
    """A non-negative number with thousands separators and exactly `digits` decimals."""
    return f"{_rounded(value, digits):,.{digits}f}"


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


# --- plain numbers ----------------------------------------------------------------------------


def count(value: float | int | Decimal | None) -> str:
    """A whole number with thousands separators: 12345 -> "12,345"; None -> "–"."""
    number = None if value is None else _decimal(value)
    if number is None:
        return NONE
    return _signed(_grouped(abs(number), 0), number < 0 and _rounded(number, 0) != 0)


def decimal(value: float | int | Decimal | None, digits: int = 1) -> str:
    """A number with `digits` decimals and thousands separators: 4.04 -> "4.0"."""
    number = None if value is None else _decimal(value)
    if number is None:
        return NONE
    return _signed(_grouped(abs(number), digits), number < 0 and _rounded(number, digits) != 0)


# --- percentages ------------------------------------------------------------------------------


def percent(fraction: float | int | Decimal | None, digits: int = 0, *, trim: bool = False) -> str:
    """A fraction as a percentage: 0.82 -> "82 %", 0.1404 (digits=1) -> "14.0 %"; with `trim`,
    no trailing zeros (a threshold: 0.1 -> "10 %", as the pages write it).

    Never "0 %" for a fraction that is not zero ("< 1 %"), never "100 %" for one short of
    1 ("> 99 %"); negative fractions keep their sign; None -> "–"."""
    number = None if fraction is None else _decimal(fraction)
    if number is None:
        return NONE
    hundred = number * 100
    shown = _rounded(abs(hundred), digits)
    step = Decimal(1).scaleb(-digits)
    unit = f"{NBSP}%"
    if number != 0 and shown == 0:
        return f"{'> ' + MINUS if number < 0 else '< '}{step:f}{unit}"
    if 0 < number < 1 and shown == 100:
        return f"> {Decimal(100) - step:f}{unit}"
    text = f"{shown:,.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return _signed(f"{text}{unit}", number < 0)


def points(difference: float | int | Decimal | None, digits: int = 1) -> str:
    """A difference of two fractions in percentage points, without a sign: 0.105 -> "10.5
    percentage points" (the caller says above or below)."""
    number = None if difference is None else _decimal(difference)
    if number is None:
        return NONE
    shown = _rounded(abs(number * 100), digits)
    word = "percentage point" if shown == 1 else "percentage points"
    return f"{shown:,.{digits}f}{NBSP}{word}"


# --- comparisons with people ------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """How a figure compares: its words for more and for less, and which one is better."""

    noun: str  # "cost per case"
    more: str  # "higher"
    less: str  # "lower"
    lower_is_better: bool = True


MEASURES: dict[str, Measure] = {
    "cost": Measure("cost per case", "higher", "lower"),
    "cycle_time": Measure("cycle time", "longer", "shorter"),
    "error_rate": Measure("error rate", "higher", "lower"),
    "escalation": Measure("escalation rate", "higher", "lower"),
    "completion": Measure("completion rate", "higher", "lower", lower_is_better=False),
}


@dataclass(frozen=True)
class Comparison:
    text: str
    better: bool | None  # None: the same, or nothing to compare


def compare(
    value: float | int | Decimal | None,
    baseline: float | int | Decimal | None,
    measure: str,
    *,
    whom: str = "people",
) -> Comparison:
    """`value` against `baseline` in words, for the measure's sense of better.

    Relative ("82 % lower cost per case than people"); a figure at twice the baseline or
    more is said as a multiple ("4 times people's error rate"), which is how a board
    hears it. The same after rounding to a whole percent is "the same ... as people"."""
    m = MEASURES[measure]
    v = None if value is None else _decimal(value)
    b = None if baseline is None else _decimal(baseline)
    if v is None or b is None:
        return Comparison(f"no {m.noun} to compare with {whom}", None)
    if b == 0:
        if v == 0:
            return Comparison(f"the same {m.noun} as {whom} (none)", None)
        more_is_worse = m.lower_is_better == (v > 0)
        return Comparison(
            f"{m.more if v > 0 else m.less} {m.noun} than {whom}, who have none",
            not more_is_worse,
        )
    ratio = v / b
    change = ratio - 1
    shown = _rounded(abs(change) * 100, 0)
    if shown == 0:
        return Comparison(f"the same {m.noun} as {whom}", None)
    higher = change > 0
    better = higher != m.lower_is_better
    if higher and ratio >= 2:
        times = _rounded(ratio, 1)
        times_text = f"{times:,.0f}" if times == times.to_integral_value() else f"{times:,.1f}"
        return Comparison(f"{times_text} times {whom}'s {m.noun}", better)
    words = m.more if higher else m.less
    return Comparison(f"{percent(abs(change))} {words} {m.noun} than {whom}", better)


# --- money ------------------------------------------------------------------------------------


def money(
    amount: float | int | Decimal | None,
    currency: str | None = DEFAULT_CURRENCY,
    *,
    whole: bool = False,
) -> str:
    """An amount in a currency: (1234.5, "USD") -> "$1,234.50", (1234.5, "CHF") ->
    "CHF 1,234.50", (1500, "JPY") -> "¥1,500"; the currency's own decimals (or none with
    `whole`), a minus sign before a negative amount, None -> "–". An unknown code is still
    printed as given, with two decimals."""
    number = None if amount is None else _decimal(amount)
    if number is None:
        return NONE
    code = (currency or DEFAULT_CURRENCY).strip().upper()
    known = CURRENCIES.get(code)
    digits = 0 if whole else (known.minor_units if known else 2)
    text = _grouped(abs(number), digits)
    symbol = SYMBOLS.get(code)
    shown = f"{symbol}{text}" if symbol else f"{code}{NBSP}{text}"
    return _signed(shown, number < 0 and _rounded(number, digits) != 0)


# --- dates and times --------------------------------------------------------------------------


def _as_datetime(value: date | datetime | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return value


def _utc(value: date) -> date:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def date_text(value: date | datetime | str | None) -> str:
    """The one date format: "1 Dec 2026" (a date-time in UTC); None -> "–"."""
    parsed = _as_datetime(value)
    if parsed is None:
        return NONE
    day = _utc(parsed)
    return f"{day.day} {day:%b %Y}"


def time_text(value: datetime | str | None) -> str:
    """The one time format, in UTC: "14:05 UTC"; a plain date or None -> "–"."""
    parsed = _as_datetime(value)
    if not isinstance(parsed, datetime):
        return NONE
    return f"{_utc(parsed):%H:%M} UTC"


def datetime_text(value: datetime | str | None) -> str:
    """A date and its time apart: "1 Dec 2026, 14:05 UTC"."""
    parsed = _as_datetime(value)
    if not isinstance(parsed, datetime):
        return date_text(parsed)
    return f"{date_text(parsed)}, {time_text(parsed)}"


def period_text(start: date | str | None, end: date | str | None) -> str:
    """ "3 Sep 2026 to 1 Dec 2026"; one day alone when start and end are the same."""
    first, last = date_text(start), date_text(end)
    return first if first == last else f"{first} to {last}"


def duration(seconds: float | int | None) -> str:
    """A cycle time: 45 -> "45 s", 750 -> "12.5 min", 9000 -> "2.5 h"; None -> "–"."""
    number = None if seconds is None else _decimal(seconds)
    if number is None:
        return NONE
    value = float(number)
    if abs(value) < 120:
        return f"{decimal(value, 0)}{NBSP}s"
    if abs(value) < 2 * 3600:
        return f"{decimal(value / 60, 1).removesuffix('.0')}{NBSP}min"
    return f"{decimal(value / 3600, 1).removesuffix('.0')}{NBSP}h"

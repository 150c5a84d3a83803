"""The board's words for numbers, money, dates and comparisons, at their boundaries."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import currencies, formatting
from core.formatting import NBSP, compare, count, date_text, money, percent, period_text


def plain(text: str) -> str:
    return text.replace(NBSP, " ").replace("\u2212", "-")


# --------------------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    ("fraction", "digits", "expected"),
    [
        (0.82, 0, "82 %"),
        (0.1404, 1, "14.0 %"),
        (0, 0, "0 %"),
        (1, 0, "100 %"),
        (0.004, 0, "< 1 %"),  # not nothing: never "0 %"
        (0.0004, 1, "< 0.1 %"),
        (0.996, 0, "> 99 %"),  # not everything: never "100 %"
        (0.9996, 1, "> 99.9 %"),
        (-0.25, 0, "-25 %"),
        (-0.001, 0, "> -1 %"),
        (12.5, 0, "1,250 %"),
        (0.125, 0, "13 %"),  # half up, not to even
        (None, 0, "–"),
        (float("nan"), 0, "–"),
        (True, 0, "–"),
    ],
)
def test_percent_of_a_fraction(fraction, digits, expected):
    assert plain(percent(fraction, digits)) == expected


def test_a_trimmed_percent_drops_trailing_zeros_as_the_pages_do():
    assert plain(percent(0.1, 1, trim=True)) == "10 %"
    assert plain(percent(0.125, 1, trim=True)) == "12.5 %"


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_fraction_rounds_to_0_or_100_only_when_it_is_exactly_that(fraction):
    text = plain(percent(fraction))
    if text == "0 %":
        assert fraction == 0
    if text == "100 %":
        assert fraction == 1


def test_a_number_and_its_percent_sign_never_part_at_a_line_end():
    assert percent(0.5) == f"50{NBSP}%"


# --------------------------------------------------------------------------- comparisons


@pytest.mark.parametrize(
    ("value", "baseline", "measure", "expected", "better"),
    [
        (1.17, 6.5, "cost", "82 % lower cost per case than people", True),
        (7.8, 6.5, "cost", "20 % higher cost per case than people", False),
        (6.5, 6.5, "cost", "the same cost per case as people", None),
        (6.51, 6.5, "cost", "the same cost per case as people", None),  # rounds to 0 %
        (0.14, 0.035, "error_rate", "4 times people's error rate", False),
        (0.0875, 0.035, "error_rate", "2.5 times people's error rate", False),
        (0.05, 0.035, "error_rate", "43 % higher error rate than people", False),
        (0.01, 0.035, "error_rate", "71 % lower error rate than people", True),
        (200, 1800, "cycle_time", "89 % shorter cycle time than people", True),
        (2400, 1800, "cycle_time", "33 % longer cycle time than people", False),
        (0.95, 0.9, "completion", "6 % higher completion rate than people", True),
        (0.01, 0, "error_rate", "higher error rate than people, who have none", False),
        (0, 0, "error_rate", "the same error rate as people (none)", None),
        (None, 0.035, "error_rate", "no error rate to compare with people", None),
        (0.02, None, "error_rate", "no error rate to compare with people", None),
    ],
)
def test_a_comparison_says_its_direction_in_words(value, baseline, measure, expected, better):
    result = compare(value, baseline, measure)
    assert plain(result.text) == expected
    assert result.better is better


def test_a_saving_is_never_printed_as_a_signed_number():
    text = compare(1.17, 6.5, "cost").text
    assert "+" not in text
    assert "-" not in text
    assert "vs" not in text


def test_a_saving_of_100_percent_is_said_as_nearly_all():
    assert plain(compare(0.0001, 6.5, "cost").text) == "> 99 % lower cost per case than people"


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1234.5, "USD", "$1,234.50"),
        (1234.5, "EUR", "€1,234.50"),
        (1234.5, "GBP", "£1,234.50"),
        (1234.5, "CHF", "CHF 1,234.50"),  # no unambiguous symbol: the code
        (1500, "JPY", "¥1,500"),  # no minor units
        (1.2345, "BHD", "BHD 1.235"),  # three
        (0, "USD", "$0.00"),
        (-3, "EUR", "-€3.00"),
        (-0.001, "EUR", "€0.00"),  # no minus sign before a rounded zero
        (10**12, "USD", "$1,000,000,000,000.00"),
        (Decimal("4000.00"), "USD", "$4,000.00"),
        (None, "USD", "–"),
        (12.5, "usd", "$12.50"),
        (12.5, "ZZZ", "ZZZ 12.50"),  # unknown: printed as given
        (12.5, None, "$12.50"),
    ],
)
def test_money_in_the_currency(amount, currency, expected):
    assert plain(money(amount, currency)) == expected


def test_a_budget_is_money_without_decimals():
    assert money(4000, "EUR", whole=True) == "€4,000"


def test_every_currency_is_three_capitals_with_its_minor_units():
    assert len(currencies.CURRENCIES) > 140
    for code, currency in currencies.CURRENCIES.items():
        assert len(code) == 3
        assert code.isupper()
        assert currency.minor_units in (0, 2, 3)
    assert set(currencies.SYMBOLS) <= set(currencies.CURRENCIES)
    assert currencies.is_currency("EUR")
    assert not currencies.is_currency("eur")
    assert not currencies.is_currency("XYZ")
    assert not currencies.is_currency(None)


# --------------------------------------------------------------------------- numbers, dates


def test_count_groups_thousands():
    assert count(1234567) == "1,234,567"
    assert count(0) == "0"
    assert count(None) == "–"
    assert plain(count(-1200)) == "-1,200"


def test_one_date_format_for_dates_datetimes_and_iso_strings():
    assert date_text(date(2026, 12, 1)) == "1 Dec 2026"
    assert date_text("2026-12-01") == "1 Dec 2026"
    assert date_text("2026-12-01T23:30:00+00:00") == "1 Dec 2026"
    assert date_text(None) == "–"
    assert date_text("not a date") == "–"


def test_a_datetime_is_told_in_utc_with_date_and_time_apart():
    when = datetime(2026, 12, 2, 1, 5, tzinfo=timezone(timedelta(hours=2)))
    assert formatting.date_text(when) == "1 Dec 2026"
    assert formatting.time_text(when) == "23:05 UTC"
    assert formatting.datetime_text(when) == "1 Dec 2026, 23:05 UTC"
    assert formatting.time_text(date(2026, 12, 1)) == "–"
    assert formatting.datetime_text(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) == (
        "5 Jan 2026, 09:00 UTC"
    )


def test_a_period_and_a_duration():
    assert period_text("2026-09-03", "2026-12-01") == "3 Sep 2026 to 1 Dec 2026"
    assert period_text("2026-12-01", "2026-12-01") == "1 Dec 2026"
    assert plain(formatting.duration(45)) == "45 s"
    assert plain(formatting.duration(750)) == "12.5 min"
    assert plain(formatting.duration(720)) == "12 min"
    assert plain(formatting.duration(9000)) == "2.5 h"
    assert formatting.duration(None) == "–"
    assert plain(formatting.points(0.105)) == "10.5 percentage points"

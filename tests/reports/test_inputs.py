"""A report request's one definition (reports/inputs.py ReportRequest, docs/adr/0009): the
title and the dates at their bounds, in the words the service always used, every bad field at
once; and the period's rules, which read the clock, as the service's (reports.services)."""

from datetime import date, datetime

import pytest

from core.errors import InvalidInput
from core.inputs import parse
from reports.inputs import ReportRequest
from reports.services import period_errors, period_of

TODAY = date(2026, 6, 15)


def checked(**fields) -> ReportRequest:
    return parse(ReportRequest, fields, what="a report")


def refused(**fields) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as error:
        checked(**fields)
    return error.value.errors


def test_nothing_sent_is_an_empty_title_and_no_dates():
    given = checked()

    assert (given.title, given.period_start, given.period_end) == ("", None, None)


@pytest.mark.parametrize(
    ("title", "kept"), [(None, ""), ("   ", ""), (" Board pack ", "Board pack"), ("x" * 200,) * 2]
)
def test_a_title_of_up_to_200_characters_is_taken_stripped(title, kept):
    assert checked(title=title).title == kept


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("x" * 201, "Keep the title to 200 characters or fewer."),
        (42, "Must be text."),
        ("\u200b", None),  # invisible only: core.text's words
    ],
)
def test_a_bad_title_is_refused(title, message):
    errors = refused(title=title)

    assert list(errors) == ["title"]
    if message:
        assert errors["title"] == [message]


@pytest.mark.parametrize(
    ("value", "day"),
    [("2026-06-01", date(2026, 6, 1)), (date(2026, 6, 1), date(2026, 6, 1)), ("", None)],
)
def test_a_date_is_iso_text_or_a_date_a_widget_decoded(value, day):
    assert checked(period_start=value).period_start == day


@pytest.mark.parametrize("value", ["not a date", "2026-02-30", "31/03/2026", 20260601, True])
def test_a_bad_date_is_refused_in_the_services_words(value):
    assert refused(period_end=value) == {"period_end": ["Use an ISO date (YYYY-MM-DD)."]}


def test_every_bad_field_is_named_at_once():
    assert set(refused(title=7, period_start="soon", period_end="later")) == {
        "title",
        "period_start",
        "period_end",
    }


def test_a_datetime_is_taken_as_its_date():
    moment = datetime(2026, 6, 1, 9, 30)

    assert checked(period_end=moment).period_end == date(2026, 6, 1)


def test_the_period_defaults_to_the_90_days_to_today():
    assert period_of(checked(), today=TODAY) == (date(2026, 3, 18), TODAY)


def test_an_early_end_alone_is_a_one_day_period_at_most():
    start, end = period_of(checked(period_end="2026-01-10"), today=TODAY)

    assert start == end == date(2026, 1, 10)


def test_a_period_ending_today_and_starting_on_its_end_is_taken():
    assert period_errors(TODAY, TODAY, today=TODAY) == {}


def test_a_period_past_today_or_backwards_is_refused_by_the_rules():
    assert period_errors(date(2026, 6, 20), date(2026, 6, 16), today=TODAY) == {
        "period_end": ["The period cannot end after today (2026-06-15)."],
        "period_start": ["The period must start on or before its end."],
    }
    with pytest.raises(InvalidInput) as error:
        period_of(checked(period_start="2026-06-16"), today=TODAY)
    assert error.value.errors == {"period_start": ["The period must start on or before its end."]}

"""What is wrong with a date typed as text, in words for the person who typed it: a malformed
one ("01/03/2026") asks for the ISO form, an impossible one ("2026-09-31") says it is not a real
date and why. Pure: no Django."""

import calendar
import re
from datetime import date, datetime

ISO_SHAPE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
ISO_HINT = "Use an ISO date (YYYY-MM-DD)."


def parse_iso_date(text: str) -> tuple[date | None, str | None]:
    """(the date, None), or (None, why not)."""
    match = ISO_SHAPE.fullmatch(text)
    if match is None:
        return None, ISO_HINT
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return None, f"{text} is not a real date: there is no month {month}."
    if year < 1:
        return None, f"{text} is not a real date: there is no year 0."
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return None, (
            f"{text} is not a real date: {calendar.month_name[month]} {year} has {days} days."
        )
    return date(year, month, day), None


def to_date(value: object) -> tuple[date | None, str | None]:
    """A date given as a date or as ISO text (spaces around it ignored): (the date, None), or
    (None, why not). The one reading of a typed date, for every room's validation."""
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, str):
        return parse_iso_date(value.strip())
    return None, ISO_HINT

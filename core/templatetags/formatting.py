"""Template filters over core.formatting, for the pages and the board report alike:

    {% load formatting %}
    {{ 0.82|percent }}                       82 %
    {{ 0.1404|percent:1 }}                   14.0 %
    {{ cost|money:organization.currency }}   $1,234.50
    {{ when|day }} {{ when|clock }}          1 Dec 2026 14:05 UTC
    {{ 12345|count }}                        12,345
    {{ seconds|duration }}                   12.5 min

A value that is not a number (a CSV cell that did not parse) is shown as it came.
"""

from datetime import date
from decimal import Decimal

from django import template

from core import formatting

register = template.Library()


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(fn):
    def wrapped(value, *args):
        if value is None or _is_number(value) or isinstance(value, Decimal):
            return fn(value, *args)
        return str(value)

    wrapped.__doc__ = fn.__doc__
    return wrapped


@register.filter
def percent(value, digits=0):
    """A fraction as a percentage, with `digits` decimals."""
    return _numeric(lambda v, d: formatting.percent(v, int(d)))(value, digits)


@register.filter
def money(value, currency=None):
    """An amount in the currency (an ISO 4217 code; USD when none is given)."""
    return _numeric(lambda v, c: formatting.money(v, c or None))(value, currency)


@register.filter
def money_whole(value, currency=None):
    """An amount in the currency, without decimals (budgets)."""
    return _numeric(lambda v, c: formatting.money(v, c or None, whole=True))(value, currency)


@register.filter
def count(value):
    return _numeric(formatting.count)(value)


@register.filter
def duration(value):
    return _numeric(formatting.duration)(value)


@register.filter
def day(value):
    """The one date format: "1 Dec 2026" (dates, date-times and ISO strings)."""
    if value is None or isinstance(value, date | str):
        return formatting.date_text(value)
    return str(value)


@register.filter
def clock(value):
    """The one time format, apart from the date: "14:05 UTC"."""
    return formatting.time_text(value) if value is None or isinstance(value, date | str) else value


@register.filter
def day_and_time(value):
    return formatting.datetime_text(value) if isinstance(value, date | str) else value


@register.simple_tag
def period(start, end):
    return formatting.period_text(start, end)


@register.simple_tag
def versus(value, baseline, measure):
    """`value` against people's `baseline` in words ("82 % lower cost per case than people")."""
    return formatting.compare(value, baseline, measure).text

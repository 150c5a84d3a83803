"""Template helpers of the outcome pages: fractions as percentages, costs, cycle times.

A value that is not a number (a CSV cell that did not parse) is shown as it came."""

from django import template

from outcomes import charts as outcome_charts

register = template.Library()


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register.filter
def pct(value) -> str:
    """A fraction as a percentage: 0.925 -> "92.5%"; None -> "—"."""
    return outcome_charts.percent(value) if _is_number(value) or value is None else str(value)


@register.filter
def money(value) -> str:
    """A cost: 1234.5 -> "1,234.50"; None -> "—"."""
    return outcome_charts.number(value) if _is_number(value) or value is None else str(value)


@register.filter
def cycle(value) -> str:
    """A cycle time in seconds: 750 -> "12.5 min"; None -> "—"."""
    return outcome_charts.duration(value) if _is_number(value) or value is None else str(value)

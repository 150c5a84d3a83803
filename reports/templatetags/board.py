"""Template filters of the board pack over reports.wording: the product's codes in words.

{% load board %}
{{ s.readiness.verdict|verdict }}    Not ready
{{ g.state|gate_state }}             Needs review
{{ a.phase|phase }}                  In production
{{ e.kind|event }}                   Suspended automatically
{{ breach|breach }}                  Error rate 14.0 % above its alert limit of 10.0 %
{% risk r s.currency %}              Error rate 14.0 % against people's 3.5 %: 4 times ...
"""

from django import template

from reports import wording

register = template.Library()

register.filter("verdict", wording.verdict_label)
register.filter("gate_state", wording.gate_state_label)
register.filter("agent_state", wording.agent_state_label)
register.filter("horizon", wording.horizon_label)
register.filter("drill", wording.drill_label)
register.filter("event", wording.event_label)
register.filter("phase", wording.phase_label)
register.filter("breach", wording.breach_text)
register.filter("verdict_change", wording.verdict_change_text)


@register.simple_tag
def risk(item, currency=None):
    return wording.risk_text(item, currency)


@register.filter
def figure(value, name):
    """A threshold or figure in its unit: {{ value|figure:"error_rate" }} -> "10.0 %"."""
    return wording.figure_value(name, value)

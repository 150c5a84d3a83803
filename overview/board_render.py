"""The gate board's rows through Jinja2 (templates/overview/board_rows.jinja).

The rows are the board's hottest markup: four gate cells and a handful of flags for each of
up to BOARD_PAGE_SIZE agents. Through the Django template language they were more than half
of the page's time; Jinja2 compiles the same markup to Python once per process. The rest of
the page stays a Django template, which includes the rows as one safe string.

Escaping: every `{{ }}` of a Jinja2 template, constants included, goes through the
environment's `finalize`, and here that is `escape_as_django`, which escapes whatever is not
already safe markup. Jinja2's own autoescape is therefore off: it would escape each value a
second time (a safe no-op, but a Markup object more for each of thousands of values, a
third of the rows' time). Nothing is output without `finalize`, so nothing is output
unescaped; tests/overview/test_perf_board_escape.py holds both to it.
"""

import functools

from django.conf import settings
from django.template.defaultfilters import pluralize
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from gates.templatetags.gate_tags import drill_badge, gate_badge, gate_state_label


def escape_as_django(value) -> Markup:
    """`value` escaped exactly as the Django templates escape it (a quote is &#x27; and a
    double quote &quot;, where markupsafe writes &#39; and &#34;), so the board reads the same
    whichever engine drew it; safe values pass as they are.

    Every value of every row goes through here, thousands per page: markupsafe's escape (C)
    and two replacements only when it wrote a numeric entity cost a fraction of Django's
    `conditional_escape` (a lazy-string check, html.escape, a SafeString for each value)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    escaped = escape(value)
    if "&#" not in escaped:
        return escaped
    return Markup(str.replace(str.replace(escaped, "&#39;", "&#x27;"), "&#34;", "&quot;"))  # nosec B704


# bandit B701: autoescape is off because `finalize` escapes every output itself, exactly as
# Django does (tests/overview/test_perf_board_escape.py proves it on hostile values).
_environment = Environment(  # nosec B701
    loader=FileSystemLoader(settings.BASE_DIR / "templates"),
    # Every value is escaped once, as the Django templates escape it, by `finalize` (see the
    # module's docstring): autoescape would only escape it again.
    autoescape=False,
    finalize=escape_as_django,
    undefined=StrictUndefined,  # a misspelt name fails the tests instead of showing nothing
    auto_reload=settings.DEBUG,
)
# A drill badge depends on its flag alone (three of them): built once each, like gate_badge.
_environment.globals.update(gate_badge=gate_badge, drill_badge=functools.cache(drill_badge))
_environment.filters.update(
    # `{% set name = agent.name|escaped %}`: escaped once, for a value shown several times
    escaped=escape_as_django,
    gate_state_label=gate_state_label,
    pluralize=pluralize,
    # {% widthratio value 1 100 %} of the Django template: a fraction as a whole percentage.
    hundredths=lambda value: str(round(float(value) / 1.0 * 100)),
    day=lambda moment: f"{moment.day} {moment:%b %Y}",
)


def board_rows_html(rows: list[dict], *, can_suspend: bool, assessments_url: str) -> Markup:
    """The <tr> of every row, each value escaped by `escape_as_django`; Markup is safe for
    Django too."""
    template = _environment.get_template("overview/board_rows.jinja")
    html = template.render(rows=rows, can_suspend=can_suspend, assessments_url=assessments_url)
    return Markup(html)  # nosec B704 -- every value escaped by the environment's finalize

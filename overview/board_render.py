"""The gate board's rows through Jinja2 (templates/overview/board_rows.jinja).

The rows are the board's hottest markup: four gate cells and a handful of flags for each of
up to BOARD_PAGE_SIZE agents. Through the Django template language they were more than half
of the page's time; Jinja2 compiles the same markup to Python once per process. The rest of
the page stays a Django template, which includes the rows as one safe string.
"""

from django.conf import settings
from django.template.defaultfilters import pluralize
from django.utils.html import conditional_escape
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from gates.templatetags.gate_tags import drill_badge, gate_badge, gate_state_label

_environment = Environment(
    loader=FileSystemLoader(settings.BASE_DIR / "templates"),
    autoescape=True,
    undefined=StrictUndefined,  # a misspelt name fails the tests instead of showing nothing
    auto_reload=settings.DEBUG,
    # Every value is escaped as the Django templates escape it (&#x27; for a quote, where
    # markupsafe would write &#39;), so the board reads the same whichever engine drew it.
    finalize=conditional_escape,
)
_environment.globals.update(gate_badge=gate_badge, drill_badge=drill_badge)
_environment.filters.update(
    gate_state_label=gate_state_label,
    pluralize=pluralize,
    # {% widthratio value 1 100 %} of the Django template: a fraction as a whole percentage.
    hundredths=lambda value: str(round(float(value) / 1.0 * 100)),
    day=lambda moment: f"{moment.day} {moment:%b %Y}",
)


def board_rows_html(rows: list[dict], *, can_suspend: bool, assessments_url: str) -> Markup:
    """The <tr> of every row, escaped by Jinja2's autoescape; Markup is safe for Django too."""
    template = _environment.get_template("overview/board_rows.jinja")
    html = template.render(rows=rows, can_suspend=can_suspend, assessments_url=assessments_url)
    return Markup(html)  # nosec B704 -- the output of an autoescaped Jinja2 template

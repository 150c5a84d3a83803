"""The board's rows escape every value exactly as the Django templates do, through a faster
path than Django's conditional_escape (overview.board_render.escape_as_django)."""

import pytest
from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from markupsafe import Markup

from overview.board_render import _environment, escape_as_django

VALUES = [
    "plain",
    '<b>Bold</b> & co\'s "best"',
    "already &#39; and &#34; and &amp;",
    "&",
    "",
    7,
    2.5,
    None,
    True,
    lazy(lambda: "lazy <it's>", str)(),
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_values_are_escaped_as_django_escapes_them(value):
    assert str(escape_as_django(value)) == str(conditional_escape(value))


def test_safe_values_pass_unchanged():
    for safe in (mark_safe("<span>ok</span>"), Markup("<i>x</i>")):
        assert escape_as_django(safe) is safe


def test_every_output_of_the_rows_environment_is_escaped():
    # Variables, constants, items, loops, `or` and filters all pass through finalize; safe
    # markup (a badge) is kept as it is
    template = _environment.from_string(
        "{{ name }}|{{ '<lit>' }}|{{ row['x'] }}|{% for i in items %}{{ i }}{% endfor %}|"
        "{{ missing or '<none>' }}|{{ 2|pluralize }}|{{ badge }}"
    )
    html = template.render(
        name="<b>O'Neil</b>",
        row={"x": '"x"'},
        items=["<i>"],
        missing="",
        badge=mark_safe('<span class="badge">go</span>'),
    )

    assert html == (
        "&lt;b&gt;O&#x27;Neil&lt;/b&gt;|&lt;lit&gt;|&quot;x&quot;|&lt;i&gt;|&lt;none&gt;|s|"
        '<span class="badge">go</span>'
    )

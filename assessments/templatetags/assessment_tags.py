"""Template helpers for assessments: verdict badges and the two SVG charts.

The chart tags turn models into plain values, hand them to the pure `assessments.charts`
functions and render the SVG partials, so a page or the PDF report only writes
`{% dimension_chart assessment %}` or `{% trend_chart assessments %}`.
"""

from django import template
from django.utils.html import format_html

from assessments import charts, scoring

register = template.Library()

VERDICT_LABELS = charts.VERDICT_LABELS


@register.filter
def verdict_label(verdict: str) -> str:
    """ready -> Ready, not_ready -> Not ready, blocked -> Blocked; "" -> Draft."""
    return VERDICT_LABELS.get(verdict, verdict or "Draft")


@register.simple_tag
def verdict_badge(verdict: str | None, size: str = "") -> str:
    """A coloured badge for a verdict, or the grey draft badge when there is none."""
    css = f"verdict-{verdict}" if verdict in VERDICT_LABELS else "verdict-draft"
    size_css = " fs-5" if size == "large" else ""
    return format_html(
        '<span class="badge {}{}">{}</span>', css, size_css, verdict_label(verdict or "")
    )


def dimension_chart_data(
    shape: scoring.FrameworkShape, scores, *, chart_id: str, width: int = 640
) -> dict:
    """Geometry of the dimension chart for any set of scores (complete or not)."""
    progress = charts.dimension_progress(shape, scores)
    result = scoring.assessment_result(shape, scores)
    return charts.dimension_chart(
        [(p.name, p.score) for p in progress],
        result.total if result else None,
        max_total=shape.max_total,
        chart_id=chart_id,
        width=width,
    )


def trend_chart_data(assessments, *, chart_id: str, width: int = 640) -> dict:
    """Geometry of the trend chart for submitted assessments (oldest first)."""
    points = []
    for assessment in assessments:
        result = assessment.result
        if assessment.submitted_at is None or result is None:
            continue
        points.append(
            charts.TrendPoint(
                title=assessment.title,
                submitted=assessment.submitted_at.date(),
                total=assessment.total if assessment.total is not None else result.total,
                verdict=assessment.verdict or result.verdict,
                dimension_scores=result.dimension_scores,
            )
        )
    latest = assessments[-1].framework.shape if assessments else None
    dimensions = [(d.key, d.name) for d in latest.dimensions] if latest else []
    return charts.trend_chart(
        points,
        dimensions,
        max_total=latest.max_total if latest else None,
        chart_id=chart_id,
        width=width,
    )


@register.inclusion_tag("assessments/partials/dimension_chart.svg.html")
def dimension_chart(source, scores=None, chart_id="dimension-chart", width=640):
    """`{% dimension_chart assessment %}` or `{% dimension_chart shape scores %}`; the SVG
    scales down to its container, `width` sets its natural size."""
    if scores is None:
        shape, scores = source.framework.shape, source.score_map
    else:
        shape = source
    return {"chart": dimension_chart_data(shape, scores, chart_id=chart_id, width=width)}


@register.inclusion_tag("assessments/partials/trend_chart.svg.html")
def trend_chart(assessments, chart_id="trend-chart", width=640):
    """`{% trend_chart assessments %}` with submitted assessments, oldest first."""
    return {"chart": trend_chart_data(list(assessments), chart_id=chart_id, width=width)}

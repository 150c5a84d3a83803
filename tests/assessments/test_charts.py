"""Chart geometry (assessments/charts.py): pure functions, no database."""

from datetime import date
from itertools import pairwise

import pytest
from django.template.loader import render_to_string

from assessments.charts import (
    BELOW,
    OK,
    TrendPoint,
    dimension_chart,
    dimension_progress,
    trend_chart,
    wrap_label,
)
from assessments.scoring import DimensionShape, FrameworkShape

SHAPE = FrameworkShape(
    (
        DimensionShape("governance", "Governance maturity", ("a", "b", "c")),
        DimensionShape("infrastructure", "Infrastructure robustness", ("d", "e", "f")),
        DimensionShape("observability", "Observability coverage", ("g", "h", "i")),
        DimensionShape("data", "Data quality controls", ("j", "k", "l")),
    )
)
DIMENSIONS = [(d.key, d.name) for d in SHAPE.dimensions]


def _bars(*scores):
    return list(zip([d.name for d in SHAPE.dimensions], scores, strict=True))


# --------------------------------------------------------------------------- dimension chart


def test_bar_heights_are_proportional_to_scores_on_a_0_to_5_axis():
    chart = dimension_chart(_bars(5, 4, 3, 2), 14)

    plot = chart["plot"]
    full = plot["bottom"] - plot["top"]
    heights = [bar["height"] for bar in chart["bars"]]
    assert heights == [full, full * 4 / 5, full * 3 / 5, full * 2 / 5]
    for bar in chart["bars"]:
        assert bar["y"] + bar["height"] == pytest.approx(plot["bottom"])


def test_bars_below_3_are_red_and_the_rest_green():
    chart = dimension_chart(_bars(3, 2, 5, 1), 11)

    assert [bar["fill"] for bar in chart["bars"]] == [OK, BELOW, OK, BELOW]
    assert [bar["below_minimum"] for bar in chart["bars"]] == [False, True, False, True]
    assert "below the minimum of 3" in chart["bars"][1]["title"]


def test_minimum_line_sits_at_3_and_is_labelled():
    chart = dimension_chart(_bars(3, 3, 3, 3), 12)

    plot = chart["plot"]
    threshold = chart["threshold"]
    assert threshold["y"] == pytest.approx(plot["bottom"] - (plot["bottom"] - plot["top"]) * 3 / 5)
    assert threshold["y"] == chart["bars"][0]["y"]  # a bar at 3 reaches the line exactly
    assert threshold["label"] == "minimum 3"
    assert threshold["label_x"] > plot["right"]  # in the margin, never over a bar


def test_gauge_fills_to_the_total_with_a_marker_at_14():
    chart = dimension_chart(_bars(5, 5, 5, 2), 17)

    gauge = chart["gauge"]
    assert gauge["fill_width"] == pytest.approx(gauge["width"] * 17 / 20, abs=0.1)
    assert gauge["marker_x"] == pytest.approx(gauge["x"] + gauge["width"] * 14 / 20, abs=0.1)
    assert gauge["marker_label"] == "ready at 14"
    assert gauge["fill"] == OK
    assert gauge["value_label"] == "Total 17 / 20"


def test_gauge_below_14_is_marked_short():
    chart = dimension_chart(_bars(3, 3, 3, 4), 13)

    assert chart["gauge"]["fill"] != OK


def test_unscored_dimensions_and_unknown_total_are_drawn_as_such():
    chart = dimension_chart(_bars(4, None, None, None), None)

    first, second = chart["bars"][:2]
    assert first["scored"]
    assert not second["scored"]
    assert second["value_label"] == "not scored yet"
    assert chart["gauge"]["fill_width"] == 0
    assert chart["gauge"]["value_label"] == "Total: not known yet"
    assert "Infrastructure robustness not scored yet" in chart["description"]


def test_bars_do_not_overlap_and_stay_inside_the_plot():
    chart = dimension_chart(_bars(1, 2, 3, 4), 10)

    bars = chart["bars"]
    for left, right in pairwise(bars):
        assert left["x"] + left["width"] < right["x"]
    assert bars[0]["x"] > chart["plot"]["left"]
    assert bars[-1]["x"] + bars[-1]["width"] < chart["plot"]["right"]


def test_dimension_chart_describes_itself_for_screen_readers():
    chart = dimension_chart(_bars(5, 4, 3, 2), 14, chart_id="result-chart")

    assert chart["id"] == "result-chart"
    assert chart["title"]
    assert "Data quality controls 2 of 5" in chart["description"]
    assert "total 14 of 20" in chart["description"]


def test_dimension_progress_counts_scored_criteria_and_floors_complete_dimensions():
    scores = {"a": 3, "b": 3, "c": 2, "d": 5, "e": 4}

    progress = dimension_progress(SHAPE, scores)

    assert [(p.scored, p.of, p.score) for p in progress] == [
        (3, 3, 2),
        (2, 3, None),
        (0, 3, None),
        (0, 3, None),
    ]
    assert progress[0].below_minimum
    assert not progress[1].below_minimum


# --------------------------------------------------------------------------- trend chart


def _point(day: int, total: int, verdict: str = "ready", **dims) -> TrendPoint:
    scores = {"governance": 4, "infrastructure": 4, "observability": 3, "data": 3} | dims
    return TrendPoint(
        title=f"Review {day}",
        submitted=date(2026, 1, day),
        total=total,
        verdict=verdict,
        dimension_scores=scores,
    )


@pytest.mark.parametrize("count", [0, 1])
def test_trend_needs_two_submitted_assessments(count):
    chart = trend_chart([_point(1, 14)][:count], DIMENSIONS)

    assert chart["empty"]
    assert "two" in chart["message"] or "second" in chart["message"]


def test_trend_points_are_evenly_spaced_oldest_first():
    chart = trend_chart([_point(1, 12), _point(5, 14), _point(30, 17)], DIMENSIONS)

    xs = [p["x"] for p in chart["total_panel"]["points"]]
    assert xs[0] == chart["plot"]["left"]
    assert xs[-1] == chart["plot"]["right"]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.1)
    assert [label["day"] for label in chart["x_labels"]] == ["01 Jan", "05 Jan", "30 Jan"]


def test_trend_total_panel_has_the_14_line_on_a_0_to_20_scale():
    chart = trend_chart([_point(1, 0), _point(2, 20), _point(3, 14)], DIMENSIONS)

    panel = chart["total_panel"]
    ys = [p["y"] for p in panel["points"]]
    assert ys[0] == panel["bottom"]
    assert ys[1] == panel["top"]
    assert ys[2] == panel["threshold_y"]
    assert panel["threshold_label"] == "ready at 14"
    assert panel["polyline"] == " ".join(f"{p['x']},{p['y']}" for p in panel["points"])


def test_trend_has_one_line_per_dimension_with_the_3_line_and_a_legend():
    chart = trend_chart(
        [_point(1, 12, "blocked", data=2), _point(2, 15, data=3)],
        DIMENSIONS,
    )

    panel = chart["dimension_panel"]
    assert [line["key"] for line in panel["lines"]] == [k for k, _ in DIMENSIONS]
    data_line = panel["lines"][3]
    assert data_line["points"][0]["y"] > panel["threshold_y"]  # 2 is drawn below the line
    assert data_line["points"][1]["y"] == panel["threshold_y"]  # 3 sits on it
    assert panel["threshold_label"] == "minimum 3"
    assert len({line["colour"] for line in panel["lines"]}) == 4
    assert len({line["dash"] for line in panel["lines"]}) == 4
    assert [item["name"] for item in chart["legend"]] == ["Total"] + [n for _, n in DIMENSIONS]
    assert chart["total_panel"]["points"][0]["fill"] == BELOW


def test_trend_legend_wraps_inside_the_chart():
    chart = trend_chart([_point(1, 12), _point(2, 15)], DIMENSIONS, width=400)

    for item in chart["legend"]:
        assert item["x1"] >= chart["plot"]["left"]
        assert item["text_x"] + 6.4 * len(item["name"]) <= chart["width"]
    assert chart["height"] >= chart["legend"][-1]["y"]


def test_trend_thins_date_labels_when_crowded_but_keeps_the_latest():
    points = [_point(day, 14) for day in range(1, 13)]

    chart = trend_chart(points, DIMENSIONS)

    days = [label["day"] for label in chart["x_labels"]]
    assert len(days) < 12
    assert days[0] == "01 Jan"
    assert days[-1] == "12 Jan"


def test_trend_describes_itself_for_screen_readers():
    chart = trend_chart([_point(1, 12), _point(9, 16)], DIMENSIONS)

    assert "2 submitted assessments" in chart["description"]
    assert "from 12 to 16" in chart["description"]


# --------------------------------------------------------------------------- helpers, rendering


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("Governance maturity", ["Governance", "maturity"]),
        ("Data", ["Data"]),
        ("A very long dimension name that keeps going", ["A very long", "dimension name…"]),
    ],
)
def test_wrap_label(text, lines):
    assert wrap_label(text, width=16) == lines


def test_svg_partials_escape_user_text_and_need_no_javascript():
    # Given a title a user typed, with markup in it
    hostile = '<script>alert("x")</script>'
    trend = trend_chart(
        [
            TrendPoint(hostile, date(2026, 1, 1), 12, "not_ready", {"governance": 3}),
            TrendPoint("Next", date(2026, 2, 1), 15, "ready", {"governance": 4}),
        ],
        [("governance", "Governance & <b>maturity</b>")],
    )
    dims = dimension_chart([("Governance & <b>maturity</b>", 4)], 4, max_total=5)

    # When the partials render
    html = render_to_string("assessments/partials/trend_chart.svg.html", {"chart": trend})
    html += render_to_string("assessments/partials/dimension_chart.svg.html", {"chart": dims})

    # Then the text is escaped and there is no script
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;maturity&lt;/b&gt;" in html
    assert 'role="img"' in html
    assert "<title" in html
    assert "<desc" in html

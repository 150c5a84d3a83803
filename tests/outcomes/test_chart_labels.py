"""No chart label is clipped at the drawing's edge or collides with another (issue 16: "30 No"
cut at the right edge; threshold labels on the axis's dates)."""

import itertools

import pytest

from outcomes import chart_geometry, charts
from outcomes.metrics import Thresholds
from tests.outcomes.test_charts import months


def extent(label: dict) -> tuple[float, float]:
    half = max(map(chart_geometry.text_width, (label["day"], label["year"]))) / 2
    return label["x"] - half, label["x"] + half


@pytest.mark.parametrize("width", [680, 760])
@pytest.mark.parametrize("count", [1, 3, 12])
def test_no_date_label_of_the_baseline_panels_leaves_the_drawing(width, count):
    chart = charts.baseline_chart(months(count), width=width)

    for panel in chart["panels"]:
        for label in panel["x_labels"]:
            low, high = extent(label)
            assert low >= 0
            assert high <= width, f"{label['day']} is clipped at the right edge"


def test_the_last_date_of_the_right_panel_moves_in_rather_than_being_cut():
    chart = charts.baseline_chart(months(3), width=680)
    right = chart["panels"][1]

    last = right["x_labels"][-1]
    assert last["x"] < right["right"]  # moved left of its point...
    assert extent(last)[1] <= 680  # ...just enough to show whole


@pytest.mark.parametrize("width", [680, 760])
def test_threshold_labels_stay_apart_and_above_the_axis_dates(width):
    chart = charts.rates_chart(months(3), Thresholds(), width=width)
    bottom = chart["plot"]["bottom"]

    ys = sorted(line["label_y"] for line in chart["thresholds"])
    assert all(b - a >= chart_geometry.LABEL_GAP - 0.11 for a, b in itertools.pairwise(ys))
    # A label's baseline sits no lower than the axis; the dates hang below it.
    assert max(ys) <= bottom + 0.11
    assert chart["x_label_y"] - max(ys) >= 14
    for line in chart["thresholds"]:
        right = line["label_x"] + chart_geometry.text_width(line["label"])
        assert right <= width, f"{line['label']} is clipped"
    for label in chart["x_labels"]:
        assert extent(label)[1] <= width

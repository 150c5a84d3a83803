"""The outcome charts' geometry (outcomes/charts.py): pure functions, no database."""

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes import charts
from outcomes.metrics import Thresholds


def point(day: date, breaches=(), **overrides) -> charts.MetricPoint:
    values = {
        "period_start": day - timedelta(days=29),
        "period_end": day,
        "tasks": 100,
        "tasks_completed": 92,
        "escalations": 8,
        "errors": 3,
        "cost": 184.0,
        "avg_cycle_time_s": 240.0,
        "baseline_cost_per_case": 6.5,
        "baseline_cycle_time_s": 1800.0,
        "baseline_error_rate": 0.05,
        **overrides,
    }
    return charts.metric_point(values, breaches=breaches)


def months(count: int, **overrides) -> list[charts.MetricPoint]:
    start = date(2023, 1, 31)
    return [point(start + timedelta(days=30 * n), **overrides) for n in range(count)]


def series(chart, key):
    return next(s for s in chart["series"] if s["key"] == key)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.925, "92.5%"), (0.9, "90%"), (0.0, "0%"), (1.0, "100%"), (0.04567, "4.6%"), (None, "—")],
)
def test_percent_shows_fractions_as_percentages(fraction, text):
    assert charts.percent(fraction) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (4.5, "4.5 s"),
        (45, "45 s"),
        (750, "12.5 min"),
        (1800, "30 min"),
        (9000, "2.5 h"),
        (None, "—"),
    ],
)
def test_duration_picks_a_unit_people_read(seconds, text):
    assert charts.duration(seconds) == text


def test_nice_ticks_are_round_and_reach_the_maximum():
    assert charts.nice_ticks(4.5) == [0, 2, 4, 6]
    assert charts.nice_ticks(0.07) == [0, 0.02, 0.04, 0.06, 0.08]
    assert charts.nice_ticks(0) == [0, 1]


@given(st.floats(min_value=1e-6, max_value=1e12, allow_nan=False))
def test_nice_ticks_always_cover_the_maximum_with_a_few_steps(maximum):
    ticks = charts.nice_ticks(maximum)
    assert ticks[0] == 0
    assert ticks[-1] >= maximum * (1 - 1e-9)
    assert 2 <= len(ticks) <= 12


@given(st.lists(st.floats(min_value=0, max_value=300), min_size=1, max_size=8))
def test_spread_labels_keep_their_order_and_a_gap(ys):
    placed = charts.spread(ys, gap=13, low=0, high=300)
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    ordered = [placed[i] for i in order]
    assert all(b - a >= 13 - 0.11 for a, b in itertools.pairwise(ordered))


# --------------------------------------------------------------------------- rates chart


def test_rates_chart_without_a_snapshot_is_an_empty_state():
    chart = charts.rates_chart([], Thresholds())

    assert chart["empty"] is True
    assert "No metric snapshot yet" in chart["message"]


def test_rates_chart_places_each_rate_by_period_end_on_a_0_to_100_scale():
    chart = charts.rates_chart(months(3), Thresholds())

    plot = chart["plot"]
    completion = series(chart, "task_completion_rate")
    assert [p["x"] for p in completion["points"]] == [
        plot["left"],
        (plot["left"] + plot["right"]) / 2,
        plot["right"],
    ]
    height = plot["bottom"] - plot["top"]
    assert completion["points"][0]["y"] == round(plot["bottom"] - height * 0.92, 1)
    assert len(completion["segments"]) == 1
    assert [t["label"] for t in chart["ticks"]] == ["0%", "25%", "50%", "75%", "100%"]


def test_rates_chart_draws_the_thresholds_dashed_at_their_heights():
    thresholds = Thresholds(advance_completion_min=0.8, alert_completion_min=0.4)
    chart = charts.rates_chart(months(2), thresholds)

    plot = chart["plot"]
    height = plot["bottom"] - plot["top"]
    by_label = {line["label"]: line for line in chart["thresholds"]}
    advance = by_label["advance: completion ≥ 80%"]
    alert = by_label["alert: completion < 40%"]
    assert advance["y"] == round(plot["bottom"] - height * 0.8, 1)
    assert alert["y"] == round(plot["bottom"] - height * 0.4, 1)
    assert advance["dash"] == charts.ADVANCE_DASH
    assert alert["dash"] == charts.ALERT_DASH
    assert "alert: escalation > 30%" in by_label
    assert "alert: error > 10%" in by_label


def test_rates_chart_draws_the_baseline_error_rate_when_it_is_the_advance_threshold():
    chart = charts.rates_chart(months(3), Thresholds())

    baseline = series(chart, "baseline_error_rate")
    assert baseline["dash"] == charts.ADVANCE_DASH
    assert len(baseline["points"]) == 3
    assert any(line["label"].startswith("advance: error ≤ people") for line in chart["thresholds"])


def test_rates_chart_draws_a_fixed_error_threshold_as_a_line_instead():
    chart = charts.rates_chart(
        months(3), Thresholds(advance_error_mode="fixed", advance_error_max=0.02)
    )

    assert not any(s["key"] == "baseline_error_rate" for s in chart["series"])
    assert "advance: error ≤ 2%" in {line["label"] for line in chart["thresholds"]}


def test_threshold_labels_that_coincide_are_moved_apart():
    # Default escalation advance max (10%) and error alert max (10%) sit on the same line.
    chart = charts.rates_chart(months(2), Thresholds())

    ys = sorted(line["label_y"] for line in chart["thresholds"])
    assert all(b - a >= charts.LABEL_GAP - 0.11 for a, b in itertools.pairwise(ys))


def test_a_period_without_tasks_draws_no_point_and_breaks_the_line():
    points = months(5)
    empty = point(points[2].period_end, tasks=0, tasks_completed=0, escalations=0, errors=0)
    points[2] = empty

    chart = charts.rates_chart(points, Thresholds())

    gap_x = series(chart, "baseline_error_rate")["points"][2]["x"]
    for key in ("task_completion_rate", "escalation_frequency", "error_rate"):
        line = series(chart, key)
        assert len(line["points"]) == 4
        assert gap_x not in [p["x"] for p in line["points"]]
        assert len(line["segments"]) == 2  # before and after the gap
    # The baseline is known for every period, so its line runs through.
    assert len(series(chart, "baseline_error_rate")["points"]) == 5


def test_a_lone_point_between_gaps_is_a_marker_without_a_line():
    no_tasks = {"tasks": 0, "tasks_completed": 0, "escalations": 0, "errors": 0}
    points = [
        point(date(2024, 1, 31), **no_tasks),
        point(date(2024, 2, 29)),
        point(date(2024, 3, 31), **no_tasks),
    ]

    chart = charts.rates_chart(points, Thresholds())

    completion = series(chart, "task_completion_rate")
    assert len(completion["points"]) == 1
    assert completion["segments"] == []


def test_a_single_snapshot_sits_in_the_middle():
    chart = charts.rates_chart([point(date(2024, 5, 31))], Thresholds())

    plot = chart["plot"]
    x = series(chart, "task_completion_rate")["points"][0]["x"]
    assert x == round(plot["left"] + (plot["right"] - plot["left"]) / 2, 1)
    assert chart["empty"] is False


def test_breached_points_are_marked_and_say_so():
    chart = charts.rates_chart([point(date(2024, 5, 31), breaches=("error_rate",))], Thresholds())

    dot = series(chart, "error_rate")["points"][0]
    assert dot["breached"] is True
    assert "alert threshold crossed" in dot["title"]
    # Only the figure that crossed its limit is ringed.
    assert series(chart, "task_completion_rate")["points"][0]["breached"] is False


def test_points_arrive_in_any_order_and_are_drawn_oldest_first():
    points = months(4)

    chart = charts.rates_chart(list(reversed(points)), Thresholds())

    xs = [p["x"] for p in series(chart, "task_completion_rate")["points"]]
    assert xs == sorted(xs)


def test_x_labels_never_crowd_with_three_years_of_months():
    chart = charts.rates_chart(months(36), Thresholds())

    xs = [label["x"] for label in chart["x_labels"]]
    assert 3 <= len(xs) <= 12
    assert all(b - a >= 62 for a, b in itertools.pairwise(xs))
    assert xs[-1] == chart["plot"]["right"]  # the latest period is always labelled


# --------------------------------------------------------------------------- baseline chart


def test_baseline_chart_without_a_snapshot_is_an_empty_state():
    chart = charts.baseline_chart([])

    assert chart["empty"] is True
    assert chart["message"]


def test_baseline_chart_has_two_panels_agent_against_people():
    chart = charts.baseline_chart(months(3))

    cost, cycle = chart["panels"]
    assert cost["title"].startswith("Cost per resolved case")
    assert cycle["title"] == "Average cycle time (min)"  # 1800 s baseline: minutes
    for panel in (cost, cycle):
        keys = [s["key"] for s in panel["series"]]
        assert keys == ["baseline", "agent"]
        assert panel["right"] <= chart["width"]
    assert cost["right"] < cycle["left"]  # side by side, not overlapping


def test_baseline_chart_scales_each_panel_to_its_largest_value():
    chart = charts.baseline_chart(months(2))

    cost = chart["panels"][0]
    agent = next(s for s in cost["series"] if s["key"] == "agent")
    people = next(s for s in cost["series"] if s["key"] == "baseline")
    # 184 / 92 = 2.0 per resolved case against people's 6.5: the agent's line is lower.
    assert agent["points"][0]["y"] > people["points"][0]["y"]
    assert cost["ticks"][-1]["label"] == "8"  # the round maximum above 6.5
    assert cost["ticks"][0]["y"] == cost["bottom"]


def test_cost_of_a_period_without_a_resolved_case_is_skipped_with_a_note():
    points = months(3)
    points[1] = point(points[1].period_end, tasks_completed=0)

    chart = charts.baseline_chart(points)

    agent = next(s for s in chart["panels"][0]["series"] if s["key"] == "agent")
    assert len(agent["points"]) == 2
    assert agent["segments"] == []  # two lone points, no line across the gap
    assert chart["panels"][0]["skipped"] == 1
    assert "no task was completed" in chart["notes"][0]["text"]


def test_baseline_chart_describes_the_latest_figures_for_screen_readers():
    chart = charts.baseline_chart(months(2))

    assert "2.00" in chart["description"]
    assert "6.50" in chart["description"]
    assert "4 min" in chart["description"]

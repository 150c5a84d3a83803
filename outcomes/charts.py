"""Geometry of the outcome charts (docs/rules.md §3–4) as pure functions: plain values in,
plain dicts of coordinates out.

No Django here. The SVG partials (`templates/outcomes/partials/*.svg.html`) only place
what these functions computed, so the agent's outcomes page and the board report draw the
same picture without JavaScript. Two charts:

- `rates_chart`: task completion rate, escalation frequency and error rate over time (by
  period end), with the agent's advance thresholds and alert limits drawn in as dashed lines;
- `baseline_chart`: two small panels, cost per resolved case and cycle time, the agent's line
  against the human baseline's.

A figure that is None (its denominator was zero) draws no point, and the line breaks there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

from . import metrics
from .chart_geometry import (
    ADVANCE_DASH,
    AGENT,
    ALERT,
    ALERT_DASH,
    BASELINE,
    BASELINE_DASH,
    COMPLETION,
    ERROR,
    ESCALATION,
    GRID,
    INK,
    LABEL_CLEARANCE,
    LABEL_GAP,
    MUTED,
    TEXT_COLOURS,
    MetricPoint,
    duration,
    make_legend,
    make_marker,
    make_series,
    make_time_axis,
    make_x_labels,
    metric_point,
    nice_ticks,
    number,
    percent,
    period_text,
    px,
    sorted_points,
    spread,
)

__all__ = [
    "MetricPoint",
    "baseline_chart",
    "duration",
    "metric_point",
    "number",
    "percent",
    "rates_chart",
]


RATE_SERIES = (
    ("task_completion_rate", "Task completion rate", COMPLETION, "circle"),
    ("escalation_frequency", "Escalation frequency", ESCALATION, "square"),
    ("error_rate", "Error rate", ERROR, "diamond"),
)


def _threshold_lines(t: metrics.Thresholds) -> list[dict]:
    """The horizontal dashed lines: each advance threshold and alert limit of the three rates
    (the error advance threshold only when it is a fixed figure; otherwise it is the
    baseline, drawn as its own line)."""
    lines = [
        ("advance", "completion", "≥", t.advance_completion_min, COMPLETION),
        ("alert", "completion", "<", t.alert_completion_min, COMPLETION),
        ("advance", "escalation", "≤", t.advance_escalation_max, ESCALATION),
        ("alert", "escalation", ">", t.alert_escalation_max, ESCALATION),
    ]
    if t.advance_error_mode == "fixed" and t.advance_error_max is not None:
        lines.append(("advance", "error", "≤", t.advance_error_max, ERROR))
    lines.append(("alert", "error", ">", t.alert_error_rate_max, ERROR))
    return [
        {
            "kind": kind,
            "figure": figure,
            "value": value,
            "colour": colour,
            "text_colour": TEXT_COLOURS[colour],
            "dash": ADVANCE_DASH if kind == "advance" else ALERT_DASH,
            "label": (
                f"advance: {figure} {op} {percent(value)}"
                if kind == "advance"
                else f"alert: {figure} {op} {percent(value)}"
            ),
        }
        for kind, figure, op, value, colour in lines
    ]


def _figure(point: MetricPoint, *, key: str) -> float | None:
    value: float | None = getattr(point, key)
    return value


def _rate_series(points: Sequence[MetricPoint], *, x_of, y_of) -> list[dict]:
    """The three rate lines (completion, escalation, error), each point with its marker and
    a title that says when its alert threshold was crossed."""
    series: list[dict] = []
    for key, name, colour, shape in RATE_SERIES:

        def title(point, v, name=name, key=key):
            text = f"{name}, {period_text(point)}: {percent(v)}"
            if key in point.breaches:
                text += " (alert threshold crossed)"
            return text

        drawn, segments = make_series(
            points,
            value=functools.partial(_figure, key=key),
            x_of=x_of,
            y_of=y_of,
            title=title,
            key=key,
        )
        for pt in drawn:
            pt["marker"] = make_marker(shape, pt["x"], pt["y"])
        series.append(
            {
                "key": key,
                "name": name,
                "colour": colour,
                "dash": "",
                "shape": shape,
                "points": drawn,
                "segments": segments,
            }
        )
    return series


def _baseline_series(
    points: Sequence[MetricPoint], *, x_of, y_of, left: float, right: float
) -> tuple[dict, dict]:
    """The people's error rate (the human baseline) as a thin line, and its label among the
    threshold lines: drawn when it is the error-rate advance threshold."""
    drawn, segments = make_series(
        points,
        value=lambda p: p.baseline_error_rate,
        x_of=x_of,
        y_of=y_of,
        title=lambda p, v: f"People's error rate (baseline), {period_text(p)}: {percent(v)}",
    )
    if len(drawn) == 1:  # a single snapshot: draw its baseline across the plot
        segments = [f"{left},{drawn[0]['y']} {right},{drawn[0]['y']}"]
    line = {
        "key": "baseline_error_rate",
        "name": "People's error rate (advance: error ≤ it)",
        "colour": ERROR,
        "dash": ADVANCE_DASH,
        "shape": "",
        "points": drawn,
        "segments": segments,
        "thin": True,
    }
    people = points[-1].baseline_error_rate
    label = {
        "kind": "advance",
        "figure": "error",
        "value": people,
        "colour": ERROR,
        "text_colour": TEXT_COLOURS[ERROR],
        "dash": "",
        "label": "advance: error ≤ people",
        "label_only": True,
    }
    return line, label


def rates_chart(
    points: Iterable[MetricPoint],
    thresholds: metrics.Thresholds,
    *,
    chart_id: str = "rates-chart",
    width: int = 760,
) -> dict:
    """Completion, escalation and error rate (0-100%) by period end, with the advance
    thresholds (long dashes) and alert limits (short dashes) of the agent, and the human
    baseline error rate when it is the error-rate advance threshold. No point: `empty`."""
    points = sorted_points(points)
    base = {"id": chart_id, "width": width, "title": "Completion, escalation and error rate"}
    if not points:
        return {
            **base,
            "empty": True,
            "height": 0,
            "message": "No metric snapshot yet: the trend starts with the first one.",
            "description": "No metric snapshot yet.",
        }

    left, right_margin, top, plot_height = 48, 180, 16, 230
    plot_width = width - left - right_margin
    right = left + plot_width
    bottom = top + plot_height
    x_of = make_time_axis(points, left, plot_width)

    def y_of(fraction: float) -> float:
        return px(bottom - plot_height * min(max(fraction, 0.0), 1.0))

    series = _rate_series(points, x_of=x_of, y_of=y_of)
    lines = _threshold_lines(thresholds)
    if thresholds.advance_error_mode != "fixed" or thresholds.advance_error_max is None:
        line, label = _baseline_series(points, x_of=x_of, y_of=y_of, left=left, right=right)
        series.append(line)
        lines.append(label)
    for line in lines:
        line["y"] = y_of(line["value"])
        line["x1"], line["x2"] = left, right
    ys = [line["y"] for line in lines]
    # Labels spread so none overlaps another, and the lowest stays clear of the axis's dates.
    highest_label = bottom - LABEL_CLEARANCE
    for line, label_y in zip(
        lines, spread(ys, gap=LABEL_GAP, low=top - 4, high=highest_label), strict=True
    ):
        line["label_x"] = right + 8
        line["label_y"] = px(label_y + 4)

    x_label_y = bottom + 18
    legend = make_legend(
        [
            *(
                {"name": s["name"], "colour": s["colour"], "dash": "", "shape": s["shape"]}
                for s in series[:3]
            ),
            {"name": "advance threshold", "colour": MUTED, "dash": ADVANCE_DASH, "shape": ""},
            {"name": "alert limit (suspends)", "colour": MUTED, "dash": ALERT_DASH, "shape": ""},
        ],
        left=left,
        top=x_label_y + 36,
        width=width - left - 8,
    )
    for item in legend:
        if item["shape"]:
            item["marker"] = make_marker(item["shape"], item["mx"], item["y"])
    latest = points[-1]
    return {
        **base,
        "empty": False,
        "height": px(legend[-1]["y"] + 14),
        "description": (
            f"{len(points)} snapshot(s) from {points[0].period_end:%d %b %Y} to "
            f"{latest.period_end:%d %b %Y}. Latest: task completion rate "
            f"{percent(latest.task_completion_rate)}, escalation frequency "
            f"{percent(latest.escalation_frequency)}, error rate {percent(latest.error_rate)} "
            f"(people {percent(latest.baseline_error_rate)}). Thresholds: "
            + "; ".join(line["label"] for line in lines)
            + "."
        ),
        "plot": {"left": left, "right": right, "top": top, "bottom": bottom},
        "ticks": [{"y": y_of(v / 100), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)],
        "series": series,
        "thresholds": lines,
        "x_labels": make_x_labels(points, x_of, min_gap=62, low=0, high=width),
        "x_label_y": x_label_y,
        "legend": legend,
        "colours": {"ink": INK, "muted": MUTED, "grid": GRID, "alert": ALERT},
    }


def _duration_unit(maximum: float) -> tuple[float, str]:
    if maximum < 120:
        return 1.0, "s"
    if maximum < 2 * 3600:
        return 60.0, "min"
    return 3600.0, "h"


def _tick_text(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _panel(
    points: Sequence[MetricPoint],
    *,
    title: str,
    agent_value: Callable[[MetricPoint], float | None],
    baseline_value: Callable[[MetricPoint], float],
    show: Callable[[float], str],
    unit: tuple[float, str] | None,
    left: float,
    top: float,
    width: float,
    height: float,
    missing: str,
    bounds: tuple[float, float],
) -> dict:
    """One small panel: the agent's line against the baseline's, from 0 to a round maximum.
    `bounds` are the drawing's left and right edges, which no date label may cross."""
    values = [v for p in points for v in (agent_value(p), baseline_value(p)) if v is not None]
    divisor, unit_name = unit or (1.0, "")
    ticks = nice_ticks(max(values, default=0) / divisor)
    scale_max = ticks[-1] * divisor
    bottom = top + height
    right = left + width
    x_of = make_time_axis(points, left, width)

    def y_of(value: float) -> float:
        return px(bottom - height * value / scale_max)

    agent_points, agent_segments = make_series(
        points,
        value=agent_value,
        x_of=x_of,
        y_of=y_of,
        title=lambda p, v: f"{title}, this agent, {period_text(p)}: {show(v)}",
    )
    for pt in agent_points:
        pt["marker"] = make_marker("circle", pt["x"], pt["y"], 3.5)
    base_points, base_segments = make_series(
        points,
        value=baseline_value,
        x_of=x_of,
        y_of=y_of,
        title=lambda p, v: f"{title}, people today, {period_text(p)}: {show(v)}",
    )
    if len(points) == 1:  # a single snapshot: the baseline as a level across the panel
        base_segments = [f"{left},{base_points[0]['y']} {right},{base_points[0]['y']}"]
    skipped = sum(1 for p in points if agent_value(p) is None)
    return {
        "title": title + (f" ({unit_name})" if unit_name else ""),
        "left": left,
        "right": px(right),
        "top": top,
        "bottom": px(bottom),
        "ticks": [{"y": y_of(v * divisor), "label": _tick_text(v)} for v in ticks],
        "series": [
            {
                "key": "baseline",
                "name": "People today (baseline)",
                "colour": BASELINE,
                "dash": BASELINE_DASH,
                "points": base_points,
                "segments": base_segments,
                "thin": True,
            },
            {
                "key": "agent",
                "name": "This agent",
                "colour": AGENT,
                "dash": "",
                "points": agent_points,
                "segments": agent_segments,
            },
        ],
        "skipped": skipped,
        "note": (f"{skipped} period(s) without a value: {missing}" if skipped else ""),
        "x_labels": make_x_labels(points, x_of, min_gap=62, low=bounds[0], high=bounds[1]),
        "x_label_y": px(bottom + 18),
    }


def baseline_chart(
    points: Iterable[MetricPoint],
    *,
    chart_id: str = "baseline-chart",
    width: int = 760,
    currency: str = "",
) -> dict:
    """Two panels side by side: cost per resolved case and average cycle time, the agent's
    line (solid) against the human baseline (dashed). No point: `empty`."""
    points = sorted_points(points)
    base = {
        "id": chart_id,
        "width": width,
        "title": "Cost per resolved case and cycle time against people",
    }
    if not points:
        return {
            **base,
            "empty": True,
            "height": 0,
            "message": "No metric snapshot yet: the comparison with people starts with the "
            "first one.",
            "description": "No metric snapshot yet.",
        }
    gap, margin_left, margin_right = 40, 52, 14
    panel_width = (width - gap - 2 * (margin_left + margin_right)) / 2
    top, height = 30, 170
    cycle_max = max(max(p.avg_cycle_time_s, p.baseline_cycle_time_s) for p in points)
    cost_title = "Cost per resolved case" + (f" ({currency})" if currency else "")
    panels = [
        _panel(
            points,
            title=cost_title,
            agent_value=lambda p: p.cost_per_resolved_case,
            baseline_value=lambda p: p.baseline_cost_per_case,
            show=number,
            unit=None,
            left=margin_left,
            top=top,
            width=panel_width,
            height=height,
            missing="no task was completed, so there is no cost per resolved case.",
            bounds=(0, width),
        ),
        _panel(
            points,
            title="Average cycle time",
            agent_value=lambda p: p.avg_cycle_time_s,
            baseline_value=lambda p: p.baseline_cycle_time_s,
            show=duration,
            unit=_duration_unit(cycle_max),
            left=px(margin_left + panel_width + margin_right + gap + margin_left),
            top=top,
            width=panel_width,
            height=height,
            missing="",
            bounds=(0, width),
        ),
    ]
    legend_top = top + height + 18 + 36
    legend = make_legend(
        [
            {"name": "This agent", "colour": AGENT, "dash": "", "shape": "circle"},
            {"name": "People today (baseline)", "colour": BASELINE, "dash": BASELINE_DASH},
        ],
        left=margin_left,
        top=legend_top,
        width=width - margin_left - 8,
    )
    for item in legend:
        if item.get("shape"):
            item["marker"] = make_marker(item["shape"], item["mx"], item["y"], 3.5)
    notes_y = legend[-1]["y"] + 22
    notes = [
        {"text": panel["note"], "x": margin_left, "y": px(notes_y + 16 * n)}
        for n, panel in enumerate(p for p in panels if p["note"])
    ]
    height_total = (notes[-1]["y"] + 8) if notes else legend[-1]["y"] + 14
    latest = points[-1]
    return {
        **base,
        "empty": False,
        "height": px(height_total),
        "description": (
            f"{len(points)} snapshot(s) from {points[0].period_end:%d %b %Y} to "
            f"{latest.period_end:%d %b %Y}. Latest cost per resolved case "
            f"{number(latest.cost_per_resolved_case)} against people's "
            f"{number(latest.baseline_cost_per_case)}; cycle time "
            f"{duration(latest.avg_cycle_time_s)} against people's "
            f"{duration(latest.baseline_cycle_time_s)}."
        ),
        "panels": panels,
        "legend": legend,
        "notes": notes,
        "colours": {"ink": INK, "muted": MUTED, "grid": GRID, "alert": ALERT},
    }

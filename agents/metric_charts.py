"""Geometry of the outcome charts (SPEC §3-4) as pure functions: plain values in, plain dicts
of coordinates out.

No Django here. The SVG partials (`templates/agents/metrics/partials/*.svg.html`) only place
what these functions computed, so the agent's outcomes page and the board report draw the
same picture without JavaScript. Two charts:

- `rates_chart`: task completion rate, escalation frequency and error rate over time (by
  period end), with the agent's advance thresholds and alert limits drawn in as dashed lines;
- `baseline_chart`: two small panels, cost per resolved case and cycle time, the agent's line
  against the human baseline's.

A figure that is None (its denominator was zero) draws no point, and the line breaks there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from . import metrics

# Colours as attributes (not CSS classes) so WeasyPrint draws them the same way.
INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
ALERT = "#dc3545"
# Okabe-Ito colours (distinguishable with colour-blindness); each series also has its own
# marker shape.
COMPLETION = "#0072b2"
ESCALATION = "#e69f00"
ERROR = "#cc79a7"
# Darker shades of the same hues for text on white (WCAG AA contrast).
TEXT_COLOURS = {COMPLETION: "#005a8c", ESCALATION: "#8a5a00", ERROR: "#9c4476"}
AGENT = "#0072b2"
BASELINE = "#444444"
ADVANCE_DASH = "7 4"
ALERT_DASH = "2 3"
BASELINE_DASH = "5 4"

FONT_WIDTH = 5.9  # an estimate of one character's width at font-size 11, for layout
LABEL_GAP = 13  # the least vertical distance between two threshold labels


def _r(value: float) -> float:
    """Round a coordinate to one decimal so the SVG stays small and the tests exact."""
    return round(value, 1)


def percent(value: float | None, digits: int = 1) -> str:
    """0.925 -> "92.5%"; 0.9 -> "90%"; None -> "—"."""
    if value is None:
        return "—"
    text = f"{value * 100:.{digits}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def number(value: float | None) -> str:
    """A cost for people: 1234.5 -> "1,234.50", 0.5 -> "0.50", None -> "—"."""
    if value is None:
        return "—"
    return f"{value:,.2f}"


def duration(seconds: float | None) -> str:
    """A cycle time for people: 45 -> "45 s", 750 -> "12.5 min", 9000 -> "2.5 h"."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s".replace(".0 s", " s")
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f}".rstrip("0").rstrip(".") + " min"
    return f"{seconds / 3600:.1f}".rstrip("0").rstrip(".") + " h"


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Round ticks from 0 to at least `maximum`, in steps of 1, 2, 2.5 or 5 (times 10^k)."""
    if maximum <= 0 or not math.isfinite(maximum):
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    top = math.ceil(maximum / step - 1e-9) * step
    ticks = []
    value = 0.0
    while value <= top + step / 1000:
        ticks.append(round(value, 10))
        value += step
    return ticks


def spread(positions: Sequence[float], *, gap: float, low: float, high: float) -> list[float]:
    """Move label positions apart so no two are closer than `gap`, keeping them within
    [low, high] and in their order; returns the new positions in the input order."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [positions[i] for i in order]
    for n in range(1, len(placed)):
        placed[n] = max(placed[n], placed[n - 1] + gap)
    if placed and placed[-1] > high:
        placed[-1] = high
        for n in range(len(placed) - 2, -1, -1):
            placed[n] = min(placed[n], placed[n + 1] - gap)
    if placed and placed[0] < low:  # too many to fit: keep the order, squeeze from the top
        placed[0] = low
        for n in range(1, len(placed)):
            placed[n] = max(placed[n], placed[n - 1] + gap)
    result = [0.0] * len(positions)
    for rank, index in enumerate(order):
        result[index] = _r(placed[rank])
    return result


# --------------------------------------------------------------------------- points


@dataclass(frozen=True)
class MetricPoint:
    """One snapshot, reduced to what the charts draw."""

    period_end: date
    task_completion_rate: float | None
    escalation_frequency: float | None
    error_rate: float | None
    baseline_error_rate: float
    cost_per_resolved_case: float | None
    baseline_cost_per_case: float
    avg_cycle_time_s: float
    baseline_cycle_time_s: float
    period_start: date | None = None
    breaches: tuple[str, ...] = ()


def metric_point(values: Mapping, breaches: Iterable[str] = ()) -> MetricPoint:
    """A chart point from a snapshot's values (the SPEC §3 fields) and the names of the
    alert thresholds it crossed."""
    figures = metrics.derived_figures(values)
    return MetricPoint(
        period_end=values["period_end"],
        period_start=values.get("period_start"),
        task_completion_rate=figures["task_completion_rate"],
        escalation_frequency=figures["escalation_frequency"],
        error_rate=figures["error_rate"],
        baseline_error_rate=values["baseline_error_rate"],
        cost_per_resolved_case=figures["cost_per_resolved_case"],
        baseline_cost_per_case=values["baseline_cost_per_case"],
        avg_cycle_time_s=values["avg_cycle_time_s"],
        baseline_cycle_time_s=values["baseline_cycle_time_s"],
        breaches=tuple(breaches),
    )


def _period(point: MetricPoint) -> str:
    if point.period_start and point.period_start != point.period_end:
        return f"{point.period_start:%d %b %Y} to {point.period_end:%d %b %Y}"
    return f"{point.period_end:%d %b %Y}"


def _time_axis(points: Sequence[MetricPoint], left: float, width: float) -> Callable:
    first, last = points[0].period_end, points[-1].period_end
    days = (last - first).days

    def x_of(day: date) -> float:
        if days == 0:
            return _r(left + width / 2)
        return _r(left + width * (day - first).days / days)

    return x_of


def _x_labels(points: Sequence[MetricPoint], x_of: Callable, *, min_gap: float) -> list[dict]:
    """Dates under the axis, latest first kept, none closer than `min_gap` to the next."""
    labels: list[dict] = []
    for point in reversed(points):
        x = x_of(point.period_end)
        if labels and labels[-1]["x"] - x < min_gap:
            continue
        labels.append(
            {"x": x, "day": f"{point.period_end:%d %b}", "year": f"{point.period_end:%Y}"}
        )
    return list(reversed(labels))


def _series(
    points: Sequence[MetricPoint],
    *,
    value: Callable[[MetricPoint], float | None],
    x_of: Callable,
    y_of: Callable,
    title: Callable[[MetricPoint, float], str],
    key: str = "",
) -> tuple[list[dict], list[str]]:
    """Points of one line (None skipped) and its polylines, broken where a value is None. A
    point is `breached` when the snapshot crossed the alert threshold of this figure (`key`)."""
    drawn: list[dict] = []
    segments: list[str] = []
    run: list[str] = []
    for point in points:
        v = value(point)
        if v is None:
            if len(run) > 1:
                segments.append(" ".join(run))
            run = []
            continue
        x, y = x_of(point.period_end), y_of(v)
        drawn.append(
            {
                "x": x,
                "y": y,
                "value": v,
                "title": title(point, v),
                "breached": bool(key) and key in point.breaches,
            }
        )
        run.append(f"{x},{y}")
    if len(run) > 1:
        segments.append(" ".join(run))
    return drawn, segments


def _marker(shape: str, x: float, y: float, size: float = 4.0) -> dict:
    """A marker's geometry: a circle, a square or a diamond centred on (x, y)."""
    if shape == "square":
        s = size * 0.9
        return {"shape": "square", "x": _r(x - s), "y": _r(y - s), "size": _r(2 * s)}
    if shape == "diamond":
        s = size * 1.25
        return {
            "shape": "diamond",
            "points": f"{_r(x)},{_r(y - s)} {_r(x + s)},{_r(y)} {_r(x)},{_r(y + s)} "
            f"{_r(x - s)},{_r(y)}",
        }
    return {"shape": "circle", "cx": x, "cy": y, "r": size}


def _legend(items: Sequence[dict], *, left: float, top: float, width: float) -> list[dict]:
    """Lay legend items out in rows, wrapping when the estimated text width runs out."""
    placed = []
    x, y = left, top
    for item in items:
        item_width = 30 + FONT_WIDTH * len(item["name"]) + 18
        if x > left and x + item_width > left + width:
            x, y = left, y + 20
        placed.append(
            {
                **item,
                "x1": _r(x),
                "x2": _r(x + 24),
                "mx": _r(x + 12),
                "y": _r(y),
                "text_x": _r(x + 30),
                "text_y": _r(y + 4),
            }
        )
        x += item_width
    return placed


def _sorted(points: Iterable[MetricPoint]) -> list[MetricPoint]:
    return sorted(points, key=lambda p: (p.period_end, p.period_start or p.period_end))


# --------------------------------------------------------------------------- rates chart

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
    points = _sorted(points)
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
    x_of = _time_axis(points, left, plot_width)

    def y_of(fraction: float) -> float:
        return _r(bottom - plot_height * min(max(fraction, 0.0), 1.0))

    series = []
    for key, name, colour, shape in RATE_SERIES:

        def title(point, v, name=name, key=key):
            text = f"{name}, {_period(point)}: {percent(v)}"
            if key in point.breaches:
                text += " (alert threshold crossed)"
            return text

        drawn, segments = _series(
            points,
            value=lambda p, key=key: getattr(p, key),
            x_of=x_of,
            y_of=y_of,
            title=title,
            key=key,
        )
        for pt in drawn:
            pt["marker"] = _marker(shape, pt["x"], pt["y"])
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
    lines = _threshold_lines(thresholds)
    if thresholds.advance_error_mode != "fixed" or thresholds.advance_error_max is None:
        drawn, segments = _series(
            points,
            value=lambda p: p.baseline_error_rate,
            x_of=x_of,
            y_of=y_of,
            title=lambda p, v: f"People's error rate (baseline), {_period(p)}: {percent(v)}",
        )
        if len(drawn) == 1:  # a single snapshot: draw its baseline across the plot
            segments = [f"{left},{drawn[0]['y']} {right},{drawn[0]['y']}"]
        series.append(
            {
                "key": "baseline_error_rate",
                "name": "People's error rate (advance: error ≤ it)",
                "colour": ERROR,
                "dash": ADVANCE_DASH,
                "shape": "",
                "points": drawn,
                "segments": segments,
                "thin": True,
            }
        )
        latest = points[-1].baseline_error_rate
        lines.append(
            {
                "kind": "advance",
                "figure": "error",
                "value": latest,
                "colour": ERROR,
                "text_colour": TEXT_COLOURS[ERROR],
                "dash": "",
                "label": "advance: error ≤ people",
                "label_only": True,
            }
        )
    for line in lines:
        line["y"] = y_of(line["value"])
        line["x1"], line["x2"] = left, right
    ys = [line["y"] for line in lines]
    for line, label_y in zip(
        lines, spread(ys, gap=LABEL_GAP, low=top - 4, high=bottom + 4), strict=True
    ):
        line["label_x"] = right + 8
        line["label_y"] = _r(label_y + 4)

    x_label_y = bottom + 18
    legend = _legend(
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
            item["marker"] = _marker(item["shape"], item["mx"], item["y"])
    latest = points[-1]
    return {
        **base,
        "empty": False,
        "height": _r(legend[-1]["y"] + 14),
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
        "x_labels": _x_labels(points, x_of, min_gap=62),
        "x_label_y": x_label_y,
        "legend": legend,
        "colours": {"ink": INK, "muted": MUTED, "grid": GRID, "alert": ALERT},
    }


# --------------------------------------------------------------------------- baseline chart


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
) -> dict:
    """One small panel: the agent's line against the baseline's, from 0 to a round maximum."""
    values = [v for p in points for v in (agent_value(p), baseline_value(p)) if v is not None]
    divisor, unit_name = unit or (1.0, "")
    ticks = nice_ticks(max(values, default=0) / divisor)
    scale_max = ticks[-1] * divisor
    bottom = top + height
    right = left + width
    x_of = _time_axis(points, left, width)

    def y_of(value: float) -> float:
        return _r(bottom - height * value / scale_max)

    agent_points, agent_segments = _series(
        points,
        value=agent_value,
        x_of=x_of,
        y_of=y_of,
        title=lambda p, v: f"{title}, this agent, {_period(p)}: {show(v)}",
    )
    for pt in agent_points:
        pt["marker"] = _marker("circle", pt["x"], pt["y"], 3.5)
    base_points, base_segments = _series(
        points,
        value=baseline_value,
        x_of=x_of,
        y_of=y_of,
        title=lambda p, v: f"{title}, people today, {_period(p)}: {show(v)}",
    )
    if len(points) == 1:  # a single snapshot: the baseline as a level across the panel
        base_segments = [f"{left},{base_points[0]['y']} {right},{base_points[0]['y']}"]
    skipped = sum(1 for p in points if agent_value(p) is None)
    return {
        "title": title + (f" ({unit_name})" if unit_name else ""),
        "left": left,
        "right": _r(right),
        "top": top,
        "bottom": _r(bottom),
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
        "x_labels": _x_labels(points, x_of, min_gap=62),
        "x_label_y": _r(bottom + 18),
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
    points = _sorted(points)
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
        ),
        _panel(
            points,
            title="Average cycle time",
            agent_value=lambda p: p.avg_cycle_time_s,
            baseline_value=lambda p: p.baseline_cycle_time_s,
            show=duration,
            unit=_duration_unit(cycle_max),
            left=_r(margin_left + panel_width + margin_right + gap + margin_left),
            top=top,
            width=panel_width,
            height=height,
            missing="",
        ),
    ]
    legend_top = top + height + 18 + 36
    legend = _legend(
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
            item["marker"] = _marker(item["shape"], item["mx"], item["y"], 3.5)
    notes_y = legend[-1]["y"] + 22
    notes = [
        {"text": panel["note"], "x": margin_left, "y": _r(notes_y + 16 * n)}
        for n, panel in enumerate(p for p in panels if p["note"])
    ]
    height_total = (notes[-1]["y"] + 8) if notes else legend[-1]["y"] + 14
    latest = points[-1]
    return {
        **base,
        "empty": False,
        "height": _r(height_total),
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

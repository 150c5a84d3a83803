"""The building blocks of the outcome charts, as pure functions: colours, number formats, axes,
ticks, label spreading, series, markers and legends. No Django here (outcomes/charts.py
composes these into the two charts)."""

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
LABEL_CLEARANCE = 4  # threshold labels end this far above the axis, clear of its dates


def px(value: float) -> float:
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
        result[index] = px(placed[rank])
    return result


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
    """A chart point from a snapshot's values (the docs/rules.md §3 fields) and the names of the
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


def period_text(point: MetricPoint) -> str:
    if point.period_start and point.period_start != point.period_end:
        return f"{point.period_start:%d %b %Y} to {point.period_end:%d %b %Y}"
    return f"{point.period_end:%d %b %Y}"


def make_time_axis(points: Sequence[MetricPoint], left: float, width: float) -> Callable:
    first, last = points[0].period_end, points[-1].period_end
    days = (last - first).days

    def x_of(day: date) -> float:
        if days == 0:
            return px(left + width / 2)
        return px(left + width * (day - first).days / days)

    return x_of


def text_width(text: str) -> float:
    """An estimate of a label's width at font-size 11, for layout."""
    return FONT_WIDTH * len(text)


def make_x_labels(
    points: Sequence[MetricPoint],
    x_of: Callable,
    *,
    min_gap: float,
    low: float | None = None,
    high: float | None = None,
) -> list[dict]:
    """Dates under the axis, latest first kept, none closer than `min_gap` to the next. A
    label centred so near the edge of the drawing (`low`, `high`) that it would be clipped
    is moved inwards just enough to show whole."""
    labels: list[dict] = []
    placed: list[float] = []
    for point in reversed(points):
        x = x_of(point.period_end)
        if placed and placed[-1] - x < min_gap:
            continue
        placed.append(x)
        day, year = f"{point.period_end:%d %b}", f"{point.period_end:%Y}"
        half = max(text_width(day), text_width(year)) / 2 + 1
        if high is not None:
            x = min(x, high - half)
        if low is not None:
            x = max(x, low + half)
        labels.append({"x": px(x), "day": day, "year": year})
    return list(reversed(labels))


def make_series(
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


def make_marker(shape: str, x: float, y: float, size: float = 4.0) -> dict:
    """A marker's geometry: a circle, a square or a diamond centred on (x, y)."""
    if shape == "square":
        s = size * 0.9
        return {"shape": "square", "x": px(x - s), "y": px(y - s), "size": px(2 * s)}
    if shape == "diamond":
        s = size * 1.25
        return {
            "shape": "diamond",
            "points": f"{px(x)},{px(y - s)} {px(x + s)},{px(y)} {px(x)},{px(y + s)} "
            f"{px(x - s)},{px(y)}",
        }
    return {"shape": "circle", "cx": x, "cy": y, "r": size}


def make_legend(items: Sequence[dict], *, left: float, top: float, width: float) -> list[dict]:
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
                "x1": px(x),
                "x2": px(x + 24),
                "mx": px(x + 12),
                "y": px(y),
                "text_x": px(x + 30),
                "text_y": px(y + 4),
            }
        )
        x += item_width
    return placed


def sorted_points(points: Iterable[MetricPoint]) -> list[MetricPoint]:
    return sorted(points, key=lambda p: (p.period_end, p.period_start or p.period_end))

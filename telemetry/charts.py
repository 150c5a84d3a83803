"""The geometry of the telemetry panel's chart (calls per hour, model calls and tool calls
stacked), as a pure function: the template draws it as a server-rendered SVG, with no
JavaScript and nothing from a CDN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

WIDTH = 640
HEIGHT = 170
LEFT = 40
RIGHT = 8
TOP = 10
BOTTOM = 24


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above the value (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def calls_chart(hours: Sequence[Mapping], *, since: datetime, until: datetime) -> dict:
    """Bars per hour between `since` and `until` (`hours`: the API's hourly rows)."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    start = since.replace(minute=0, second=0, microsecond=0)
    slots = max(1, int((until - start).total_seconds() // 3600) + 1)
    slot_w = plot_w / slots
    top = _nice_max(max((h["model_calls"] + h["tool_calls"] for h in hours), default=0))
    bars = []
    for row in hours:
        index = int((row["hour"] - start).total_seconds() // 3600)
        if not 0 <= index < slots:
            continue
        x = LEFT + index * slot_w
        model_h = plot_h * row["model_calls"] / top
        tool_h = plot_h * row["tool_calls"] / top
        base = TOP + plot_h
        bars.append(
            {
                "x": round(x + slot_w * 0.1, 2),
                "w": round(max(slot_w * 0.8, 1.0), 2),
                "model_y": round(base - model_h, 2),
                "model_h": round(model_h, 2),
                "tool_y": round(base - model_h - tool_h, 2),
                "tool_h": round(tool_h, 2),
                "failed": row["failed_tool_calls"],
                "title": f"{row['hour']:%d %b %H}:00 UTC: {row['model_calls']} model call(s), "
                f"{row['tool_calls']} tool call(s), {row['failed_tool_calls']} failed",
            }
        )
    ticks = [
        {"y": round(TOP + plot_h - plot_h * f, 2), "label": f"{top * f:g}"} for f in (0, 0.5, 1)
    ]
    days = []
    day = start.replace(hour=0) + timedelta(days=1)
    while day < until:
        offset = (day - start).total_seconds() / 3600
        days.append({"x": round(LEFT + offset * slot_w, 2), "label": f"{day:%d %b}"})
        day += timedelta(days=1)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "base": TOP + plot_h,
        "label_y": HEIGHT - 6,
        "bars": bars,
        "ticks": ticks,
        "days": days,
    }

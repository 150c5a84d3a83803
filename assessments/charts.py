"""Chart geometry as pure functions: plain values in, plain dicts of coordinates out.

No Django here. The SVG templates (`templates/assessments/partials/*.svg.html`) only place
what these functions computed, so the page and the board report draw the same picture
without JavaScript. Thresholds come from `scoring` (3 per dimension, 14 in total).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .scoring import (
    DIMENSION_MINIMUM,
    MAX_SCORE,
    TOTAL_MINIMUM,
    FrameworkShape,
    dimension_score,
)

# Colours as attributes (not CSS classes) so WeasyPrint draws them the same way.
INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
OK = "#198754"
BELOW = "#dc3545"
SHORT = "#fd7e14"
# Okabe-Ito colours, distinguishable with colour-blindness; each line also has its own dash.
DIMENSION_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
DIMENSION_DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")

VERDICT_LABELS = {"ready": "Ready", "not_ready": "Not ready", "blocked": "Blocked"}


def _r(value: float) -> float:
    """Round a coordinate to one decimal so the SVG stays small and the tests exact."""
    return round(value, 1)


def wrap_label(text: str, width: int = 18, max_lines: int = 2) -> list[str]:
    """Split a label into at most `max_lines` lines of about `width` characters (greedy by
    word); whatever does not fit ends the last line with an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        kept = lines[: max_lines - 1]
        rest = " ".join(lines[max_lines - 1 :])
        kept.append(rest[: width - 1].rstrip() + "…")
        lines = kept
    return [line if len(line) <= width + 6 else line[: width + 5] + "…" for line in lines]


# --------------------------------------------------------------------------- dimensions


@dataclass(frozen=True)
class DimensionProgress:
    """One dimension of a (possibly incomplete) set of scores."""

    key: str
    name: str
    scored: int  # criteria scored so far
    of: int  # criteria in the dimension
    score: int | None  # the floor-mean once every criterion is scored

    @property
    def complete(self) -> bool:
        return self.score is not None

    @property
    def below_minimum(self) -> bool:
        return self.score is not None and self.score < DIMENSION_MINIMUM


def dimension_progress(shape: FrameworkShape, scores: Mapping[str, int]) -> list[DimensionProgress]:
    """Per dimension, how many criteria are scored and the score once all are."""
    progress = []
    for dim in shape.dimensions:
        values = [scores[key] for key in dim.criteria if key in scores]
        complete = len(values) == len(dim.criteria)
        progress.append(
            DimensionProgress(
                key=dim.key,
                name=dim.name,
                scored=len(values),
                of=len(dim.criteria),
                score=dimension_score(values) if complete else None,
            )
        )
    return progress


def dimension_chart(
    dimensions: Sequence[tuple[str, int | None]],
    total: int | None,
    *,
    max_total: int | None = None,
    chart_id: str = "dimension-chart",
    width: int = 640,
) -> dict:
    """Bars of each dimension's score (0-5) with a dashed line at the minimum of 3 and bars
    below it in red; under them a 0-20 gauge of the total with a marker at 14.

    `dimensions` is (name, score or None when not yet scored) in framework order; `total` is
    None until the assessment is complete.
    """
    count = max(len(dimensions), 1)
    max_total = max_total if max_total is not None else MAX_SCORE * count
    left, right, top, plot_height = 36, 74, 28, 180
    plot_width = width - left - right
    bottom = top + plot_height

    def y_of(score: float) -> float:
        return _r(bottom - plot_height * score / MAX_SCORE)

    slot = plot_width / count
    bar_width = min(_r(slot * 0.55), 96)
    bars: list[dict[str, Any]] = []
    for index, (name, score) in enumerate(dimensions):
        centre = left + slot * (index + 0.5)
        lines = wrap_label(name, width=max(10, int(slot / 7)))
        name_lines = [{"text": line, "y": _r(bottom + 18 + 14 * n)} for n, line in enumerate(lines)]
        if score is None:
            bar = {
                "x": _r(centre - bar_width / 2),
                "y": top,
                "width": bar_width,
                "height": plot_height,
                "fill": "none",
                "stroke": "#adb5bd",
                "scored": False,
                "below_minimum": False,
                "value_label": "not scored yet",
                "value_y": _r(bottom - plot_height / 2),
                "title": f"{name}: not scored yet",
            }
        else:
            below = score < DIMENSION_MINIMUM
            bar = {
                "x": _r(centre - bar_width / 2),
                "y": y_of(score),
                "width": bar_width,
                "height": _r(bottom - y_of(score)),
                "fill": BELOW if below else OK,
                "stroke": "none",
                "scored": True,
                "below_minimum": below,
                "value_label": f"{score} / {MAX_SCORE}",
                "value_y": _r(y_of(score) - 6),
                "title": f"{name}: {score} of {MAX_SCORE}"
                + (f", below the minimum of {DIMENSION_MINIMUM}" if below else ""),
            }
        bar.update({"centre": _r(centre), "name": name, "name_lines": name_lines, "score": score})
        bars.append(bar)

    label_room = 18 + 14 * max((len(b["name_lines"]) for b in bars), default=1)
    gauge_top = bottom + label_room + 34
    gauge_height = 22
    gauge = _gauge(total, max_total, left, plot_width, gauge_top, gauge_height)
    height = gauge_top + gauge_height + 34

    described = [
        f"{b['name']} {b['score']} of {MAX_SCORE}"
        if b["score"] is not None
        else f"{b['name']} not scored yet"
        for b in bars
    ]
    total_text = (
        f"total {total} of {max_total}" if total is not None else "total not known until complete"
    )
    return {
        "id": chart_id,
        "width": width,
        "height": height,
        "title": "Score per dimension and total",
        "description": (
            "; ".join([*described, total_text])
            + f". Every dimension needs at least {DIMENSION_MINIMUM}; "
            f"ready needs a total of at least {TOTAL_MINIMUM}."
        ),
        "plot": {"left": left, "right": left + plot_width, "top": top, "bottom": bottom},
        "ticks": [{"y": y_of(v), "label": str(v)} for v in range(MAX_SCORE + 1)],
        "threshold": {
            "y": y_of(DIMENSION_MINIMUM),
            "x1": left,
            "x2": left + plot_width,
            "label": f"minimum {DIMENSION_MINIMUM}",
            "label_x": left + plot_width + 6,
            "label_y": _r(y_of(DIMENSION_MINIMUM) + 4),
            "colour": BELOW,
        },
        "bars": bars,
        "gauge": gauge,
        "colours": {"ink": INK, "muted": MUTED, "grid": GRID},
    }


def _gauge(total: int | None, max_total: int, left: int, width: int, top: int, height: int):
    def x_of(value: float) -> float:
        return _r(left + width * value / max_total)

    marker_x = x_of(TOTAL_MINIMUM)
    fill_width = 0.0 if total is None else _r(width * min(total, max_total) / max_total)
    return {
        "x": left,
        "y": top,
        "width": width,
        "height": height,
        "fill_width": fill_width,
        "fill": OK if total is not None and total >= TOTAL_MINIMUM else SHORT,
        "total": total,
        "value_label": (
            f"Total {total} / {max_total}" if total is not None else "Total: not known yet"
        ),
        "value_label_y": _r(top - 8),
        "marker_x": marker_x,
        "marker_y1": top - 6,
        "marker_y2": top + height + 6,
        "marker_label": f"ready at {TOTAL_MINIMUM}",
        "marker_label_y": _r(top - 8),
        "scale": [
            {"x": x_of(0), "label": "0", "anchor": "start"},
            {"x": x_of(max_total), "label": str(max_total), "anchor": "end"},
        ],
        "scale_y": _r(top + height + 16),
    }


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class TrendPoint:
    """One submitted assessment: when, what it was called, its total, verdict and scores."""

    title: str
    submitted: date
    total: int
    verdict: str
    dimension_scores: Mapping[str, int] = field(default_factory=dict)


def trend_chart(
    points: Sequence[TrendPoint],
    dimensions: Sequence[tuple[str, str]],
    *,
    max_total: int | None = None,
    chart_id: str = "trend-chart",
    width: int = 640,
) -> dict:
    """Totals of submitted assessments over time (upper panel, 0-20 with the line at 14) and
    one line per dimension (lower panel, 0-5 with the line at 3), oldest on the left,
    evenly spaced, and a legend. Fewer than two points gives `empty` and a message.

    `dimensions` is (key, name) in framework order.
    """
    max_total = max_total if max_total is not None else MAX_SCORE * max(len(dimensions), 1)
    base = {
        "id": chart_id,
        "width": width,
        "title": "Readiness over time",
        "count": len(points),
    }
    if len(points) < 2:
        return {
            **base,
            "empty": True,
            "height": 0,
            "message": (
                "The trend appears once two assessments are submitted."
                if points
                else "No assessment has been submitted yet: the trend starts with the second."
            ),
            "description": "Not enough submitted assessments for a trend.",
        }

    left, right = 44, 80
    plot_width = width - left - right
    total_top, total_height = 30, 140
    dim_top, dim_height = total_top + total_height + 42, 110
    dim_bottom = dim_top + dim_height
    step = plot_width / (len(points) - 1)
    xs = [_r(left + step * i) for i in range(len(points))]

    def total_y(value: float) -> float:
        return _r(total_top + total_height - total_height * value / max_total)

    def dim_y(value: float) -> float:
        return _r(dim_top + dim_height - dim_height * value / MAX_SCORE)

    total_points = [
        {
            "x": x,
            "y": total_y(p.total),
            "value": p.total,
            "fill": OK if p.verdict == "ready" else (BELOW if p.verdict == "blocked" else SHORT),
            "title": f"{p.title} ({p.submitted:%d %b %Y}): total {p.total}/{max_total}, "
            f"{VERDICT_LABELS.get(p.verdict, p.verdict)}",
        }
        for x, p in zip(xs, points, strict=True)
    ]
    lines = []
    for index, (key, name) in enumerate(dimensions):
        coloured = [
            {
                "x": x,
                "y": dim_y(p.dimension_scores[key]),
                "title": f"{name}, {p.title} ({p.submitted:%d %b %Y}): "
                f"{p.dimension_scores[key]}/{MAX_SCORE}",
            }
            for x, p in zip(xs, points, strict=True)
            if key in p.dimension_scores
        ]
        lines.append(
            {
                "key": key,
                "name": name,
                "colour": DIMENSION_COLOURS[index % len(DIMENSION_COLOURS)],
                "dash": DIMENSION_DASHES[index % len(DIMENSION_DASHES)],
                "points": coloured,
                "polyline": " ".join(f"{pt['x']},{pt['y']}" for pt in coloured),
            }
        )

    every = 1 if len(points) <= 8 else 2
    labels: list[dict[str, Any]] = [
        {"x": x, "day": f"{p.submitted:%d %b}", "year": f"{p.submitted:%Y}"}
        for i, (x, p) in enumerate(zip(xs, points, strict=True))
        if i % every == 0 or i == len(points) - 1
    ]
    if len(labels) >= 2 and every > 1 and labels[-1]["x"] - labels[-2]["x"] < step * 1.5:
        labels.pop(-2)  # keep the latest date; drop its crowded neighbour
    label_y = dim_bottom + 16

    legend_top = label_y + 30
    legend = _legend(
        [("Total", INK, "")] + [(ln["name"], ln["colour"], ln["dash"]) for ln in lines],
        left=left,
        top=legend_top,
        width=width - left - 16,
    )
    height = legend[-1]["y"] + 14 if legend else legend_top

    first, last = points[0], points[-1]
    return {
        **base,
        "empty": False,
        "height": _r(height),
        "description": (
            f"{len(points)} submitted assessments from {first.submitted:%d %b %Y} to "
            f"{last.submitted:%d %b %Y}; total went from {first.total} to {last.total} of "
            f"{max_total} (ready needs {TOTAL_MINIMUM}). "
            + "; ".join(
                f"{name} {first.dimension_scores.get(key, '?')} to "
                f"{last.dimension_scores.get(key, '?')}"
                for key, name in dimensions
            )
            + f" (each dimension needs {DIMENSION_MINIMUM})."
        ),
        "plot": {"left": left, "right": left + plot_width, "label_x": left + plot_width + 6},
        "total_panel": {
            "top": total_top,
            "bottom": total_top + total_height,
            "label": f"Total (0-{max_total})",
            "ticks": [{"y": total_y(v), "label": str(v)} for v in range(0, max_total + 1, 5)],
            "threshold_y": total_y(TOTAL_MINIMUM),
            "threshold_label": f"ready at {TOTAL_MINIMUM}",
            "polyline": " ".join(f"{p['x']},{p['y']}" for p in total_points),
            "points": total_points,
        },
        "dimension_panel": {
            "top": dim_top,
            "bottom": dim_bottom,
            "label": f"Dimensions (0-{MAX_SCORE})",
            "ticks": [{"y": dim_y(v), "label": str(v)} for v in range(MAX_SCORE + 1)],
            "threshold_y": dim_y(DIMENSION_MINIMUM),
            "threshold_label": f"minimum {DIMENSION_MINIMUM}",
            "lines": lines,
        },
        "x_labels": labels,
        "x_label_y": label_y,
        "legend": legend,
        "colours": {
            "ink": INK,
            "muted": MUTED,
            "grid": GRID,
            "ok": OK,
            "below": BELOW,
        },
    }


def _legend(items, *, left: int, top: int, width: int) -> list[dict]:
    """Lay legend items out in rows, wrapping when the estimated text width runs out."""
    placed = []
    x: float = left
    y = top
    for name, colour, dash in items:
        item_width = 30 + 6.4 * len(name) + 18
        if x > left and x + item_width > left + width:
            x, y = left, y + 20
        placed.append(
            {
                "name": name,
                "colour": colour,
                "dash": dash,
                "x1": _r(x),
                "x2": _r(x + 22),
                "y": _r(y),
                "text_x": _r(x + 28),
                "text_y": _r(y + 4),
            }
        )
        x += item_width
    return placed

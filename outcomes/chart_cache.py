"""The outcome charts' SVG, drawn once for each state of what they show.

Drawing the two charts of an agent with three years of snapshots (the geometry, then the SVG
partials, one include per point) was most of the outcomes page's time, and it gave the same
picture on every request. The cache key holds everything the picture depends on: the set of
the agent's snapshots (outcomes.selectors.snapshot_version: snapshots are only ever added),
the thresholds (their values) and the currency. A new snapshot or a change of
thresholds is therefore a new key; nothing needs deleting and nothing can be stale after a
write (tests/outcomes/test_chart_cache.py).
"""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string

from . import charts, metrics
from .selectors import snapshot_series, snapshot_version

CACHE_FORMAT = 1  # raise when the partials or the geometry change what they draw
CACHE_SECONDS = 24 * 3600


def chart_key(*, agent, thresholds: metrics.Thresholds, currency: str) -> str:
    """The cache key of the agent's charts (one query: the snapshots' version)."""
    state = repr((snapshot_version(agent=agent), thresholds, currency))
    digest = hashlib.sha256(state.encode()).hexdigest()[:32]
    return f"outcomes:charts:{CACHE_FORMAT}:{agent.pk}:{digest}"


def chart_svgs(*, agent, thresholds: metrics.Thresholds, currency: str) -> dict[str, str]:
    """{"rates": svg, "baseline": svg}: from the cache, or drawn and kept."""
    key = chart_key(agent=agent, thresholds=thresholds, currency=currency)
    svgs = cache.get(key)
    if svgs is None:
        points = snapshot_series(agent=agent)
        svgs = {
            "rates": render_to_string(
                "outcomes/partials/rates_chart.svg.html",
                {"chart": charts.rates_chart(points, thresholds)},
            ),
            "baseline": render_to_string(
                "outcomes/partials/baseline_chart.svg.html",
                {"chart": charts.baseline_chart(points, currency=currency)},
            ),
        }
        cache.set(key, svgs, CACHE_SECONDS)
    return svgs

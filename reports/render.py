"""Render a report snapshot to PDF with WeasyPrint, fetching nothing but data: URLs and our
own static files (no file://, no network)."""

from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from assessments import charts
from outcomes import charts as outcomes_charts
from outcomes import metrics

from . import rules

STATIC_SCHEME = "static:"
PRINT_CSS = "reports/print.css"


class SafeURLFetcher(URLFetcher):
    """Allows `data:` URLs and `static:<path>` (our own static files); refuses everything
    else, `file://` and every network scheme included."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, fail_on_errors=False)

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_SCHEME):
            return URLFetcherResponse(url, body=static_bytes(url[len(STATIC_SCHEME) :]))
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"Refused to fetch {url!r}: reports may only use data: and static files.")


def static_bytes(path: str) -> bytes:
    path = path.lstrip("/")
    if not path or ".." in Path(path).parts:
        raise ValueError(f"Refused static path {path!r}.")
    found = finders.find(path)
    if not found:
        raise ValueError(f"No static file {path!r}.")
    return Path(found).read_bytes()


def _date(value: str | None):
    return datetime.fromisoformat(value) if value else None


def chart_context(snapshot: dict) -> dict:
    readiness = snapshot.get("readiness")
    context = {}
    if readiness:
        dims = [(d["name"], d["score"]) for d in readiness["dimensions"]]
        context["dimension_chart"] = charts.dimension_chart(
            dims, readiness["total"], chart_id="report-dimensions"
        )
        dimension_keys = [(d["key"], d["name"]) for d in readiness["dimensions"]]
        points = [
            charts.TrendPoint(
                title=t["title"],
                submitted=date.fromisoformat(t["submitted_at"][:10]),
                total=t["total"],
                verdict=t["verdict"],
                dimension_scores=t["dimension_scores"],
            )
            for t in snapshot.get("trend", [])
        ]
        context["trend_chart"] = charts.trend_chart(points, dimension_keys, chart_id="report-trend")
    return context


def outcome_charts(snapshot: dict) -> list[dict]:
    """Per agent with outcomes: the rates chart (with its thresholds) and the cost and cycle
    time against the human baseline, from the frozen series."""
    charts_per_agent = []
    for index, outcome in enumerate(snapshot.get("outcomes", [])):
        points = [
            outcomes_charts.metric_point(
                {
                    **values,
                    "period_start": date.fromisoformat(values["period_start"]),
                    "period_end": date.fromisoformat(values["period_end"]),
                },
                values.get("breaches", []),
            )
            for values in outcome.get("series", [])
        ]
        thresholds = metrics.Thresholds(**outcome.get("thresholds", {}))
        charts_per_agent.append(
            {
                "agent": outcome["agent"],
                "rates": outcomes_charts.rates_chart(
                    points, thresholds, chart_id=f"report-rates-{index}", width=680
                ),
                "baseline": outcomes_charts.baseline_chart(
                    points,
                    chart_id=f"report-baseline-{index}",
                    width=680,
                    currency=snapshot.get("currency") or "",
                ),
            }
        )
    return charts_per_agent


INCIDENTS = ("suspension_manual", "suspension_automatic", "resume", "no_go")


def upgraded(snapshot: dict) -> dict:
    """A snapshot of an older version with what this renderer reads, derived from what it
    froze (version 1 kept the figures and the series, not the baseline apart, the risks, the
    currency or the audit head). The stored snapshot is never changed."""
    if snapshot.get("version", 1) >= 2:
        return snapshot
    out = {**snapshot, "currency": snapshot.get("currency") or "USD"}
    outcomes = []
    for outcome in snapshot.get("outcomes", []):
        latest = (outcome.get("series") or [{}])[-1]
        o = {
            **outcome,
            "avg_cycle_time_s": latest.get("avg_cycle_time_s"),
            "baseline": {
                "error_rate": latest.get("baseline_error_rate"),
                "cost_per_case": latest.get("baseline_cost_per_case"),
                "cycle_time_s": latest.get("baseline_cycle_time_s"),
            },
        }
        o["risks"] = rules.outcome_risks(
            figures=o.get("figures", {}),
            baseline=o["baseline"],
            avg_cycle_time_s=o["avg_cycle_time_s"],
            thresholds=o.get("thresholds", {}),
        )
        outcomes.append(o)
    out["outcomes"] = outcomes
    return out


def report_html(snapshot: dict) -> str:
    snapshot = upgraded(snapshot)
    anomalies = snapshot.get("anomalies", [])
    context = {
        "s": snapshot,
        "requested_at": _date(snapshot["requested_at"]),
        "outcome_charts": outcome_charts(snapshot),
        "incidents": [e for e in anomalies if e["kind"] in INCIDENTS],
        "drills": sum(1 for e in anomalies if e["kind"] == "suspension_drill"),
        "risk_agents": sum(1 for o in snapshot.get("outcomes", []) if o.get("risks")),
        **chart_context(snapshot),
    }
    return render_to_string("reports/pdf/report.html", context)


def render_pdf(snapshot: dict, progress: Callable[[int, str], None] = lambda p, s: None):
    """Return (pdf bytes, page count); `progress(percent, stage)` is told as it goes."""
    progress(20, "Laying out the report")
    html = HTML(string=report_html(snapshot), url_fetcher=SafeURLFetcher())
    stylesheet = CSS(string=static_bytes(PRINT_CSS).decode(), url_fetcher=SafeURLFetcher())
    document = html.render(stylesheets=[stylesheet])
    progress(70, "Writing the PDF")
    out = BytesIO()
    document.write_pdf(out)
    return out.getvalue(), len(document.pages)

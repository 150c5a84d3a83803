"""The report's pure rules: when a queued or running report is stale, and what its page says
when no worker answers. Plain values in, plain values out: nothing from Django here."""

from collections.abc import Mapping
from datetime import datetime, timedelta

UNFINISHED = ("queued", "running")


def report_waiting_since(
    *, status: str, requested_at: datetime, queued_at: datetime | None, started_at: datetime | None
) -> datetime | None:
    """Since when an unfinished report has waited for a worker to finish it: a running report
    since its attempt started, a queued one since it was (re)queued. None once it is done or
    failed. Rows queued before `queued_at` existed fall back to their request time."""
    if status not in UNFINISHED:
        return None
    queued = queued_at or requested_at
    if status == "running" and started_at is not None:
        return max(started_at, queued)
    return queued


def report_is_stale(
    *,
    status: str,
    requested_at: datetime,
    queued_at: datetime | None,
    started_at: datetime | None,
    now: datetime,
    limit: timedelta,
) -> bool:
    """Whether a report has been queued or running for longer than `limit` (at exactly the
    limit it is still within it). A done or failed report is never stale."""
    since = report_waiting_since(
        status=status, requested_at=requested_at, queued_at=queued_at, started_at=started_at
    )
    return since is not None and now - since > limit


def _minutes(limit: timedelta) -> str:
    """Whole minutes, rounded down (at least one): "for 5 minutes" stays true at 5:59."""
    minutes = max(1, int(limit.total_seconds() // 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def stale_failure_message(*, status: str, limit: timedelta) -> str:
    """The error a stale report is failed with: what happened, and that Retry is the way on."""
    within = _minutes(limit)
    if status == "running":
        return (
            f"No worker finished this report within {within} of starting it: the worker "
            "rendering it stopped or was killed. Press Retry."
        )
    return (
        f"No worker finished this report within {within}: no background worker took it "
        "(is one running? make run starts one). Press Retry."
    )


def worker_silence_warning(*, status: str, silence: timedelta | None) -> str | None:
    """What an unfinished report's page says when no worker has run anything for `silence`
    (None: a worker answers, so nothing to say)."""
    if silence is None or status not in UNFINISHED:
        return None
    minutes = _minutes(silence)
    if status == "running":
        return (
            f"No background worker has run anything for {minutes}: the worker rendering this "
            "report may have stopped. Once one is running again (make run starts one), the "
            "report finishes or is marked failed so that you can retry it."
        )
    return (
        f"No background worker has run anything for {minutes}: the report will start once "
        "one is running (make run starts one)."
    )


# --- the board's summary (docs/rules.md §5) ---------------------------------------------------

VERDICT_RANK = {"blocked": 0, "not_ready": 1, "ready": 2}


def verdict_change(
    *, before_verdict: str | None, before_total: int | None, verdict: str | None, total: int | None
) -> str | None:
    """Whether the readiness verdict is better, worse or the same as in the previous pack: the
    verdict decides (blocked < not ready < ready), then the total. None when either pack has
    no verdict to compare."""
    if before_verdict not in VERDICT_RANK or verdict not in VERDICT_RANK:
        return None
    rank, before_rank = VERDICT_RANK[verdict], VERDICT_RANK[before_verdict]
    if rank == before_rank:
        if before_total is None or total is None or total == before_total:
            return "same"
        return "better" if total > before_total else "worse"
    return "better" if rank > before_rank else "worse"


def _worse(value: float | None, limit: float | None, *, lower_is_better: bool) -> bool:
    if value is None or limit is None:
        return False
    return value > limit if lower_is_better else value < limit


def outcome_risks(
    *,
    figures: Mapping[str, float | None],
    baseline: Mapping[str, float | None],
    avg_cycle_time_s: float | None,
    thresholds: Mapping[str, object],
) -> list[dict]:
    """Every way an agent's latest figures are worse than people's or than its own thresholds,
    the error rate against people's first: [{"figure", "value", "limit", "against"}], with
    `against` one of "baseline", "alert", "advance"."""
    risks: list[dict] = []

    def add(figure: str, value, limit, against: str, *, lower_is_better: bool = True) -> None:
        if _worse(value, limit, lower_is_better=lower_is_better):
            risks.append({"figure": figure, "value": value, "limit": limit, "against": against})

    error = figures.get("error_rate")
    add("error_rate", error, baseline.get("error_rate"), "baseline")
    add("error_rate", error, _number(thresholds.get("alert_error_rate_max")), "alert")
    if thresholds.get("advance_error_mode") == "fixed":
        add("error_rate", error, _number(thresholds.get("advance_error_max")), "advance")
    completion = figures.get("task_completion_rate")
    escalation = figures.get("escalation_frequency")
    completion_alert = _number(thresholds.get("alert_completion_min"))
    escalation_alert = _number(thresholds.get("alert_escalation_max"))
    add("task_completion_rate", completion, completion_alert, "alert", lower_is_better=False)
    add("escalation_frequency", escalation, escalation_alert, "alert")
    if not _worse(completion, completion_alert, lower_is_better=False):
        add(
            "task_completion_rate",
            completion,
            _number(thresholds.get("advance_completion_min")),
            "advance",
            lower_is_better=False,
        )
    if not _worse(escalation, escalation_alert, lower_is_better=True):
        add(
            "escalation_frequency",
            escalation,
            _number(thresholds.get("advance_escalation_max")),
            "advance",
        )
    add(
        "cost_per_resolved_case",
        figures.get("cost_per_resolved_case"),
        baseline.get("cost_per_case"),
        "baseline",
    )
    add("avg_cycle_time_s", avg_cycle_time_s, baseline.get("cycle_time_s"), "baseline")
    return risks


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)

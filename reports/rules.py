"""The report's pure rules: when a queued or running report is stale, and what its page says
when no worker answers. Plain values in, plain values out: nothing from Django here."""

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

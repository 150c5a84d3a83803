"""Core's pure rules: whether the workers have gone quiet. Plain values in, plain values out:
nothing from Django here."""

from datetime import datetime, timedelta

# The heartbeat runs every interval, but a beat can wait in the queue behind the tasks ahead
# of it: with both children of a worker rendering reports (a render is stopped after 150 s),
# one interval plus a render's hard time limit. So a worker is called silent only after
# three intervals, and never before five minutes.
SILENT_AFTER_BEATS = 3
SILENT_AFTER_AT_LEAST = timedelta(minutes=5)


def silence_threshold(interval_seconds: float) -> timedelta:
    """How long without a heartbeat before the workers count as silent."""
    return max(timedelta(seconds=SILENT_AFTER_BEATS * interval_seconds), SILENT_AFTER_AT_LEAST)


def worker_silence(
    *,
    last_ran_at: datetime | None,
    now: datetime,
    interval_seconds: float,
    waiting_since: datetime | None = None,
) -> timedelta | None:
    """How long no worker has run anything, once that is past the threshold; None while the
    workers answer. With no heartbeat ever recorded, the silence is counted from
    `waiting_since` (when the caller started waiting), if given."""
    start = last_ran_at if last_ran_at is not None else waiting_since
    if start is None:
        return None
    silence = now - start
    return silence if silence > silence_threshold(interval_seconds) else None

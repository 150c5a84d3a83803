"""Core's pure rules: whether the workers have gone quiet, and the arithmetic of rate limits.
Plain values in, plain values out: nothing from Django here."""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Reason:
    """Why a rule refuses something: a stable code for the API (409 reasons), a sentence for
    people, and the figures it names. The one refusal shape of every room's rules."""

    code: str
    message: str
    extra: dict = field(default_factory=dict)


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


# Rate limits (core.ratelimit counts the hits): a fixed window of `window` seconds aligned on
# multiples of it, allowing `limit` hits in each.


class RateVerdict:
    """One hit counted in its window: allowed or not, how many are left, and `retry_after`,
    the whole seconds until the window (starting at `window_start`) ends, at least 1."""

    __slots__ = ("allowed", "remaining", "retry_after", "window_start")

    def __init__(self, *, allowed: bool, remaining: int, retry_after: int, window_start: int):
        self.allowed = allowed
        self.remaining = remaining
        self.retry_after = retry_after
        self.window_start = window_start

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"RateVerdict({fields})"


def parse_rate(text: str | None) -> tuple[int, int] | None:
    """ "10/60" -> (10, 60): that many hits per that many seconds. "", "0" or "off" (or a limit
    of 0) switch the limit off: None. Anything else is a ValueError."""
    text = (text or "").strip().lower()
    if text in ("", "0", "off", "none"):
        return None
    limit_text, sep, window_text = text.partition("/")
    try:
        limit, window = int(limit_text), int(window_text)
    except ValueError:
        limit = window = -1
    if not sep or limit < 0 or window <= 0:
        raise ValueError(f"A rate is 'hits/seconds' such as '10/60', or '0' for none: {text!r}.")
    return None if limit == 0 else (limit, window)


def rate_window_start(now: float, window: int) -> int:
    """The start (epoch seconds) of the fixed window that `now` falls in."""
    return int(now // window) * window


def rate_verdict(*, count: int, limit: int, window: int, now: float) -> RateVerdict:
    """The verdict on the `count`-th hit of the window holding `now`: hits 1 to `limit` pass."""
    start = rate_window_start(now, window)
    left = start + window - now
    retry_after = max(1, int(left) + (left > int(left)))  # rounded up
    return RateVerdict(
        allowed=count <= limit,
        remaining=max(0, limit - count),
        retry_after=retry_after,
        window_start=start,
    )


def non_negative_number_error(value: object) -> str | None:
    """The message for a value that is not a finite, non-negative number (None if it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "Must be a number."
    if isinstance(value, float) and not math.isfinite(value):
        return "Must be a finite number."
    if value < 0:
        return "Must not be negative."
    if value > 10**12:
        return "Must be at most 10^12."
    return None

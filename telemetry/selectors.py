"""Reads of telemetry, always of one agent (itself scoped to an organization by the caller),
in a fixed number of queries."""

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from agents.models import Agent, ToolPermission
from core.errors import InvalidInput

from .charts import calls_chart
from .folding import HOUR_COUNTS, tool_matches
from .models import TelemetryHour, TelemetryToolHour

DEFAULT_DAYS = 7
MAX_DAYS = 400


def _when(value: str | datetime | None, name: str, errors: dict[str, list[str]]) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            errors[name] = ["Use an ISO date-time, e.g. 2026-03-02T09:00:00Z."]
            return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def telemetry_window(
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    *,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The period asked for (ISO date-times; naive ones are UTC): by default the 7 days up to
    now. At most 400 days, and it must not end before it starts (400 otherwise)."""
    errors: dict[str, list[str]] = {}
    start, end = _when(since, "since", errors), _when(until, "until", errors)
    if errors:
        raise InvalidInput(errors)
    end = end or (now or timezone.now())
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InvalidInput({"since": ["since must not be after until."]})
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput({"since": [f"Ask for at most {MAX_DAYS} days at a time."]})
    return start, end


def agent_last_seen(*, agent: Agent) -> datetime | None:
    return (
        TelemetryHour.objects.filter(agent=agent)
        .order_by("-hour")
        .values_list("last_seen", flat=True)
        .first()
    )


def telemetry_summary(*, agent: Agent, since: datetime, until: datetime) -> dict[str, Any]:
    """The agent's hourly figures and tools in [since, until), in four queries."""
    hours: QuerySet[TelemetryHour] = TelemetryHour.objects.filter(
        agent=agent, hour__gte=since.replace(minute=0, second=0, microsecond=0), hour__lt=until
    ).order_by("hour")
    rows = list(hours)
    used = {
        row["tool"]: row
        for row in TelemetryToolHour.objects.filter(
            agent=agent,
            hour__gte=since.replace(minute=0, second=0, microsecond=0),
            hour__lt=until,
        )
        .values("tool")
        .annotate(calls=Sum("calls"), failed=Sum("failed"), last=Max("last_seen"))
        .order_by("tool")
    }
    permissions = {
        tool_matches(p.tool): p for p in ToolPermission.objects.filter(agent=agent).order_by("tool")
    }
    tools: list[dict[str, Any]] = []
    for tool, row in used.items():
        permission = permissions.get(tool_matches(tool))
        last = permission.last_used if permission else row["last"].date()
        tools.append(
            {
                "tool": tool,
                "calls": row["calls"],
                "failed": row["failed"],
                "permitted": permission is not None,
                "last_used": last,
            }
        )
    seen = {tool_matches(t) for t in used}
    for key, permission in permissions.items():
        if key not in seen:
            tools.append(
                {
                    "tool": permission.tool,
                    "calls": 0,
                    "failed": 0,
                    "permitted": True,
                    "last_used": permission.last_used,
                }
            )
    return {
        "since": since,
        "until": until,
        "hours": [
            {"hour": row.hour, **{name: getattr(row, name) for name in HOUR_COUNTS}} for row in rows
        ],
        "tools": tools,
        "max_tokens_per_conversation": max((r.max_conversation_tokens for r in rows), default=0),
        "max_tool_calls_per_run": max((r.max_run_tool_calls for r in rows), default=0),
        "last_seen": agent_last_seen(agent=agent),
    }


def last_seen_of(*, agents: Collection[Agent]) -> dict[int, datetime]:
    """Each agent's latest span end, in one query whatever the number of agents."""
    if not agents:
        return {}
    return dict(
        TelemetryHour.objects.filter(agent_id__in=[a.pk for a in agents])
        .values("agent_id")
        .annotate(last=Max("last_seen"))
        .values_list("agent_id", "last")
    )


def telemetry_panel(*, agent: Agent, now: datetime | None = None) -> dict[str, Any]:
    """The agent page's panel: the last 7 days' figures, totals and chart."""
    since, until = telemetry_window(now=now)
    summary = telemetry_summary(agent=agent, since=since, until=until)
    hours = summary["hours"]
    totals = {name: sum(h[name] for h in hours) for name in HOUR_COUNTS}
    return {
        **summary,
        "totals": totals,
        "chart": calls_chart(hours, since=since, until=until),
        "unpermitted": [t["tool"] for t in summary["tools"] if not t["permitted"]],
    }

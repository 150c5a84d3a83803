"""Writes of telemetry (docs/telemetry.md): folding one OTLP export into the agent's hourly
figures, its effects (tool permissions' last use, automatic suspension on a limit), and
pruning.

An export is observed, not decided by a member: it writes no audit entry of its own. A
suspension it causes goes through `killswitch.services.agent_suspend_automatic`, which writes
the suspension's entry, and the operators are emailed as for an outcome alert.

The whole export is folded in memory (telemetry/folding.py) and written with a fixed handful
of queries under the agent's row lock, so concurrent exports of one agent are serialised and
a span delivered twice is counted once.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from agents.models import Agent
from agents.services import tool_permission_observe_use
from gates.services import gates_recheck
from killswitch.services import agent_suspend_automatic, automatic_suspension_email
from outcomes.models import AgentThresholds

from . import folding
from .models import RunningCount, SeenSpan, TelemetryHour, TelemetryToolHour
from .otlp import Export

KEEP_SPAN_IDS = timedelta(hours=48)
_BATCH = 500
# An automatic suspension's reason lists at most this many breaches (details keep them all).
_REASON_BREACHES = 10


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    breaches: list[folding.Breach] = field(default_factory=list)
    suspended: bool = False


def _chunks(items: list[str], size: int = _BATCH) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _seen_keys(agent: Agent, keys: list[str]) -> set[str]:
    seen: set[str] = set()
    for chunk in _chunks(keys):
        seen.update(
            SeenSpan.objects.filter(agent=agent, key__in=chunk).values_list("key", flat=True)
        )
    return seen


def _remember_spans(agent: Agent, keys: list[str], now: datetime) -> None:
    """Store the span ids just counted. The one hot write of an export (a row per span), so
    it skips the ORM's per-object work: one executemany of an INSERT that SQLite and
    PostgreSQL both read the same way (ON CONFLICT DO NOTHING: a concurrent retry of the same
    span, already excluded under the agent's lock, can never fail the export)."""
    quote = connection.ops.quote_name
    table = quote(SeenSpan._meta.db_table)
    columns = ", ".join(quote(c) for c in ("agent_id", "key", "seen_at"))
    seen_at = connection.ops.adapt_datetimefield_value(now)
    # Only our own quoted table and column names are formatted in; the values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"  # nosec B608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(agent.pk, key, seen_at) for key in keys])


def _running_totals(
    agent: Agent, folded: folding.Fold, now: datetime
) -> dict[tuple[str, str], int]:
    """Add the export's conversation tokens and run tool calls to the running counts; answer
    each one's total after this export. The counts so far are read in one query per kind and
    written with one executemany of an upsert (the same SQL on SQLite and PostgreSQL) that
    adds to what is stored: a conversation's count is only ever added to."""
    totals: dict[tuple[str, str], int] = {}
    rows = []
    updated_at = connection.ops.adapt_datetimefield_value(now)
    for kind, tallies in (
        (RunningCount.Kind.CONVERSATION, folded.conversations),
        (RunningCount.Kind.RUN, folded.runs),
    ):
        if not tallies:
            continue
        stored: dict[str, int] = {}
        for chunk in _chunks(list(tallies)):
            stored.update(
                RunningCount.objects.filter(agent=agent, kind=kind, key__in=chunk).values_list(
                    "key", "value"
                )
            )
        for key, tally in tallies.items():
            totals[(str(kind), key)] = stored.get(key, 0) + tally.value
            rows.append((agent.pk, str(kind), key, tally.value, updated_at))
    if rows:
        quote = connection.ops.quote_name
        table = quote(RunningCount._meta.db_table)
        value, updated = quote("value"), quote("updated_at")
        columns = ", ".join(quote(c) for c in ("agent_id", "kind", "key", "value", "updated_at"))
        conflict = ", ".join(quote(c) for c in ("agent_id", "kind", "key"))
        # Only our own quoted table and column names are formatted in; values are parameters.
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s) "  # nosec B608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {value} = {table}.{value} + "
            f"excluded.{value}, {updated} = excluded.{updated}"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return totals


_HOUR_FIELDS = (
    *folding.HourFigures.ADDED,
    "max_conversation_tokens",
    "max_run_tool_calls",
    "first_seen",
    "last_seen",
)


def _figures_of(row: TelemetryHour) -> folding.HourFigures:
    return folding.HourFigures(
        **{name: getattr(row, name) for name in folding.HourFigures.ADDED},
        max_conversation_tokens=row.max_conversation_tokens,
        max_run_tool_calls=row.max_run_tool_calls,
        first_ns=int(row.first_seen.timestamp() * 1e9),
        last_ns=int(row.last_seen.timestamp() * 1e9),
    )


def _merge_hours(
    agent: Agent, hours: dict[int, folding.HourFigures]
) -> dict[int, folding.HourFigures]:
    """Add the export's hours to the stored ones; answer the merged figures of each."""
    stored = {
        int(row.hour.timestamp()): row
        for row in TelemetryHour.objects.filter(
            agent=agent, hour__in=[folding.hour_start(h) for h in hours]
        )
    }
    merged: dict[int, folding.HourFigures] = {}
    create, update = [], []
    for hour, delta in hours.items():
        row = stored.get(hour)
        if row is None:
            figures = delta
            row = TelemetryHour(agent=agent, hour=folding.hour_start(hour))
            create.append(row)
        else:
            figures = _figures_of(row)
            figures.add(delta)
            update.append(row)
        for name in folding.HourFigures.ADDED:
            setattr(row, name, getattr(figures, name))
        row.max_conversation_tokens = figures.max_conversation_tokens
        row.max_run_tool_calls = figures.max_run_tool_calls
        row.first_seen = folding.ns_time(figures.first_ns)
        row.last_seen = folding.ns_time(figures.last_ns)
        merged[hour] = figures
    if create:
        TelemetryHour.objects.bulk_create(create, batch_size=_BATCH)
    if update:
        TelemetryHour.objects.bulk_update(update, _HOUR_FIELDS, batch_size=_BATCH)
    return merged


def _merge_tools(agent: Agent, tools: dict[tuple[int, str], folding.ToolFigures]) -> None:
    if not tools:
        return
    hours = sorted({hour for hour, _ in tools})
    stored = {
        (int(row.hour.timestamp()), row.tool): row
        for row in TelemetryToolHour.objects.filter(
            agent=agent,
            hour__in=[folding.hour_start(h) for h in hours],
            tool__in=sorted({tool for _, tool in tools}),
        )
    }
    create, update = [], []
    for (hour, tool), delta in tools.items():
        row = stored.get((hour, tool))
        last = folding.ns_time(delta.last_ns)
        if row is None:
            create.append(
                TelemetryToolHour(
                    agent=agent,
                    hour=folding.hour_start(hour),
                    tool=tool,
                    calls=delta.calls,
                    failed=delta.failed,
                    last_seen=last,
                )
            )
        else:
            row.calls += delta.calls
            row.failed += delta.failed
            row.last_seen = max(row.last_seen, last)
            update.append(row)
    if create:
        TelemetryToolHour.objects.bulk_create(create, batch_size=_BATCH)
    if update:
        TelemetryToolHour.objects.bulk_update(
            update, ["calls", "failed", "last_seen"], batch_size=_BATCH
        )


def limits_of(agent: Agent) -> folding.Limits:
    row = (
        AgentThresholds.objects.filter(agent=agent)
        .values("alert_failed_tool_calls_max", "alert_quality_min", "alert_unregistered_tool_use")
        .first()
    )
    defaults = folding.Limits()
    return folding.Limits(
        api_calls_per_hour=agent.api_calls_per_hour,
        tokens_per_session=agent.tokens_per_session,
        sequential_actions=agent.sequential_actions_before_confirmation,
        failed_tool_calls_max=row["alert_failed_tool_calls_max"]
        if row
        else defaults.failed_tool_calls_max,
        quality_min=row["alert_quality_min"] if row else defaults.quality_min,
        unregistered_tool_use=row["alert_unregistered_tool_use"]
        if row
        else defaults.unregistered_tool_use,
    )


def _suspend(agent: Agent, breaches: list[folding.Breach]) -> bool:
    words = [b.message for b in breaches[:_REASON_BREACHES]]
    if len(breaches) > _REASON_BREACHES:
        words.append(f"And {len(breaches) - _REASON_BREACHES} more.")
    suspension = agent_suspend_automatic(
        agent=agent,
        # As for an outcome alert (outcomes/services.py): the operators' email says the same.
        reason="Alert threshold crossed: " + " ".join(words),
        details={"source": "telemetry", "breaches": [b.as_dict() for b in breaches]},
    )
    if suspension is None:
        return False
    automatic_suspension_email(agent=agent, sentences=words, source="runtime telemetry")
    return True


@transaction.atomic
def telemetry_ingest(*, agent: Agent, export: Export, now: datetime | None = None) -> IngestResult:
    """Fold one export of the agent's runtime into its figures before answering it."""
    now = now or timezone.now()
    result = IngestResult(rejected=export.rejected)
    genai = {s.key for s in export.spans if s.kind is not None}
    if not genai:
        return result
    locked = Agent.objects.select_related("organization").select_for_update().get(pk=agent.pk)
    seen = _seen_keys(locked, sorted(genai))
    folded = folding.fold(export.spans, seen=seen, now_ns=int(now.timestamp() * 1e9))
    result.accepted = len(folded.counted)
    result.duplicates = len(genai) - result.accepted
    if folded.empty:
        return result
    _remember_spans(locked, folded.counted, now)
    totals = _running_totals(locked, folded, now)
    folding.spread_maxima(folded.hours, folded.conversations, folded.runs, totals)
    merged = _merge_hours(locked, folded.hours)
    _merge_tools(locked, folded.tools)
    permitted = tool_permission_observe_use(
        agent=locked,
        used={tool: folding.ns_time(ns) for tool, ns in folded.tool_last_ns.items()},
        now=now,
    )
    tools_used: dict[str, int] = {}
    for (_, tool), figures in folded.tools.items():
        tools_used[tool] = tools_used.get(tool, 0) + figures.calls
    result.breaches = folding.limit_breaches(
        hours=merged,
        conversations={k: totals[("conversation", k)] for k in folded.conversations},
        runs={k: totals[("run", k)] for k in folded.runs},
        tools_used=tools_used,
        permitted=permitted,
        limits=limits_of(locked),
    )
    if result.breaches and _auto_suspend(locked):
        result.suspended = _suspend(locked, result.breaches)
    unpermitted = {t.casefold() for t in tools_used} - {t.strip().casefold() for t in permitted}
    if unpermitted:
        # A tool used without a permission unmeets phase 1's least-privilege item.
        gates_recheck(agents=[locked], now=now)
    return result


def _auto_suspend(agent: Agent) -> bool:
    """Whether a crossed limit suspends the agent (an admin may switch it off, which unmeets
    phase 4's auto_suspend item)."""
    row = AgentThresholds.objects.filter(agent=agent).values_list("auto_suspend", flat=True)
    return next(iter(row), True)


def telemetry_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Forget span ids and running counts untouched for 48 hours, and hourly figures older
    than TELEMETRY_KEEP_DAYS (400 by default). Idempotent."""
    now = now or timezone.now()
    recent = now - KEEP_SPAN_IDS
    keep_from = now - timedelta(days=settings.TELEMETRY_KEEP_DAYS)
    return {
        "span_ids": SeenSpan.objects.filter(seen_at__lt=recent).delete()[0],
        "running_counts": RunningCount.objects.filter(updated_at__lt=recent).delete()[0],
        "hours": TelemetryHour.objects.filter(hour__lt=keep_from).delete()[0],
        "tool_hours": TelemetryToolHour.objects.filter(hour__lt=keep_from).delete()[0],
    }

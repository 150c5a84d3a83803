"""What the telemetry room tells the gates' checklist items (gates/evidence_sources.py): spans
of model calls and of tool calls in the last 7 days (`tracing`), evaluation scores in the last
30 days (`quality_threshold`), and the tools the runtime used in the last 30 days, which the
gates compare with the agent's permissions (`least_privilege_justified`). Registered in
TelemetryConfig.ready."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q, Sum

from gates.evidence import QUALITY_DAYS, TRACING_DAYS
from gates.evidence_selectors import agent_ids_query

from .models import TelemetryHour, TelemetryToolHour

TOOLS_SEEN_DAYS = 30


def evidence_source(agents, now: datetime) -> dict[int, dict]:
    """Two queries for any number of agents."""
    pks = [a.pk for a in agents]
    ids = agent_ids_query(agents)  # prepared once for both queries
    recent = now - timedelta(days=TRACING_DAYS)
    month = now - timedelta(days=max(QUALITY_DAYS, TOOLS_SEEN_DAYS))
    sums = {
        row["agent_id"]: row
        # No ordering: the model's (agent, hour) would join the agents into the grouping.
        for row in TelemetryHour.objects.filter(agent_id__in=ids, hour__gte=month)
        .order_by()
        .values("agent_id")
        .annotate(
            models=Sum("model_calls", filter=Q(hour__gte=recent)),
            tools=Sum("tool_calls", filter=Q(hour__gte=recent)),
            scores=Sum("score_count", filter=Q(hour__gte=now - timedelta(days=QUALITY_DAYS))),
        )
    }
    seen: dict[int, set[str]] = defaultdict(set)
    for agent_id, tool in (
        TelemetryToolHour.objects.filter(
            agent_id__in=ids, hour__gte=now - timedelta(days=TOOLS_SEEN_DAYS)
        )
        # No ordering: the model's (agent name, hour) would join the agents and make the
        # DISTINCT keep a row per hour instead of one per tool.
        .order_by()
        .values_list("agent_id", "tool")
        .distinct()
    ):
        seen[agent_id].add(tool)
    out = {}
    for pk in pks:
        row = sums.get(pk, {})
        out[pk] = {
            "model_call_spans": row.get("models") or 0,
            "tool_call_spans": row.get("tools") or 0,
            "quality_evaluation_scores": row.get("scores") or 0,
            "tools_seen": frozenset(seen.get(pk, ())),
        }
    return out

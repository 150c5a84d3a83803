"""What the outcomes room tells the gates' checklist items (gates/evidence_sources.py): the
alert switches, automatic suspension and the budget alert of each agent's thresholds, and how
many metric snapshots brought a quality score lately. Registered in OutcomesConfig.ready."""

from datetime import datetime, timedelta

from django.db.models import Count

from gates.evidence import QUALITY_DAYS
from gates.evidence_selectors import agent_ids_query

from . import metrics
from .models import THRESHOLD_SWITCHES, AgentThresholds, MetricSnapshot

SWITCHES = (*THRESHOLD_SWITCHES, "budget_alert_percent")


def _fields(values: dict) -> dict:
    percent = values["budget_alert_percent"]
    return {
        "alerts_on": {
            "error_rate": values["alert_error_rate_on"],
            "escalation": values["alert_escalation_on"],
            "completion": values["alert_completion_on"],
        },
        "auto_suspend_on": values["auto_suspend"],
        "budget_alert_on": percent is not None,
        "budget_alert_percent": percent or 0,
        "quality_threshold_on": values["alert_quality_on"],
    }


def evidence_source(agents, now: datetime) -> dict[int, dict]:
    """Two queries for any number of agents; an agent without a thresholds row has the
    defaults (every alert on, automatic suspension on, the budget alert at 80 %)."""
    pks = [a.pk for a in agents]
    ids = agent_ids_query(agents)  # prepared once for both queries
    defaults = {name: getattr(metrics.Thresholds(), name) for name in SWITCHES}
    rows = {
        row["agent_id"]: row
        for row in AgentThresholds.objects.filter(agent_id__in=ids).values("agent_id", *SWITCHES)
    }
    since = (now - timedelta(days=QUALITY_DAYS)).date()
    scores = dict(
        MetricSnapshot.objects.filter(
            agent_id__in=ids, period_end__gte=since, quality_score__isnull=False
        )
        .order_by()
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    return {
        pk: {**_fields(rows.get(pk, defaults)), "quality_snapshot_scores": scores.get(pk, 0)}
        for pk in pks
    }

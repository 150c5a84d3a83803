"""Thresholds, metric snapshots and horizon decisions in the admin: read-only."""

from django.contrib import admin

from agents.admin import AgentChildAdmin

from .models import AgentThresholds, HorizonDecision, MetricSnapshot


@admin.register(AgentThresholds)
class AgentThresholdsAdmin(AgentChildAdmin):
    list_display = [
        "agent",
        "advance_completion_min",
        "advance_escalation_max",
        "advance_error_mode",
        "alert_error_rate_max",
        "alert_escalation_max",
        "alert_completion_min",
        "auto_suspend",
        "budget_alert_percent",
        "stabilization_weeks",
        "updated_at",
    ]
    list_filter = [
        "advance_error_mode",
        "auto_suspend",
        "alert_error_rate_on",
        "alert_escalation_on",
        "alert_completion_on",
        "alert_quality_on",
        "agent__organization",
    ]
    search_fields = ["agent__name"]


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(AgentChildAdmin):
    list_display = [
        "agent",
        "period_start",
        "period_end",
        "tasks",
        "tasks_completed",
        "escalations",
        "errors",
        "cost",
        "created_at",
    ]
    list_filter = ["agent__organization"]
    search_fields = ["agent__name"]
    date_hierarchy = "period_end"


@admin.register(HorizonDecision)
class HorizonDecisionAdmin(AgentChildAdmin):
    """Append-only, like gate decisions."""

    list_display = ["agent", "from_horizon", "to_horizon", "decided_by", "decided_at"]
    list_filter = ["to_horizon", "agent__organization"]
    search_fields = ["agent__name", "rationale", "decided_by__username"]
    date_hierarchy = "decided_at"

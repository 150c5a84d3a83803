"""Telemetry in the admin: read-only (only an export of the agent's runtime writes it), scoped
to the organizations a staff member administers."""

from django.contrib import admin

from agents.admin import AgentChildAdmin

from .models import RunningCount, SeenSpan, TelemetryHour, TelemetryToolHour


@admin.register(TelemetryHour)
class TelemetryHourAdmin(AgentChildAdmin):
    list_display = [
        "agent",
        "hour",
        "model_calls",
        "runs",
        "tool_calls",
        "failed_tool_calls",
        "input_tokens",
        "output_tokens",
        "max_conversation_tokens",
        "max_run_tool_calls",
        "last_seen",
    ]
    list_filter = ["agent__organization"]
    search_fields = ["agent__name"]
    date_hierarchy = "hour"


@admin.register(TelemetryToolHour)
class TelemetryToolHourAdmin(AgentChildAdmin):
    list_display = ["agent", "hour", "tool", "calls", "failed", "last_seen"]
    list_filter = ["agent__organization"]
    search_fields = ["agent__name", "tool"]
    date_hierarchy = "hour"


@admin.register(SeenSpan)
class SeenSpanAdmin(AgentChildAdmin):
    list_display = ["agent", "key", "seen_at"]
    list_filter = ["agent__organization"]
    search_fields = ["agent__name", "key"]


@admin.register(RunningCount)
class RunningCountAdmin(AgentChildAdmin):
    list_display = ["agent", "kind", "key", "value", "updated_at"]
    list_filter = ["kind", "agent__organization"]
    search_fields = ["agent__name", "key"]

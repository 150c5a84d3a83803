"""Suspensions and runtime tokens in the admin: read-only."""

from django.contrib import admin

from agents.admin import AgentChildAdmin
from core.admin_scoping import ReadOnlyInline

from .models import AgentToken, Suspension


class SuspensionInline(ReadOnlyInline):
    model = Suspension
    fields = [
        "kind",
        "reason",
        "started_by",
        "started_at",
        "runtime_seen_at",
        "ended_by",
        "ended_at",
    ]


@admin.register(Suspension)
class SuspensionAdmin(AgentChildAdmin):
    list_display = [
        "agent",
        "kind",
        "reason",
        "started_by",
        "started_at",
        "time_to_stop",
        "ended_by",
        "ended_at",
    ]
    list_filter = ["kind", "agent__organization"]
    search_fields = ["agent__name", "reason", "end_reason"]
    list_select_related = ["agent", "agent__organization", "started_by", "ended_by"]
    date_hierarchy = "started_at"

    @admin.display(description="time to stop (s)")
    def time_to_stop(self, obj):
        return obj.time_to_stop_s


@admin.register(AgentToken)
class AgentTokenAdmin(AgentChildAdmin):
    list_display = [
        "name",
        "agent",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["agent__organization"]
    search_fields = ["name", "prefix", "agent__name"]
    exclude = ["key_hash"]

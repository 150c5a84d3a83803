"""The agent in the admin, with every room's rows inline: read-only."""

from django.contrib import admin

from agents.admin import DecisionBoundaryInline, EscalationPathInline, ToolPermissionInline
from agents.models import Agent
from core.admin_scoping import ReadOnlyAdmin
from gates.admin import GateInline, PromptVersionInline
from killswitch.admin import SuspensionInline


@admin.register(Agent)
class AgentAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "organization",
        "business_unit",
        "owner",
        "state",
        "horizon",
        "current_prompt",
        "created_at",
    ]
    list_filter = ["organization", "state", "horizon", "business_unit"]
    search_fields = ["name", "purpose", "business_unit", "owner__username", "organization__name"]
    list_select_related = ["organization", "owner", "current_prompt"]
    date_hierarchy = "created_at"
    inlines = [
        DecisionBoundaryInline,
        EscalationPathInline,
        ToolPermissionInline,
        GateInline,
        PromptVersionInline,
        SuspensionInline,
    ]

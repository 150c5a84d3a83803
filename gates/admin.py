"""Gates, checklist items, decisions and prompt versions in the admin: read-only (decisions are
append-only: never changed, never deleted)."""

from django.contrib import admin

from agents.admin import AgentChildAdmin
from core.admin_scoping import ReadOnlyAdmin, ReadOnlyInline

from .models import ChecklistItem, Gate, GateDecision, PromptVersion


class GateInline(ReadOnlyInline):
    model = Gate
    fields = ["phase", "state", "review_reason", "version", "updated_at"]


class PromptVersionInline(ReadOnlyInline):
    model = PromptVersion
    fields = [
        "tag",
        "ship",
        "regression_passed",
        "adversarial_passed",
        "delta",
        "tolerance",
        "created_at",
    ]


class ChecklistItemInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ["key", "met", "evidence", "updated_by", "updated_at"]


class GateDecisionInline(ReadOnlyInline):
    model = GateDecision
    fields = ["decision", "rationale", "unmet_items", "evidence", "decided_by", "decided_at"]


@admin.register(Gate)
class GateAdmin(AgentChildAdmin):
    list_display = ["agent", "phase", "state", "review_reason", "version", "updated_at"]
    list_filter = ["phase", "state", "agent__organization"]
    search_fields = ["agent__name", "review_reason"]
    inlines = [ChecklistItemInline, GateDecisionInline]


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdmin):
    """Append-only: viewable, never changed or deleted; decided on the gate pages or the API."""

    organization_path = "gate__agent__organization"
    list_display = ["gate", "decision", "decided_by", "decided_at"]
    list_filter = ["decision", "gate__phase", "gate__agent__organization"]
    search_fields = ["gate__agent__name", "rationale", "decided_by__username"]
    list_select_related = ["gate__agent", "decided_by"]
    date_hierarchy = "decided_at"


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    """The rows hold attestations of tracing and the quality threshold (met = attested); every
    other item is computed when read (docs/rules.md §2) and its row is not used."""

    organization_path = "gate__agent__organization"
    list_display = ["key", "gate", "met", "updated_by", "updated_at"]
    list_filter = ["met", "gate__phase", "gate__agent__organization"]
    search_fields = ["key", "evidence", "gate__agent__name"]
    list_select_related = ["gate__agent", "updated_by"]


@admin.register(PromptVersion)
class PromptVersionAdmin(AgentChildAdmin):
    list_display = [
        "tag",
        "agent",
        "ship",
        "regression_passed",
        "adversarial_passed",
        "delta",
        "tolerance",
        "rollback_target",
        "created_at",
    ]
    list_filter = ["ship", "regression_passed", "adversarial_passed", "agent__organization"]
    search_fields = ["tag", "agent__name", "rollback_target"]
    date_hierarchy = "created_at"

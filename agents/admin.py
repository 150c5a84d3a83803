"""Admin for agents, their records, gates, decisions, prompt versions, suspensions and tokens.

Everything here is read-only. Every change to an agent goes through agents/services.py (from the
pages or the API), which checks roles and separation of duties, applies the gate rules (a
change to a gate at go sends it to needs review), and writes the audit entry with before and
after; an admin edit would skip all three. Gate decisions in particular are append-only
(shared/SPEC.md §2): never changed, never deleted. Staff who are not superusers see only the
organizations they administer (OrganizationScopedAdmin).
"""

from django.contrib import admin

from accounts.admin import OrganizationScopedAdmin

from .models import (
    Agent,
    AgentThresholds,
    AgentToken,
    ChecklistItem,
    DecisionBoundary,
    EscalationPath,
    Gate,
    GateDecision,
    HorizonDecision,
    MetricSnapshot,
    PromptVersion,
    RiskAssessment,
    Suspension,
    ToolPermission,
)


class ReadOnlyMixin:
    """View only: no add, change or delete (see the module docstring for why)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class ReadOnlyAdmin(ReadOnlyMixin, OrganizationScopedAdmin):
    pass


class AgentChildAdmin(ReadOnlyAdmin):
    organization_path = "agent__organization"
    list_select_related = ["agent", "agent__organization"]


class DecisionBoundaryInline(ReadOnlyInline):
    model = DecisionBoundary
    fields = ["position", "decision", "mode"]


class EscalationPathInline(ReadOnlyInline):
    model = EscalationPath
    fields = ["position", "failure_state", "owner"]


class ToolPermissionInline(ReadOnlyInline):
    model = ToolPermission
    fields = ["position", "tool", "access", "justification", "last_used", "last_reviewed"]


class GateInline(ReadOnlyInline):
    model = Gate
    fields = ["phase", "state", "review_reason", "version", "updated_at"]


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


class ChecklistItemInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ["key", "met", "evidence", "updated_by", "updated_at"]


class GateDecisionInline(ReadOnlyInline):
    model = GateDecision
    fields = ["decision", "rationale", "unmet_items", "decided_by", "decided_at"]


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


@admin.register(DecisionBoundary)
class DecisionBoundaryAdmin(AgentChildAdmin):
    list_display = ["decision", "mode", "agent"]
    list_filter = ["mode", "agent__organization"]
    search_fields = ["decision", "agent__name"]


@admin.register(EscalationPath)
class EscalationPathAdmin(AgentChildAdmin):
    list_display = ["failure_state", "owner", "agent"]
    list_filter = ["agent__organization"]
    search_fields = ["failure_state", "owner__username", "agent__name"]


@admin.register(ToolPermission)
class ToolPermissionAdmin(AgentChildAdmin):
    list_display = ["tool", "access", "agent", "last_used", "last_reviewed"]
    list_filter = ["access", "agent__organization"]
    search_fields = ["tool", "justification", "agent__name"]


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
        "stabilization_weeks",
        "updated_at",
    ]
    list_filter = ["advance_error_mode", "agent__organization"]
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


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(AgentChildAdmin):
    list_display = ["subject", "scope", "agent", "recorded_by", "recorded_at"]
    list_filter = ["scope", "agent__organization"]
    search_fields = ["subject", "assessment", "agent__name"]
    date_hierarchy = "recorded_at"

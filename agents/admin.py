"""Admin for the agent registry: decision boundaries, escalation paths, tool permissions, risk
assessments (the agent itself, with every room's rows inline, is in overview/admin.py).

Everything here is read-only. Every change to an agent goes through the services of each room
(from the pages or the API), which checks roles and separation of duties, applies the gate rules (a
change to a gate at go sends it to needs review), and writes the audit entry with before and
after; an admin edit would skip all three. Gate decisions in particular are append-only
(docs/rules.md §2): never changed, never deleted. Staff who are not superusers see only the
organizations they administer (OrganizationScopedAdmin).
"""

from django.contrib import admin

from core.admin_scoping import ReadOnlyAdmin, ReadOnlyInline

from .models import DecisionBoundary, EscalationPath, RiskAssessment, ToolPermission


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


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(AgentChildAdmin):
    list_display = ["subject", "scope", "agent", "recorded_by", "recorded_at"]
    list_filter = ["scope", "agent__organization"]
    search_fields = ["subject", "assessment", "agent__name"]
    date_hierarchy = "recorded_at"

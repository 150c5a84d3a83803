"""Reads of the audit trail, always scoped to one organization."""

from django.db.models import QuerySet

from .models import AuditEntry


def audit_entries(*, organization, action: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    """The organization's entries, newest first, filtered by action and by actor name."""
    entries = AuditEntry.objects.filter(organization=organization)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    return entries.order_by("-created_at", "-id")


def audit_actions(*, organization) -> list[str]:
    """The actions that occur in the organization's trail (for the filter)."""
    return list(
        AuditEntry.objects.filter(organization=organization)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )

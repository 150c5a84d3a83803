"""Reads of the audit trail, always scoped to one organization."""

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from .models import AuditEntry


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_entries(
    *,
    organization,
    action: str = "",
    actor: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    object_type: str = "",
    object_text: str = "",
) -> QuerySet[AuditEntry]:
    """The organization's entries, newest first, filtered by action, by actor name, by the
    days (UTC, both ends included), by object type and by a text in the object's label."""
    entries = AuditEntry.objects.filter(organization=organization)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    if date_from:
        entries = entries.filter(created_at__gte=_start_of(date_from))
    if date_to and date_to < date.max:
        entries = entries.filter(created_at__lt=_start_of(date_to + timedelta(days=1)))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_text:
        entries = entries.filter(object_label__icontains=object_text)
    return entries.order_by("-created_at", "-id")


def audit_actions(*, organization) -> list[str]:
    """The actions that occur in the organization's trail (for the filter)."""
    return audit_vocabulary(organization=organization)[0]


def audit_vocabulary(*, organization) -> tuple[list[str], list[str]]:
    """The actions and the object types that occur in the organization's trail (for the
    filters), in one query."""
    pairs = (
        AuditEntry.objects.filter(organization=organization)
        .order_by()
        .values_list("action", "object_type")
        .distinct()
    )
    actions, types = set(), set()
    for action, object_type in pairs:
        actions.add(action)
        if object_type:
            types.add(object_type)
    return sorted(actions), sorted(types)

"""Reads of notifications, preferences and the facts the reminders need, always scoped to an
organization or a member, each in a fixed number of queries."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Organization
from agents.models import Agent
from agents.selectors import permissions_to_review
from assessments.models import Assessment
from assessments.selectors import assessment_latest_submitted
from outcomes.models import MetricSnapshot

from . import kinds, reminders
from .models import Notification, NotificationPreference


def notification_page(
    *, membership: Membership, offset: int, limit: int
) -> tuple[list[Notification], int]:
    """A member's notifications, newest first: one page and the count (two queries)."""
    qs = Notification.objects.filter(recipient=membership).order_by("-created_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def notification_get(*, membership: Membership, pk: int | str) -> Notification:
    """One of the member's own notifications; anyone else's (or another organization's) is 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such notification.") from None
    notification = Notification.objects.filter(recipient=membership, pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def unread_queryset(*, membership: Membership) -> QuerySet[Notification]:
    """The member's unread notifications (the navigation counts them)."""
    return Notification.objects.filter(recipient=membership, read_at__isnull=True)


def preferences_of(*, membership: Membership) -> dict[str, bool]:
    """Kind → email on or off, for every kind (the default where the member chose nothing)."""
    chosen = dict(
        NotificationPreference.objects.filter(membership=membership).values_list("kind", "email")
    )
    return {kind.value: kinds.email_wanted(kind, chosen) for kind in kinds.Kind}


def audience_of(*, organization: Organization) -> list[tuple[Membership, kinds.Member]]:
    """The organization's active members with what the recipient rule needs (one query)."""
    members = Membership.objects.filter(organization=organization, is_active=True).select_related(
        "user"
    )
    return [(m, kinds.Member(m.pk, m.user_id, m.roles)) for m in members]


def email_choices(*, membership_ids: Iterable[int], kind: str) -> dict[int, bool]:
    """Membership id → the email choice its member made for this kind, where they made one."""
    return dict(
        NotificationPreference.objects.filter(
            membership_id__in=list(membership_ids), kind=kind
        ).values_list("membership_id", "email")
    )


def reminder_facts(*, organization: Organization, now: datetime) -> dict[str, Any]:
    """What the reminders of one organization are computed from, as plain values (a fixed
    number of queries: the latest assessment, the flagged permissions, the agents with their
    last drill, the month's snapshots)."""
    latest = assessment_latest_submitted(organization=organization)
    flagged = permissions_to_review(organization=organization, today=now.date())
    agents = Agent.objects.filter(organization=organization).annotate(
        last_drill_at=Max("suspensions__started_at", filter=Q(suspensions__kind="drill")),
        # The agent's own budget alert (outcomes' thresholds): a percentage, or null when an
        # admin switched it off; no thresholds row keeps the organization's default.
        has_thresholds=Count("thresholds"),
        budget_alert_percent=Max("thresholds__budget_alert_percent"),
    )
    first, last = reminders.month_bounds(now.date())
    snapshots = MetricSnapshot.objects.filter(
        agent__organization=organization, period_start__lte=last, period_end__gte=first
    ).values_list("agent_id", "period_start", "period_end", "cost")
    return {
        "latest_assessment": _assessment_fact(latest),
        "flagged_permissions": [
            reminders.PermissionFact(
                id=item.permission.pk,
                agent_id=item.permission.agent_id,
                agent_name=item.agent.name,
                tool=item.permission.tool,
                codes=tuple(r.code for r in item.reasons),
                last_used=item.permission.last_used,
                last_reviewed=item.permission.last_reviewed,
            )
            for item in flagged
        ],
        "agents": [
            reminders.AgentFact(
                id=a.pk,
                name=a.name,
                created_at=a.created_at,
                last_drill_at=a.last_drill_at,
                monthly_budget=float(a.monthly_budget) if a.monthly_budget is not None else None,
                budget_alert=_budget_alert(a),
            )
            for a in agents.order_by("name", "id")
        ],
        "costs": [reminders.CostFact(*row) for row in snapshots],
    }


# `agent` is an Agent of reminder_facts' queryset, with its has_thresholds and
# budget_alert_percent annotations (which the Agent model does not declare).
def _budget_alert(agent: Any) -> float | bool:
    """The agent's budget alert as a fraction; True for the default, False when off."""
    if not agent.has_thresholds:
        return True
    if agent.budget_alert_percent is None:
        return False
    return agent.budget_alert_percent / 100


def _assessment_fact(latest: Assessment | None) -> reminders.AssessmentFact | None:
    """The latest submitted assessment as the reminders' value. A submitted assessment always
    has its date (a check constraint ties the status to it): the second test only says so to
    the type checker."""
    if latest is None or latest.submitted_at is None:
        return None
    return reminders.AssessmentFact(
        latest.pk, latest.title, latest.verdict, latest.total or 0, latest.submitted_at
    )


def digest_pending() -> list[tuple[int, datetime]]:
    """Every active member with notifications waiting for email, and when the oldest of them
    was created (one query)."""
    return list(
        Notification.objects.filter(email=True, emailed_at__isnull=True, recipient__is_active=True)
        .order_by()
        .values("recipient_id")
        .annotate(oldest=Min("created_at"))
        .values_list("recipient_id", "oldest")
    )

"""Reads of the agent registry, always scoped to an organization: an agent with its records,
business units, risk assessments and the tool permissions due for review (docs/rules.md §4)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Organization

from . import rules
from .models import Agent, OwnerChange, RiskAssessment, ToolPermission


def agent_in(agents: QuerySet[Agent], pk: object) -> Agent:
    """The agent of this id among `agents` (a queryset already scoped to one organization, with
    what its caller needs loaded), or Http404: for an id that is not a number too, so that
    another organization's agent and a made-up id answer alike."""
    try:
        number = int(pk)  # type: ignore[call-overload]  # anything from a URL; refused below
    except (TypeError, ValueError):
        raise Http404("No such agent.") from None
    agent = agents.filter(pk=number).first()
    if agent is None:
        raise Http404("No such agent.")
    return agent


def agent_get(*, organization: Organization, pk) -> Agent:
    """An agent of the organization with its records (404 for any other)."""
    return agent_in(
        Agent.objects.filter(organization=organization)
        .select_related("owner")
        .prefetch_related("decision_boundaries", "escalation_paths__owner", "tool_permissions"),
        pk,
    )


def business_units(*, organization: Organization) -> list[str]:
    return sorted(
        set(
            Agent.objects.filter(organization=organization)
            .exclude(business_unit="")
            .values_list("business_unit", flat=True)
        )
    )


def risk_assessment_list(*, agent: Agent) -> list[RiskAssessment]:
    return list(
        RiskAssessment.objects.filter(agent=agent)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")
    )


@dataclass(frozen=True)
class PermissionToReview:
    permission: ToolPermission
    reasons: list[rules.Reason]

    @property
    def agent(self) -> Agent:
        return self.permission.agent


def permissions_to_review(*, organization: Organization, today: date) -> list[PermissionToReview]:
    """Every tool permission of the organization's agents that docs/rules.md §4 flags: unused or not
    reviewed for more than 90 days (never used or never reviewed: counted from its creation).
    One query: the database narrows, the pure rule decides and words the reasons."""
    cutoff = today - rules.PERMISSION_MAX_AGE
    stale = (
        Q(last_used__lt=cutoff)
        | Q(last_used__isnull=True, created_at__date__lt=cutoff)
        | Q(last_reviewed__lt=cutoff)
        | Q(last_reviewed__isnull=True, created_at__date__lt=cutoff)
    )
    candidates = (
        ToolPermission.objects.filter(agent__organization=organization)
        .filter(stale)
        .select_related("agent")
        .order_by("agent__name", "agent_id", "position", "id")
    )
    flagged: list[PermissionToReview] = []
    for permission in candidates:
        reasons = rules.permission_review_reasons(
            last_used=permission.last_used,
            last_reviewed=permission.last_reviewed,
            created=permission.created_at.date(),
            today=today,
        )
        if reasons:
            flagged.append(PermissionToReview(permission, reasons))
    return flagged


def owner_changes_recent(*, agent: Agent, now: datetime) -> list[rules.OwnerChangeFact]:
    """The agent's owner changes of the separation window (one query)."""
    rows = OwnerChange.objects.filter(
        agent=agent, changed_at__gte=now - rules.SEPARATION_WINDOW
    ).values_list("previous_owner_id", "new_owner_id", "changed_by_id", "changed_at")
    return [rules.OwnerChangeFact(*row) for row in rows]


def separation_reason(*, agent: Agent, user_id: int, now: datetime) -> str | None:
    """Why this user may not decide on the agent now (None if they may)."""
    if user_id == agent.owner_id:
        changes: list[rules.OwnerChangeFact] = []
    else:
        changes = owner_changes_recent(agent=agent, now=now)
    return rules.separation_of_duties(
        user_id=user_id, owner_id=agent.owner_id, changes=changes, now=now
    )

"""Reads of the kill switch: an agent's suspensions and drills."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import hash_token
from agents.models import Agent

from .models import AgentToken, Suspension


def open_suspension(*, agent: Agent) -> Suspension | None:
    return Suspension.objects.filter(agent=agent, ended_at__isnull=True).first()


def suspension_list(*, agent: Agent) -> QuerySet[Suspension]:
    return Suspension.objects.filter(agent=agent).select_related("started_by", "ended_by")


def drill_list(*, agent: Agent) -> QuerySet[Suspension]:
    return suspension_list(agent=agent).filter(kind=Suspension.Kind.DRILL)


def drill_get(*, agent: Agent, pk) -> Suspension:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such drill.") from None
    drill = drill_list(agent=agent).filter(pk=pk).first()
    if drill is None:
        raise Http404("No such drill.")
    return drill


def runtime_token_by_key(*, raw: str) -> AgentToken | None:
    """The agent runtime token with this value, with its agent, unless revoked."""
    return (
        AgentToken.objects.select_related("agent__organization")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )


def open_suspensions_prefetch(
    to_attr: str = "open_suspensions",
) -> Prefetch[str, QuerySet[Suspension], str]:
    """A Prefetch of each agent's open suspension (at most one), for lists of agents."""
    return Prefetch(
        "suspensions", queryset=Suspension.objects.filter(ended_at__isnull=True), to_attr=to_attr
    )
